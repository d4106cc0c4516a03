// The one bounds-checked reader over a hive's bytes: every read names the structure and field it serves,
// a read past the end throws MalformedHiveError instead of a RangeError, and every read is charged to a
// work budget proportional to the file's size, so hostile lists and shared cells cannot make it loop.
import { MalformedHiveError } from './errors.js';

/** Names are short: a plain loop beats a decoder's per-call cost there (profiled: 10x on a walk). */
const SHORT = 128;

/**
 * 8-bit text as ISO-8859-1 (byte n is U+00nn), what a compressed name holds (the low bytes of its
 * UTF-16 code units), on every Node: TextDecoder('latin1') decodes 0x80–0x9F as Windows-1252 on some
 * versions and not on others (nodejs/node#60888), Buffer's 'latin1' never does.
 */
function decodeLatin1(b: Uint8Array): string {
  if (b.length > SHORT) return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** UTF-16LE code units as they are, a lone surrogate included, short or long (as Buffer's 'utf16le' keeps them). */
function decodeUtf16Exact(b: Uint8Array): string {
  if (b.length > 2 * SHORT) return Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf16le');
  let s = '';
  for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode(b[i]! | (b[i + 1]! << 8));
  return s;
}

/** Reads allowed for a file of `length` bytes: a constant plus a multiple of its size (O(N) work). */
export const workBudget = (length: number): number => 1_000_000 + 16 * length;

/** Zero-copy, bounds-checked little-endian reader over one Uint8Array. */
export class HiveReader {
  readonly bytes: Uint8Array;
  readonly file: string;
  private readonly view: DataView;
  /** Reads made so far (each bounds check counts one, plus one per 8 bytes of a name or data span). */
  steps = 0;
  /** The ceiling `steps` may reach before the hive is rejected as doing unbounded work. */
  readonly budget: number;
  /** Nesting of {@link HiveReader.operation} calls; the outermost one starts a fresh budget. */
  private depth = 0;

  constructor(bytes: Uint8Array, file: string) {
    this.bytes = bytes;
    this.file = file;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.budget = workBudget(bytes.length);
  }

  get length(): number {
    return this.bytes.length;
  }

  /**
   * Runs one public operation (a lookup, a list, a walk) under a fresh work budget: the budget bounds
   * each call a caller makes, not the life of the hive, so a long-lived hive answers any number of
   * lookups. Nested operations (a walk listing subkeys) share the outermost one's budget.
   */
  operation<T>(f: () => T): T {
    if (this.depth === 0) this.steps = 0;
    this.depth++;
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  /** Starts a fresh budget for a bounded read of one cell (a key or value node) made outside any operation. */
  single(): void {
    if (this.depth === 0) this.steps = 0;
  }

  /** A MalformedHiveError located in this file. */
  error(offset: number, structure: string, field: string, reason: string): MalformedHiveError {
    return new MalformedHiveError({ file: this.file, offset, structure, field, reason });
  }

  /** Throws unless [offset, offset+size) lies inside the file; charges the read to the work budget. */
  check(offset: number, size: number, structure: string, field: string): void {
    this.steps += 1 + (size >>> 3);
    if (this.steps > this.budget) {
      throw this.error(
        offset,
        structure,
        field,
        `reading this hive needs more than ${this.budget} reads for ${this.bytes.length} bytes (a cycle or lists that share cells)`,
      );
    }
    if (!(Number.isInteger(offset) && offset >= 0 && size >= 0 && offset + size <= this.bytes.length)) {
      throw this.error(
        offset,
        structure,
        field,
        `needs ${size} byte(s) at 0x${offset.toString(16)} but the file ends at 0x${this.bytes.length.toString(16)}`,
      );
    }
  }

  u16(offset: number, structure: string, field: string): number {
    this.check(offset, 2, structure, field);
    return this.view.getUint16(offset, true);
  }

  u32(offset: number, structure: string, field: string): number {
    this.check(offset, 4, structure, field);
    return this.view.getUint32(offset, true);
  }

  i32(offset: number, structure: string, field: string): number {
    this.check(offset, 4, structure, field);
    return this.view.getInt32(offset, true);
  }

  u64(offset: number, structure: string, field: string): bigint {
    this.check(offset, 8, structure, field);
    return this.view.getBigUint64(offset, true);
  }

  /** A view (not a copy) of [offset, offset+size). */
  slice(offset: number, size: number, structure: string, field: string): Uint8Array {
    this.check(offset, size, structure, field);
    return this.bytes.subarray(offset, offset + size);
  }

  /** A name of `size` bytes: 8-bit characters when `compressed`, else UTF-16LE (an odd size is malformed). */
  name(offset: number, size: number, compressed: boolean, structure: string, field: string): string {
    if (!compressed && size % 2 !== 0) {
      throw this.error(offset, structure, field, `UTF-16 name has an odd length of ${size} bytes`);
    }
    const raw = this.slice(offset, size, structure, field);
    return compressed ? decodeLatin1(raw) : decodeUtf16Exact(raw);
  }
}

/** UTF-16LE text of `bytes` (a trailing odd byte is dropped, as Windows' own readers do). */
export function decodeUtf16(bytes: Uint8Array): string {
  return decodeUtf16Exact(bytes.subarray(0, bytes.length & ~1));
}
