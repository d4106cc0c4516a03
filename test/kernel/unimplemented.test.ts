// Call-time misses under `--kernel registry`: any import resolves; calling one without a handler is
// an `unimplemented-routine` event with its caller and stack, then per --on-unimplemented the entry
// point stops (the others still run), fails with STATUS_NOT_IMPLEMENTED, or gets 0.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { ALL_HANDLERS } from '../../src/kernel/exports/index.js';
import { runDriver } from '../../src/sandbox/index.js';
import { x86Driver } from '../helpers/x86-driver.js';

/** nt351's handlers less KeQuerySystemTime: the routine without a handler these tests call. */
const handlers = ALL_HANDLERS.filter((h) => h.name !== 'KeQuerySystemTime');

const dir = mkdtempSync(join(tmpdir(), 'nt351-unimpl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * DriverEntry sets DriverUnload, then calls KeQuerySystemTime (no handler) with 0x11223344 inside an EBP
 * frame (so it survives any stack cleanup) and returns what it returned.
 */
const build = (routine: string, file: string) => {
  const bytes = x86Driver([routine], (a) => {
    a.emit(0x55, 0x89, 0xe5); // push ebp; mov ebp, esp
    a.emit(0xe8, 0, 0, 0, 0, 0x59); // call $+5; pop ecx (ecx = this pop's address, offset 8)
    a.emit(0x83, 0xc1, 35 - 8); // add ecx, unload - 8
    a.emit(0x8b, 0x45, 0x08); // mov eax, [ebp+8] (DriverObject)
    a.emit(0x89, 0x48, 0x34); // mov [eax+DriverUnload], ecx
    a.emit(0x68, 0x44, 0x33, 0x22, 0x11); // push 0x11223344
    a.callImport(routine);
    a.emit(0x89, 0xec, 0x5d, 0xc2, 0x08, 0x00); // mov esp, ebp; pop ebp; ret 8
    a.emit(0xc2, 0x04, 0x00); // unload: ret 4 (offset 35)
  });
  const p = join(dir, file);
  writeFileSync(p, bytes);
  return p;
};
const driver = build('KeQuerySystemTime', 'miss.sys');
/** The same driver calling a name no kernel exports: under --kernel registry it still loads. */
const fictional = build('Nt351NoSuchRoutine', 'fictional.sys');

describe('--kernel registry: call-time misses', () => {
  it('the driver loads though no handler exists; the call is reported and stops DriverEntry only (default)', async () => {
    const r = await runDriver({ driver, kernel: 'registry', handlers });
    expect(r.load.ok).toBe(true);
    const miss = r.events.find((e) => e.type === 'unimplemented-routine');
    expect(miss).toMatchObject({ module: 'ntoskrnl', name: 'KeQuerySystemTime', policy: 'stop' });
    expect(miss && miss.type === 'unimplemented-routine' && miss.stack?.[0]).toBe(0x11223344);
    expect(miss && miss.type === 'unimplemented-routine' && miss.caller).toBe(r.driver.entryPoint! + 29);
    expect(r.calls.map((c) => [c.routine, c.outcome.kind])).toEqual([
      ['DriverEntry', 'stopped'],
      ['DriverUnload', 'returned'],
    ]);
    expect(r.outcome).toBe('unimplemented');
  });

  it("'fail' returns STATUS_NOT_IMPLEMENTED and 'zero' returns 0; the run goes on", async () => {
    const fail = await runDriver({ driver, kernel: 'registry', handlers, onUnimplemented: 'fail' });
    expect(fail.calls[0]).toMatchObject({ routine: 'DriverEntry', status: '0xC0000002' });
    expect(fail.outcome).toBe('driver-entry-failed');
    const zero = await runDriver({ driver, kernel: 'registry', handlers, onUnimplemented: 'zero' });
    expect(zero.calls[0]).toMatchObject({ routine: 'DriverEntry', status: '0x00000000' });
    expect(zero.events.find((e) => e.type === 'unimplemented-routine')).toMatchObject({ policy: 'zero' });
    expect(zero.outcome).toBe('ok');
  });

  it('a real kernel image keeps its load-time rules and its stubs (fail by default)', async () => {
    const r = await runDriver({ driver, handlers });
    expect(r.events.find((e) => e.type === 'unimplemented-routine')).not.toHaveProperty('policy');
    expect(r.calls[0]).toMatchObject({ routine: 'DriverEntry', status: '0xC0000002' });
  });

  it('a DLL with no file resolves to a synthetic image of its handlers (elnk3.sys alone: NDIS.SYS is not beside it)', async () => {
    const alone = join(dir, 'elnk3.sys');
    copyFileSync('fixtures/bin/nt351/common/elnk3.sys', alone);
    const r = await runDriver({ driver: alone, kernel: 'registry' });
    expect(r.load.ok && r.load.modules.map((m) => m.name)).toContain('NDIS.SYS');
    // Its NDIS calls reach nt351's ndis handlers. (The fixture's NDIS model declares
    // NdisAllocateMemory's HighestAcceptableAddress as a ULONG where ndis.h has a 64-bit
    // NDIS_PHYSICAL_ADDRESS, so this driver's stack is off by 4 after that call.)
    const ndis = r.events.flatMap((e) => (e.type === 'api-call' && e.module === 'ndis' ? [e.name] : []));
    expect(ndis[0]).toBe('NdisAllocateMemory');
  });

  it('CLI: --on-unimplemented is checked and passed on', async () => {
    let out = '';
    let err = '';
    const code = await run(
      ['node', 'nt351', 'run-driver', '--kernel', 'registry', '--on-unimplemented', 'zero', fictional],
      {
        stdout: (s) => (out += s),
        stderr: (s) => (err += s),
      },
    );
    expect(code).toBe(0);
    expect(out).toContain('UNIMPLEMENTED ntoskrnl!Nt351NoSuchRoutine called from');
    expect(out).toContain('(returned 0)');
    const bad = await run(['node', 'nt351', 'run-driver', '--on-unimplemented', 'maybe', driver], {
      stdout: () => {},
      stderr: (s) => (err += s),
    });
    expect(bad).toBe(64);
    expect(err).toContain('--on-unimplemented expects stop, fail or zero');
  });
});
