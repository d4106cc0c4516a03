// Wine 8.0's AMD64 kernel drivers winehid.sys and winexinput.sys (test/corpus/wine-8.0, Debian's
// build) under `run-driver --kernel registry`. They are built for Wine's user-mode driver host, not
// for an NT kernel: they import kernel32, ntdll and ucrtbase (Wine's winecrt0 debug-channel code),
// and the first debug message of DriverEntry (`TRACE("%p %s", driver, debugstr_w(path))`; Wine's
// channels start with every class enabled) calls kernel32!IsBadStringPtrW, then reads the thread's
// TEB through gs:[30h] (Wine's inline GetLastError, TEB.LastErrorValue at +68h). A system thread
// has no TEB (Geoff Chappell, "TEB": KPCR.NtTib.Self is the current thread's TEB "if it has one"),
// so on an NT kernel that read faults; the sandbox's KPCR says the same (Used_Self is 0).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { PeImage, rva } from '../../src/pe/index.js';
import { type RunDriverReport, runDriver } from '../../src/sandbox/index.js';

const DIR = join(fileURLToPath(new URL('.', import.meta.url)), 'wine-8.0');
const DRIVERS = ['winehid.sys', 'winexinput.sys'] as const;
/** `mov rbp, gs:[30h]`: NtCurrentTeb() as Wine's winecrt0 (load_func) inlines it. */
const READ_TEB = [0x65, 0x48, 0x8b, 0x2c, 0x25, 0x30, 0x00, 0x00, 0x00];

const stopped = new Map<string, RunDriverReport>();
const zeroed = new Map<string, RunDriverReport>();
beforeAll(async () => {
  for (const d of DRIVERS) {
    stopped.set(d, await runDriver({ driver: join(DIR, d), kernel: 'registry' }));
    zeroed.set(d, await runDriver({ driver: join(DIR, d), kernel: 'registry', onUnimplemented: 'zero' }));
  }
}, 120_000);

/** The driver's file bytes at the image address `va` (the report's window offset). */
function codeAt(driver: string, report: RunDriverReport, va: number, length: number): number[] {
  const bytes = new Uint8Array(readFileSync(join(DIR, driver)));
  const at = PeImage.parse(bytes).rvaToOffset(rva(va - (report.driver.base ?? 0)));
  if (at === null) throw new Error(`0x${va.toString(16)} is not in ${driver}'s file`);
  return [...bytes.subarray(at, at + length)];
}

describe.each(DRIVERS)('Wine 8.0 %s under --kernel registry', (driver) => {
  it("loads as an AMD64 driver against synthetic images of Wine's user-mode runtime", () => {
    const r = stopped.get(driver)!;
    if (!r.load.ok) throw new Error(`load failed: ${r.load.reason}`);
    expect(r.addressBase).toBe('0xfffff80000000000');
    const byDriver = r.load.modules.filter((m) => m.loadedBy === driver).map((m) => m.name);
    expect(byDriver).toEqual(
      expect.arrayContaining([
        'KERNEL32.DLL',
        'NTDLL.DLL',
        'UCRTBASE.DLL',
        driver === 'winehid.sys' ? 'HIDCLASS.SYS' : 'HIDPARSE.SYS',
      ]),
    );
  });

  it("stops DriverEntry at its first debug message's kernel32!IsBadStringPtrW (debugstr_w of the registry path)", () => {
    const r = stopped.get(driver)!;
    expect(r.outcome).toBe('unimplemented');
    expect(r.calls.map((c) => [c.routine, c.outcome.kind])).toEqual([['DriverEntry', 'stopped']]);
    const miss = r.events.filter((e) => e.type === 'unimplemented-routine');
    expect(miss).toHaveLength(1);
    const e = miss[0]!;
    if (e.type !== 'unimplemented-routine') throw new Error('unreachable');
    expect(`${e.module}!${e.name}`).toBe('kernel32!IsBadStringPtrW');
    const base = r.driver.base ?? 0;
    expect(e.caller - base).toBeGreaterThan(0);
    expect(e.caller - base).toBeLessThan(r.driver.size ?? 0);
    // IsBadStringPtrW(str, ~0): the string is the registry path's buffer, in the pool.
    expect(e.stack?.[1]).toBe(0xffffffff);
    expect(r.devices).toEqual([]);
    expect(r.symbolicLinks).toEqual([]);
  });

  it('faults in DriverEntry reading TEB.LastErrorValue through gs:[30h], which a system thread has not', () => {
    const r = zeroed.get(driver)!;
    expect(r.outcome).toBe('fault');
    expect(r.calls.map((c) => c.routine)).toEqual(['DriverEntry']); // no DriverUnload after a fault
    const f = r.calls[0]!.outcome;
    if (f.kind !== 'fault') throw new Error(`DriverEntry ${f.kind}`);
    expect(f).toMatchObject({ fault: 'unmapped', access: 'read', address: 0x68 });
    expect(f.instruction).toMatch(/^mov \w+, dword ptr \[(\w+) \+ 0x68\]$/);
    const base = /\[(\w+) \+/.exec(f.instruction ?? '')![1]!;
    expect(Object.entries(f.registers64 ?? {})).toContainEqual([base, '0x0000000000000000']);
    expect(codeAt(driver, r, f.pc - READ_TEB.length, READ_TEB.length)).toEqual(READ_TEB);
    expect(r.devices).toEqual([]);
    expect(r.poolLeaks).toEqual([]);
  });
});
