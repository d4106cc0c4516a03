// KMDF pieces a bound driver depends on byte for byte: the function table's order (KMDF 1.9's
// wdffuncenum.h), WdfVersionBind's checks of WDF_BIND_INFO and the table and globals it fills, and
// the security descriptor a control device's SDDL becomes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnicornX86 } from '../../src/cpu/unicorn.js';
import { setupNtX86 } from '../../src/cpu/x86-setup.js';
import { ALL_HANDLERS } from '../../src/kernel/exports/index.js';
import { WDF_FUNCTIONS_1_9 } from '../../src/kernel/exports/wdfldr/index.js';
import { SddlError, securityDescriptorOf } from '../../src/kernel/exports/wdfldr/sddl.js';
import { utf16z } from '../../src/kernel/guest.js';
import { EmulatedKernel } from '../../src/kernel/kernel.js';
import { HandlerRegistry } from '../../src/kernel/registry.js';
import { haveUnicorn } from '../helpers/unicorn.js';

describe('KMDF 1.9 function table', () => {
  it('has the 396 entries of wdffuncenum.h at their TableIndex values', () => {
    expect(WDF_FUNCTIONS_1_9).toHaveLength(396);
    expect(new Set(WDF_FUNCTIONS_1_9).size).toBe(396);
    // Spot checks across the header (WdfXxxTableIndex = n).
    const at: [number, string][] = [
      [0, 'WdfChildListCreate'],
      [25, 'WdfControlDeviceInitAllocate'],
      [75, 'WdfDeviceCreate'],
      [116, 'WdfDriverCreate'],
      [152, 'WdfIoQueueCreate'],
      [202, 'WdfObjectGetTypedContextWorker'],
      [263, 'WdfRequestComplete'],
      [322, 'WdfUsbTargetDeviceCreate'],
      [379, 'WdfWorkItemCreate'],
      [395, 'WdfRequestForwardToParentDeviceIoQueue'],
    ];
    for (const [i, name] of at) expect(WDF_FUNCTIONS_1_9[i], `index ${i}`).toBe(name);
  });
});

describe('SDDL to SECURITY_DESCRIPTOR', () => {
  it('builds the self-relative descriptor of SDDL_DEVOBJ_SYS_ALL_ADM_ALL', () => {
    const sd = securityDescriptorOf('D:P(A;;GA;;;SY)(A;;GA;;;BA)');
    // MS-DTYP 2.4.6: Revision 1, Sbz1, Control = SE_SELF_RELATIVE | SE_DACL_PROTECTED | SE_DACL_PRESENT,
    // no owner, group or SACL, DACL at 20.
    const header = [1, 0, 0x04, 0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0];
    // ACL: revision 2, size 52, 2 ACEs.
    const acl = [2, 0, 52, 0, 2, 0, 0, 0];
    // ACCESS_ALLOWED_ACE, size 20, FILE_ALL_ACCESS, S-1-5-18 (LocalSystem).
    const system = [0, 0, 20, 0, 0xff, 0x01, 0x1f, 0x00, 1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0];
    // ACCESS_ALLOWED_ACE, size 24, FILE_ALL_ACCESS, S-1-5-32-544 (Administrators).
    const admins = [
      0, 0, 24, 0, 0xff, 0x01, 0x1f, 0x00, 1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0,
    ];
    expect([...sd]).toEqual([...header, ...acl, ...system, ...admins]);
  });

  it('takes owner, group, deny ACEs, flags and numeric rights; refuses what it does not know', () => {
    const sd = securityDescriptorOf('O:BAG:SYD:(D;OICI;0x10000;;;WD)(A;;GRGX;;;S-1-5-11)');
    const v = new DataView(sd.buffer);
    expect(v.getUint16(2, true)).toBe(0x8004); // not protected
    expect(v.getUint32(4, true)).toBe(20); // owner right after the header
    expect(sd[v.getUint32(16, true) + 8]).toBe(1); // first ACE: ACCESS_DENIED_ACE_TYPE
    expect(sd[v.getUint32(16, true) + 9]).toBe(3); // OBJECT_INHERIT | CONTAINER_INHERIT
    expect(() => securityDescriptorOf('D:(A;;GA;;;XX)')).toThrow(SddlError);
    expect(() => securityDescriptorOf('D:(Z;;GA;;;SY)')).toThrow(SddlError);
    expect(() => securityDescriptorOf('garbage')).toThrow(SddlError);
  });
});

