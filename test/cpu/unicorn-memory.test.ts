// Host-backed guest memory (src/cpu/unicorn-memory.ts): host reads and writes bypass libunicorn, so
// these check what uc_mem_read/uc_mem_write used to guarantee: the guest and the host see the same
// bytes, parts of a split region keep their own contents (the module splits regions itself),
// host-written code replaces translated code,
// also on a page that was not executable when written, and unmapped ranges still fail.
import { describe, expect, it } from 'vitest';
import { R, RW, RWX, RX } from '../../src/cpu/engine.js';
import { UnicornError, UnicornX86 } from '../../src/cpu/unicorn.js';
import { setupNtX86 } from '../../src/cpu/x86-setup.js';

const CODE = 0x80101000;
const DONE = 0x80101f00;
const le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const jmpDone = (from: number) => [0xe9, ...le(DONE - (from + 5))];
/** mov eax, imm32; jmp DONE */
const movEax = (v: number) => [0xb8, ...le(v), ...jmpDone(CODE + 5)];

function cpu(): UnicornX86 {
  const c = new UnicornX86({ codeGuard: false });
  setupNtX86(c, { number: 0 });
  return c;
}

describe('host-backed guest memory', () => {
  it("lists the regions as libunicorn's uc_mem_regions does, after maps, splits and unmaps", () => {
    const c = cpu();
    c.map(0x80500000, 0x8000, RW);
    c.map(0x80600000, 0x3000, RX);
    c.protect(0x80501000, 0x2000, R);
    c.protect(0x80504000, 0x1000, RWX);
    c.unmap(0x80506000, 0x1000);
    c.unmap(0x80600000, 0x1000);
    const mirrored = c.regions();
    // White box: the table stops standing in for libunicorn, so regions() asks uc_mem_regions.
    (c as unknown as { memory: { unmirrored: boolean } }).memory.unmirrored = true;
    expect(mirrored).toEqual(c.regions());
    expect(mirrored.length).toBeGreaterThan(6);
    c.close();
  });

  it('shows the guest what the host wrote and the host what the guest wrote', () => {
    const c = cpu();
    c.map(CODE, 0x1000, RWX);
    c.map(0x80300000, 0x1000, RW);
    c.writeU32(0x80300000, 0x11223344);
    // mov eax, [0x80300000]; mov dword [0x80300004], 0xCAFEF00D; jmp DONE
    const code = [0xa1, ...le(0x80300000), 0xc7, 0x05, ...le(0x80300004), ...le(0xcafef00d)];
    c.write(CODE, new Uint8Array([...code, ...jmpDone(CODE + code.length)]));
    expect(c.run({ start: CODE, until: DONE }).kind).toBe('returned');
    expect(c.reg('eax')).toBe(0x11223344);
    expect(c.readU32(0x80300004)).toBe(0xcafef00d);
    c.close();
  });

  it('keeps each part of a region split by protect and by a partial unmap', () => {
    const c = cpu();
    // A larger region first: libunicorn 2.0.1 would take its pages as the backing of a split piece.
    c.map(0x80400000, 0x40000, RW);
    c.write(0x80400000, new Uint8Array(0x40000).fill(0xee));
    c.map(0x80500000, 0x4000, RW);
    for (let i = 0; i < 4; i++) c.write(0x80500000 + i * 0x1000, new Uint8Array(0x1000).fill(i + 1));
    c.protect(0x80501000, 0x1000, R);
    c.unmap(0x80503000, 0x1000);
    expect([0, 1, 2].map((i) => c.readU8(0x80500000 + i * 0x1000 + 7))).toEqual([1, 2, 3]);
    expect(c.readU8(0x80400123)).toBe(0xee);
    expect(() => c.readU8(0x80503000)).toThrow(UnicornError);
    expect(c.regions().filter((r) => r.begin >= 0x80500000 && r.begin < 0x80510000)).toEqual([
      { begin: 0x80500000, end: 0x80500fff, perm: RW },
      { begin: 0x80501000, end: 0x80501fff, perm: R },
      { begin: 0x80502000, end: 0x80502fff, perm: RW },
    ]);
    // The read-only page faults a guest write; the host still writes through it, as uc_mem_write did.
    c.map(CODE, 0x1000, RWX);
    const store = [0xc7, 0x05, ...le(0x80501010), ...le(1)];
    c.write(CODE, new Uint8Array([...store, ...jmpDone(CODE + store.length)]));
    expect(c.run({ start: CODE, until: DONE })).toMatchObject({
      kind: 'fault',
      fault: 'protection',
      access: 'write',
      address: 0x80501010,
    });
    c.writeU32(0x80501010, 0x5a5a5a5a);
    expect(c.readU32(0x80501010)).toBe(0x5a5a5a5a);
    c.close();
  });

  it('reads and writes across adjacent regions, and refuses a range with an unmapped hole', () => {
    const c = cpu();
    c.map(0x80600000, 0x1000, RW);
    c.map(0x80601000, 0x1000, RX);
    c.write(0x80600ffe, new Uint8Array([1, 2, 3, 4]));
    expect([...c.read(0x80600ffe, 4)]).toEqual([1, 2, 3, 4]);
    c.map(0x80603000, 0x1000, RW);
    expect(() => c.read(0x80601ffe, 0x1004)).toThrow(UnicornError);
    expect(() => c.write(0x80601ffe, new Uint8Array(0x1004))).toThrow(UnicornError);
    c.close();
  });

  it('compares a range spanning regions and holes in place exactly as a copy would (HostMemory.same)', () => {
    const c = cpu();
    c.map(0x80600000, 0x1000, RW);
    c.map(0x80601000, 0x1000, RX);
    c.map(0x80603000, 0x1000, RW); // a hole at 0x80602000, read as zeros
    c.write(
      0x80600000,
      new Uint8Array(0x2000).map((_, i) => (i * 7) & 0xff),
    );
    c.write(0x80603000, new Uint8Array(0x1000).fill(0x5a));
    // White box: the engine's memory, and its readRaw (what the code guard's scan cache compared).
    const w = c as unknown as {
      memory: { same(a: number, b: Uint8Array): boolean | null };
      readRaw(a: number, n: number): Uint8Array;
    };
    for (const [at, n] of [
      [0x80600ff0, 0x20],
      [0x80600f00, 0x1200],
      [0x80601ff0, 0x1020],
      [0x805ffff0, 0x4020],
    ] as const) {
      const bytes = w.readRaw(at, n);
      expect(w.memory.same(at, bytes)).toBe(true);
      // One changed byte anywhere (each region's part, the hole, the edges) makes it differ.
      for (const i of [0, n >> 1, n - 1, 0x80601000 - at, 0x80602800 - at, 0x80603000 - at]) {
        if (i < 0 || i >= n) continue;
        const other = bytes.slice();
        other[i]! ^= 0x80;
        expect(w.memory.same(at, other)).toBe(false);
      }
    }
    c.close();
  });

  it('runs code the host rewrote after it was translated', () => {
    const c = cpu();
    c.map(CODE, 0x1000, RX);
    c.write(CODE, new Uint8Array(movEax(1)));
    expect(c.run({ start: CODE, until: DONE }).kind).toBe('returned');
    expect(c.reg('eax')).toBe(1);
    c.write(CODE, new Uint8Array(movEax(2)));
    expect(c.run({ start: CODE, until: DONE }).kind).toBe('returned');
    expect(c.reg('eax')).toBe(2);
    // Written while not executable, then made executable again.
    c.protect(CODE, 0x1000, RW);
    c.write(CODE, new Uint8Array(movEax(3)));
    c.protect(CODE, 0x1000, RX);
    expect(c.run({ start: CODE, until: DONE }).kind).toBe('returned');
    expect(c.reg('eax')).toBe(3);
    c.close();
  });

  it('serves small host accesses directly only while the map allows it (unmapped, made executable, parked)', () => {
    const c = cpu();
    c.map(0x80300000, 0x1000, RW);
    c.writeU32(0x80300010, 7);
    expect(c.readU32(0x80300010)).toBe(7);
    c.unmap(0x80300000, 0x1000);
    expect(() => c.readU32(0x80300010)).toThrow(UnicornError);
    expect(() => c.writeU32(0x80300010, 8)).toThrow(UnicornError);
    // Code written while the page could not run, then run, then patched with small writes.
    c.map(CODE, 0x1000, RW);
    c.write(CODE, new Uint8Array(movEax(1)));
    c.writeU8(CODE + 1, 1);
    c.protect(CODE, 0x1000, RX);
    expect(c.run({ start: CODE, until: DONE }).kind).toBe('returned');
    expect(c.reg('eax')).toBe(1);
    c.writeU32(CODE + 1, 2);
    expect(c.run({ start: CODE, until: DONE }).kind).toBe('returned');
    expect(c.reg('eax')).toBe(2);
    c.writeU16(CODE + 1, 3);
    expect(c.run({ start: CODE, until: DONE }).kind).toBe('returned');
    expect(c.reg('eax')).toBe(3);
    c.close();
    const a = UnicornX86.acquire();
    a.map(0x80700000, 0x2000, RW);
    a.writeU32(0x80700010, 0xdeadbeef);
    expect(a.readU16(0x80700010)).toBe(0xbeef);
    a.close();
    const b = UnicornX86.acquire();
    expect(() => b.readU32(0x80700010)).toThrow(UnicornError);
    expect(() => b.writeU8(0x80700010, 1)).toThrow(UnicornError);
    b.map(0x80700000, 0x2000, RW);
    expect(b.readU32(0x80700010)).toBe(0);
    b.close();
  });

  it('gives the next user a large region taken over as zeros, to the host and to the guest', () => {
    // 0x40000 bytes, zeroed in place (HostMemory.zero).
    const a = UnicornX86.acquire();
    a.map(0x80800000, 0x40000, RW);
    a.write(0x80800000, new Uint8Array(0x40000).fill(0xaa));
    a.map(CODE, 0x1000, RWX);
    const load = [0xa1, ...le(0x8083fffc)]; // mov eax, [0x8083fffc]
    a.write(CODE, new Uint8Array([...load, ...jmpDone(CODE + load.length)]));
    expect(a.run({ start: CODE, until: DONE }).kind).toBe('returned');
    expect(a.reg('eax')).toBe(0xaaaaaaaa);
    a.close();
    const b = UnicornX86.acquire();
    expect(b).toBe(a);
    b.map(0x80800000, 0x40000, RW);
    b.map(CODE, 0x1000, RWX);
    b.write(CODE, new Uint8Array([...load, ...jmpDone(CODE + load.length)]));
    expect(b.run({ start: CODE, until: DONE }).kind).toBe('returned');
    expect(b.reg('eax')).toBe(0);
    expect(b.read(0x80800000, 0x40000).every((x) => x === 0)).toBe(true);
    b.writeU32(0x80820000, 0x12345678); // the pages given back take writes again
    expect(b.readU32(0x80820000)).toBe(0x12345678);
    b.close();
  });

  it('gives a parked engine to the next user with zeroed memory', () => {
    const a = UnicornX86.acquire();
    a.map(0x80700000, 0x2000, RW);
    a.writeU32(0x80701000, 0xdeadbeef);
    a.close();
    const b = UnicornX86.acquire();
    b.map(0x80700000, 0x2000, RW);
    expect(b.readU32(0x80701000)).toBe(0);
    b.close();
  });
});
