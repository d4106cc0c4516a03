// Host-backed guest memory for UnicornX86: every region is mapped with uc_mem_map_ptr over pages this
// module owns (anonymous mmap), so host reads and writes of guest memory are plain typed-array copies
// instead of libunicorn calls (issue 19: ~650 uc_mem_read/uc_mem_write per boot at ~1-5 µs each, and a
// write to a read-only region made libunicorn 2.0.1 rebuild its memory map twice, ~1 ms at 850 regions).
//
// What the C calls did and this keeps: uc_mem_read/uc_mem_write ignore protections and fail with
// UC_ERR_*_UNMAPPED unless the range is mapped (anything not inside one region goes to libunicorn, which
// answers as before); uc_mem_write drops translated code on the pages it writes, so a direct write to an
// executable page drops it with UC_CTL_TB_REMOVE_CACHE, and one to a page that was executable and is
// not now (where that control does nothing) is remembered and dropped when the page becomes executable.
// Splits: a uc_mem_protect or uc_mem_unmap over part of a region makes libunicorn split it
// (split_region in uc.c), and some 2.0.x sources find the region's RAM block there by comparing a RAM
// offset with a guest address, which for a uc_mem_map_ptr block could remap the pieces over another
// block's pages (later fixed as `block = mr->ram_block`; not reproduced with Debian's 2.0.1 build). This
// module splits regions itself instead, as split_region does (unmap whole, map the pieces over the same
// host pages), so its table and libunicorn's map stay in step whatever the build does.
// Regions in the image range take their pages from the image arena (unicorn-arena.ts), which keeps
// libunicorn's lookups of translated code short; this module keeps the arena's pages from being
// writable and executable at once and drops their translations where QEMU no longer would.
import koffi from 'koffi';
import { UC_CTL_TB_REMOVE_CACHE_WRITE, UC_PROT_EXEC, UC_PROT_WRITE, UcErr } from './unicorn-abi.js';
import { type ArenaNative, ImageArena } from './unicorn-arena.js';

/** The libunicorn calls this module takes over or needs (a subset of unicorn.ts's binding). */
export interface MemoryApi {
  memMap: (uc: unknown, address: number, size: number, perms: number) => number;
  memUnmap: (uc: unknown, address: number, size: number) => number;
  memProtect: (uc: unknown, address: number, size: number, perms: number) => number;
  memRead: (uc: unknown, address: number, bytes: Uint8Array, size: number) => number;
  memWrite: (uc: unknown, address: number, bytes: Uint8Array, size: number) => number;
  ctl: (uc: unknown, control: number, ...rest: unknown[]) => number;
}

type Native = ArenaNative;
const natives = new Map<string, Native | null>();

/** Binds uc_mem_map_ptr and libc's mmap/munmap once per library; null when either is missing. */
function bindNative(library: string): Native | null {
  if (natives.has(library)) return natives.get(library)!;
  let n: Native | null = null;
  try {
    const uc = koffi.load(library);
    const libc = koffi.load('libc.so.6');
    n = {
      mapPtr: uc.func(
        'int uc_mem_map_ptr(void *uc, uint64_t address, size_t size, uint32_t perms, uintptr_t ptr)',
      ),
      mmap: libc.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, long offset)'),
      munmap: libc.func('int munmap(void *addr, size_t length)'),
      madvise: libc.func('int madvise(uintptr_t addr, size_t length, int advice)'),
      memset: libc.func('void *memset(uintptr_t s, int c, size_t n)'),
    };
  } catch {
    n = null;
  }
  natives.set(library, n);
  return n;
}

/** mmap's PROT_READ | PROT_WRITE and MAP_PRIVATE | MAP_ANONYMOUS (Linux). */
const PROT_RW = 3;
const MAP_ANON_PRIVATE = 0x22;
const MAP_FAILED = 0xffffffffffffffffn;

/** Host pages backing one uc_mem_map call; unmapped (munmap) when no region uses them any more. */
interface Block {
  pointer: unknown;
  address: bigint;
  size: number;
  bytes: Uint8Array;
  view: DataView;
  /** Bytes of the block still mapped in the engine. */
  live: number;
  /** Pages of the image arena (not this block's own mapping: never unmapped on its own). */
  arena: boolean;
}

