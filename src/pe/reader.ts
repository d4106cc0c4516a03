// The one bounds-checked reader over a file's bytes: every read names the structure and field it serves,
// and a read past the end throws MalformedPeError instead of a RangeError. ByteReader reads an image held
// in memory; FileReader (file-reader.ts) reads the same way from a file, loading only the ranges read.
import { MalformedPeError } from './errors.js';
import type { FileOffset } from './types.js';

const utf16 = new TextDecoder('utf-16le');
/** Longest text `latin1` builds by a loop, and the array of codes it reuses. */
const SHORT_TEXT = 1024;
const codes: number[] = [];

/**
 * Zero-copy, bounds-checked little-endian reader over one Uint8Array. Subclasses may hold only part of
 * the file at a time: every read first asks `window` for the index of its bytes in `buf`, after
 * checking them against the file's `length`, so the checks and errors are the same for every source.
 */
export class ByteReader {
  readonly file: string;
  /** The file's size in bytes (every bounds check is against it). */
  readonly length: number;
  /** The bytes reads are served from: the whole file here, the current window in a subclass. */
  protected buf: Uint8Array;
  protected view: DataView;

  constructor(bytes: Uint8Array, file: string, length = bytes.length) {
    this.buf = bytes;
    this.file = file;
    this.length = length;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The whole file's bytes (a view, not a copy). */
  get bytes(): Uint8Array {
    return this.buf;
  }

  /**
   * Index in `buf` of file offset `offset`, once [offset, offset+size) (inside the file) is in `buf`.
   * In memory the whole file is, so the index is the offset itself.
   */
  protected window(offset: number, _size: number): number {
    return offset;
  }

  /** Lets go of what the reader holds beyond the parsed data (a file reader closes its file). */
  release(): void {}

  /** A MalformedPeError located in this file. */
  error(offset: number, structure: string, field: string, reason: string): MalformedPeError {
    return new MalformedPeError({ file: this.file, offset, structure, field, reason });
  }

  /** Throws unless [offset, offset+size) lies inside the file. */
  check(offset: number, size: number, structure: string, field: string): void {
    if (!(offset >= 0 && size >= 0 && offset + size <= this.length)) {
      throw this.error(
        offset,
        structure,
        field,
        `needs ${size} byte(s) at 0x${offset.toString(16)} but the file ends at 0x${this.length.toString(16)}`,
      );
    }
  }

  u8(offset: FileOffset | number, structure: string, field: string): number {
    this.check(offset, 1, structure, field);
    return this.buf[this.window(offset, 1)]!;
  }

  u16(offset: FileOffset | number, structure: string, field: string): number {
    this.check(offset, 2, structure, field);
    const i = this.window(offset, 2);
    return this.view.getUint16(i, true);
  }

  u32(offset: FileOffset | number, structure: string, field: string): number {
    this.check(offset, 4, structure, field);
    const i = this.window(offset, 4);
    return this.view.getUint32(i, true);
  }

  u64(offset: FileOffset | number, structure: string, field: string): bigint {
    this.check(offset, 8, structure, field);
    const i = this.window(offset, 8);
    return this.view.getBigUint64(i, true);
  }

  /** The bytes [offset, offset+size): a view in memory (a file reader returns its own copy). */
  slice(offset: FileOffset | number, size: number, structure: string, field: string): Uint8Array {
    this.check(offset, size, structure, field);
    const i = this.window(offset, size);
    return this.buf.subarray(i, i + size);
  }

  /** Index of the first NUL byte in [start, end) (a range inside the file), or -1. */
  indexOfNul(start: number, end: number): number {
    if (end <= start) return -1;
    const i = this.window(start, end - start);
    const b = this.buf;
    // A loop rather than subarray().indexOf(): names are short and a view per name is garbage.
    for (let p = i, stop = i + end - start; p < stop; p++) if (b[p] === 0) return start + p - i;
    return -1;
  }

  /**
   * The bytes [start, end) (a range inside the file) as ISO-8859-1 text (byte n is U+00nn) on every
   * Node: TextDecoder('latin1') reads 0x80–0x9F as Windows-1252 on some versions (nodejs/node#60888).
   */
  latin1(start: number, end: number): string {
    if (end <= start) return '';
    const i = this.window(start, end - start);
    const n = end - start;
    if (n > SHORT_TEXT) return Buffer.from(this.buf.buffer, this.buf.byteOffset + i, n).toString('latin1');
    // Symbol names are short: String.fromCharCode over a reused array of codes beats a TextDecoder
    // call (and a view) per name.
    const b = this.buf;
    codes.length = n;
    for (let k = 0; k < n; k++) codes[k] = b[i + k]!;
    return String.fromCharCode.apply(null, codes);
  }

  /**
   * A NUL-terminated 8-bit string starting at `offset`, at most `maxLength` bytes before the NUL.
   * A missing terminator within the limit or the file is malformed input.
   */
  cstring(offset: FileOffset | number, maxLength: number, structure: string, field: string): string {
    this.check(offset, 1, structure, field);
    const end = Math.min(this.length, offset + maxLength + 1);
    const nul = this.indexOfNul(offset, end);
    if (nul < 0) {
      throw this.error(
        offset,
        structure,
        field,
        end === this.length && end - offset <= maxLength
          ? 'string runs past the end of the file without a NUL terminator'
          : `string longer than ${maxLength} bytes without a NUL terminator`,
      );
    }
    return this.latin1(offset, nul);
  }

  /** A fixed-size, NUL-padded 8-bit field such as a section name. */
  fixedString(offset: FileOffset | number, size: number, structure: string, field: string): string {
    this.check(offset, size, structure, field);
    const nul = this.indexOfNul(offset, offset + size);
    return this.latin1(offset, nul < 0 ? offset + size : nul);
  }

  /** `chars` UTF-16LE code units starting at `offset`. */
  utf16(offset: FileOffset | number, chars: number, structure: string, field: string): string {
    this.check(offset, chars * 2, structure, field);
    const i = this.window(offset, chars * 2);
    return utf16.decode(this.buf.subarray(i, i + chars * 2));
  }

  /** A NUL-terminated UTF-16LE string that must end before `limit`; returns the text and its size in bytes. */
  utf16z(
    offset: FileOffset | number,
    limit: number,
    structure: string,
    field: string,
  ): { text: string; bytes: number } {
    const end = Math.min(limit, this.length);
    if (offset >= 0 && end > offset) {
      const i = this.window(offset, end - offset) - offset;
      const b = this.buf;
      for (let p = offset; p + 1 < end; p += 2) {
        if (b[i + p] === 0 && b[i + p + 1] === 0) {
          return { text: utf16.decode(b.subarray(i + offset, i + p)), bytes: p - offset + 2 };
        }
      }
    }
    throw this.error(offset, structure, field, 'UTF-16 string has no NUL terminator inside its structure');
  }

  /** UTF-16LE text from `offset` up to a NUL or `limit`, whichever comes first. */
  utf16UpTo(offset: FileOffset | number, limit: number, structure: string, field: string): string {
    const end = Math.min(limit, this.length);
    if (end <= offset) return '';
    this.check(offset, end - offset, structure, field);
    const i = this.window(offset, end - offset) - offset;
    const b = this.buf;
    let p = offset;
    while (p + 1 < end && (b[i + p] !== 0 || b[i + p + 1] !== 0)) p += 2;
    return utf16.decode(b.subarray(i + offset, i + p));
  }
}
