// Guest memory of the Alpha interpreter: a sparse map of 8 KiB pages over the low 32 bits of the
// address (NT on Alpha uses 32-bit addresses sign-extended to 64 bits), each page an Int32Array with
// its own Perm. Translated code reads pages through `rd` (readable pages only) and writes through `wr`
// (writable pages that hold no translated code); the slow paths here handle the rest.
import type { Perm } from '../engine.js';

/** Alpha page size (the 21064's 8 KiB pages); map/unmap/protect granularity. */
export const ALPHA_PAGE_SIZE = 0x2000;
/** log2 of ALPHA_PAGE_SIZE. */
export const PAGE_SHIFT = 13;
const PAGE_COUNT = 2 ** (32 - PAGE_SHIFT);

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

/** The page table and the host-side accessors (which ignore protection, like uc_mem_read/write). */
export class AlphaMemory {
  /** Page contents by page number; undefined when unmapped. */
  readonly pages: (Int32Array | undefined)[] = new Array(PAGE_COUNT).fill(undefined);
  /** Readable pages, for translated loads. */
  readonly rd: (Int32Array | undefined)[] = new Array(PAGE_COUNT).fill(undefined);
  /** Writable pages without translated code, for translated stores. */
  readonly wr: (Int32Array | undefined)[] = new Array(PAGE_COUNT).fill(undefined);
  /** Permission bits by page number (0 when unmapped). */
  readonly perm = new Uint8Array(PAGE_COUNT);
  /** 1 when translated code was made from the page: its stores take the slow path and invalidate it. */
  readonly code = new Uint8Array(PAGE_COUNT);

  /** Called with a page number whose translated code must be dropped. */
  constructor(private readonly invalidate: (page: number) => void) {}

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
    const p = this.pages[page];
    this.perm[page] = p ? bits : 0;
    this.rd[page] = p && bits & P_READ ? p : undefined;
    this.wr[page] = p && bits & P_WRITE && !this.code[page] ? p : undefined;
  }

  map(address: number, size: number, perm: Perm): void {
    const [first, end] = this.pagesOf(address, size, 'map');
    for (let i = first; i < end; i++) {
      if (this.pages[i]) {
        throw new AlphaMemoryError(`map: page 0x${(i * ALPHA_PAGE_SIZE).toString(16)} is already mapped`);
      }
    }
    for (let i = first; i < end; i++) {
      this.pages[i] = new Int32Array(ALPHA_PAGE_SIZE / 4);
      this.code[i] = 0;
      this.setPerm(i, permBits(perm));
    }
  }

  unmap(address: number, size: number): void {
    const [first, end] = this.pagesOf(address, size, 'unmap');
    this.requireMapped(first, end, 'unmap');
    for (let i = first; i < end; i++) {
      this.dropCode(i);
      this.pages[i] = undefined;
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
      if (!this.pages[i]) {
        throw new AlphaMemoryError(`${what}: page 0x${(i * ALPHA_PAGE_SIZE).toString(16)} is not mapped`);
      }
    }
  }

  /** Marks a page as holding translated code (its stores then go through writablePage). */
  markCode(page: number): void {
    if (this.code[page]) return;
    this.code[page] = 1;
    this.wr[page] = undefined;
  }

  /** Drops the translated code of a page and gives it back its fast store path. */
  dropCode(page: number): void {
    if (!this.code[page]) return;
    this.code[page] = 0;
    this.invalidate(page);
    this.setPerm(page, this.perm[page]!);
  }

  /** Whether the page holding `address` is mapped and executable. */
  fetchable(address: number): 'ok' | 'unmapped' | 'protection' {
    const page = address >>> PAGE_SHIFT;
    if (!this.pages[page]) return 'unmapped';
    return this.perm[page]! & P_EXEC ? 'ok' : 'protection';
  }

  /** Why a guest access to `address` cannot go through the fast path: unmapped or protection. */
  denied(address: number): 'unmapped' | 'protection' {
    return this.pages[address >>> PAGE_SHIFT] ? 'protection' : 'unmapped';
  }

  /** Slow path of a guest store: returns the page when writable (dropping its code), else null. */
  writablePage(address: number): Int32Array | null {
    const page = address >>> PAGE_SHIFT;
    const p = this.pages[page];
    if (!p || !(this.perm[page]! & P_WRITE)) return null;
    this.dropCode(page);
    return p;
  }

  private hostPage(address: number, what: string): Int32Array {
    const p = this.pages[address >>> PAGE_SHIFT];
    if (!p) throw new AlphaMemoryError(`${what} 0x${(address >>> 0).toString(16)}: not mapped`);
    return p;
  }

  /** A byte, for host access (no protection check). */
  readByte(address: number): number {
    const a = address >>> 0;
    const p = this.hostPage(a, 'read');
    return (p[(a & 0x1fff) >> 2]! >>> ((a & 3) << 3)) & 0xff;
  }

  /** Stores a byte for the host (no protection check), dropping translated code of the page. */
  writeByte(address: number, value: number): void {
    const a = address >>> 0;
    const p = this.hostPage(a, 'write');
    this.dropCode(a >>> PAGE_SHIFT);
    const i = (a & 0x1fff) >> 2;
    const sh = (a & 3) << 3;
    p[i] = (p[i]! & ~(0xff << sh)) | ((value & 0xff) << sh);
  }

  /** Copies guest bytes out, page by page (host access: no protection check). */
  read(address: number, size: number): Uint8Array {
    const out = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const a = (address + done) >>> 0;
      const p = this.hostPage(a, 'read');
      const off = a & 0x1fff;
      const n = Math.min(size - done, ALPHA_PAGE_SIZE - off);
      out.set(new Uint8Array(p.buffer, off, n), done);
      done += n;
    }
    return out;
  }

  /** Copies bytes into guest memory, page by page, dropping translated code of the pages touched. */
  write(address: number, bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length) {
      const a = (address + done) >>> 0;
      const p = this.hostPage(a, 'write');
      this.dropCode(a >>> PAGE_SHIFT);
      const off = a & 0x1fff;
      const n = Math.min(bytes.length - done, ALPHA_PAGE_SIZE - off);
      new Uint8Array(p.buffer, off, n).set(bytes.subarray(done, done + n));
      done += n;
    }
  }
}
