// The checks of every translated load and store, in the order the interpreter's model gives them
// (interpreter.ts file comment): an address that is not a sign-extended 32-bit one faults as unmapped
// at its low half, then a misaligned one as an unaligned exception, then an unmapped or protected page;
// STx_C without the lock stores nothing. Each case runs in a hot loop whose last iteration makes the
// access (so translated regions take it), in both the translator and the reference mode, against
// expectations derived here from those rules. Words are encoded here (Alpha Architecture Reference
// Manual, section 3.3), no assembler needed.
import { describe, expect, it } from 'vitest';
import { AlphaInterpreter } from '../../../src/cpu/alpha/interpreter.js';
import { ALPHA_TRAP } from '../../../src/cpu/alpha/pal.js';
import { R, RW, RX } from '../../../src/cpu/engine.js';

const CODE = 0x80100000;
const DATA = 0x80200000; // RW
const RO = 0x80204000; // read-only
const END = 0x80ff0000;

const mem = (op: number, a: number, b: number, disp: number) =>
  ((op << 26) | (a << 21) | (b << 16) | (disp & 0xffff)) >>> 0;
const operateLit = (op: number, fn: number, a: number, lit: number, c: number) =>
  ((op << 26) | (a << 21) | (lit << 13) | 0x1000 | (fn << 5) | c) >>> 0;
const operate = (op: number, fn: number, a: number, b: number, c: number) =>
  ((op << 26) | (a << 21) | (b << 16) | (fn << 5) | c) >>> 0;
const branch = (op: number, a: number, disp: number) => ((op << 26) | (a << 21) | (disp & 0x1fffff)) >>> 0;

interface Access {
  name: string;
  op: number;
  /** Alignment the access needs (1: none). */
  size: number;
  store: boolean;
  /** LDQ_U/STQ_U: the address is rounded down to 8, never misaligned. */
  unaligned?: boolean;
  /** STx_C. */
  conditional?: boolean;
}

const ACCESSES: Access[] = [
  { name: 'ldbu', op: 0x0a, size: 1, store: false },
  { name: 'ldwu', op: 0x0c, size: 2, store: false },
  { name: 'ldl', op: 0x28, size: 4, store: false },
  { name: 'ldq', op: 0x29, size: 8, store: false },
  { name: 'ldl_l', op: 0x2a, size: 4, store: false },
  { name: 'ldq_l', op: 0x2b, size: 8, store: false },
  { name: 'ldq_u', op: 0x0b, size: 1, store: false, unaligned: true },
  { name: 'stb', op: 0x0e, size: 1, store: true },
  { name: 'stw', op: 0x0d, size: 2, store: true },
  { name: 'stl', op: 0x2c, size: 4, store: true },
  { name: 'stq', op: 0x2d, size: 8, store: true },
  { name: 'stq_u', op: 0x0f, size: 1, store: true, unaligned: true },
  { name: 'stl_c', op: 0x2e, size: 4, store: true, conditional: true },
  { name: 'stq_c', op: 0x2f, size: 8, store: true, conditional: true },
];

/** Base register values (64-bit) and displacements. */
const ADDRESSES: { what: string; base: bigint; disp: number }[] = [
  { what: 'aligned in the RW page', base: BigInt.asUintN(64, BigInt(DATA | 0)), disp: 0x10 },
  { what: 'misaligned by 1', base: BigInt.asUintN(64, BigInt(DATA | 0)), disp: 0x11 },
  { what: 'misaligned by 2', base: BigInt.asUintN(64, BigInt(DATA | 0)), disp: 0x12 },
  { what: 'misaligned by 4', base: BigInt.asUintN(64, BigInt(DATA | 0)), disp: 0x14 },
  { what: 'negative displacement', base: BigInt.asUintN(64, BigInt((DATA + 0x100) | 0)), disp: -0x80 },
  { what: 'read-only page', base: BigInt.asUintN(64, BigInt(RO | 0)), disp: 8 },
  { what: 'unmapped page', base: BigInt.asUintN(64, BigInt((DATA + 0x2000) | 0)), disp: 8 },
  { what: 'unmapped and misaligned', base: BigInt.asUintN(64, BigInt((DATA + 0x2000) | 0)), disp: 9 },
  { what: 'not canonical (high half 1)', base: (1n << 32n) | BigInt(DATA), disp: 8 },
  { what: 'not canonical and misaligned', base: (1n << 32n) | BigInt(DATA), disp: 9 },
  { what: 'carry into the high half (0x7ffffff8 + 8)', base: 0x7ffffff8n, disp: 8 },
  { what: 'borrow makes it canonical (0x80000000 - 8, high 0)', base: 0x80000000n, disp: -8 },
  { what: 'zero-extended KSEG0 address (high 0)', base: BigInt(DATA), disp: 0 },
];

/** What the model says the access does: null when it completes. */
function expected(a: Access, base: bigint, disp: number, lockHeld: boolean) {
  const ea64 = BigInt.asUintN(64, base + BigInt(disp));
  const low = Number(ea64 & 0xffffffffn);
  const canonical = ea64 >> 32n === (low >= 0x80000000 ? 0xffffffffn : 0n);
  const access = a.store ? 'write' : 'read';
  if (!canonical) return { kind: 'fault', fault: 'unmapped', access, address: low };
  if (!a.unaligned && low % a.size !== 0) {
    return { kind: 'fault', fault: 'exception', vector: ALPHA_TRAP.unaligned, access, address: low };
  }
  if (a.conditional && !lockHeld) return null;
  const at = a.unaligned ? low - (low % 8) : low;
  const page = at - (at % 0x2000);
  if (page === DATA) return null;
  if (page === RO) return a.store ? { kind: 'fault', fault: 'protection', access, address: at } : null;
  return { kind: 'fault', fault: 'unmapped', access, address: at };
}

