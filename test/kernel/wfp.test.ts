// The Windows Filtering Platform engine fwpkclnt.sys answers kernel callers with: sessions,
// transactions (visible at commit, undone on abort), keyed objects and their dependencies, dynamic
// sessions, callout registrations and injection handles (src/kernel/exports/fwpkclnt/).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnicornX86 } from '../../src/cpu/unicorn.js';
import { setupNtX86 } from '../../src/cpu/x86-setup.js';
import { ALL_HANDLERS } from '../../src/kernel/exports/index.js';
import { utf16z } from '../../src/kernel/guest.js';
import { EmulatedKernel } from '../../src/kernel/kernel.js';
import { HandlerRegistry } from '../../src/kernel/registry.js';
import { haveUnicorn } from '../helpers/unicorn.js';

const fn = (name: string) => {
  const h = ALL_HANDLERS.find((x) => x.module === 'fwpkclnt' && x.name === name);
  if (!h) throw new Error(`no fwpkclnt!${name}`);
  return h;
};
const RPC_C_AUTHN_DEFAULT = 0xffffffff;

describe.skipIf(!haveUnicorn)('fwpkclnt: the WFP engine as kernel callers see it', () => {
  let cpu: UnicornX86;
  let kernel: EmulatedKernel;
  const call = (name: string, ...args: number[]) => fn(name).impl(kernel.ctx, args) as number;
  const block = (size: number) => {
    const p = kernel.pool.allocate(size, 0, 'test', 'kernel')!;
    kernel.mem.write(p, new Uint8Array(size));
    return p;
  };
  /** A GUID whose first byte is `n`, the rest zero. */
  const guid = (at: number, n: number) => kernel.mem.write(at, new Uint8Array([n, ...new Array(15).fill(0)]));
  const name = (text: string) => {
    const p = block(text.length * 2 + 2);
    kernel.mem.write(p, utf16z(text));
    return p;
  };
  const open = (dynamic = false) => {
    const out = block(4);
    let session = 0;
    if (dynamic) {
      session = block(0x30);
      kernel.mem.setU32(session + 24, 1); // FWPM_SESSION_FLAG_DYNAMIC
    }
    expect(call('FwpmEngineOpen0', 0, RPC_C_AUTHN_DEFAULT, 0, session, out)).toBe(0);
    return kernel.mem.u32(out);
  };
  /** FWPM_SUBLAYER0 with key `n` and provider key pointer `provider` (0: none). */
  const sublayer = (n: number, provider = 0) => {
    const s = block(0x2c);
    guid(s, n);
    kernel.mem.setU32(s + 16, name(`sublayer ${n}`));
    kernel.mem.setU32(s + 28, provider);
    return s;
  };
  const wfpEvents = () => kernel.log.events.filter((e) => e.type === 'wfp-object');

  beforeEach(() => {
    cpu = new UnicornX86();
    const { stackTop } = setupNtX86(cpu, { number: 0 });
    kernel = new EmulatedKernel(cpu, new HandlerRegistry(ALL_HANDLERS), stackTop);
  });
  afterEach(() => cpu.close());

  it('opens only the local engine with a known authentication service', () => {
    const out = block(4);
    expect(call('FwpmEngineOpen0', name('remote'), RPC_C_AUTHN_DEFAULT, 0, 0, out)).toBe(0xc000000d);
    expect(call('FwpmEngineOpen0', 0, 9, 0, 0, out)).toBe(0xc000000d);
    expect(call('FwpmEngineOpen0', 0, 10, 0, 0, out)).toBe(0); // RPC_C_AUTHN_WINNT
    expect(call('FwpmTransactionBegin0', 0x1234, 0)).toBe(0xc0000008); // not an engine handle
  });

  it('shows a transaction’s objects at commit and undoes them on abort', () => {
    const engine = open();
    expect(call('FwpmTransactionBegin0', engine, 0)).toBe(0);
    expect(call('FwpmTransactionBegin0', engine, 0)).toBe(0xc022000e); // STATUS_FWP_TXN_IN_PROGRESS
    expect(call('FwpmSubLayerAdd0', engine, sublayer(1), 0)).toBe(0);
    expect(wfpEvents().filter((e) => e.type === 'wfp-object' && e.kind === 'sublayer')).toEqual([]);
    expect(call('FwpmTransactionCommit0', engine)).toBe(0);
    expect(wfpEvents().at(-1)).toMatchObject({ action: 'added', kind: 'sublayer', name: 'sublayer 1' });
    expect(call('FwpmTransactionBegin0', engine, 0)).toBe(0);
    expect(call('FwpmSubLayerAdd0', engine, sublayer(2), 0)).toBe(0);
    expect(call('FwpmTransactionAbort0', engine)).toBe(0);
    expect(call('FwpmTransactionCommit0', engine)).toBe(0xc022000d); // STATUS_FWP_NO_TXN_IN_PROGRESS
    // Aborted: sublayer 2 was never there, sublayer 1 still is.
    const key = block(16);
    guid(key, 2);
    expect(call('FwpmSubLayerDeleteByKey0', engine, key)).toBe(0xc0220007); // STATUS_FWP_SUBLAYER_NOT_FOUND
    guid(key, 1);
    expect(call('FwpmSubLayerDeleteByKey0', engine, key)).toBe(0);
  });

  it('refuses duplicates, missing dependencies and deleting what is in use', () => {
    const engine = open();
    const providerKey = block(16);
    guid(providerKey, 9);
    expect(call('FwpmSubLayerAdd0', engine, sublayer(1, providerKey), 0)).toBe(0xc0220005); // PROVIDER_NOT_FOUND
    const provider = block(0x28);
    guid(provider, 9);
    expect(call('FwpmProviderAdd0', engine, provider, 0)).toBe(0);
    expect(call('FwpmProviderAdd0', engine, provider, 0)).toBe(0xc0220009); // ALREADY_EXISTS
    expect(call('FwpmSubLayerAdd0', engine, sublayer(1, providerKey), 0)).toBe(0);
    expect(call('FwpmProviderDeleteByKey0', engine, providerKey)).toBe(0xc022000a); // IN_USE
    // A callout filter in sublayer 1 whose callout is not there yet, then is.
    const filter = block(0xa0);
    guid(filter, 3);
    guid(filter + 56, 1); // subLayerKey
    kernel.mem.setU32(filter + 88, 0x5003); // FWP_ACTION_CALLOUT_TERMINATING
    guid(filter + 92, 4); // calloutKey
    const id = block(8);
    expect(call('FwpmFilterAdd0', engine, filter, 0, id)).toBe(0xc0220001); // CALLOUT_NOT_FOUND
    const callout = block(0x3c);
    guid(callout, 4);
    const calloutId = block(4);
    expect(call('FwpmCalloutAdd0', engine, callout, 0, calloutId)).toBe(0);
    expect(kernel.mem.u32(calloutId)).toBeGreaterThan(0);
    expect(call('FwpmFilterAdd0', engine, filter, 0, id)).toBe(0);
    expect(kernel.mem.u32(id)).toBeGreaterThan(kernel.mem.u32(calloutId));
  });

  it('a dynamic session takes its objects with it when closed', () => {
    const engine = open(true);
    expect(call('FwpmSubLayerAdd0', engine, sublayer(5), 0)).toBe(0);
    expect(call('FwpmEngineClose0', engine)).toBe(0);
    expect(wfpEvents().map((e) => e.type === 'wfp-object' && `${e.kind} ${e.action}`)).toEqual([
      'engine added',
      'sublayer added',
      'sublayer deleted',
      'engine deleted',
    ]);
    expect(call('FwpmEngineClose0', engine)).toBe(0xc0000008);
  });

  it('registers callouts once per key and checks injection handle parameters', () => {
    const callout = block(0x20);
    guid(callout, 7);
    const out = block(4);
    expect(call('FwpsCalloutRegister0', 0, callout, out)).toBe(0xc000000d); // no classify/notify
    kernel.mem.setU32(callout + 20, 0x1000);
    kernel.mem.setU32(callout + 24, 0x2000);
    expect(call('FwpsCalloutRegister0', 0, callout, out)).toBe(0);
    expect(call('FwpsCalloutRegister0', 0, callout, out)).toBe(0xc0220009);
    expect(call('FwpsCalloutUnregisterByKey0', callout)).toBe(0);
    expect(call('FwpsCalloutUnregisterByKey0', callout)).toBe(0xc0220001);
    expect(call('FwpsInjectionHandleCreate0', 5, 4, out)).toBe(0xc000000d); // AF 5 is not IP
    expect(call('FwpsInjectionHandleCreate0', 2, 0x100, out)).toBe(0xc000000d); // unknown type
    expect(call('FwpsInjectionHandleCreate0', 23, 4 | 8, out)).toBe(0);
    const h = kernel.mem.u32(out);
    expect(call('FwpsInjectionHandleDestroy0', h)).toBe(0);
    expect(call('FwpsInjectionHandleDestroy0', h)).toBe(0xc0000008);
  });
});
