// The text report of an AMD64 fault: the 64-bit registers (the JSON's registers64) are printed, not an
// empty `registers:` line. Wine's winehid.sys (test/corpus/wine-8.0, checked in) faults in DriverEntry
// reading the TEB through gs:[30h] once its user-mode imports answer zero (test/corpus/wine.test.ts).
import { describe, expect, it } from 'vitest';
import { cliInProcess } from '../helpers/cli.js';

const WINEHID = 'test/corpus/wine-8.0/winehid.sys';

describe('run-driver text report of an AMD64 fault', () => {
  it('prints the 64-bit registers with the guest pc and fault address (golden)', async () => {
    const r = await cliInProcess('run-driver', '--kernel', 'registry', '--on-unimplemented', 'zero', WINEHID);
    const lines = r.stdout.split('\n');
    expect(lines.some((l) => /^\s+registers:\s*$/.test(l))).toBe(false);
    const at = lines.findIndex((l) => l.startsWith('  registers (AMD64, pc 0xfffff800'));
    expect(at).toBeGreaterThan(0);
    // 17 registers, four to a line: rax … r15, rip, rflags.
    expect(
      lines
        .slice(at + 1, at + 6)
        .join(' ')
        .match(/\w+=0x[0-9a-f]{16}/g),
    ).toHaveLength(18);
    await expect(r.stdout).toMatchFileSnapshot('../golden/run-driver-fault-amd64.txt');
  }, 60_000);
});
