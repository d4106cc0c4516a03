// Differential test of the Alpha translator (blocks, regions of chained blocks, registers in locals)
// against the interpreter's reference mode (one instruction per dispatch, no chaining): seeded random
// programs of encoded instruction words (operates, RPCC, loads and stores of every size, aligned or
// not, conditional branches forming loops, CALL_PAL with a hook, a code hook, invalid words) run
// under instruction budgets on both; the run results (kind, pc, instruction count, fault), all
// registers and the data page must be identical, and so must a second run resumed from where the
// first stopped. No assembler needed: the words are encoded here (Alpha Architecture Reference
// Manual, section 3.3).
import { describe, expect, it } from 'vitest';
import { AlphaInterpreter } from '../../../src/cpu/alpha/interpreter.js';
import { type RunResult, RW, RWX, RX } from '../../../src/cpu/engine.js';
import { mulberry32 } from './prng.js';

const CODE = 0x80100000;
const DATA = 0x80200000;
const END = 0x80ff0000;
const BASE_REG = 28; // holds DATA; never a destination

// (opcode, function) pairs of integer operates the interpreter implements (a sample of each group).
const OPERATES: [number, number][] = [
  [0x10, 0x00], [0x10, 0x02], [0x10, 0x09], [0x10, 0x0f], [0x10, 0x1d], [0x10, 0x20], [0x10, 0x22],
  [0x10, 0x29], [0x10, 0x2d], [0x10, 0x3b], [0x10, 0x3d], [0x10, 0x4d], [0x10, 0x6d], [0x10, 0x40],
  [0x10, 0x60], [0x11, 0x00], [0x11, 0x08], [0x11, 0x14], [0x11, 0x16], [0x11, 0x20], [0x11, 0x24],
  [0x11, 0x26], [0x11, 0x28], [0x11, 0x40], [0x11, 0x44], [0x11, 0x46], [0x11, 0x48], [0x11, 0x64],
  [0x11, 0x66], [0x12, 0x02], [0x12, 0x06], [0x12, 0x0b], [0x12, 0x30], [0x12, 0x31], [0x12, 0x34],
  [0x12, 0x39], [0x12, 0x3c], [0x12, 0x52], [0x12, 0x7a], [0x13, 0x00], [0x13, 0x20], [0x13, 0x30],
]; // biome-ignore format: table
// Memory opcodes with their access size (LDA/LDAH have none).
const MEMORY: [number, number][] = [
  [0x08, 0], [0x09, 0], [0x0a, 1], [0x0b, 1], [0x0c, 2], [0x28, 4], [0x29, 8],
  [0x0e, 1], [0x0d, 2], [0x0f, 1], [0x2c, 4], [0x2d, 8], [0x2a, 4], [0x2e, 4],
]; // biome-ignore format: table

const operate = (op: number, fn: number, a: number, b: number, c: number) =>
  ((op << 26) | (a << 21) | (b << 16) | (fn << 5) | c) >>> 0;
const operateLit = (op: number, fn: number, a: number, lit: number, c: number) =>
  ((op << 26) | (a << 21) | (lit << 13) | 0x1000 | (fn << 5) | c) >>> 0;
const mem = (op: number, a: number, b: number, disp: number) =>
  ((op << 26) | (a << 21) | (b << 16) | (disp & 0xffff)) >>> 0;
const branch = (op: number, a: number, disp: number) => ((op << 26) | (a << 21) | (disp & 0x1fffff)) >>> 0;

interface Program {
  words: number[];
  data: Uint8Array;
  regs: bigint[];
  hookAt: number;
}

const LOOP_REG = 27; // loop counter of generated loops; never a destination otherwise

