// Reading and writing NT structures in guest memory with bounds on every guest-controlled length
// (a UNICODE_STRING with Length 0xFFFF pointing at garbage must not drive a huge host allocation).
import type { GuestMemoryEngine } from '../cpu/engine.js';
import { AMD64_STRUCTURES, type IoStructures, X86_STRUCTURES } from './objects.js';

/** Decoders made once (a TextDecoder per string cost more than the decode; decode() keeps no state). */
const UTF16LE = new TextDecoder('utf-16le');

/**
 * Strings up to this many characters are decoded by a loop: a decoder's fixed cost per call is most
 * of a short decode (a KB boot decodes ~20 names; profiled, issue 19).
 */
const SHORT = 128;

/** Character codes of the string being decoded (one array for all: no garbage per string). */
const codes: number[] = [];

/** `b` (UTF-16LE, even length) as TextDecoder('utf-16le') decodes it: lone surrogates become U+FFFD. */
function utf16le(b: Uint8Array): string {
  const n = b.length >>> 1;
  if (n > SHORT) return UTF16LE.decode(b);
  codes.length = n;
  for (let i = 0; i < n; i++) {
    const c = b[2 * i]! | (b[2 * i + 1]! << 8);
    if (c >= 0xd800 && c <= 0xdfff) return UTF16LE.decode(b);
    codes[i] = c;
  }
  return String.fromCharCode.apply(null, codes);
}

/**
 * `b` as ISO-8859-1 (byte n is U+00nn) on every Node: TextDecoder('latin1') reads 0x80–0x9F as
 * Windows-1252 on some versions and not on others (nodejs/node#60888). Model: NT converts with the
 * system's ANSI code page; nt351 shows the bytes as they are.
 */
function ansi(b: Uint8Array): string {
  if (b.length > SHORT) return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
  codes.length = b.length;
  for (let i = 0; i < b.length; i++) codes[i] = b[i]!;
  return String.fromCharCode.apply(null, codes);
}

/** Longest string nt351 reads from the guest in one piece (bytes). */
export const MAX_GUEST_STRING = 0x10000;

/** A guest memory access that faulted inside a handler: reported as a guest fault, not a host bug. */
export class GuestAccessError extends Error {
  override readonly name = 'GuestAccessError';
  readonly address: number;
  constructor(address: number, what: string) {
    super(`${what} at 0x${(address >>> 0).toString(16)} is not readable guest memory`);
    this.address = address >>> 0;
  }
}

/**
 * Guest memory with pointers of the guest's width. On AMD64 (`window` given: the engine's, see
 * src/cpu/engine.ts X64Cpu) a pointer is 8 bytes holding a guest address: setPtr writes host address
 * `a` as `window + a` (0 stays NULL), ptr reads one back (a pointer outside the window reads as its low
 * 32 bits, which the guest cannot have mapped through the kernel). Elsewhere pointers are 4 bytes.
 */
export class GuestMemory {
  /** Bytes per pointer: 4 (x86, Alpha's 32-bit NT) or 8 (AMD64). */
  readonly pointerSize: 4 | 8;
  /** The I/O manager's structures laid out for this pointer size (objects.ts). */
  readonly layouts: IoStructures;

  constructor(
    readonly cpu: GuestMemoryEngine,
    private readonly wide?: { window: bigint },
  ) {
    this.pointerSize = wide ? 8 : 4;
    this.layouts = wide ? AMD64_STRUCTURES : X86_STRUCTURES;
  }

  /** A pointer (or ULONG_PTR) field: on AMD64 the host address of the guest address stored there. */
  ptr(address: number, what = 'pointer'): number {
    if (!this.wide) return this.u32(address, what);
    const b = this.bytes(address, 8, what);
    const v = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
    const off = BigInt.asUintN(64, v - this.wide.window);
    return v === 0n ? 0 : off < 0x100000000n ? Number(off) : Number(v & 0xffffffffn);
  }
  /** Writes pointer `value` (a host address; 0 is NULL) at `address`, 8 bytes wide on AMD64. */
  setPtr(address: number, value: number, what = 'pointer'): void {
    if (!this.wide) {
      this.setU32(address, value, what);
      return;
    }
    const b = new Uint8Array(8);
    const v = value === 0 ? 0n : this.wide.window + BigInt(value >>> 0);
    new DataView(b.buffer).setBigUint64(0, v, true);
    this.write(address, b, what);
  }
  /** A pointer-sized integer (ULONG_PTR, SIZE_T) written as a number, zero-extended on AMD64. */
  setUlongPtr(address: number, value: number, what = 'ULONG_PTR'): void {
    this.setU32(address, value, what);
    if (this.wide) this.setU32(address + 4, 0, what);
  }

