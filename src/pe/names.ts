// Names read by RVA for the export and import interpreters: each distinct RVA is decoded once, and the
// distinct names of one table may not add up to more than a few times the file's size. Real tables'
// names are disjoint file bytes; without the bound, many entries pointing into one long string cost
// memory hundreds of times the input's size.
import { MalformedPeError } from './errors.js';
import type { PeImage } from './image.js';
import { rva } from './types.js';

/** Bytes of distinct names allowed per byte of file (plus one longest name). */
export const NAME_BYTES_PER_FILE_BYTE = 4;

/** Most bytes of a name run decoded at once, per name it holds (a denser run is not worth it). */
const RUN_BYTES_PER_NAME = 256;

/**
 * A per-table reader of NUL-terminated names, memoised by RVA, within a byte budget. A table whose
 * names lie together (every linker's) can decode their run of bytes once and take each name as a
 * slice of it, which costs a fraction of decoding names one by one.
 */
export class NameTable {
  private readonly cache = new Map<number, string>();
  private bytes = 0;
  private readonly budget: number;
  private run: { rva: number; offset: number; text: string } | null = null;

  constructor(
    private readonly img: PeImage,
    private readonly maxLength: number,
  ) {
    this.budget = NAME_BYTES_PER_FILE_BYTE * img.reader.length + maxLength;
  }

  /**
   * The name at `at`; MalformedPeError when unreadable or when the table's names outgrow the budget.
   * With `index`, errors name the field `field[index]` (built only then: tables have many names).
   */
  read(at: number, structure: string, field: string, index?: number): string {
    const known = this.cache.get(at);
    if (known !== undefined) return known;
    let name = this.fromRun(at);
    if (name === null) {
      try {
        name = this.img.readCString(rva(at), this.maxLength, structure, field);
      } catch (e) {
        if (index === undefined || !(e instanceof MalformedPeError)) throw e;
        throw new MalformedPeError({ ...e.toJSON(), field: `${field}[${index}]` });
      }
    }
    this.bytes += name.length + 1;
    if (this.bytes > this.budget) {
      throw this.img.reader.error(
        this.img.rvaToOffset(rva(at)) ?? -1,
        structure,
        index === undefined ? field : `${field}[${index}]`,
        `distinct names total more than ${this.budget} bytes (${NAME_BYTES_PER_FILE_BYTE} per byte of the file)`,
      );
    }
    this.cache.set(at, name);
    return name;
  }

  /**
   * Decodes once the bytes from the lowest to the highest of `rvas` (plus room for the last name)
   * when they are all in the file within one span and not much longer than `rvas.length` names.
   */
  readRunOf(rvas: Uint32Array): void {
    if (rvas.length < 2) return;
    let lo = rvas[0]!;
    let hi = lo;
    for (const a of rvas) {
      if (a < lo) lo = a;
      if (a > hi) hi = a;
    }
    const offset = this.img.rvaToOffset(rva(lo));
    if (offset === null) return;
    // The last name may end anywhere up to maxLength on, or at the end of its span's file bytes.
    const size = Math.min(hi - lo + this.maxLength + 1, this.img.backedBytesAt(rva(lo)));
    if (size <= hi - lo || size > RUN_BYTES_PER_NAME * rvas.length) return;
    this.run = { rva: lo, offset, text: this.img.reader.latin1(offset, offset + size) };
  }

  /**
   * The name at `at` from the decoded run when it is there whole (the same bytes readCString would
   * read: the span holding `at` maps it to the run's file bytes), else null.
   */
  private fromRun(at: number): string | null {
    const run = this.run;
    if (run === null || at < run.rva) return null;
    const start = at - run.rva;
    if (start >= run.text.length || this.img.rvaToOffset(rva(at)) !== run.offset + start) return null;
    const nul = run.text.indexOf('\0', start);
    return nul < 0 || nul - start > this.maxLength ? null : run.text.slice(start, nul);
  }
}
