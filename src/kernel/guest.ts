// Reading and writing NT structures in guest memory with bounds on every guest-controlled length
// (a UNICODE_STRING with Length 0xFFFF pointing at garbage must not drive a huge host allocation).
import type { GuestMemoryEngine } from '../cpu/engine.js';

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

export class GuestMemory {
  constructor(readonly cpu: GuestMemoryEngine) {}

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
    return this.bytes(address, 1, what)[0]!;
  }
  u16(address: number, what = 'USHORT'): number {
    const b = this.bytes(address, 2, what);
    return b[0]! | (b[1]! << 8);
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
    this.write(address, new Uint8Array([value & 0xff, (value >>> 8) & 0xff]));
  }
  write(address: number, bytes: Uint8Array, what = 'buffer'): void {
    try {
      this.cpu.write(address >>> 0, bytes);
    } catch {
      throw new GuestAccessError(address, what);
    }
  }

  /** A NUL-terminated 8-bit string, at most `max` bytes (read a page at a time). */
  cString(address: number, max = 4096): string {
    let out = '';
    for (let at = address; out.length < max; ) {
      const chunk = Math.min(0x1000 - (at & 0xfff), max - out.length);
      const b = this.bytes(at, chunk, 'string');
      const nul = b.indexOf(0);
      out += new TextDecoder('latin1').decode(nul < 0 ? b : b.subarray(0, nul));
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
    const buffer = this.u32(address + 4, 'UNICODE_STRING.Buffer');
    if (length === 0) return '';
    const b = this.bytes(buffer, length, 'UNICODE_STRING.Buffer');
    return new TextDecoder('utf-16le').decode(b);
  }

  /** ANSI_STRING/STRING { USHORT Length; USHORT MaximumLength; PCHAR Buffer; }. */
  ansiString(address: number): string | null {
    if (address === 0) return null;
    const length = this.u16(address, 'STRING');
    const buffer = this.u32(address + 4, 'STRING.Buffer');
    return length === 0 ? '' : new TextDecoder('latin1').decode(this.bytes(buffer, length, 'STRING.Buffer'));
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
