// The code guard (src/cpu/x86-code-guard.ts): encodings Debian's libunicorn 2.0.1 aborts the process on
// end as invalid-instruction faults at their first byte, wherever the bytes come from (host writes,
// guest writes, memory made executable later), and the same bytes inside other instructions run as data.
import { describe, expect, it } from 'vitest';
import { RW, RWX, RX } from '../../src/cpu/engine.js';
import { UnicornX86 } from '../../src/cpu/unicorn.js';
import { hazardInstructionAt, hazardStarts } from '../../src/cpu/x86-code-guard.js';
import { haveUnicorn } from '../helpers/unicorn.js';

const CODE = 0x10000;
const UNTIL = 0x1f000;
const FAR_REGISTER = [
  ...Array.from({ length: 8 }, (_, i) => 0xd8 + i), // FF /3 (lcall) mod = 3
  ...Array.from({ length: 8 }, (_, i) => 0xe8 + i), // FF /5 (ljmp) mod = 3
];
const hex = (b: number[]) => b.map((x) => x.toString(16).padStart(2, '0')).join(' ');

function engine(): UnicornX86 {
  const cpu = new UnicornX86();
  cpu.map(CODE, 0x10000, RWX);
  cpu.map(0x30000, 0x1000, RW);
  cpu.setReg('esp', 0x30800);
  return cpu;
}
const run = (cpu: UnicornX86, start = CODE) =>
  cpu.run({ start, until: UNTIL, maxInstructions: 1000, maxMillis: 2000 });
/** Nops up to FF D8 at CODE + 0x10 (a guard exit there). */
const HAZARD_AT_10 = Uint8Array.from([...new Array(0x10).fill(0x90), 0xff, 0xd8]);
/** The engine a user parked after running into HAZARD_AT_10, taken again by acquire(). */
function parkedAfterHazard(): UnicornX86 {
  const first = UnicornX86.acquire();
  first.map(CODE, 0x10000, RWX);
  first.write(CODE, HAZARD_AT_10);
  expect(run(first)).toMatchObject({ kind: 'fault', fault: 'invalid-instruction', pc: CODE + 0x10 });
  first.close();
  const second = UnicornX86.acquire();
  expect(second).toBe(first);
  return second;
}
/** jmp rel32 to UNTIL from `at` (5 bytes). */
const jmpUntil = (at: number) => {
  const rel = (UNTIL - (at + 5)) >>> 0;
  return [0xe9, rel & 0xff, (rel >>> 8) & 0xff, (rel >>> 16) & 0xff, rel >>> 24];
};

describe('hazard decoding (pure)', () => {
  it('finds FF /3 and FF /5 with a register operand, and the prefix run before them', () => {
    for (const m of FAR_REGISTER) expect(hazardInstructionAt(Uint8Array.of(0xff, m), 0)).toBe(true);
    for (const m of [0xd0, 0xe0, 0x18, 0x28, 0x1d, 0xf0])
      expect(hazardInstructionAt(Uint8Array.of(0xff, m), 0)).toBe(false);
    // nop; 66 2e ff d8: starts at the 66, the 2e and the ff are hazards, the nop is not
    expect(hazardStarts(Uint8Array.of(0x90, 0x66, 0x2e, 0xff, 0xd8), 0x100).sort()).toEqual([
      0x101, 0x102, 0x103,
    ]);
  });
  it('finds LOCK on instructions that cannot take it (SDM: #UD), not on lockable memory forms', () => {
    for (const b of [
      [0xf0, 0x38, 0x00],
      [0xf0, 0x39, 0x00],
      [0xf0, 0xa6],
      [0xf0, 0xa7],
      [0xf0, 0x90],
      [0xf0, 0x01, 0xc0],
      [0xf0, 0x80, 0x38, 1],
    ])
      expect(hazardInstructionAt(Uint8Array.from(b), 0), hex(b)).toBe(true);
    for (const b of [
      [0xf0, 0x01, 0x00],
      [0xf0, 0x0f, 0xb1, 0x0a],
      [0xf0, 0xff, 0x00],
      [0xf0, 0x87, 0x03],
      [0xf0, 0x0f, 0xc7, 0x0e],
    ])
      expect(hazardInstructionAt(Uint8Array.from(b), 0), hex(b)).toBe(false);
  });
});

