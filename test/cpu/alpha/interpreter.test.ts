// Unit tests of AlphaInterpreter, by instruction group (hand-computed results), then faults, budgets,
// hooks and the calling-convention helpers. Programs are assembled with alpha-linux-gnu-as; the tests
// skip when binutils-alpha-linux-gnu is missing.
import { describe, expect, it } from 'vitest';
import { arg, argQ, args, returnFromCall, setupCall, sext32 } from '../../../src/cpu/alpha/call.js';
import { AlphaInterpreter } from '../../../src/cpu/alpha/interpreter.js';
import { ALPHA_TRAP, NT_PAL } from '../../../src/cpu/alpha/pal.js';
import { R, RW, RWX, RX } from '../../../src/cpu/engine.js';
import { assemble, haveAlphaBinutils } from './asm.js';

const CODE = 0x80100000;
const DATA = 0x80200000;
const STACK = 0x80300000;
const END = 0x80ff0000; // `until` sentinel, never mapped

/** A CPU with code (RX), data (RW) and a stack (sp near its top) mapped. */
function cpuWith(source: string, codePerm = RX): AlphaInterpreter {
  const cpu = new AlphaInterpreter();
  cpu.map(CODE, 0x4000, codePerm);
  cpu.map(DATA, 0x2000, RW);
  cpu.map(STACK, 0x2000, RW);
  cpu.write(CODE, assemble(source));
  cpu.setReg('r30', BigInt.asUintN(64, BigInt((STACK + 0x1f00) | 0)));
  return cpu;
}

