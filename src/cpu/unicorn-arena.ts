// The image arena of a host-backed x86 engine (issue 19): guest regions in the kernel's image range
// (0x80000000-0x9FFFFFFF) take their host pages from one reservation, at a fixed offset from their guest
// address, and one more libunicorn region, the index region, maps that whole reservation with no access
// at 0x100000000, an address a 32-bit guest cannot form.
//
// Why: on every jump-cache miss libunicorn 2.0.1 finds the RAM block holding a translation's host
// address by walking its block list (qemu_ram_block_from_host), which is sorted by size, largest first.
// With one region per image section (1,039 at 500 drivers) that walk was 30% of a warm boot; the index
// region is the largest block, so the walk ends at the first one for every arena page.
//
// What changes: translations of arena pages are keyed by the index region's RAM offsets, so QEMU's own
// detection of guest stores into translated code (per-RAM-block dirty bits) no longer sees stores to
// arena pages. HostMemory keeps that sound by never letting an arena page be writable and executable at
// once (such regions take pages outside the arena) and by dropping translations of a page that was
// writable, or was mapped again, before it next becomes executable (see HostMemory).
import koffi from 'koffi';

/** The guest range whose regions take arena pages. */
export const ARENA_WINDOW = { start: 0x80000000, end: 0xa0000000 } as const;
/** Where the index region lies: above what a 32-bit guest can address, with no access. */
export const INDEX_REGION_AT = 0x1_0000_0000;

/** The native calls the arena needs (bound by unicorn-memory.ts). */
export interface ArenaNative {
  mapPtr: (uc: unknown, address: number, size: number, perms: number, ptr: bigint) => number;
  mmap: (addr: null, length: number, prot: number, flags: number, fd: number, offset: number) => unknown;
  munmap: (addr: unknown, length: number) => number;
  madvise: (addr: bigint, length: number, advice: number) => number;
  /** libc's memset declared to take an address: with 0 bytes it returns it, as the pointer koffi.view takes. */
  memset: (addr: bigint, value: number, length: number) => unknown;
}

const PROT_RW = 3;
/** MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE (Linux): address space only until pages are touched. */
const MAP_RESERVE = 0x4022;
const MADV_DONTNEED = 4;
const MAP_FAILED = 0xffffffffffffffffn;

export class ImageArena {
  private constructor(
    private readonly native: ArenaNative,
    private readonly pointer: unknown,
    /** Host address of the window's first byte. */
    private readonly base: bigint,
  ) {}

  /** The arena with its index region mapped in `uc`, or null when either fails (regions then take their own pages). */
  static create(native: ArenaNative, uc: unknown): ImageArena | null {
    const size = ARENA_WINDOW.end - ARENA_WINDOW.start;
    const pointer = native.mmap(null, size, PROT_RW, MAP_RESERVE, -1, 0);
    const base = pointer === null ? MAP_FAILED : koffi.address(pointer);
    if (base === MAP_FAILED || base === 0n) return null;
    if (native.mapPtr(uc, INDEX_REGION_AT, size, 0, base) !== 0) {
      native.munmap(pointer, size);
      return null;
    }
    return new ImageArena(native, pointer, base);
  }

  /** Whether [address, address + size) lies in the window. */
  static holds(address: number, size: number): boolean {
    return address >= ARENA_WINDOW.start && address + size <= ARENA_WINDOW.end;
  }

  /** The host address backing guest `address` (in the window). */
  host(address: number): bigint {
    return this.base + BigInt(address - ARENA_WINDOW.start);
  }

  /**
   * The arena's bytes for guest [address, address + size), not a copy. A view of that range only: V8
   * counts a view's whole length as memory the process holds, and a view of the 512 MiB window made it
   * run a full collection at each engine's creation (a twentieth of a `nt351 boot`).
   */
  view(address: number, size: number): Uint8Array {
    return new Uint8Array(koffi.view(this.native.memset(this.host(address), 0, 0), size));
  }

  /** Gives the pages of guest [address, address + size) back: they read as zeros when touched again. */
  clear(address: number, size: number): void {
    this.native.madvise(this.host(address), size, MADV_DONTNEED);
  }

  /** Returns the reservation; call after uc_close. */
  release(): void {
    this.native.munmap(this.pointer, ARENA_WINDOW.end - ARENA_WINDOW.start);
  }
}
