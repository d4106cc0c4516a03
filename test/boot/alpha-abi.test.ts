// The kernel's calling-convention layer on both CPUs with one set of handler declarations: arguments
// (Alpha a0-a5 then 8-byte stack slots; x86 the stack), results (v0 sign-extended; EAX), guest calls
// made by handlers with a continuation and the stack check on their return, tail calls, and DbgPrint's
// variadic arguments. Routines are hand-assembled; our Alpha disassembler confirms what they are.
import { describe, expect, it } from 'vitest';
import type { AnyCpu } from '../../src/cpu/abi.js';
import { disassembleAlphaWord } from '../../src/cpu/alpha/disasm.js';
import { AlphaInterpreter } from '../../src/cpu/alpha/interpreter.js';
import { setupNtAlpha } from '../../src/cpu/alpha-setup.js';
import { RW, RX } from '../../src/cpu/engine.js';
import { UnicornX86 } from '../../src/cpu/unicorn.js';
import { setupNtX86 } from '../../src/cpu/x86-setup.js';
import { DbgPrint } from '../../src/kernel/exports/ntoskrnl/dbg.js';
import { EmulatedKernel } from '../../src/kernel/kernel.js';
import {
  defineExport,
  type ExportHandler,
  guestCall,
  HandlerRegistry,
  type HandlerResult,
  tailCall,
} from '../../src/kernel/registry.js';
import { haveUnicorn } from '../helpers/unicorn.js';

const unicorn = haveUnicorn;
const CODE = 0x00400000;
const DATA = 0x00500000;
const BUDGET = { maxInstructions: 100_000 };

/** Alpha instruction words (Alpha Architecture Reference Manual formats). */
const operate = (op: number, fn: number, ra: number, rb: number, rc: number) =>
  ((op << 26) | (ra << 21) | (rb << 16) | (fn << 5) | rc) >>> 0;
const memory = (op: number, ra: number, rb: number, disp: number) =>
  ((op << 26) | (ra << 21) | (rb << 16) | (disp & 0xffff)) >>> 0;
const ALPHA = {
  // v0 = a0 + a1 + the 7th argument (the first stack slot)
  sum7: [operate(0x10, 0x20, 16, 17, 0), memory(0x29, 1, 30, 0), operate(0x10, 0x20, 0, 1, 0), 0x6bfa8001],
  // v0 = a0 + a1
  sum2: [operate(0x10, 0x20, 16, 17, 0), 0x6bfa8001],
  // returns with sp 16 bytes lower than at entry
  unbalanced: [memory(0x08, 30, 30, -16), 0x6bfa8001],
};
/** x86 stdcall routines with the same meaning. */
const X86 = {
  // mov eax,[esp+4]; add eax,[esp+8]; add eax,[esp+28]; ret 28
  sum7: [0x8b, 0x44, 0x24, 0x04, 0x03, 0x44, 0x24, 0x08, 0x03, 0x44, 0x24, 0x1c, 0xc2, 0x1c, 0x00],
  // mov eax,[esp+4]; add eax,[esp+8]; ret 8
  sum2: [0x8b, 0x44, 0x24, 0x04, 0x03, 0x44, 0x24, 0x08, 0xc2, 0x08, 0x00],
  // ret (cdecl return from a routine declared stdcall: ESP off by its arguments)
  unbalanced: [0xc3],
};

interface Machine {
  cpu: AnyCpu;
  kernel: EmulatedKernel;
  /** Addresses of sum7, sum2, unbalanced. */
  routines: { sum7: number; sum2: number; unbalanced: number };
}

function alphaMachine(): Machine {
  const cpu = new AlphaInterpreter();
  const { stackTop } = setupNtAlpha(cpu);
  const kernel = new EmulatedKernel(cpu, new HandlerRegistry([]), stackTop);
  cpu.map(CODE, 0x2000, RX);
  cpu.map(DATA, 0x2000, RW);
  const at = (i: number) => CODE + 0x100 * i;
  for (const [i, words] of [ALPHA.sum7, ALPHA.sum2, ALPHA.unbalanced].entries()) {
    const bytes = new Uint8Array(words.length * 4);
    for (const [j, w] of words.entries()) new DataView(bytes.buffer).setUint32(4 * j, w, true);
    cpu.write(at(i), bytes);
  }
  return { cpu, kernel, routines: { sum7: at(0), sum2: at(1), unbalanced: at(2) } };
}

function x86Machine(): Machine {
  const cpu = new UnicornX86();
  const { stackTop } = setupNtX86(cpu, { number: 0 });
  const kernel = new EmulatedKernel(cpu, new HandlerRegistry([]), stackTop);
  cpu.map(CODE, 0x2000, RX);
  cpu.map(DATA, 0x2000, RW);
  const at = (i: number) => CODE + 0x100 * i;
  for (const [i, bytes] of [X86.sum7, X86.sum2, X86.unbalanced].entries())
    cpu.write(at(i), new Uint8Array(bytes));
  return { cpu, kernel, routines: { sum7: at(0), sum2: at(1), unbalanced: at(2) } };
}

