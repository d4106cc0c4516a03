// Guest memory of the Alpha interpreter: 8 KiB pages over the low 32 bits of the address (NT on Alpha
// uses 32-bit addresses sign-extended to 64 bits), held in one Int32Array arena; page tables give each
// page's word offset in the arena (0 = none: slot 0 is never used). Translated code reads through `rd`
// (readable pages only) and writes through `wr` (writable pages that hold no translated code); the slow
// paths here handle the rest. Tables and arena are parked on release() and reused by the next
// AlphaMemory (a boot creates one), cleared of everything the previous user mapped.
import type { Perm } from '../engine.js';

/** Alpha page size (the 21064's 8 KiB pages); map/unmap/protect granularity. */
export const ALPHA_PAGE_SIZE = 0x2000;
/** log2 of ALPHA_PAGE_SIZE. */
export const PAGE_SHIFT = 13;
/** 32-bit words per page. */
export const PAGE_WORDS = ALPHA_PAGE_SIZE / 4;
const PAGE_COUNT = 2 ** (32 - PAGE_SHIFT);
/**
 * Pages in 4 GiB. The `rd`/`wr` tables have twice as many entries: translated code indexes the upper
 * half, always 0, for a non-canonical or misaligned address, so one lookup sends it to the slow path.
 */
export const ALPHA_PAGE_COUNT = PAGE_COUNT;
/** Pages the arena holds at first (it doubles when full). */
const INITIAL_SLOTS = 512;
/** Released tables kept for reuse (boots run one at a time per process). */
const MAX_PARKED = 2;

// Int32Array views are used for guest little-endian words: the host must be little-endian too.
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error('nt351: the Alpha interpreter needs a little-endian host');
}

/** A host-side misuse of guest memory (mapping over a mapping, reading unmapped memory from the host). */
export class AlphaMemoryError extends Error {
  override readonly name = 'AlphaMemoryError';
}

const P_READ = 1;
const P_WRITE = 2;
const P_EXEC = 4;
const permBits = (p: Perm) => (p.read ? P_READ : 0) | (p.write ? P_WRITE : 0) | (p.execute ? P_EXEC : 0);

/** The page tables and arena of one AlphaMemory; reused after release(). */
interface Tables {
  /** Word offset of each mapped page in `words`, by page number (0 when unmapped). */
  base: Int32Array;
  /** Offset of readable pages, for translated loads (0 otherwise; 2 * PAGE_COUNT entries). */
  rd: Int32Array;
  /** Offset of writable pages without translated code, for translated stores (as `rd`). */
  wr: Int32Array;
  /** Permission bits by page number (0 when unmapped). */
  perm: Uint8Array;
  /** 1 when translated code was made from the page: its stores take the slow path and invalidate it. */
  code: Uint8Array;
  /** The arena: page slot s holds words s*PAGE_WORDS .. (s+1)*PAGE_WORDS-1. */
  words: Int32Array;
  /** Slots freed by unmap. */
  free: number[];
  /** The lowest slot never handed out since the tables were (re)set. */
  next: number;
  /** Page numbers mapped now. */
  mapped: Set<number>;
}

const parked: Tables[] = [];

function freshTables(): Tables {
  return {
    base: new Int32Array(PAGE_COUNT),
    rd: new Int32Array(2 * PAGE_COUNT),
    wr: new Int32Array(2 * PAGE_COUNT),
    perm: new Uint8Array(PAGE_COUNT),
    code: new Uint8Array(PAGE_COUNT),
    words: new Int32Array(INITIAL_SLOTS * PAGE_WORDS),
    free: [],
    next: 1,
    mapped: new Set(),
  };
}

/** The page tables and the host-side accessors (which ignore protection, like uc_mem_read/write). */
export class AlphaMemory {
  private t: Tables | null;

  /** Called with a page number whose translated code must be dropped. */
  constructor(private readonly invalidate: (page: number) => void) {
    this.t = parked.pop() ?? freshTables();
  }

