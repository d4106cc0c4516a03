// Alpha guest memory across CPUs: close() gives the page tables and arena back for the next
// AlphaInterpreter (a boot creates one), which must see nothing of the previous user's mappings,
// contents, permissions or translated code; a closed CPU refuses further use; the arena grows past
// its first size under translated code that keeps running.
import { describe, expect, it } from 'vitest';
import { AlphaInterpreter } from '../../../src/cpu/alpha/interpreter.js';
import { AlphaMemoryError } from '../../../src/cpu/alpha/memory.js';
import { RW, RWX, RX } from '../../../src/cpu/engine.js';

const CODE = 0x80100000;
const DATA = 0x80200000;
const END = 0x80ff0000;

const words = (...w: number[]) => new Uint8Array(new Uint32Array(w).buffer);
const sext = (v: number) => BigInt.asUintN(64, BigInt(v | 0));
// ldl r1, 0(r2); addq r1, 1, r1; stl r1, 0(r2); ret
const INCREMENT = words(0xa0220000, 0x40203401, 0xb0220000, 0x6bfa8001);
// lda r1, 7(r31); ret
const SEVEN = words(0x203f0007, 0x6bfa8001);

function run(cpu: AlphaInterpreter, r2 = DATA) {
  cpu.setReg('r2', sext(r2));
  cpu.setReg('r26', sext(END));
  return cpu.run({ start: CODE, until: END, maxInstructions: 1000 });
}

describe('Alpha guest memory reuse', () => {
  it('a CPU created after close() sees none of the previous mappings, bytes or translations', () => {
    const first = new AlphaInterpreter();
    first.map(CODE, 0x2000, RX);
    first.map(DATA, 0x4000, RWX);
    first.write(CODE, INCREMENT);
    first.write(DATA, new Uint8Array([41, 0, 0, 0]));
    first.write(DATA + 0x2000, new Uint8Array([0xaa, 0xbb]));
    for (let i = 0; i < 20; i++) expect(run(first).kind).toBe('returned'); // hot: translated regions
    expect(first.readU32(DATA)).toBe(61);
    first.close();

    const second = new AlphaInterpreter();
    // Nothing is mapped: host access and guest fetch both fail.
    expect(() => second.read(DATA, 4)).toThrow(AlphaMemoryError);
    expect(() => second.read(CODE, 4)).toThrow(AlphaMemoryError);
    expect(run(second)).toMatchObject({ kind: 'fault', fault: 'unmapped', access: 'fetch', pc: CODE });
    // Mapping again gives zeroed pages with the new permissions, and the new code runs (no stale
    // translation of the old code at the same address).
    second.map(CODE, 0x2000, RX);
    second.map(DATA, 0x2000, RW);
    expect([...second.read(DATA, 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...second.read(CODE, 16)]).toEqual(Array(16).fill(0));
    second.write(CODE, SEVEN);
    expect(run(second).kind).toBe('returned');
    expect(second.reg('r1')).toBe(7n);
    expect(second.readU32(DATA)).toBe(0);
    // The old second data page stays unmapped; read-only code stays read-only for the guest.
    expect(() => second.read(DATA + 0x2000, 2)).toThrow(AlphaMemoryError);
    second.write(CODE, INCREMENT);
    expect(run(second, CODE)).toMatchObject({ kind: 'fault', fault: 'protection', access: 'write' });
    second.close();
  });

  it('a closed CPU refuses to be used; close() twice is harmless', () => {
    const cpu = new AlphaInterpreter();
    cpu.map(DATA, 0x2000, RW);
    cpu.close();
    cpu.close();
    expect(() => cpu.read(DATA, 4)).toThrow(AlphaMemoryError);
    expect(() => cpu.map(CODE, 0x2000, RX)).toThrow(AlphaMemoryError);
  });

  it('the arena grows past its first 4 MiB while translated code keeps running', () => {
    const cpu = new AlphaInterpreter();
    cpu.map(CODE, 0x2000, RX);
    cpu.map(DATA, 0x2000, RW);
    cpu.write(CODE, INCREMENT);
    for (let i = 0; i < 10; i++) run(cpu);
    // 16 MiB more: the arena must grow; old pages keep their contents.
    const big = 0x90000000;
    cpu.map(big, 0x1000000, RW);
    cpu.write(big + 0xfffff0, new Uint8Array([5, 0, 0, 0]));
    for (let i = 0; i < 10; i++) run(cpu);
    expect(cpu.readU32(DATA)).toBe(20);
    for (let i = 0; i < 3; i++) run(cpu, big + 0xfffff0);
    expect(cpu.readU32(big + 0xfffff0)).toBe(8);
    cpu.close();
  });
});