/** A test handler of the emulator's own with `n` ULONG arguments (stdcall on x86). */
function handler(n: number, impl: (args: number[]) => HandlerResult): ExportHandler {
  return defineExport({
    module: 'nt351',
    prototype: `ULONG NTAPI Test${n}(${Array.from({ length: n }, (_, i) => `ULONG A${i}`).join(', ')})`,
    impl: (_ctx, args) => impl(args),
  });
}

const machines: [string, () => Machine, boolean][] = [
  ['alpha', alphaMachine, true],
  ['x86', x86Machine, unicorn],
];

it('the hand-assembled Alpha routines are what they say (our disassembler)', () => {
  expect(ALPHA.sum7.map((w) => disassembleAlphaWord(w, 0))).toEqual([
    'addq\ta0,a1,v0',
    'ldq\tt0,0(sp)',
    'addq\tv0,t0,v0',
    'ret',
  ]);
  expect(disassembleAlphaWord(ALPHA.unbalanced[0]!, 0)).toBe('lda\tsp,-16(sp)');
});

describe.each(machines)(
  '%s: one handler declaration, the CPU calling convention',
  (_arch, make, available) => {
    it.skipIf(!available)('reads seven arguments (six in registers and one on the stack on Alpha)', () => {
      const m = make();
      const seen: number[][] = [];
      const address = m.kernel.hostRoutine(
        handler(7, (args) => {
          seen.push(args);
          return 0x1234;
        }),
      );
      const r = m.kernel.call(address, [1, 2, 3, 4, 5, 6, 0xfedcba98], BUDGET);
      expect(r).toMatchObject({ run: { kind: 'returned' }, eax: 0x1234 });
      expect(seen).toEqual([[1, 2, 3, 4, 5, 6, 0xfedcba98]]);
      m.cpu.close();
    });

    it.skipIf(!available)(
      'a guest call from a handler returns through the continuation, stack checked',
      () => {
        const m = make();
        const address = m.kernel.hostRoutine(
          handler(7, (args) => guestCall(m.routines.sum7, args, (result) => result + 1000)),
        );
        const r = m.kernel.call(address, [1, 2, 3, 4, 5, 6, 0x70], BUDGET);
        expect(r).toMatchObject({ run: { kind: 'returned' }, eax: 1 + 2 + 0x70 + 1000 });
        m.cpu.close();
      },
    );

    it.skipIf(!available)('tail calls: two arguments replace the frame; seven work too', () => {
      const m = make();
      const two = m.kernel.hostRoutine(handler(2, (args) => tailCall(m.routines.sum2, args)));
      expect(m.kernel.call(two, [40, 2], BUDGET)).toMatchObject({ run: { kind: 'returned' }, eax: 42 });
      const seven = m.kernel.hostRoutine(handler(7, (args) => tailCall(m.routines.sum7, args)));
      expect(m.kernel.call(seven, [1, 2, 0, 0, 0, 0, 3], BUDGET)).toMatchObject({
        run: { kind: 'returned' },
        eax: 6,
      });
      m.cpu.close();
    });

    it.skipIf(!available)('a called routine that returns with the wrong stack pointer stops the run', () => {
      const m = make();
      const address = m.kernel.hostRoutine(
        handler(2, (args) => guestCall(m.routines.unbalanced, args, (r) => r)),
      );
      const r = m.kernel.call(address, [1, 2], BUDGET);
      expect(r.run.kind).toBe('stopped');
      expect(r.run.kind === 'stopped' && r.run.reason).toMatch(
        /^guest stack imbalance: a routine called by Test2/,
      );
      m.cpu.close();
    });

    it.skipIf(!available)("DbgPrint's variadic arguments, past the register arguments on Alpha", () => {
      const m = make();
      const format = '%d %d %d %d %d %s|%x';
      m.cpu.write(DATA, new TextEncoder().encode(`${format}\0`));
      m.cpu.write(DATA + 0x100, new TextEncoder().encode('seven\0'));
      const address = m.kernel.hostRoutine(DbgPrint);
      const r = m.kernel.call(address, [DATA, 1, 2, 3, 4, 5, DATA + 0x100, 0xbeef], BUDGET);
      expect(r.run.kind).toBe('returned');
      expect(m.kernel.log.events.find((e) => e.type === 'dbgprint')).toMatchObject({
        text: '1 2 3 4 5 seven|beef',
      });
      m.cpu.close();
    });
  },
);

it('Alpha: a 32-bit result is sign-extended into v0, as NT keeps 32-bit values', () => {
  const m = alphaMachine();
  const address = m.kernel.hostRoutine(handler(0, () => 0xc0000001));
  expect(m.kernel.call(address, [], BUDGET)).toMatchObject({ eax: 0xc0000001 });
  expect((m.cpu as AlphaInterpreter).reg('r0')).toBe(0xffffffffc0000001n);
});