  private get tables(): Tables {
    if (!this.t) throw new AlphaMemoryError('guest memory used after release');
    return this.t;
  }
  /** Readable pages' word offsets, for translated loads. */
  get rd(): Int32Array {
    return this.tables.rd;
  }
  /** Writable, code-free pages' word offsets, for translated stores. */
  get wr(): Int32Array {
    return this.tables.wr;
  }
  /** The arena the offsets index (replaced when it grows: translated code reads it on entry). */
  get words(): Int32Array {
    return this.tables.words;
  }
  /** Whether a page is mapped now (any permission). */
  isMapped(page: number): boolean {
    return this.tables.base[page]! !== 0;
  }
  /** The guest word at `address` (host access: no protection check; the page must be mapped). */
  word(address: number): number {
    const t = this.tables;
    return t.words[this.hostOffset(address, 'read') + ((address & 0x1fff) >> 2)]!;
  }

  private pagesOf(address: number, size: number, what: string): [number, number] {
    const a = address >>> 0;
    if (a % ALPHA_PAGE_SIZE !== 0 || size % ALPHA_PAGE_SIZE !== 0 || size <= 0 || a + size > 2 ** 32) {
      throw new AlphaMemoryError(
        `${what} 0x${a.toString(16)}+0x${size.toString(16)}: address and size must be multiples of 0x2000 inside 4 GiB`,
      );
    }
    return [a >>> PAGE_SHIFT, (a + size) / ALPHA_PAGE_SIZE];
  }

  private setPerm(page: number, bits: number): void {
    const t = this.tables;
    const o = t.base[page]!;
    t.perm[page] = o ? bits : 0;
    t.rd[page] = o && bits & P_READ ? o : 0;
    t.wr[page] = o && bits & P_WRITE && !t.code[page] ? o : 0;
  }

  /** A zeroed arena slot's word offset, growing the arena when it is full. */
  private allocSlot(): number {
    const t = this.tables;
    const slot = t.free.pop() ?? t.next++;
    const o = slot * PAGE_WORDS;
    if (o + PAGE_WORDS > t.words.length) {
      const grown = new Int32Array(Math.max(t.words.length * 2, o + PAGE_WORDS));
      grown.set(t.words);
      t.words = grown;
    } else {
      t.words.fill(0, o, o + PAGE_WORDS);
    }
    return o;
  }

  map(address: number, size: number, perm: Perm): void {
    const [first, end] = this.pagesOf(address, size, 'map');
    const t = this.tables;
    for (let i = first; i < end; i++) {
      if (t.base[i]) {
        throw new AlphaMemoryError(`map: page 0x${(i * ALPHA_PAGE_SIZE).toString(16)} is already mapped`);
      }
    }
    for (let i = first; i < end; i++) {
      t.base[i] = this.allocSlot();
      t.mapped.add(i);
      t.code[i] = 0;
      this.setPerm(i, permBits(perm));
    }
  }

  unmap(address: number, size: number): void {
    const [first, end] = this.pagesOf(address, size, 'unmap');
    this.requireMapped(first, end, 'unmap');
    const t = this.tables;
    for (let i = first; i < end; i++) {
      this.dropCode(i);
      t.free.push(t.base[i]! / PAGE_WORDS);
      t.base[i] = 0;
      t.mapped.delete(i);
      this.setPerm(i, 0);
    }
  }

  protect(address: number, size: number, perm: Perm): void {
    const [first, end] = this.pagesOf(address, size, 'protect');
    this.requireMapped(first, end, 'protect');
    for (let i = first; i < end; i++) {
      // Execute permission is checked when code is translated: drop what was translated.
      this.dropCode(i);
      this.setPerm(i, permBits(perm));
    }
  }

  private requireMapped(first: number, end: number, what: string): void {
    for (let i = first; i < end; i++) {
      if (!this.tables.base[i]) {
        throw new AlphaMemoryError(`${what}: page 0x${(i * ALPHA_PAGE_SIZE).toString(16)} is not mapped`);
      }
    }
  }