/** Runs `source` ending in `ret`: ra is set to the sentinel. */
function runRet(source: string, setup?: (cpu: AlphaInterpreter) => void) {
  const cpu = cpuWith(`${source}\n\tret`);
  cpu.setReg('r26', sext32(END));
  setup?.(cpu);
  const result = cpu.run({ start: CODE, until: END, maxInstructions: 100_000 });
  return { cpu, result };
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

describe.skipIf(!haveAlphaBinutils)('AlphaInterpreter instructions', () => {
  it('LDA/LDAH build sign-extended constants; r31 reads zero and ignores writes', () => {
    const { cpu, result } = runRet(`
      lda $1, -1($31)
      ldah $2, -32768($31)
      ldah $3, 0x1234($31)
      lda $3, 0x5678($3)
      lda $31, 5($31)
      addq $31, 7, $4`);
    expect(result.kind).toBe('returned');
    expect(hex(cpu.reg('r1'))).toBe('0xffffffffffffffff');
    expect(hex(cpu.reg('r2'))).toBe('0xffffffff80000000');
    expect(hex(cpu.reg('r3'))).toBe('0x12345678');
    expect(cpu.reg('r31')).toBe(0n);
    expect(cpu.reg('r4')).toBe(7n);
  });

  it('arithmetic: 32-bit forms sign-extend, scaled forms, 64-bit carries and compares', () => {
    const r = runRet(
      `
      addl $1, 1, $2
      addq $1, 1, $3
      s4addq $1, 3, $4
      s8subl $5, 1, $6
      subq $31, 1, $7
      cmpult $7, $1, $8
      cmplt $7, $1, $9
      cmpule $1, $1, $10
      cmpeq $1, $3, $11
      cmpbge $12, $13, $14
      mull $1, $1, $15
      mulq $7, $7, $16
      umulh $7, $7, $17`,
      (c) => {
        c.setReg('r1', 0xffffffffn);
        c.setReg('r5', 3n);
        c.setReg('r12', 0x0102030405060708n);
        c.setReg('r13', 0x0803030305050505n);
      },
    );
    const g = (n: number) => hex(r.cpu.reg(`r${n}`));
    expect(g(2)).toBe('0x0'); // 0xffffffff + 1 = 0 (32-bit)
    expect(g(3)).toBe('0x100000000');
    expect(g(4)).toBe('0x3ffffffff'); // 4 * 0xffffffff + 3
    expect(g(6)).toBe('0x17'); // 8 * 3 - 1
    expect(g(7)).toBe('0xffffffffffffffff');
    expect(g(8)).toBe('0x0'); // unsigned: 2^64-1 < 0xffffffff is false
    expect(g(9)).toBe('0x1'); // signed: -1 < 0xffffffff
    expect(g(10)).toBe('0x1');
    expect(g(11)).toBe('0x0');
    expect(g(14)).toBe('0x3f'); // bytes 0..5 of r12 >= r13's, bytes 6 and 7 not
    expect(g(15)).toBe('0x1'); // (-1 * -1) as 32-bit
    expect(g(16)).toBe('0x1');
    expect(g(17)).toBe('0xfffffffffffffffe'); // high half of (2^64-1)^2
  });

  it('logical ops, conditional moves and shifts', () => {
    const r = runRet(
      `
      and $1, $2, $3
      bic $1, $2, $4
      ornot $31, $1, $5
      eqv $1, $2, $6
      cmovlt $7, $1, $8
      cmovge $7, $1, $9
      sll $1, 36, $10
      srl $7, 60, $11
      sra $7, 4, $12`,
      (c) => {
        c.setReg('r1', 0xf0f0n);
        c.setReg('r2', 0xff00n);
        c.setReg('r7', 0x8000000000000000n);
        c.setReg('r9', 5n);
      },
    );
    const g = (n: number) => hex(r.cpu.reg(`r${n}`));
    expect(g(3)).toBe('0xf000');
    expect(g(4)).toBe('0xf0');
    expect(g(5)).toBe('0xffffffffffff0f0f');
    expect(g(6)).toBe('0xfffffffffffff00f');
    expect(g(8)).toBe('0xf0f0');
    expect(g(9)).toBe('0x5'); // not moved: r7 is negative
    expect(g(10)).toBe('0xf0f0000000000');
    expect(g(11)).toBe('0x8');
    expect(g(12)).toBe('0xf800000000000000');
  });

  it('byte manipulation: EXT, INS, MSK, ZAP', () => {
    const r = runRet(
      `
      extbl $1, 2, $2
      extwh $1, 7, $3
      insbl $4, 6, $5
      inswh $4, 7, $6
      mskll $1, 2, $7
      zapnot $1, 0x0f, $8
      zap $1, 0x0f, $9
      extqh $1, 0, $10`,
      (c) => {
        c.setReg('r1', 0x1122334455667788n);
        c.setReg('r4', 0xabcdn);
      },
    );
    const g = (n: number) => hex(r.cpu.reg(`r${n}`));
    expect(g(2)).toBe('0x66');
    expect(g(3)).toBe('0x8800'); // EXTWH by 7: a << 8, low word
    expect(g(5)).toBe('0xcd000000000000');
    expect(g(6)).toBe('0xab');
    expect(g(7)).toBe('0x1122000000007788');
    expect(g(8)).toBe('0x55667788');
    expect(g(9)).toBe('0x1122334400000000');
    expect(g(10)).toBe('0x1122334455667788'); // shift (64 - 0) mod 64 = 0
  });

  it('loads and stores of every size, LDQ_U/STQ_U, and load-locked/store-conditional', () => {
    const r = runRet(
      `
      ldah $10, -32736($31)
      stq $1, 0($10)
      ldbu $2, 7($10)
      ldwu $3, 2($10)
      ldl $4, 4($10)
      stb $1, 16($10)
      stw $1, 18($10)
      stl $1, 20($10)
      ldq $5, 16($10)
      ldq_u $6, 3($10)
      stq_u $31, 9($10)
      ldl_l $7, 0($10)
      stl_c $7, 0($10)
      stl_c $1, 0($10)`,
      (c) => c.setReg('r1', 0x8899aabbccddeeffn),
    );
    const g = (n: number) => hex(r.cpu.reg(`r${n}`));
    expect(g(2)).toBe('0x88');
    expect(g(3)).toBe('0xccdd');
    expect(g(4)).toBe('0xffffffff8899aabb'); // LDL sign-extends
    expect(g(5)).toBe('0xccddeeffeeff00ff');
    expect(g(6)).toBe('0x8899aabbccddeeff');
    expect(g(7)).toBe('0x1'); // the first STL_C succeeded (lock held)...
    expect(g(1)).toBe('0x0'); // ...the second failed: the lock was gone
    expect(Array.from(r.cpu.read(DATA + 8, 8))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('branches, BSR/RET, JSR through a register and the link values', () => {
    const r = runRet(`
      mov $26, $20
      clr $1
      lda $2, 5($31)
    loop:
      addq $1, $2, $1
      subq $2, 1, $2
      bgt $2, loop
      blbs $1, odd
      lda $3, 1($31)
    odd:
      bsr $26, sub
      br $31, done
    sub:
      lda $4, 9($31)
      ret $31, ($26)
    done:
      mov $20, $26`);
    expect(r.result.kind).toBe('returned');
    expect(r.cpu.reg('r1')).toBe(15n);
    expect(r.cpu.reg('r3')).toBe(0n); // 15 is odd: skipped
    expect(r.cpu.reg('r4')).toBe(9n);
    expect(r.result.kind === 'returned' && r.result.instructions).toBe(3 + 15 + 1 + 1 + 2 + 1 + 1 + 1);
  });

  it('SEXTB/SEXTW, AMASK and IMPLVER model a 21064 with BWX', () => {
    const r = runRet(
      `
      sextb $1, $2
      sextw $1, $3
      amask $4, $5
      implver $6`,
      (c) => {
        c.setReg('r1', 0x80f0n);
        c.setReg('r4', 0x307n);
      },
    );
    expect(hex(r.cpu.reg('r2'))).toBe('0xfffffffffffffff0');
    expect(hex(r.cpu.reg('r3'))).toBe('0xffffffffffff80f0');
    expect(hex(r.cpu.reg('r5'))).toBe('0x306');
    expect(r.cpu.reg('r6')).toBe(0n);
  });
});

describe.skipIf(!haveAlphaBinutils)('AlphaInterpreter traps, faults and run control', () => {
  it('CALL_PAL goes to the interrupt hook with the PAL function code, pc past it', () => {
    const cpu = cpuWith('call_pal 0xab\n\tcall_pal 0x6\n\tret');
    cpu.setReg('r26', sext32(END));
    const seen: string[] = [];
    cpu.hookInterrupt((v) => {
      seen.push(`${v.toString(16)}@${hex(cpu.reg('pc'))}`);
      if (v === NT_PAL.rdteb) cpu.setReg('r0', 0x7ffde000n);
    });
    const r = cpu.run({ start: CODE, until: END });
    expect(r).toEqual({ kind: 'returned', pc: END, instructions: 3 });
    expect(seen).toEqual(['ab@0xffffffff80100004', '6@0xffffffff80100008']);
    expect(cpu.reg('r0')).toBe(0x7ffde000n);
  });

  it('CALL_PAL without a hook ends the run as an exception fault with the function as vector', () => {
    const cpu = cpuWith('nop\n\tcall_pal 0xad');
    expect(cpu.run({ start: CODE, until: END })).toEqual({
      kind: 'fault',
      fault: 'exception',
      access: null,
      address: CODE + 4,
      vector: NT_PAL.callkd,
      pc: CODE + 4,
      instructions: 1,
    });
  });

  it('/V overflow traps through the interrupt hook, or faults without one', () => {
    const source = 'lda $1, 1($31)\n\tsll $1, 63, $1\n\tsubq/v $1, 1, $2\n\tret';
    const a = cpuWith(source);
    const r = a.run({ start: CODE, until: END });
    expect(r).toMatchObject({
      kind: 'fault',
      fault: 'exception',
      vector: ALPHA_TRAP.arithmetic,
      pc: CODE + 8,
    });
    const b = cpuWith(source);
    b.setReg('r26', sext32(END));
    const vectors: number[] = [];
    b.hookInterrupt((v) => vectors.push(v));
    expect(b.run({ start: CODE, until: END }).kind).toBe('returned');
    expect(vectors).toEqual([ALPHA_TRAP.arithmetic]);
    expect(hex(b.reg('r2'))).toBe('0x7fffffffffffffff');
  });

  it('faults: unmapped load, write to a read-only page, jump to unmapped, unaligned, invalid', () => {
    const load = cpuWith('ldah $1, -32704($31)\n\tldq $2, 8($1)').run({ start: CODE, until: END });
    expect(load).toEqual({
      kind: 'fault',
      fault: 'unmapped',
      access: 'read',
      address: 0x80400008,
      pc: CODE + 4,
      instructions: 1,
    });

    const ro = cpuWith('ldah $1, -32736($31)\n\tstl $31, 0($1)');
    ro.protect(DATA, 0x2000, R);
    expect(ro.run({ start: CODE, until: END })).toMatchObject({
      kind: 'fault',
      fault: 'protection',
      access: 'write',
      address: DATA,
      pc: CODE + 4,
    });

    const jump = cpuWith('ldah $1, -32688($31)\n\tjmp ($1)').run({ start: CODE, until: END });
    expect(jump).toMatchObject({
      kind: 'fault',
      fault: 'unmapped',
      access: 'fetch',
      address: 0x80500000,
      pc: 0x80500000,
    });

    const unaligned = cpuWith('ldah $1, -32736($31)\n\tldl $2, 2($1)').run({ start: CODE, until: END });
    expect(unaligned).toMatchObject({
      kind: 'fault',
      fault: 'exception',
      vector: ALPHA_TRAP.unaligned,
      access: 'read',
      address: DATA + 2,
      pc: CODE + 4,
    });

    const fp = cpuWith('nop\n\taddt $f1, $f2, $f3').run({ start: CODE, until: END });
    expect(fp).toMatchObject({
      kind: 'fault',
      fault: 'invalid-instruction',
      address: CODE + 4,
      pc: CODE + 4,
    });

    // A 64-bit address that is not a sign-extended 32-bit one faults as unmapped at its low half.
    const nc = cpuWith('lda $1, 1($31)\n\tsll $1, 32, $1\n\tldq $2, 0($1)').run({ start: CODE, until: END });
    expect(nc).toMatchObject({ kind: 'fault', fault: 'unmapped', access: 'read', address: 0, pc: CODE + 8 });
  });

  it('an infinite loop (br to itself) ends on the exact instruction budget and on a time budget', () => {
    const cpu = cpuWith('nop\nself:\tbr $31, self');
    expect(cpu.run({ start: CODE, until: END, maxInstructions: 1001 })).toEqual({
      kind: 'budget',
      which: 'instructions',
      pc: CODE + 4,
      instructions: 1001,
    });
    expect(cpu.run({ start: CODE, until: END, maxMillis: 20 })).toMatchObject({
      kind: 'budget',
      which: 'time',
    });
  });

  it('stops with `returned` before executing `until`, even inside a block', () => {
    const cpu = cpuWith('lda $1, 1($31)\n\tlda $2, 2($31)\n\tlda $3, 3($31)');
    expect(cpu.run({ start: CODE, until: CODE + 8 })).toEqual({
      kind: 'returned',
      pc: CODE + 8,
      instructions: 2,
    });
    expect(cpu.reg('r2')).toBe(2n);
    expect(cpu.reg('r3')).toBe(0n);
  });

  it('code hooks fire before the instruction; a hook that sets pc skips it; stop() ends the run', () => {
    const cpu = cpuWith('lda $1, 1($31)\n\tlda $2, 2($31)\n\tlda $3, 3($31)\n\tret');
    cpu.setReg('r26', sext32(END));
    const hits: number[] = [];
    const h = cpu.hookCode(CODE + 4, CODE + 4, (a) => {
      hits.push(a);
      cpu.setReg('pc', BigInt(CODE + 8));
    });
    expect(cpu.run({ start: CODE, until: END }).kind).toBe('returned');
    expect(hits).toEqual([CODE + 4]);
    expect(cpu.reg('r2')).toBe(0n);
    h.remove();
    cpu.hookCode(CODE + 8, CODE + 8, () => cpu.stop('here'));
    expect(cpu.run({ start: CODE, until: END })).toEqual({
      kind: 'stopped',
      reason: 'here',
      pc: CODE + 8,
      instructions: 2,
    });
    expect(cpu.reg('r2')).toBe(2n);
  });

  it('an exception thrown in a hook comes back as host-error', () => {
    const cpu = cpuWith('nop\n\tnop');
    const boom = new Error('boom');
    cpu.hookCode(CODE + 4, CODE + 4, () => {
      throw boom;
    });
    expect(cpu.run({ start: CODE, until: END })).toEqual({ kind: 'host-error', error: boom, pc: CODE + 4 });
  });

  it('guest stores into translated code invalidate it (self-modifying code)', () => {
    // Overwrites `lda $1, 1` with `lda $1, 2` and runs it again.
    const cpu = cpuWith(
      `
      clr $3
    again:
      lda $1, 1($31)
      addq $3, 1, $3
      cmpeq $3, 2, $4
      bne $4, out
      ldah $5, -32752($31)
      ldl $6, 40($5)
      stl $6, 4($5)
      br $31, again
    out:
      ret
      lda $1, 2($31)`,
      RWX,
    );
    cpu.setReg('r26', sext32(END));
    expect(cpu.run({ start: CODE, until: END, maxInstructions: 1000 }).kind).toBe('returned');
    expect(cpu.reg('r1')).toBe(2n);
  });
});

describe.skipIf(!haveAlphaBinutils)('NT Alpha calling convention helpers', () => {
  it('passes eight arguments (six in registers, two on the stack), returns v0 to ra', () => {
    // The routine: v0 = a0 + a5 + arg6 + arg7.
    const cpu = cpuWith(`
      addq $16, $21, $0
      ldq $1, 0($30)
      addq $0, $1, $0
      ldq $1, 8($30)
      addq $0, $1, $0
      ret`);
    const sp = cpu.reg('r30');
    setupCall(cpu, CODE, [1, 2, 3, 4, 5, 6, 7, -8], END);
    expect(arg(cpu, 0)).toBe(1);
    expect(args(cpu, 8)).toEqual([1, 2, 3, 4, 5, 6, 7, 0xfffffff8]);
    expect(argQ(cpu, 7)).toBe(0xfffffffffffffff8n);
    expect(cpu.run({ start: CODE, until: END }).kind).toBe('returned');
    expect(cpu.reg('r0')).toBe(6n);
    expect(sp - cpu.reg('r30')).toBe(16n);
    expect(cpu.reg('r27')).toBe(0xffffffff80100000n);
  });

  it('returnFromCall in a stub hook sets v0 and resumes at ra', () => {
    const cpu = cpuWith('bsr $26, stub\n\tret\nstub:\tnop');
    const stub = CODE + 8;
    cpu.setReg('r26', sext32(END));
    cpu.hookCode(stub, stub, () => returnFromCall(cpu, -1));
    cpu.hookCode(CODE + 4, CODE + 4, () => cpu.setReg('r26', sext32(END)));
    expect(cpu.run({ start: CODE, until: END }).kind).toBe('returned');
    expect(hex(cpu.reg('r0'))).toBe('0xffffffffffffffff');
  });
});
