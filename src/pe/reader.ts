// The one bounds-checked reader over a file's bytes: every read names the structure and field it serves,
// and a read past the end throws MalformedPeError instead of a RangeError.
import { MalformedPeError } from './errors.js';
import type { FileOffset } from './types.js';

const latin1 = new TextDecoder('latin1');
const utf16 = new TextDecoder('utf-16le');

/** Zero-copy, bounds-checked little-endian reader over one Uint8Array. */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly file: string;
  private readonly view: DataView;

  constructor(bytes: Uint8Array, file: string) {
    this.bytes = bytes;
    this.file = file;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** A MalformedPeError located in this file. */
  error(offset: number, structure: string, field: string, reason: string): MalformedPeError {
    return new MalformedPeError({ file: this.file, offset, structure, field, reason });
  }

  /** Throws unless [offset, offset+size) lies inside the file. */
  check(offset: number, size: number, structure: string, field: string): void {
    if (!(offset >= 0 && size >= 0 && offset + size <= this.bytes.length)) {
      throw this.error(
        offset,
        structure,
        field,
        `needs ${size} byte(s) at 0x${offset.toString(16)} but the file ends at 0x${this.bytes.length.toString(16)}`,
      );
    }
  }

  u8(offset: FileOffset | number, structure: string, field: string): number {
    this.check(offset, 1, structure, field);
    return this.bytes[offset]!;
  }

  u16(offset: FileOffset | number, structure: string, field: string): number {
    this.check(offset, 2, structure, field);
    return this.view.getUint16(offset, true);
  }

  u32(offset: FileOffset | number, structure: string, field: string): number {
    this.check(offset, 4, structure, field);
    return this.view.getUint32(offset, true);
  }

  u64(offset: FileOffset | number, structure: string, field: string): bigint {
    this.check(offset, 8, structure, field);
    return this.view.getBigUint64(offset, true);
  }

  /** A view (not a copy) of [offset, offset+size). */
  slice(offset: FileOffset | number, size: number, structure: string, field: string): Uint8Array {
    this.check(offset, size, structure, field);
    return this.bytes.subarray(offset, offset + size);
  }

  /**
   * A NUL-terminated 8-bit string starting at `offset`, at most `maxLength` bytes before the NUL.
   * A missing terminator within the limit or the file is malformed input.
   */
  cstring(offset: FileOffset | number, maxLength: number, structure: string, field: string): string {
    this.check(offset, 1, structure, field);
    const end = Math.min(this.bytes.length, offset + maxLength + 1);
    const nul = this.bytes.subarray(offset, end).indexOf(0);
    if (nul < 0) {
      throw this.error(
        offset,
        structure,
        field,
        end === this.bytes.length && end - offset <= maxLength
          ? 'string runs past the end of the file without a NUL terminator'
          : `string longer than ${maxLength} bytes without a NUL terminator`,
      );
    }
    return latin1.decode(this.bytes.subarray(offset, offset + nul));
  }

  /** A fixed-size, NUL-padded 8-bit field such as a section name. */
  fixedString(offset: FileOffset | number, size: number, structure: string, field: string): string {
    const raw = this.slice(offset, size, structure, field);
    const nul = raw.indexOf(0);
    return latin1.decode(nul < 0 ? raw : raw.subarray(0, nul));
  }

  /** `chars` UTF-16LE code units starting at `offset`. */
  utf16(offset: FileOffset | number, chars: number, structure: string, field: string): string {
    return utf16.decode(this.slice(offset, chars * 2, structure, field));
  }

  /** A NUL-terminated UTF-16LE string that must end before `limit`; returns the text and its size in bytes. */
  utf16z(
    offset: FileOffset | number,
    limit: number,
    structure: string,
    field: string,
  ): { text: string; bytes: number } {
    const end = Math.min(limit, this.bytes.length);
    for (let p = offset; p + 1 < end; p += 2) {
      if (this.bytes[p] === 0 && this.bytes[p + 1] === 0) {
        return { text: utf16.decode(this.bytes.subarray(offset, p)), bytes: p - offset + 2 };
      }
    }
    throw this.error(offset, structure, field, 'UTF-16 string has no NUL terminator inside its structure');
  }

  /** UTF-16LE text from `offset` up to a NUL or `limit`, whichever comes first. */
  utf16UpTo(offset: FileOffset | number, limit: number, structure: string, field: string): string {
    const end = Math.min(limit, this.bytes.length);
    if (end <= offset) return '';
    this.check(offset, end - offset, structure, field);
    let p = offset;
    while (p + 1 < end && (this.bytes[p] !== 0 || this.bytes[p + 1] !== 0)) p += 2;
    return utf16.decode(this.bytes.subarray(offset, p));
  }
}