/**
 * r2 = 20; L: subq r2,1,r2; cmoveq r2,r5,r1; [ldq_l r6,disp(r1) when the lock is wanted]; <access> r3,disp(r1);
 * bne r2,L; ret. r1 holds a good address until the last iteration, then r5.
 */
function program(a: Access, disp: number, lock: boolean): number[] {
  const words = [mem(0x08, 2, 31, 20)];
  const top = words.length;
  words.push(operateLit(0x10, 0x29, 2, 1, 2));
  words.push(operate(0x11, 0x24, 2, 5, 1));
  if (lock) words.push(mem(0x2b, 6, 1, disp));
  words.push(mem(a.op, 3, 1, disp));
  words.push(branch(0x3d, 2, top - words.length - 1));
  words.push(0x6bfa8001);
  return words;
}

function run(a: Access, base: bigint, disp: number, lock: boolean, reference: boolean) {
  const cpu = new AlphaInterpreter({ reference });
  cpu.map(CODE, 0x2000, RX);
  cpu.map(DATA, 0x2000, RW);
  cpu.map(RO, 0x2000, R);
  cpu.write(CODE, new Uint8Array(new Uint32Array(program(a, disp, lock)).buffer));
  // Before the last iteration: an aligned address in the RW page.
  cpu.setReg('r1', BigInt.asUintN(64, BigInt((DATA + 0x100 - (((disp % 8) + 8) % 8)) | 0)));
  cpu.setReg('r5', base);
  cpu.setReg('r3', 0x1122334455667788n);
  cpu.setReg('r26', BigInt.asUintN(64, BigInt(END | 0)));
  const result = cpu.run({ start: CODE, until: END, maxInstructions: 10_000 });
  const state = {
    result,
    r3: cpu.reg('r3').toString(16),
    data: Buffer.from(cpu.read(DATA, 0x2000)).toString('hex'),
  };
  cpu.close();
  return state;
}

describe('Alpha translated loads and stores: fault order and fast paths', () => {
  for (const a of ACCESSES) {
    it(`${a.name}: every address case agrees with the model in both modes`, () => {
      for (const { what, base, disp } of ADDRESSES) {
        for (const lock of a.conditional ? [false, true] : [false]) {
          // With the lock wanted, the ldq_l before the access must itself succeed: only for
          // addresses an aligned quadword load can read.
          if (lock && expected(ACCESSES[3]!, base, disp, false) !== null) continue;
          const jit = run(a, base, disp, lock, false);
          const ref = run(a, base, disp, lock, true);
          expect(jit, `${a.name} ${what}${lock ? ' (lock held)' : ''}`).toEqual(ref);
          const want = expected(a, base, disp, lock);
          if (want === null) expect(jit.result.kind, `${a.name} ${what}`).toBe('returned');
          else expect(jit.result, `${a.name} ${what}`).toMatchObject(want);
        }
      }
    });
  }
});

describe('Alpha page lookups made once per call of translated code', () => {
  // r2 = 40; L: subq r2,1,r2; <access> r3,8(r1); call_pal 0x83; bne r2,L; ret. r1 never changes, so
  // the translator reads the page table for the access once on entry; the PAL call's hook protects or
  // unmaps the page after some iterations, and the next access must fault there.
  const program = (op: number) => [
    mem(0x08, 2, 31, 40),
    operateLit(0x10, 0x29, 2, 1, 2),
    mem(op, 3, 1, 8),
    0x83,
    branch(0x3d, 2, -4),
    0x6bfa8001,
  ];
  const cases = [
    { name: 'ldq after unmap', op: 0x29, change: (cpu: AlphaInterpreter) => cpu.unmap(DATA, 0x2000) },
    {
      name: 'stq after protect read-only',
      op: 0x2d,
      change: (cpu: AlphaInterpreter) => cpu.protect(DATA, 0x2000, R),
    },
    { name: 'stl after unmap', op: 0x2c, change: (cpu: AlphaInterpreter) => cpu.unmap(DATA, 0x2000) },
    {
      name: 'ldl after protect no-access',
      op: 0x28,
      change: (cpu: AlphaInterpreter) =>
        cpu.protect(DATA, 0x2000, { read: false, write: false, execute: false }),
    },
  ];
  for (const c of cases) {
    it(`${c.name}: faults on the next access in the translator as in the reference`, () => {
      const outcome = (reference: boolean) => {
        const cpu = new AlphaInterpreter({ reference });
        cpu.map(CODE, 0x2000, RX);
        cpu.map(DATA, 0x2000, RW);
        cpu.write(CODE, new Uint8Array(new Uint32Array(program(c.op)).buffer));
        cpu.setReg('r1', BigInt.asUintN(64, BigInt(DATA | 0)));
        cpu.setReg('r26', BigInt.asUintN(64, BigInt(END | 0)));
        let calls = 0;
        cpu.hookInterrupt(() => {
          if (++calls === 25) c.change(cpu);
        });
        const result = cpu.run({ start: CODE, until: END, maxInstructions: 10_000 });
        const r2 = cpu.reg('r2');
        cpu.close();
        return { result, r2, calls };
      };
      const jit = outcome(false);
      expect(jit).toEqual(outcome(true));
      expect(jit.calls).toBe(25);
      expect(jit.result).toMatchObject({ kind: 'fault', address: DATA + 8, pc: CODE + 8 });
    });
  }
});
