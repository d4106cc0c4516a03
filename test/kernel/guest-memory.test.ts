// GuestMemory (src/kernel/guest.ts), the accessors handlers read and write guest structures with:
// strings read in chunks still end at their NUL, at `max`, or with a GuestAccessError at the first
// unmapped page, and the typed accessors fail as guest faults, not host errors.
import { describe, expect, it } from 'vitest';
import { RW } from '../../src/cpu/engine.js';
import { UnicornX86 } from '../../src/cpu/unicorn.js';
import { GuestAccessError, GuestMemory } from '../../src/kernel/guest.js';

const PAGE = 0x80300000;
const NEXT = PAGE + 0x1000; // left unmapped

function memory(): { cpu: UnicornX86; mem: GuestMemory } {
  const cpu = new UnicornX86({ codeGuard: false });
  cpu.map(PAGE, 0x1000, RW);
  return { cpu, mem: new GuestMemory(cpu) };
}
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('GuestMemory', () => {
  it('reads C strings of any length up to max, and faults at the first unmapped page', () => {
    const { cpu, mem } = memory();
    const long = 'x'.repeat(300);
    cpu.write(PAGE, latin1(`${long}\0`));
    expect(mem.cString(PAGE)).toBe(long);
    expect(mem.cString(PAGE, 100)).toBe(long.slice(0, 100));
    cpu.write(PAGE + 0x400, latin1('\xe9t\xe9\0'));
    expect(mem.cString(PAGE + 0x400)).toBe('été');
    // No NUL before the page ends: the read goes on into the unmapped page and faults there.
    cpu.write(NEXT - 200, latin1('y'.repeat(200)));
    const e = (() => {
      try {
        mem.cString(NEXT - 200);
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(GuestAccessError);
    expect((e as GuestAccessError).address).toBe(NEXT);
    expect(mem.cString(NEXT - 200, 200)).toBe('y'.repeat(200));
    cpu.close();
  });

  it('reads and writes 8- and 16-bit fields, and reports unmapped ones as guest faults', () => {
    const { cpu, mem } = memory();
    mem.setU16(PAGE + 0x10, 0x12345);
    expect(mem.u16(PAGE + 0x10)).toBe(0x2345);
    expect(mem.u8(PAGE + 0x11)).toBe(0x23);
    expect(() => mem.u16(NEXT)).toThrow(GuestAccessError);
    expect(() => mem.u8(NEXT, 'BOOLEAN')).toThrow(/BOOLEAN at 0x80301000/);
    expect(() => mem.setU16(NEXT + 2, 1)).toThrow(GuestAccessError);
    cpu.close();
  });

  it('decodes UNICODE_STRING and ANSI_STRING', () => {
    const { cpu, mem } = memory();
    const text = new Uint8Array(Buffer.from('\\Driver\\Net', 'utf16le'));
    cpu.write(PAGE + 0x100, text);
    mem.setU16(PAGE, text.length);
    mem.setU16(PAGE + 2, text.length);
    mem.setPtr(PAGE + 4, PAGE + 0x100);
    expect(mem.unicodeString(PAGE)).toBe('\\Driver\\Net');
    cpu.write(PAGE + 0x200, latin1('abc'));
    mem.setU16(PAGE + 8, 3);
    mem.setPtr(PAGE + 12, PAGE + 0x200);
    expect(mem.ansiString(PAGE + 8)).toBe('abc');
    cpu.close();
  });

  it('decodes UTF-16 as TextDecoder does and 8-bit strings as ISO-8859-1, short or long', () => {
    const { cpu, mem } = memory();
    const utf16 = new TextDecoder('utf-16le');
    const ansi = { decode: (b: Uint8Array) => Buffer.from(b).toString('latin1') };
    // Units that take each path of the decoding loop: ASCII, above 0x7F (Windows-1252's 0x80–0x9F
    // differ from Latin-1), a surrogate pair, and lone high and low surrogates.
    const units = [0x41, 0x7e, 0x80, 0x9f, 0xe9, 0x20ac, 0xd83d, 0xde00, 0xd800, 0xdc00, 0xffff];
    let seed = 1;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const length = [0, 1, 2, 127, 128, 129, 300][round % 7]!;
      const wide = new Uint8Array(2 * length);
      for (let i = 0; i < length; i++) {
        const u = units[next(units.length)]!;
        wide[2 * i] = u & 0xff;
        wide[2 * i + 1] = u >>> 8;
      }
      cpu.write(PAGE + 0x100, wide);
      mem.setU16(PAGE, wide.length);
      mem.setPtr(PAGE + 4, PAGE + 0x100);
      expect(mem.unicodeString(PAGE)).toBe(utf16.decode(wide));
      const narrow = wide.subarray(0, length).map((b) => b || 1);
      cpu.write(PAGE + 0x800, narrow);
      mem.setU16(PAGE + 8, narrow.length);
      mem.setPtr(PAGE + 12, PAGE + 0x800);
      expect(mem.ansiString(PAGE + 8)).toBe(ansi.decode(narrow));
      cpu.write(PAGE + 0xc00, Uint8Array.of(...narrow, 0));
      expect(mem.cString(PAGE + 0xc00)).toBe(ansi.decode(narrow));
    }
    cpu.close();
  });
});