describe.skipIf(!haveUnicorn)('WdfVersionBind', () => {
  let cpu: UnicornX86;
  let kernel: EmulatedKernel;
  const bind = ALL_HANDLERS.find((h) => h.module === 'wdfldr' && h.name === 'WdfVersionBind')!;
  const block = (size: number) => {
    const p = kernel.pool.allocate(size, 0, 'test', 'kernel')!;
    kernel.mem.write(p, new Uint8Array(size));
    return p;
  };
  /** WDF_BIND_INFO for `component` version 1.`minor` with `count` functions, and its table. */
  const bindInfo = (component: string, minor: number, count: number) => {
    const name = block(component.length * 2 + 2);
    kernel.mem.write(name, utf16z(component));
    const table = block(4 * count);
    const info = block(0x20);
    kernel.mem.setU32(info, 0x20);
    kernel.mem.setU32(info + 4, name);
    kernel.mem.setU32(info + 8, 1);
    kernel.mem.setU32(info + 12, minor);
    kernel.mem.setU32(info + 20, count);
    kernel.mem.setU32(info + 24, table);
    return { info, table };
  };
  const registryPath = () => {
    const text = '\\Registry\\Machine\\System\\CurrentControlSet\\Services\\Sample';
    const us = block(8 + text.length * 2 + 2);
    kernel.mem.write(us + 8, utf16z(text));
    kernel.mem.setU16(us, text.length * 2);
    kernel.mem.setU16(us + 2, text.length * 2 + 2);
    kernel.mem.setU32(us + 4, us + 8);
    return us;
  };

  beforeEach(() => {
    cpu = new UnicornX86();
    const { stackTop } = setupNtX86(cpu, { number: 0 });
    kernel = new EmulatedKernel(cpu, new HandlerRegistry(ALL_HANDLERS), stackTop);
  });
  afterEach(() => cpu.close());

  it('fills a KMDF 1.9 client’s table and hands it driver globals named after its service', () => {
    const { info, table } = bindInfo('KmdfLibrary', 9, 396);
    const out = block(4);
    expect(bind.impl(kernel.ctx, [0, registryPath(), info, out])).toBe(0);
    const entries = Array.from({ length: 396 }, (_, i) => kernel.mem.u32(table + 4 * i));
    expect(entries.every((a) => a !== 0)).toBe(true);
    expect(new Set(entries).size).toBe(396);
    const globals = kernel.mem.u32(out);
    expect(kernel.mem.cString(globals + 12, 32)).toBe('Sample'); // WDF_DRIVER_GLOBALS.DriverName
  });

  it('an entry without a handler is a reported miss, wherever its slot is', () => {
    const { info, table } = bindInfo('KmdfLibrary', 9, 396);
    expect(bind.impl(kernel.ctx, [0, registryPath(), info, block(4)])).toBe(0);
    // The last entry's slot lies past the first page of kernel routines (396 entries need two).
    const last = kernel.mem.u32(table + 4 * 395);
    expect(last).toBeGreaterThanOrEqual(0x80032000);
    kernel.onUnimplemented = 'zero';
    const { run, eax } = kernel.call(last, [], { maxInstructions: 1000 });
    expect(run.kind).toBe('returned');
    expect(eax).toBe(0);
    expect(kernel.log.events).toContainEqual(
      expect.objectContaining({
        type: 'unimplemented-routine',
        module: 'wdf01000',
        name: 'WdfRequestForwardToParentDeviceIoQueue',
        policy: 'zero',
      }),
    );
  });

  it('binds an older client to the table’s prefix and refuses newer ones and other components', () => {
    const out = block(4);
    expect(bind.impl(kernel.ctx, [0, registryPath(), bindInfo('KmdfLibrary', 5, 387).info, out])).toBe(0);
    expect(bind.impl(kernel.ctx, [0, registryPath(), bindInfo('KmdfLibrary', 11, 432).info, out])).toBe(
      0xc0000059, // STATUS_REVISION_MISMATCH: this library is KMDF 1.9
    );
    expect(bind.impl(kernel.ctx, [0, registryPath(), bindInfo('Other', 9, 396).info, out])).toBe(0xc0000034);
  });
});