const writableCode = (perms: number) =>
  (perms & (UC_PROT_WRITE | UC_PROT_EXEC)) === (UC_PROT_WRITE | UC_PROT_EXEC);

/** One libunicorn region as this module mapped it: [address, end) over `block` from `offset`. */
interface Region {
  address: number;
  end: number;
  perms: number;
  block: Block;
  offset: number;
}

/**
 * One region's host bytes for direct access (see HostMemory.direct): guest address `a` in [lo, hi) is
 * `bytes[a - base]`. `plain`: a store there needs nothing else (the region is not executable and none
 * of its pages ever was, so no translated code can hold its bytes).
 */
export interface DirectRange {
  lo: number;
  hi: number;
  base: number;
  bytes: Uint8Array;
  view: DataView;
  plain: boolean;
}

/**
 * The guest memory of one engine, over host pages. `api()` is the binding with the memory calls
 * replaced; release() (after uc_close) returns the host pages.
 */
export class HostMemory {
  /** Regions in address order, not overlapping: libunicorn's map, mirrored. */
  private regions: Region[] = [];
  /** Pages (address / 4096) that were ever executable, and those written since they stopped being so. */
  private readonly everExec = new Set<number>();
  private readonly dirtyCode = new Set<number>();
  private last: Region | null = null;
  /** A region was mapped by libunicorn itself (mmap failed): the table no longer mirrors its map. */
  private unmirrored = false;
  /** The image arena, made at the first map into its window; null when it could not be made. */
  private arena: ImageArena | null | undefined;

  private constructor(
    private readonly raw: MemoryApi,
    private readonly native: Native,
  ) {}

  /** Host-backed memory over `raw`, or null when uc_mem_map_ptr or mmap cannot be bound. */
  static create(raw: MemoryApi, library: string): HostMemory | null {
    const native = bindNative(library);
    return native ? new HostMemory(raw, native) : null;
  }

  /** `raw` with map, unmap, protect, read and write going through this memory. */
  api<T extends MemoryApi>(raw: T): T {
    return {
      ...raw,
      memMap: (uc, a, size, perms) => this.map(uc, a, size, perms),
      memUnmap: (uc, a, size) => this.unmap(uc, a, size),
      memProtect: (uc, a, size, perms) => this.protect(uc, a, size, perms),
      memRead: (uc, a, bytes, size) => this.read(uc, a, bytes, size),
      memWrite: (uc, a, bytes, size) => this.write(uc, a, bytes, size),
    };
  }

  /** Index of the first region ending above `address`. */
  private from(address: number): number {
    let lo = 0;
    let hi = this.regions.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.regions[mid]!.end <= address) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The region holding all of [address, address + size), or null. */
  private holding(address: number, size: number): Region | null {
    const l = this.last;
    if (l && address >= l.address && address + size <= l.end) return l;
    const r = this.regions[this.from(address)];
    if (!r || address < r.address || address + size > r.end) return null;
    this.last = r;
    return r;
  }

  /** The bytes of [address, address + size) as they are (not a copy) when one region holds them, else null. */
  view(address: number, size: number): Uint8Array | null {
    const r = this.holding(address, size);
    if (!r) return null;
    const o = r.offset + (address - r.address);
    return r.block.bytes.subarray(o, o + size);
  }

  /**
   * Whether guest memory [address, address + bytes.length) holds `bytes`, compared where it is (no
   * copy), unmapped bytes reading as zeros (as UnicornX86.readRaw reads them); null when the table
   * does not mirror libunicorn's map (the caller reads instead).
   */
  same(address: number, bytes: Uint8Array): boolean | null {
    if (this.unmirrored) return null;
    const end = address + bytes.length;
    let at = address;
    for (let i = this.from(address); at < end; i++) {
      const r = this.regions[i];
      const next = r && r.address < end ? Math.max(at, r.address) : end;
      for (let a = at; a < next; a++) if (bytes[a - address] !== 0) return false;
      if (next === end) return true;
      const to = Math.min(end, r!.end);
      const o = r!.offset + (next - r!.address);
      const had = r!.block.bytes.subarray(o, o + (to - next));
      if (Buffer.compare(had, bytes.subarray(next - address, to - address)) !== 0) return false;
      at = to;
    }
    return true;
  }

