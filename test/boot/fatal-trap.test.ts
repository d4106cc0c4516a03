// A general-protection fault in a driver stops the system as NT's KiTrap0D does in kernel mode:
// KiSystemFatalException, i.e. UNEXPECTED_KERNEL_MODE_TRAP (0x7F) with the trap number, not an
// exception a handler could take (before: KMODE_EXCEPTION_NOT_HANDLED with STATUS_ACCESS_VIOLATION).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boot } from '../../src/boot/index.js';
import type { RunResult } from '../../src/cpu/engine.js';
import { fatalTrap } from '../../src/kernel/index.js';
import { ImageSet } from '../../src/system/index.js';
import { haveUnicorn } from '../helpers/unicorn.js';
import { x86Driver } from '../helpers/x86-driver.js';

const SETS = join(import.meta.dirname, '..', '..', 'fixtures', 'imagesets');

describe('kernel-mode traps NT does not raise as exceptions', () => {
  const fault = (vector: number): Extract<RunResult, { kind: 'fault' }> => ({
    kind: 'fault',
    fault: 'exception',
    access: null,
    address: 0,
    pc: 0x80601000,
    vector,
  });

  it('are #DF, trap 9, #TS, #NP, #SS and #GP; the others are exceptions or plain faults', () => {
    expect([8, 9, 10, 11, 12, 13].map((v) => fatalTrap(fault(v)))).toEqual([8, 9, 10, 11, 12, 13]);
    for (const v of [0, 1, 3, 4, 5, 6, 7, 14, 16, 17]) expect(fatalTrap(fault(v))).toBeNull();
    expect(fatalTrap({ ...fault(13), fault: 'unmapped', access: 'read' })).toBeNull();
  });

  it.skipIf(!haveUnicorn)(
    'boot: a system driver loading DS with a selector beyond the GDT stops with 0x7F (0xD)',
    async () => {
      const set = ImageSet.open(join(SETS, 'sp3-x86-up'));
      // mov ax, 0x1234; mov ds, ax
      set.write(
        '\\SystemRoot\\System32\\drivers\\elnk3.sys',
        x86Driver([], (a) => a.emit(0x66, 0xb8, 0x34, 0x12, 0x8e, 0xd8)),
      );
      const r = await boot(set);
      expect(r.outcome).toBe('bugcheck');
      expect(r.bugcheck).toMatchObject({
        code: 0x7f,
        name: 'UNEXPECTED_KERNEL_MODE_TRAP',
        params: [0xd, 0, 0, 0],
        module: 'ELNK3.SYS',
      });
    },
  );
});