describe.skipIf(!haveUnicorn)('the code guard keeps libunicorn from aborting', () => {
  it.each(FAR_REGISTER)('nop; FF %s is an invalid-instruction fault at the FF', (modrm) => {
    const cpu = engine();
    cpu.write(CODE, Uint8Array.of(0x90, 0xff, modrm));
    expect(run(cpu)).toMatchObject({
      kind: 'fault',
      fault: 'invalid-instruction',
      pc: CODE + 1,
      address: CODE + 1,
    });
    cpu.close();
  });

  it.each([[0x66], [0x67], [0x2e], [0x64], [0xf3], [0xf2], [0xf0], [0x66, 0x67, 0x3e]])(
    'with prefixes %j the fault is at the first prefix',
    (...prefixes) => {
      const cpu = engine();
      cpu.write(CODE, Uint8Array.from([0x90, ...prefixes, 0xff, 0xd8]));
      expect(run(cpu)).toMatchObject({ kind: 'fault', fault: 'invalid-instruction', pc: CODE + 1 });
      cpu.close();
    },
  );

  it.each([[0x38, 0x00], [0x39, 0x00], [0xa6], [0xa7]])(
    'lock %j is an invalid-instruction fault',
    (...rest) => {
      const cpu = engine();
      cpu.write(CODE, Uint8Array.from([0x90, 0xf0, ...rest]));
      expect(run(cpu)).toMatchObject({ kind: 'fault', fault: 'invalid-instruction', pc: CODE + 1 });
      cpu.close();
    },
  );

  it('FF D8 inside an immediate is data: mov eax, 0x90D8FF90 runs', () => {
    const cpu = engine();
    cpu.write(CODE, Uint8Array.from([0xb8, 0x90, 0xff, 0xd8, 0x90, ...jmpUntil(CODE + 5)]));
    expect(run(cpu)).toMatchObject({ kind: 'returned' });
    expect(cpu.reg('eax')).toBe(0x90d8ff90);
    cpu.close();
  });

  it('code the guest writes into writable, executable memory is guarded before it runs', () => {
    const cpu = engine();
    // mov word [CODE + 0x10], 0xD8FF (the immediate holds FF D8 too); nop... up to it
    const program = [0x66, 0xc7, 0x05, 0x10, 0x00, 0x01, 0x00, 0xff, 0xd8];
    cpu.write(CODE, Uint8Array.from([...program, ...new Array(0x10 - program.length).fill(0x90)]));
    expect(run(cpu)).toMatchObject({ kind: 'fault', fault: 'invalid-instruction', pc: CODE + 0x10 });
    cpu.close();
  });

  it('code written while not executable is scanned when it becomes executable', () => {
    const cpu = engine();
    cpu.map(0x40000, 0x1000, RW);
    cpu.protect(0x40000, 0x1000, RW);
    // The guest writes FF E8 at 0x40000, then jumps there: mov word [0x40000], 0xE8FF; jmp 0x40000
    cpu.write(
      CODE,
      Uint8Array.from([0x66, 0xc7, 0x05, 0x00, 0x00, 0x04, 0x00, 0xff, 0xe8, 0xe9, 0xf2, 0xff, 0x02, 0x00]),
    );
    expect(run(cpu)).toMatchObject({ kind: 'fault', fault: 'protection', access: 'fetch', address: 0x40000 });
    cpu.protect(0x40000, 0x1000, RX);
    expect(run(cpu, 0x40000)).toMatchObject({ kind: 'fault', fault: 'invalid-instruction', pc: 0x40000 });
    cpu.close();
  });

  it('an exit left stale by a write is dropped: code overwritten with nops runs through', () => {
    const cpu = engine();
    cpu.write(CODE, Uint8Array.of(0xff, 0xd8));
    expect(run(cpu)).toMatchObject({ kind: 'fault', fault: 'invalid-instruction', pc: CODE });
    cpu.write(CODE, Uint8Array.from([0x90, 0x90, ...jmpUntil(CODE + 2)]));
    expect(run(cpu)).toMatchObject({ kind: 'returned', pc: UNTIL });
    cpu.close();
  });

  it('a guest overwriting the hazard with nops runs through the old exit', () => {
    const cpu = engine();
    // mov word [CODE + 0x10], 0x9090; then nops to CODE + 0x10, where FF D8 was, then jmp UNTIL
    const program = [0x66, 0xc7, 0x05, 0x10, 0x00, 0x01, 0x00, 0x90, 0x90];
    cpu.write(
      CODE,
      Uint8Array.from([
        ...program,
        ...new Array(0x10 - program.length).fill(0x90),
        0xff,
        0xd8,
        ...jmpUntil(CODE + 0x12),
      ]),
    );
    expect(run(cpu)).toMatchObject({ kind: 'returned', pc: UNTIL });
    cpu.close();
  });

  it('a page-aligned section written again unchanged is rescanned when the byte before it changed', () => {
    // Two regions: the section's scan reads context bytes from the region before it.
    const cpu = new UnicornX86();
    cpu.map(CODE, 0x1000, RWX);
    cpu.map(CODE + 0x1000, 0x1000, RWX);
    cpu.map(0x30000, 0x1000, RW);
    cpu.setReg('esp', 0x30800);
    // A hazard elsewhere (FF D8 at CODE + 0x100): with no exit at all, a write of no FF or F0 is not scanned.
    cpu.write(
      CODE,
      Uint8Array.from({ length: 0x1000 }, (_, i) => [0xff, 0xd8][i - 0x100] ?? 0x90),
    );
    // D8 at the section's start: FF D8 if the byte before it becomes FF. Large enough to be remembered.
    const section = Uint8Array.from([0xd8, ...new Array(0x7ff).fill(0x90)]);
    cpu.write(CODE + 0x1000, section);
    cpu.writeU8(CODE + 0xfff, 0xff);
    cpu.write(CODE + 0x1000, section); // the same bytes: the remembered scan saw 90 before them
    expect(run(cpu, CODE + 0xfff)).toMatchObject({
      kind: 'fault',
      fault: 'invalid-instruction',
      pc: CODE + 0xfff,
    });
    cpu.close();
  });

  it("a previous user's exit, kept in Unicorn's list over a stale region, faults as an unmapped fetch there", () => {
    const second = parkedAfterHazard();
    second.map(0x40000, 0x1000, RWX);
    second.map(0x30000, 0x1000, RW);
    second.setReg('esp', 0x30800);
    // jmp CODE + 0x10 (e9 rel32), where the first user's exit is and nothing is mapped now
    const rel = (CODE + 0x10 - (0x40000 + 5)) >>> 0;
    second.write(
      0x40000,
      Uint8Array.of(0xe9, rel & 0xff, (rel >>> 8) & 0xff, (rel >>> 16) & 0xff, rel >>> 24),
    );
    expect(run(second, 0x40000)).toEqual({
      kind: 'fault',
      fault: 'unmapped',
      access: 'fetch',
      address: CODE + 0x10,
      pc: CODE + 0x10,
    });
    second.close();
  });

  it("a previous user's exit leaves Unicorn's list at once when a hook maps other code over it during a run", () => {
    const second = parkedAfterHazard();
    second.map(0x40000, 0x1000, RWX);
    second.map(0x30000, 0x1000, RW);
    second.setReg('esp', 0x30800);
    // int3: the hook maps CODE again with nops where the hazard was; then jmp CODE
    second.hookInterrupt(() => {
      second.map(CODE, 0x10000, RWX);
      second.write(CODE, Uint8Array.from([...new Array(0x12).fill(0x90), ...jmpUntil(CODE + 0x12)]));
    });
    const rel = (CODE - (0x40001 + 5)) >>> 0;
    second.write(
      0x40000,
      Uint8Array.of(0xcc, 0xe9, rel & 0xff, (rel >>> 8) & 0xff, (rel >>> 16) & 0xff, rel >>> 24),
    );
    expect(run(second, 0x40000)).toEqual({ kind: 'returned', pc: UNTIL });
    second.close();
  });

  it('a reused engine keeps guard exits consistent with the code it kept translated', () => {
    // The first user's run translated the nops with the exit at the hazard.
    const second = parkedAfterHazard();
    // The same bytes again: the exit the kept translations stop at is the guard's again.
    second.map(CODE, 0x10000, RWX);
    second.write(CODE, HAZARD_AT_10);
    expect(run(second)).toMatchObject({ kind: 'fault', fault: 'invalid-instruction', pc: CODE + 0x10 });
    second.close();
    // Other bytes there: no exit is left where the hazard was, the code runs through.
    const third = UnicornX86.acquire();
    third.map(CODE, 0x10000, RWX);
    third.write(CODE, Uint8Array.from([...new Array(0x12).fill(0x90), ...jmpUntil(CODE + 0x12)]));
    expect(run(third)).toMatchObject({ kind: 'returned', pc: UNTIL });
    third.close();
    // The region taken over and left as zeros (add [eax], al): no exit, the run goes past 0x10.
    const fourth = UnicornX86.acquire();
    fourth.map(CODE, 0x10000, RWX);
    fourth.map(0x30000, 0x1000, RW);
    fourth.setReg('eax', 0x30000);
    fourth.write(CODE + 0x20, Uint8Array.from(jmpUntil(CODE + 0x20)));
    expect(run(fourth)).toMatchObject({ kind: 'returned', pc: UNTIL });
    fourth.close();
  });
});