  /**
   * The region holding `address` for direct access, or null when none does here. Valid until the next
   * map, unmap or protect (an unmap may return the host pages).
   */
  direct(address: number): DirectRange | null {
    const r = this.holding(address, 1);
    if (!r) return null;
    let plain = (r.perms & UC_PROT_EXEC) === 0;
    if (plain && this.everExec.size > 0) {
      const first = Math.floor(r.address / 0x1000);
      const end = Math.ceil(r.end / 0x1000);
      if (end - first <= this.everExec.size) {
        for (let p = first; p < end && plain; p++) plain = !this.everExec.has(p);
      } else for (const p of this.everExec) if (p >= first && p < end) plain = false;
    }
    const { bytes, view } = r.block;
    return { lo: r.address, hi: r.end, base: r.address - r.offset, bytes, view, plain };
  }

  /**
   * libunicorn's regions as uc_mem_regions lists them (`end` inclusive, in address order) without the
   * call, or null when the table does not mirror its map.
   */
  list(): { begin: number; end: number; perms: number }[] | null {
    if (this.unmirrored) return null;
    return this.regions.map((r) => ({ begin: r.address, end: r.end - 1, perms: r.perms }));
  }

  /** How many regions are mapped (libunicorn's RAM blocks, stale ones included). */
  get regionCount(): number {
    return this.regions.length;
  }

  /** Whether [address, address + size) is wholly mapped. */
  covers(address: number, size: number): boolean {
    return this.pieces(address, size, () => {});
  }

  /** Whether any region overlaps [begin, end). */
  mappedIn(begin: number, end: number): boolean {
    const r = this.regions[this.from(begin)];
    return r !== undefined && r.address < end;
  }

  private map(uc: unknown, address: number, size: number, perms: number): number {
    if (size > 0 && !writableCode(perms) && ImageArena.holds(address, size)) {
      if (this.arena === undefined) this.arena = ImageArena.create(this.native, uc);
      if (this.arena) return this.mapInArena(uc, this.arena, address, size, perms);
    }
    const block = size > 0 ? this.ownPages(size) : null;
    if (!block) {
      const err = this.raw.memMap(uc, address, size, perms); // its own error
      if (err === UcErr.OK) this.unmirrored = true;
      return err;
    }
    const err = this.native.mapPtr(uc, address, size, perms, block.address);
    if (err !== UcErr.OK) {
      this.native.munmap(block.pointer, size);
      return err;
    }
    this.insert({ address, end: address + size, perms, block, offset: 0 });
    if (perms & UC_PROT_EXEC) this.markExec(address, size);
    return UcErr.OK;
  }

  /**
   * Maps [address, address + size) over its arena pages (zeros: unmap gives them back). Translations
   * of an earlier mapping there are keyed by the arena's RAM offsets, so unmapping may have left them:
   * they go now, or when the page next becomes executable.
   */
  private mapInArena(uc: unknown, arena: ImageArena, address: number, size: number, perms: number): number {
    const host = arena.host(address);
    const err = this.native.mapPtr(uc, address, size, perms, host);
    if (err !== UcErr.OK) return err;
    const bytes = arena.view(address, size);
    const view = new DataView(bytes.buffer, bytes.byteOffset, size);
    this.insert({
      address,
      end: address + size,
      perms,
      block: { pointer: null, address: host, size, bytes, view, live: size, arena: true },
      offset: 0,
    });
    this.mayHoldStaleCode(uc, address, size, perms, true);
    if (perms & UC_PROT_EXEC) this.markExec(address, size);
    return UcErr.OK;
  }

  /**
   * For arena pages given `perms` (fresh: just mapped): QEMU does not see guest stores into their
   * translations (unicorn-arena.ts), so a page that was ever executable and may have changed since
   * (writable now, or mapped again) has its translations dropped before it next runs.
   */
  private mayHoldStaleCode(uc: unknown, address: number, size: number, perms: number, fresh: boolean): void {
    if (this.everExec.size === 0 || !(fresh || perms & UC_PROT_WRITE)) return;
    for (let p = Math.floor(address / 0x1000); p * 0x1000 < address + size; p++) {
      if (!this.everExec.has(p)) continue;
      if (perms & UC_PROT_EXEC) this.drop(uc, p * 0x1000, 0x1000);
      else this.dirtyCode.add(p);
    }
  }

