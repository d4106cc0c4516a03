// StructBuffer (src/kernel/struct-buffer.ts) stores a structure as the field-by-field GuestMemory
// writes it replaces do, pointers included (8 bytes of guest address on AMD64).
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyCpu } from '../../src/cpu/abi.js';
import { RW } from '../../src/cpu/engine.js';
import { createCpu } from '../../src/cpu/index.js';
import { GuestMemory } from '../../src/kernel/guest.js';
import { StructBuffer } from '../../src/kernel/struct-buffer.js';
import { haveUnicorn } from '../helpers/unicorn.js';

const AT = 0x10000;
let cpu: AnyCpu | null = null;
afterEach(() => {
  cpu?.close();
  cpu = null;
});

describe.skipIf(!haveUnicorn)('StructBuffer', () => {
  for (const arch of ['x86', 'amd64'] as const) {
    it(`${arch}: one write equals the field writes on zeroed memory`, () => {
      const c = createCpu(arch);
      cpu = c;
      c.map(AT, 0x2000, RW);
      const mem = new GuestMemory(c, c.arch === 'amd64' ? { window: c.window } : undefined);
      const b = new StructBuffer({ cpu: c, mem }, AT, 0x40);
      b.u8(0, 0x81);
      b.u16(2, 0x12345);
      b.u32(4, -2);
      b.ptr(8, 0x80123456);
      b.ptr(16, 0);
      b.unicodeString(24, 6, 8, 0xe0000010);
      b.utf16(0x30, 'Ab');
      b.write();
      const B = AT + 0x1000;
      mem.write(B, new Uint8Array([0x81]));
      mem.setU16(B + 2, 0x2345);
      mem.setU32(B + 4, -2);
      mem.setPtr(B + 8, 0x80123456);
      mem.setPtr(B + 16, 0);
      const U = mem.layouts.UNICODE_STRING;
      mem.setU16(B + 24 + U.Length, 6);
      mem.setU16(B + 24 + U.MaximumLength, 8);
      mem.setPtr(B + 24 + U.Buffer, 0xe0000010);
      mem.write(B + 0x30, new Uint8Array([0x41, 0, 0x62, 0]));
      expect(c.read(AT, 0x40)).toEqual(c.read(B, 0x40));
      expect(mem.ptr(AT + 8)).toBe(0x80123456);
    });
  }
  it('a buffer starts zero after an earlier one was written, and two at once do not share bytes', () => {
    const c = createCpu('x86');
    cpu = c;
    c.map(AT, 0x2000, RW);
    const mem = new GuestMemory(c);
    const first = new StructBuffer({ cpu: c, mem }, AT, 0x20);
    first.u32(0, 0x11111111);
    const second = new StructBuffer({ cpu: c, mem }, AT + 0x20, 0x20); // while the first is unwritten
    second.u32(4, 0x22222222);
    first.write();
    second.write();
    const third = new StructBuffer({ cpu: c, mem }, AT + 0x40, 0x20);
    third.u8(8, 0x33);
    third.write();
    const want = new Uint8Array(0x60);
    new DataView(want.buffer).setUint32(0, 0x11111111, true);
    new DataView(want.buffer).setUint32(0x24, 0x22222222, true);
    want[0x48] = 0x33;
    expect(c.read(AT, 0x60)).toEqual(want);
    expect(() => third.write()).toThrow(/written once/);
  });
});
