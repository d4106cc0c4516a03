// UnicornX64 (AMD64 long mode) through createCpu('amd64'): the address window, Windows x64's ring-0
// state (GS → KPCR, KGDT64 selectors), 64-bit registers, faults with 64-bit addresses, and the x64
// calling convention (abi-x64.ts) as the kernel uses it.
import { afterEach, describe, expect, it } from 'vitest';
import { abiFor } from '../../src/cpu/abi.js';
import { returnFromCall64 } from '../../src/cpu/abi-x64.js';
import { RX, type X64Cpu } from '../../src/cpu/engine.js';
import { createCpu, disassembleAt, setupNtX64, X64_WINDOW } from '../../src/cpu/index.js';

const CODE = 0x80100000;
let cpu: X64Cpu | null = null;
afterEach(() => {
  cpu?.close();
  cpu = null;
});

function load(code: number[]): X64Cpu {
  cpu = createCpu('amd64');
  cpu.map(CODE, 0x1000, RX);
  cpu.write(CODE, Uint8Array.from(code));
  return cpu;
}

describe('UnicornX64', () => {
  it('runs 64-bit code in the window at 0xFFFFF800`00000000', () => {
    const c = load([
      0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x48, 0x8d, 0x0d, 0, 0, 0, 0, 0xf4,
    ]);
    // mov rax, 0x1122334455667788; lea rcx, [rip]; hlt
    const { stackTop } = setupNtX64(c, { number: 0 });
    expect(c.reg('rsp')).toBe(X64_WINDOW + BigInt(stackTop));
    const r = c.run({ start: CODE, until: CODE + 0x100 });
    expect(r).toMatchObject({ kind: 'stopped', reason: 'hlt', pc: CODE + 18 });
    expect(c.reg('rax')).toBe(0x1122334455667788n);
    expect(c.reg('rcx')).toBe(0xfffff80080100011n);
  });

  it('reaches the KPCR through GS as Windows x64 code does (gs:[18h] Self, gs:[20h] CurrentPrcb)', () => {
    const c = load([
      0x65, 0x48, 0x8b, 0x04, 0x25, 0x18, 0, 0, 0, 0x65, 0x48, 0x8b, 0x0c, 0x25, 0x20, 0, 0, 0, 0xf4,
    ]);
    // mov rax, gs:[0x18]; mov rcx, gs:[0x20]; hlt
    const { kpcr, prcb } = setupNtX64(c, { number: 0 });
    expect(c.run({ start: CODE, until: CODE + 0x100 }).kind).toBe('stopped');
    expect(c.reg('rax')).toBe(X64_WINDOW + BigInt(kpcr));
    expect(c.reg('rcx')).toBe(X64_WINDOW + BigInt(prcb));
    expect(c.reg('cs')).toBe(0x10n);
    expect(c.reg('ss')).toBe(0x18n);
  });

  it('reports a fault with its 64-bit address and pc, and disassembles x64', async () => {
    const c = load([0x48, 0x8b, 0x04, 0x25, 0x10, 0, 0, 0]); // mov rax, qword ptr [0x10]
    setupNtX64(c, { number: 0 });
    const r = c.run({ start: CODE, until: CODE + 0x100 });
    expect(r).toMatchObject({ kind: 'fault', fault: 'unmapped', access: 'read', pc: CODE });
    if (r.kind !== 'fault') throw new Error('no fault');
    expect(r.address64).toBe(0x10n);
    expect(r.pc64).toBe(0xfffff80080100000n);
    expect((await disassembleAt(c, CODE))[0]?.text).toBe('mov rax, qword ptr [0x10]');
  });

  it('reports a divide error as vector 0 every time, not as a double fault the second time', () => {
    const c = load([0x31, 0xc9, 0xf7, 0xf1]); // xor ecx, ecx; div ecx
    setupNtX64(c, { number: 0 });
    for (let i = 0; i < 3; i++)
      expect(c.run({ start: CODE, until: CODE + 0x100 })).toMatchObject({ fault: 'exception', vector: 0 });
  });

  it('calls and returns with the x64 convention: RCX, RDX, R8, R9, stack past the home space, RAX', () => {
    // mov rax, rcx; add rax, rdx; add rax, r8; add rax, r9; add rax, [rsp+0x28]; ret
    const c = load([
      0x48, 0x89, 0xc8, 0x48, 0x01, 0xd0, 0x4c, 0x01, 0xc0, 0x4c, 0x01, 0xc8, 0x48, 0x03, 0x44, 0x24, 0x28,
      0xc3,
    ]);
    const { stackTop } = setupNtX64(c, { number: 0 });
    const abi = abiFor(c);
    abi.setSp(stackTop);
    abi.prepareCall(CODE, [1, 2, 3, 4, 5], CODE + 0x800);
    expect(abi.sp() % 16).toBe(8); // 16-byte aligned before the CALL
    const r = c.run({ start: CODE, until: CODE + 0x800 });
    expect(r.kind).toBe('returned');
    // Each argument went in as a window address (pointers): X64_WINDOW * 5 + 15, modulo 2^64.
    expect(c.reg('rax')).toBe(BigInt.asUintN(64, 5n * X64_WINDOW + 15n));
    expect(abi.result()).toBe(15);
  });

  it('passes the arguments a call names as scalars zero-extended, not as window addresses', () => {
    // The same routine: RCX + RDX + R8 + R9 + [RSP+28h]; arguments 2 and 4 are integers (size_t, ULONG).
    const c = load([
      0x48, 0x89, 0xc8, 0x48, 0x01, 0xd0, 0x4c, 0x01, 0xc0, 0x4c, 0x01, 0xc8, 0x48, 0x03, 0x44, 0x24, 0x28,
      0xc3,
    ]);
    const { stackTop } = setupNtX64(c, { number: 0 });
    const abi = abiFor(c);
    abi.setSp(stackTop);
    abi.prepareCall(CODE, [1, 2, 0x10, 4, 0x12e486], CODE + 0x800, [2, 4]);
    expect(c.run({ start: CODE, until: CODE + 0x800 }).kind).toBe('returned');
    expect(c.reg('r8')).toBe(0x10n);
    expect(c.reg('rax')).toBe(BigInt.asUintN(64, 3n * X64_WINDOW + 7n + 0x10n + 0x12e486n));
  });

  it('writes several registers in one call (setRegs) and reads 64-bit words (readU64); returnFromCall64 uses both', () => {
    const c = load([0xf4]); // nothing runs: the registers and memory are checked directly
    const { stackTop } = setupNtX64(c, { number: 0 });
    c.setRegs(['rax', 'rbx', 'r15', 'rip'], [0x1122334455667788n, -1n, 7n, X64_WINDOW + BigInt(CODE)]);
    expect([c.reg('rax'), c.reg('rbx'), c.reg('r15'), c.reg('rip')]).toEqual([
      0x1122334455667788n,
      0xffffffffffffffffn,
      7n,
      X64_WINDOW + BigInt(CODE),
    ]);
    const sp = stackTop - 0x40;
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, X64_WINDOW + BigInt(CODE + 0x10), true);
    c.write(sp, b);
    expect(c.readU64(sp)).toBe(X64_WINDOW + BigInt(CODE + 0x10));
    c.setReg('rsp', X64_WINDOW + BigInt(sp));
    returnFromCall64(c, 0x5an);
    expect([c.reg('rax'), c.reg('rsp'), c.reg('rip')]).toEqual([
      0x5an,
      X64_WINDOW + BigInt(sp + 8),
      X64_WINDOW + BigInt(CODE + 0x10),
    ]);
    expect(() => c.setRegs(Array(9).fill('rax'), Array(9).fill(0n))).toThrow(RangeError);
  });
});