  /**
   * Moves region `i` from the arena to pages of its own, keeping its bytes, before it becomes writable
   * and executable (see unicorn-arena.ts). Unmapping drops its translations where it is executable.
   */
  private leaveArena(uc: unknown, i: number): void {
    const r = this.regions[i]!;
    const size = r.end - r.address;
    const block = this.ownPages(size);
    if (!block) throw new Error(`mmap of ${size} bytes failed`);
    block.bytes.set(r.block.bytes.subarray(r.offset, r.offset + size));
    let err = this.raw.memUnmap(uc, r.address, size);
    if (err === UcErr.OK) err = this.native.mapPtr(uc, r.address, size, r.perms, block.address);
    if (err !== UcErr.OK)
      throw new Error(`moving 0x${r.address.toString(16)} out of the image arena: uc_err ${err}`);
    this.arena!.clear(r.address, size);
    this.regions[i] = { ...r, block, offset: 0 };
    this.last = null;
  }

  /**
   * A block of new host pages, zero-filled and committed only when touched (as uc_mem_map's are);
   * null when mmap fails.
   */
  private ownPages(size: number): Block | null {
    const pointer = this.native.mmap(null, size, PROT_RW, MAP_ANON_PRIVATE, -1, 0);
    const at = pointer === null ? MAP_FAILED : koffi.address(pointer);
    if (at === MAP_FAILED || at === 0n) return null;
    const buffer = koffi.view(pointer, size);
    const bytes = new Uint8Array(buffer);
    return { pointer, address: at, size, bytes, view: new DataView(buffer), live: size, arena: false };
  }

  private insert(r: Region): void {
    this.regions.splice(this.from(r.address), 0, r);
  }

  private markExec(address: number, size: number): void {
    for (let p = Math.floor(address / 0x1000); p * 0x1000 < address + size; p++) this.everExec.add(p);
  }

  /**
   * Splits the regions at `address` and `address + size` so that libunicorn's own split never runs:
   * false when [address, address + size) is not wholly mapped (libunicorn then fails the call itself).
   */
  private splitAround(uc: unknown, address: number, size: number): boolean {
    const end = address + size;
    let i = this.from(address);
    for (let at = address; at < end; ) {
      const r = this.regions[i];
      if (!r || r.address > at) return false;
      at = r.end;
      i++;
    }
    return this.splitAt(uc, address) && this.splitAt(uc, end);
  }

  /** Makes `address` a region boundary (it lies in a mapped region or at its edge). */
  private splitAt(uc: unknown, address: number): boolean {
    const i = this.from(address);
    const r = this.regions[i];
    if (!r || r.address >= address) return true;
    if (this.raw.memUnmap(uc, r.address, r.end - r.address) !== UcErr.OK) return false;
    const left: Region = { ...r, end: address };
    const right: Region = { ...r, address, offset: r.offset + (address - r.address) };
    for (const part of [left, right]) {
      const err = this.native.mapPtr(
        uc,
        part.address,
        part.end - part.address,
        part.perms,
        part.block.address + BigInt(part.offset),
      );
      if (err !== UcErr.OK) throw new Error(`uc_mem_map_ptr 0x${part.address.toString(16)}: uc_err ${err}`);
    }
    this.regions.splice(i, 1, left, right);
    this.last = null;
    return true;
  }

  private unmap(uc: unknown, address: number, size: number): number {
    if (!this.splitAround(uc, address, size)) return this.raw.memUnmap(uc, address, size);
    const err = this.raw.memUnmap(uc, address, size);
    if (err !== UcErr.OK) return err;
    const from = this.from(address);
    let to = from;
    while (to < this.regions.length && this.regions[to]!.address < address + size) to++;
    for (const r of this.regions.splice(from, to - from)) {
      if (r.block.arena) {
        this.arena!.clear(r.address, r.end - r.address);
        continue;
      }
      r.block.live -= r.end - r.address;
      if (r.block.live === 0) this.native.munmap(r.block.pointer, r.block.size);
    }
    this.last = null;
    return UcErr.OK;
  }

