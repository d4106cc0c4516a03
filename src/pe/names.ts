// Names read by RVA for the export and import interpreters: each distinct RVA is decoded once, and the
// distinct names of one table may not add up to more than a few times the file's size. Real tables'
// names are disjoint file bytes; without the bound, many entries pointing into one long string cost
// memory hundreds of times the input's size.
import type { PeImage } from './image.js';
import { rva } from './types.js';

/** Bytes of distinct names allowed per byte of file (plus one longest name). */
export const NAME_BYTES_PER_FILE_BYTE = 4;

/** A per-table reader of NUL-terminated names, memoised by RVA, within a byte budget. */
export class NameTable {
  private readonly cache = new Map<number, string>();
  private bytes = 0;
  private readonly budget: number;

  constructor(
    private readonly img: PeImage,
    private readonly maxLength: number,
  ) {
    this.budget = NAME_BYTES_PER_FILE_BYTE * img.reader.length + maxLength;
  }

  /** The name at `at`; MalformedPeError when unreadable or when the table's names outgrow the budget. */
  read(at: number, structure: string, field: string): string {
    const known = this.cache.get(at);
    if (known !== undefined) return known;
    const name = this.img.readCString(rva(at), this.maxLength, structure, field);
    this.bytes += name.length + 1;
    if (this.bytes > this.budget) {
      throw this.img.reader.error(
        this.img.rvaToOffset(rva(at)) ?? -1,
        structure,
        field,
        `distinct names total more than ${this.budget} bytes (${NAME_BYTES_PER_FILE_BYTE} per byte of the file)`,
      );
    }
    this.cache.set(at, name);
    return name;
  }
}
