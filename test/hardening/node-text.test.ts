// 8-bit names read the same on every Node: byte n is U+00nn in PE names, registry names and guest
// ANSI strings, short or long. TextDecoder('latin1') reads 0x80–0x9F as Windows-1252 on some Node
// versions (20.18.2 and before, recent majors) and as ISO-8859-1 on others (nodejs/node#60888), so
// these tests run the readers under a TextDecoder that does the former. Registry UTF-16 names keep a
// lone surrogate whatever their length, as short ones always did.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** TextDecoder as Node versions with the Encoding Standard's mapping decode 'latin1' (0x80 → €). */
class Windows1252TextDecoder extends TextDecoder {
  private readonly windows1252: boolean;
  constructor(label?: string, options?: ConstructorParameters<typeof TextDecoder>[1]) {
    super(label, options);
    this.windows1252 = this.encoding === 'windows-1252';
  }
  override decode(...args: Parameters<InstanceType<typeof TextDecoder>['decode']>): string {
    const text = super.decode(...args);
    return this.windows1252 ? text.replace(/\x80/g, '\u20ac') : text;
  }
}

const HIGH = Uint8Array.of(0x41, 0x80, 0x9f, 0xe9);
const long = (bytes: Uint8Array, times: number) => {
  const out = new Uint8Array(bytes.length * times);
  for (let i = 0; i < times; i++) out.set(bytes, i * bytes.length);
  return out;
};
const latin1 = (b: Uint8Array) => String.fromCharCode(...b);

describe('8-bit text under a TextDecoder that reads latin1 as Windows-1252', () => {
  beforeEach(() => {
    vi.resetModules();
    vi.stubGlobal('TextDecoder', Windows1252TextDecoder);
  });
  afterEach(() => vi.unstubAllGlobals());

  it('the stand-in decoder does map 0x80 to the euro sign', () => {
    expect(new TextDecoder('latin1').decode(Uint8Array.of(0x80))).toBe('\u20ac');
  });

  it('PE names, short and over 1 KiB, read byte n as U+00nn', async () => {
    const { ByteReader } = await import('../../src/pe/reader.js');
    for (const bytes of [HIGH, long(HIGH, 400)]) {
      const r = new ByteReader(bytes, 'names.bin');
      expect(r.latin1(0, bytes.length)).toBe(latin1(bytes));
    }
  });

  it('registry names read byte n as U+00nn, and UTF-16 names keep lone surrogates, short or long', async () => {
    const { HiveReader, decodeUtf16 } = await import('../../src/regf/reader.js');
    for (const bytes of [HIGH, long(HIGH, 100)]) {
      const r = new HiveReader(bytes, 'names.hiv');
      expect(r.name(0, bytes.length, true, 'CM_KEY_NODE', 'Name')).toBe(latin1(bytes));
    }
    const lone = Uint8Array.of(0x00, 0xd8, 0x41, 0x00);
    for (const bytes of [lone, long(lone, 100)]) {
      const units = String.fromCharCode(...new Uint16Array(bytes.buffer));
      expect(decodeUtf16(bytes)).toBe(units);
      expect(new HiveReader(bytes, 'names.hiv').name(0, bytes.length, false, 'CM_KEY_NODE', 'Name')).toBe(
        units,
      );
    }
  });

  it('guest ANSI strings, short and long, read byte n as U+00nn', async () => {
    const { GuestMemory } = await import('../../src/kernel/guest.js');
    const memory = new Uint8Array(0x2000);
    const cpu = {
      arch: 'x86',
      read: (a: number, size: number) => memory.slice(a, a + size),
      readU8: (a: number) => memory[a]!,
      readU16: (a: number) => memory[a]! | (memory[a + 1]! << 8),
      readU32: (a: number) =>
        (memory[a]! | (memory[a + 1]! << 8) | (memory[a + 2]! << 16) | (memory[a + 3]! << 24)) >>> 0,
    };
    const mem = new GuestMemory(cpu as never);
    for (const bytes of [HIGH, long(HIGH, 100)]) {
      memory.fill(0);
      memory.set(bytes, 0x100);
      // STRING { Length, MaximumLength, Buffer = 0x100 } at 0x10 (0 reads as a NULL string).
      memory.set(Uint8Array.of(bytes.length & 0xff, bytes.length >> 8, 0, 0, 0x00, 0x01, 0, 0), 0x10);
      expect(mem.ansiString(0x10)).toBe(latin1(bytes));
      expect(mem.cString(0x100, 0x1000)).toBe(latin1(bytes));
    }
  });
});