  private protect(uc: unknown, address: number, size: number, perms: number): number {
    if (!this.splitAround(uc, address, size)) return this.raw.memProtect(uc, address, size, perms);
    if (this.arena)
      for (let i = this.from(address); i < this.regions.length; i++) {
        const r = this.regions[i]!;
        if (r.address >= address + size) break;
        if (!r.block.arena) continue;
        if (writableCode(perms)) this.leaveArena(uc, i);
        else this.mayHoldStaleCode(uc, r.address, r.end - r.address, perms, false);
      }
    const err = this.raw.memProtect(uc, address, size, perms);
    if (err !== UcErr.OK) return err;
    for (let i = this.from(address); i < this.regions.length; i++) {
      const r = this.regions[i]!;
      if (r.address >= address + size) break;
      r.perms = perms;
    }
    if (perms & UC_PROT_EXEC) {
      this.markExec(address, size);
      // Code written while the page could not run: uc_mem_write would have dropped its translations.
      if (this.dirtyCode.size > 0)
        for (let p = Math.floor(address / 0x1000); p * 0x1000 < address + size; p++)
          if (this.dirtyCode.delete(p)) this.drop(uc, p * 0x1000, 0x1000);
    }
    return UcErr.OK;
  }

  /**
   * Calls `each(region, from, to)` for the parts of [address, address + size) (offsets from `address`)
   * when the range is wholly mapped, and returns true; false (nothing called) when it is not.
   */
  private pieces(
    address: number,
    size: number,
    each: (r: Region, from: number, to: number) => void,
  ): boolean {
    const one = this.holding(address, size);
    if (one) {
      each(one, 0, size);
      return true;
    }
    const end = address + size;
    const first = this.from(address);
    let i = first;
    for (let at = address; at < end; i++) {
      const r = this.regions[i];
      if (!r || r.address > at) return false;
      at = r.end;
    }
    for (let j = first; j < i; j++) {
      const r = this.regions[j]!;
      each(r, Math.max(address, r.address) - address, Math.min(end, r.end) - address);
    }
    return true;
  }

  private read(uc: unknown, address: number, bytes: Uint8Array, size: number): number {
    const done = this.pieces(address, size, (r, from, to) => {
      const o = r.offset + (address + from - r.address);
      bytes.set(r.block.bytes.subarray(o, o + (to - from)), from);
    });
    return done ? UcErr.OK : this.raw.memRead(uc, address, bytes, size);
  }

  private write(uc: unknown, address: number, bytes: Uint8Array, size: number): number {
    const done = this.pieces(address, size, (r, from, to) => {
      const o = r.offset + (address + from - r.address);
      r.block.bytes.set(from === 0 && to === bytes.length ? bytes : bytes.subarray(from, to), o);
      this.changed(uc, r, address + from, to - from);
    });
    return done ? UcErr.OK : this.raw.memWrite(uc, address, bytes, size);
  }

  /**
   * Makes [address, address + size) read as zeros, as a write of zeros would (a fill, not a copy of
   * a zero buffer); false (nothing done) when it is not wholly mapped. Giving large pieces back with
   * madvise(MADV_DONTNEED) was measured slower: the next user touches most pages again.
   */
  zero(uc: unknown, address: number, size: number): boolean {
    return this.pieces(address, size, (r, from, to) => {
      const o = r.offset + (address + from - r.address);
      r.block.bytes.fill(0, o, o + (to - from));
      this.changed(uc, r, address + from, to - from);
    });
  }

  /** After a host write of [at, at + size) in region `r`: translated code there goes (see the file comment). */
  private changed(uc: unknown, r: Region, at: number, size: number): void {
    if (r.perms & UC_PROT_EXEC) this.drop(uc, at, size);
    else if (this.everExec.size > 0)
      for (let p = Math.floor(at / 0x1000); p * 0x1000 < at + size; p++)
        if (this.everExec.has(p)) this.dirtyCode.add(p);
  }

  private drop(uc: unknown, address: number, size: number): void {
    this.raw.ctl(uc, UC_CTL_TB_REMOVE_CACHE_WRITE, 'uint64_t', address, 'uint64_t', address + size);
  }

  /** Returns the host pages; call after uc_close (libunicorn no longer points into them). */
  release(): void {
    const blocks = new Set(this.regions.filter((r) => !r.block.arena).map((r) => r.block));
    this.regions = [];
    this.last = null;
    for (const b of blocks) this.native.munmap(b.pointer, b.size);
    this.arena?.release();
    this.arena = undefined;
  }
}