function generate(seed: number, segments: number): Program {
  const rand = mulberry32(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const dest = () => int(26); // r0-r25 (not ra, the loop counter or the data base)
  const src = () => (rand() < 0.1 ? 31 : int(30));
  const words: number[] = [];
  /** One random instruction at index words.length; branches go forward at most `room` words. */
  const instruction = (room: number): number => {
    const r = rand();
    if (r < 0.45) {
      const [op, fn] = OPERATES[int(OPERATES.length)]!;
      return rand() < 0.4
        ? operateLit(op, fn, src(), int(256), dest())
        : operate(op, fn, src(), src(), dest());
    }
    if (r < 0.72) {
      const [op, size] = MEMORY[int(MEMORY.length)]!;
      if (size === 0) return mem(op, dest(), rand() < 0.5 ? 31 : src(), int(0x10000) - 0x8000);
      // Mostly aligned offsets inside the data page; rarely unaligned or past it (faults).
      const aligned = int(0x2000 / 8) * 8 + (size === 1 ? int(8) : size === 2 ? 2 * int(4) : 0);
      const disp = rand() < 0.01 ? aligned + 1 : rand() < 0.005 ? 0x2000 + aligned : aligned;
      const store = op === 0x2e || (op >= 0x0d && op <= 0x0f) || op === 0x2c || op === 0x2d;
      return mem(op, store ? src() : dest(), BASE_REG, disp);
    }
    if (r < 0.87 && room > 0) return branch(0x38 + int(8), src(), int(room + 1)); // forward
    if (r < 0.92) return mem(0x18, dest(), 31, 0xc000); // RPCC
    if (r < 0.94) return 0x83; // CALL_PAL callsys: the hook below
    if (r < 0.945) return (0x14 << 26) >>> 0; // floating point (ITFP): invalid for this interpreter
    if (r < 0.95) return branch(0x3d, src(), -1 - int(Math.min(words.length, 6))); // may spin: budget
    return operate(0x11, 0x20, 31, 31, 31); // NOP (BIS r31, r31, r31)
  };
  for (let s = 0; s < segments; s++) {
    if (rand() < 0.5) {
      // A counted loop whose body branches forward inside itself: several hot blocks.
      const body = 3 + int(20);
      words.push(mem(0x08, LOOP_REG, 31, 2 + int(300)));
      const top = words.length;
      for (let i = 0; i < body; i++) words.push(instruction(body - 1 - i));
      words.push(operateLit(0x10, 0x29, LOOP_REG, 1, LOOP_REG)); // subq
      words.push(branch(0x3d, LOOP_REG, top - words.length - 1)); // bne back to top
    } else {
      const n = 2 + int(12);
      for (let i = 0; i < n; i++) words.push(instruction(n - 1 - i));
    }
  }
  words.push(0x6bfa8001); // RET (r26)
  const data = new Uint8Array(0x2000);
  for (let i = 0; i < data.length; i++) data[i] = int(256);
  const regs = Array.from({ length: 31 }, () => (BigInt(int(2 ** 32)) << 32n) | BigInt(int(2 ** 32)));
  return { words, data, regs, hookAt: CODE + 4 * int(words.length) };
}

function machine(p: Program, reference: boolean, codePerm = RX): AlphaInterpreter {
  const cpu = new AlphaInterpreter({ reference });
  cpu.map(CODE, 0x2000, codePerm);
  cpu.map(DATA, 0x2000, RW);
  cpu.write(CODE, new Uint8Array(new Uint32Array(p.words).buffer));
  cpu.write(DATA, p.data);
  p.regs.forEach((v, i) => {
    cpu.setReg(`r${i}`, v);
  });
  cpu.setReg(`r${BASE_REG}`, BigInt.asUintN(64, BigInt(DATA | 0)));
  cpu.setReg('r26', BigInt.asUintN(64, BigInt(END | 0)));
  // CALL_PAL: v0 += 1 (a hook that reads and writes registers mid-run).
  cpu.hookInterrupt(() => cpu.setReg('r0', cpu.reg('r0') + 1n));
  // A code hook flipping r1's low bit before the instruction at hookAt.
  cpu.hookCode(p.hookAt, p.hookAt, () => cpu.setReg('r1', cpu.reg('r1') ^ 1n));
  return cpu;
}

/** What must agree: the run result and the machine state after it. */
function state(cpu: AlphaInterpreter, r: RunResult) {
  const regs = Array.from({ length: 32 }, (_, i) => cpu.reg(`r${i}`).toString(16));
  return {
    result: r,
    pc: cpu.reg('pc').toString(16),
    regs,
    data: Buffer.from(cpu.read(DATA, 0x2000)).toString('hex'),
  };
}

describe('Alpha translator against the reference interpreter', () => {
  for (let seed = 1; seed <= 40; seed++) {
    it(`seed ${seed}: same results, registers and memory under instruction budgets`, () => {
      const p = generate(seed * 7919, 4 + (seed % 8));
      const budgets = [1 + ((seed * 37) % 50), 1000 + seed * 13, 50_000];
      for (const budget of budgets) {
        const ref = machine(p, true);
        const jit = machine(p, false);
        const r1 = ref.run({ start: CODE, until: END, maxInstructions: budget });
        const j1 = jit.run({ start: CODE, until: END, maxInstructions: budget });
        expect(state(jit, j1)).toEqual(state(ref, r1));
        if (r1.kind === 'budget') {
          // Resume where the budget stopped (translated code is warm now).
          const pc = Number(ref.reg('pc') & 0xffffffffn);
          const r2 = ref.run({ start: pc, until: END, maxInstructions: budget * 3 + 7 });
          const j2 = jit.run({ start: pc, until: END, maxInstructions: budget * 3 + 7 });
          expect(state(jit, j2)).toEqual(state(ref, r2));
        }
        ref.close();
        jit.close();
      }
    });
  }

  it('a store into a hot region changes the next block it runs (self-modifying code, no IMB)', () => {
    // r2 = 20; L: subq r2,1,r2; cmpeq r2,5,r4; beq r4,S; stl r7,28(r9); br T; S: nop; T: addq r5,1,r5;
    // bne r2,L; ret. When r2 reaches 5 the loop patches T into addq r5,100,r5 (r7), r9 = CODE.
    const words = [
      mem(0x08, 2, 31, 20),
      operateLit(0x10, 0x29, 2, 1, 2),
      operateLit(0x10, 0x2d, 2, 5, 4),
      branch(0x39, 4, 2),
      mem(0x2c, 7, 9, 28),
      branch(0x30, 31, 1),
      operate(0x11, 0x20, 31, 31, 31),
      operateLit(0x10, 0x20, 5, 1, 5),
      branch(0x3d, 2, -8),
      0x6bfa8001,
    ];
    const regs = Array(31).fill(0n);
    regs[7] = BigInt(operateLit(0x10, 0x20, 5, 100, 5));
    regs[9] = BigInt.asUintN(64, BigInt(CODE | 0));
    const p: Program = { words, data: new Uint8Array(0x2000), regs, hookAt: END };
    const ref = machine(p, true, RWX);
    const jit = machine(p, false, RWX);
    const r = ref.run({ start: CODE, until: END, maxInstructions: 10_000 });
    const j = jit.run({ start: CODE, until: END, maxInstructions: 10_000 });
    expect(state(jit, j)).toEqual(state(ref, r));
    expect(j.kind).toBe('returned');
    expect(jit.reg('r5')).toBe(14n + 6n * 100n);
  });

  it('a hot loop over several blocks counts every instruction (RPCC) and stops on the exact budget', () => {
    // r2 = 1000; L: subq r2,1,r2; blbs r2,S; addq r3,1,r3; S: rpcc r4; bne r2,L; ret
    const words = [
      mem(0x08, 2, 31, 1000),
      operateLit(0x10, 0x29, 2, 1, 2),
      branch(0x3c, 2, 1),
      operateLit(0x10, 0x20, 3, 1, 3),
      mem(0x18, 4, 31, 0xc000),
      branch(0x3d, 2, -5),
      0x6bfa8001,
    ];
    const p: Program = { words, data: new Uint8Array(0x2000), regs: Array(31).fill(0n), hookAt: END };
    for (const budget of [100, 2345, 3499, 3500, 3501, 10_000]) {
      const ref = machine(p, true);
      const jit = machine(p, false);
      const r = ref.run({ start: CODE, until: END, maxInstructions: budget });
      const j = jit.run({ start: CODE, until: END, maxInstructions: budget });
      expect(state(jit, j)).toEqual(state(ref, r));
      ref.close();
      jit.close();
    }
  });
});
