// Guest bytes that made Debian's libunicorn 2.0.1 abort the whole process (SIGABRT in translation,
// issue 20 item 1) now end as NT's outcome: #UD, an invalid-instruction fault at the instruction, in
// run-driver and in a boot (KMODE_EXCEPTION_NOT_HANDLED with STATUS_ILLEGAL_INSTRUCTION). Each case
// runs in this process: before the code guard, the first of them killed the test worker.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { boot } from '../../src/boot/index.js';
import { runDriver } from '../../src/sandbox/index.js';
import { ImageSet } from '../../src/system/index.js';
import { haveUnicorn } from '../helpers/unicorn.js';
import { x86Driver } from '../helpers/x86-driver.js';

const SETS = join(import.meta.dirname, '..', '..', 'fixtures', 'imagesets');
const STATUS_ILLEGAL_INSTRUCTION = 0xc000001d;
const tmp = mkdtempSync(join(tmpdir(), 'nt351-abort-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** FF /3 (lcall) and FF /5 (ljmp) with a register operand: FF D8..DF, FF E8..EF. */
const FAR_REGISTER = [
  ...Array.from({ length: 8 }, (_, i) => 0xd8 + i),
  ...Array.from({ length: 8 }, (_, i) => 0xe8 + i),
];
/** nop; [prefixes] FF modrm: DriverEntry reaches the hazard at entry + 1. */
const hazardDriver = (bytes: number[]) => x86Driver([], (a) => a.emit(0x90, ...bytes));

describe.skipIf(!haveUnicorn)('encodings libunicorn 2.0.1 aborts on are #UD reports', () => {
  it.each(FAR_REGISTER)(
    'run-driver: FF %s in DriverEntry is an invalid-instruction fault at its pc',
    async (modrm) => {
      const driver = join(tmp, `ff${modrm.toString(16)}.sys`);
      writeFileSync(driver, hazardDriver([0xff, modrm]));
      const r = await runDriver({ driver });
      expect(r.outcome).toBe('fault');
      const entry = r.driver.entryPoint!;
      expect(r.calls.at(-1)!.outcome).toMatchObject({
        kind: 'fault',
        fault: 'invalid-instruction',
        pc: entry + 1,
      });
    },
  );

  it.each([
    ['66 FF D8', [0x66, 0xff, 0xd8]],
    ['67 2E FF EF', [0x67, 0x2e, 0xff, 0xef]],
    ['F3 FF DC', [0xf3, 0xff, 0xdc]],
    ['lock cmp [eax], bh', [0xf0, 0x38, 0x38]],
    ['lock cmpsd', [0xf0, 0xa7]],
  ])('run-driver: %s is an invalid-instruction fault at its first byte', async (_name, bytes) => {
    const driver = join(tmp, `p${bytes.join('')}.sys`);
    writeFileSync(driver, hazardDriver(bytes));
    const r = await runDriver({ driver });
    expect(r.calls.at(-1)!.outcome).toMatchObject({
      fault: 'invalid-instruction',
      pc: r.driver.entryPoint! + 1,
    });
  });

  it.each(FAR_REGISTER)(
    'boot: a system driver running FF %s stops with KMODE_EXCEPTION_NOT_HANDLED (illegal instruction)',
    async (modrm) => {
      const set = ImageSet.open(join(SETS, 'sp3-x86-up'));
      set.write('\\SystemRoot\\System32\\drivers\\elnk3.sys', hazardDriver([0xff, modrm]));
      const r = await boot(set);
      expect(r.bugcheck).toMatchObject({
        code: 0x1e,
        name: 'KMODE_EXCEPTION_NOT_HANDLED',
        module: 'ELNK3.SYS',
      });
      const [status, pc] = r.bugcheck!.params;
      expect(status).toBe(STATUS_ILLEGAL_INSTRUCTION);
      const elnk3 = r.modules.find((m) => m.name.toUpperCase() === 'ELNK3.SYS')!;
      expect(pc! - elnk3.base).toBe(0x1001); // the instruction after the NOP, in the driver
      // STATUS_ILLEGAL_INSTRUCTION has no exception parameters (KiTrap06): parameters 3 and 4 are 0.
      expect(r.bugcheck!.params.slice(2)).toEqual([0, 0]);
    },
  );
});