  bytes(address: number, size: number, what = 'buffer'): Uint8Array {
    if (size < 0 || size > MAX_GUEST_STRING * 16)
      throw new GuestAccessError(address, `${what} of ${size} bytes`);
    try {
      return this.cpu.read(address >>> 0, size);
    } catch {
      throw new GuestAccessError(address, what);
    }
  }
  u8(address: number, what = 'UCHAR'): number {
    try {
      return this.cpu.readU8(address >>> 0);
    } catch {
      throw new GuestAccessError(address, what);
    }
  }
  u16(address: number, what = 'USHORT'): number {
    try {
      return this.cpu.readU16(address >>> 0);
    } catch {
      throw new GuestAccessError(address, what);
    }
  }
  u32(address: number, what = 'ULONG'): number {
    try {
      return this.cpu.readU32(address >>> 0);
    } catch {
      throw new GuestAccessError(address, what);
    }
  }
  setU32(address: number, value: number, what = 'ULONG'): void {
    try {
      this.cpu.writeU32(address >>> 0, value >>> 0);
    } catch {
      throw new GuestAccessError(address, what);
    }
  }
  setU16(address: number, value: number): void {
    try {
      this.cpu.writeU16(address >>> 0, value & 0xffff);
    } catch {
      throw new GuestAccessError(address, 'buffer');
    }
  }
  write(address: number, bytes: Uint8Array, what = 'buffer'): void {
    try {
      this.cpu.write(address >>> 0, bytes);
    } catch {
      throw new GuestAccessError(address, what);
    }
  }

  /**
   * A NUL-terminated 8-bit string, at most `max` bytes, read in chunks that never cross a page (the
   * unit of mapping) and start small (64 bytes, doubling): most strings are short, and a page-sized
   * read copied 4 KiB to find a NUL a few bytes in.
   */
  cString(address: number, max = 4096): string {
    let out = '';
    for (let at = address, want = 64; out.length < max; want *= 2) {
      const chunk = Math.min(0x1000 - (at & 0xfff), max - out.length, want);
      const b = this.bytes(at, chunk, 'string');
      const nul = b.indexOf(0);
      out += ansi(nul < 0 ? b : b.subarray(0, nul));
      if (nul >= 0) break;
      at += chunk;
    }
    return out;
  }

  /** A NUL-terminated UTF-16 string, at most `max` characters. */
  wString(address: number, max = 4096): string {
    const units: number[] = [];
    for (let at = address; units.length < max; at += 2) {
      const c = this.u16(at, 'string');
      if (c === 0) break;
      units.push(c);
    }
    return String.fromCharCode(...units);
  }

  /** UNICODE_STRING { USHORT Length; USHORT MaximumLength; PWSTR Buffer; } → its text (null for NULL). */
  unicodeString(address: number): string | null {
    if (address === 0) return null;
    const length = this.u16(address, 'UNICODE_STRING') & ~1;
    const buffer = this.ptr(address + this.layouts.UNICODE_STRING.Buffer, 'UNICODE_STRING.Buffer');
    if (length === 0) return '';
    return utf16le(this.bytes(buffer, length, 'UNICODE_STRING.Buffer'));
  }

  /** ANSI_STRING/STRING { USHORT Length; USHORT MaximumLength; PCHAR Buffer; }. */
  ansiString(address: number): string | null {
    if (address === 0) return null;
    const length = this.u16(address, 'STRING');
    const buffer = this.ptr(address + this.layouts.UNICODE_STRING.Buffer, 'STRING.Buffer');
    return length === 0 ? '' : ansi(this.bytes(buffer, length, 'STRING.Buffer'));
  }
}

/** UTF-16LE bytes of `s`, NUL-terminated. */
export const utf16z = (s: string): Uint8Array => {
  const b = new Uint8Array(s.length * 2 + 2);
  for (let i = 0; i < s.length; i++) {
    b[2 * i] = s.charCodeAt(i) & 0xff;
    b[2 * i + 1] = s.charCodeAt(i) >>> 8;
  }
  return b;
};