  /** Marks a page as holding translated code (its stores then go through writablePage). */
  markCode(page: number): void {
    const t = this.tables;
    if (t.code[page]) return;
    t.code[page] = 1;
    t.wr[page] = 0;
  }

  /** Drops the translated code of a page and gives it back its fast store path. */
  dropCode(page: number): void {
    const t = this.tables;
    if (!t.code[page]) return;
    t.code[page] = 0;
    this.invalidate(page);
    this.setPerm(page, t.perm[page]!);
  }

  /** Whether the page holding `address` is mapped and executable. */
  fetchable(address: number): 'ok' | 'unmapped' | 'protection' {
    const t = this.tables;
    const page = address >>> PAGE_SHIFT;
    if (!t.base[page]) return 'unmapped';
    return t.perm[page]! & P_EXEC ? 'ok' : 'protection';
  }

  /** Why a guest access to `address` cannot go through the fast path: unmapped or protection. */
  denied(address: number): 'unmapped' | 'protection' {
    return this.tables.base[address >>> PAGE_SHIFT] ? 'protection' : 'unmapped';
  }

  /** Slow path of a guest store: the page's word offset when writable (dropping its code), else 0. */
  writablePage(address: number): number {
    const t = this.tables;
    const page = address >>> PAGE_SHIFT;
    const o = t.base[page]!;
    if (!o || !(t.perm[page]! & P_WRITE)) return 0;
    this.dropCode(page);
    return o;
  }

  private hostOffset(address: number, what: string): number {
    const o = this.tables.base[address >>> PAGE_SHIFT]!;
    if (!o) throw new AlphaMemoryError(`${what} 0x${(address >>> 0).toString(16)}: not mapped`);
    return o;
  }

  /** A byte, for host access (no protection check). */
  readByte(address: number): number {
    const a = address >>> 0;
    const o = this.hostOffset(a, 'read');
    return (this.tables.words[o + ((a & 0x1fff) >> 2)]! >>> ((a & 3) << 3)) & 0xff;
  }

  /** Stores a byte for the host (no protection check), dropping translated code of the page. */
  writeByte(address: number, value: number): void {
    const a = address >>> 0;
    const o = this.hostOffset(a, 'write');
    this.dropCode(a >>> PAGE_SHIFT);
    const w = this.tables.words;
    const i = o + ((a & 0x1fff) >> 2);
    const sh = (a & 3) << 3;
    w[i] = (w[i]! & ~(0xff << sh)) | ((value & 0xff) << sh);
  }

  /** Copies guest bytes out, page by page (host access: no protection check). */
  read(address: number, size: number): Uint8Array {
    const out = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const a = (address + done) >>> 0;
      const o = this.hostOffset(a, 'read');
      const off = a & 0x1fff;
      const n = Math.min(size - done, ALPHA_PAGE_SIZE - off);
      out.set(new Uint8Array(this.tables.words.buffer, o * 4 + off, n), done);
      done += n;
    }
    return out;
  }

  /** Copies bytes into guest memory, page by page, dropping translated code of the pages touched. */
  write(address: number, bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length) {
      const a = (address + done) >>> 0;
      const o = this.hostOffset(a, 'write');
      this.dropCode(a >>> PAGE_SHIFT);
      const off = a & 0x1fff;
      const n = Math.min(bytes.length - done, ALPHA_PAGE_SIZE - off);
      new Uint8Array(this.tables.words.buffer, o * 4 + off, n).set(bytes.subarray(done, done + n));
      done += n;
    }
  }

  /**
   * Gives the tables and arena back for reuse by a later AlphaMemory, cleared of every page this one
   * mapped; this object can no longer be used (its accessors throw AlphaMemoryError).
   */
  release(): void {
    const t = this.t;
    if (!t) return;
    this.t = null;
    for (const page of t.mapped) {
      t.base[page] = 0;
      t.rd[page] = 0;
      t.wr[page] = 0;
      t.perm[page] = 0;
      t.code[page] = 0;
    }
    t.mapped.clear();
    t.free.length = 0;
    t.next = 1;
    if (parked.length < MAX_PARKED) parked.push(t);
  }
}
