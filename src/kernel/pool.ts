// The executive's pool in guest memory, sized and placed as NT 3.51 does, built to catch driver bugs:
// every allocation gets its own pages and addresses are never reused, so freed pages can be made
// inaccessible (a later touch faults and is reported as use-after-free); double and invalid frees are
// events (NT: BAD_POOL_CALLER 0xC2). Small ExAllocatePool blocks carry NT's POOL_HEADER and a free
// neighbour's header after them (pool-header.ts), so an overrun is NT's BAD_POOL_HEADER at the free.
// Pages come from chunks mapped a few at a time, not one engine region per block (issue 19).
import type { GuestMemoryEngine } from '../cpu/engine.js';
import { GuestMemoryLimitError, RW } from '../cpu/engine.js';
import {
  type BadPoolHeader,
  checkPoolPage,
  POOL_OVERHEAD,
  poolBuddyMax,
  poolPageHeaders,
} from './pool-header.js';

/**
 * NT 3.51's pool sizing from physical memory (KB126402, "PagedPoolSize and NonPagedPoolSize Values in
 * Windows NT", whose constants ReactOS keeps in ntoskrnl/mm/ARM3/mminit.c): nonpaged pool may grow to
 * 1 MiB + 400 KiB per MiB above 4 MiB (MmDefaultMaximumNonPagedPool, MmMaxAdditionNonPagedPoolPerMb);
 * paged pool is twice the nonpaged maximum (MmSizeOfPagedPoolInBytes = 2 * MmMaximumNonPagedPoolInBytes
 * in NT's mminit.c). Caps: 128 MiB of nonpaged pool (MI_MAX_NONPAGED_POOL_SIZE) and the paged pool's
 * virtual range.
 */
export function poolSizes(memoryMiB: number): { nonPaged: number; paged: number } {
  const MiB = 1024 * 1024;
  const extra = Math.max(0, Math.floor(memoryMiB) - 4);
  const nonPaged = Math.min(128 * MiB, MiB + extra * 400 * 1024);
  const paged = Math.min(PAGED_POOL_START_END.end - PAGED_POOL_START_END.start, 2 * nonPaged);
  return { nonPaged: roundPages(nonPaged), paged: roundPages(paged) };
}
const roundPages = (n: number) => Math.ceil(n / 0x2000) * 0x2000; // whole pages on x86 and Alpha

/**
 * Where the pools live (x86 NT 3.51/4.0 system space, "Inside Windows NT" and NT's mi386.h):
 * paged pool from MM_PAGED_POOL_START 0xE1000000; nonpaged pool ending at MM_NONPAGED_POOL_END
 * 0xFFBE0000. Both are far above the images' range (src/loader/address-space.ts), so neither can
 * collide with a driver however many are loaded.
 */
const PAGED_POOL_START_END = { start: 0xe1000000, end: 0xeb000000 } as const;
const NONPAGED_POOL_END = 0xffbe0000;

/** Memory of the modelled machine when the profile gives none: a 32 MiB server of 1995 (model). */
export const DEFAULT_MEMORY_MIB = 32;

/** Model: kernel structures that live as long as the system (driver objects, their names, loader entries). */
export const STATIC_REGION = { start: 0xe0000000, end: 0xe1000000 } as const;
/** The static region is mapped this much at a time. */
const STATIC_CHUNK = 0x10000;
/** Pool pages are mapped this much at a time (a block larger than this gets its own mapping). */
const POOL_CHUNK = 0x40000;
/**
 * Most freed blocks made inaccessible: each protection flip splits an engine region (measured: 1-15 ms
 * each in libunicorn 2.0.1, which copies the region), and libunicorn asserts at about 4,000 regions. Blocks freed past this are still tracked (double frees are
 * still caught) but stay accessible; `unguardedFrees` counts them.
 */
export const MAX_GUARDED_FREES = 256;
/**
 * NT keeps MmSizeOfNonPagedMustSucceed (4 pages) apart for NonPagedPoolMustSucceed requests when the
 * rest of nonpaged pool is exhausted; when that is gone too, MiAllocatePoolPages bugchecks
 * MUST_SUCCEED_POOL_EMPTY (0x41).
 */
const MUST_SUCCEED_PAGES = 4;

/** POOL_TYPE (ntddk.h): NonPagedPool 0, PagedPool 1, NonPagedPoolMustSucceed 2, ... CacheAligned +4. */
export const isPagedPool = (poolType: number) => (poolType & 7) === 1 || (poolType & 7) === 5;
export const isMustSucceedPool = (poolType: number) => (poolType & 7) === 2 || (poolType & 7) === 6;

/** Who a block is for: the driver's own allocations, or kernel objects made for it (DEVICE_OBJECT, IRPs…). */
export type PoolOwner = 'driver' | 'kernel';

export interface PoolBlock {
  /** What the allocation returned. */
  address: number;
  size: number;
  /** First byte of the block's pages: `address`, or its POOL_HEADER's page for a block with one. */
  base: number;
  /** Bytes of whole pages the block has, which a free makes inaccessible. */
  mappedSize: number;
  /** The block has NT's POOL_HEADER before it (small ExAllocatePool blocks). */
  header: boolean;
  tag: string | null;
  poolType: number;
  owner: PoolOwner;
  freed: boolean;
}

/** What a free found: a corrupted POOL_HEADER is NT's BAD_POOL_HEADER (0x19) with these parameters. */
export type FreeResult = 'ok' | 'double-free' | 'not-allocated' | BadPoolHeader;

/** How a block is laid out (see allocate). */
export interface AllocateOptions {
  /**
   * NT's small-block layout (ExAllocatePool*): a request of up to a page less POOL_OVERHEAD and one
   * block gets a POOL_HEADER before it and the free rest of its page after it; larger requests and
   * CacheAligned types get whole pages without a header, as NT gives them.
   */
  header?: boolean;
}

/** One pool's range: pages are handed out upward and never reused. */
class Arena {
  next: number;
  mapped: number;
  constructor(
    readonly start: number,
    /** End of the pages a normal request may take. */
    readonly end: number,
    /** End including the must-succeed reserve. */
    readonly reserveEnd: number,
  ) {
    this.next = start;
    this.mapped = start;
  }
}

export interface PoolOptions {
  /** Physical memory of the machine in MiB (default DEFAULT_MEMORY_MIB); sizes the pools as NT does. */
  memoryMiB?: number;
}

export class Pool {
  private readonly blocks = new Map<number, PoolBlock>();
  /** Blocks in allocation order. */
  private readonly order: PoolBlock[] = [];
  private readonly nonPaged: Arena;
  private readonly paged: Arena;
  private staticNext: number = STATIC_REGION.start;
  private staticMapped: number = STATIC_REGION.start;
  private guardedFrees = 0;
  /** Frees past MAX_GUARDED_FREES, whose pages stay accessible. */
  unguardedFrees = 0;
  /** Pool sizes in bytes (nonpaged excludes the must-succeed reserve). */
  readonly sizes: { nonPaged: number; paged: number };
  /** Paged pool bytes charged for what the model keeps on the host (object names, link targets). */
  private charged = 0;
  /**
   * The registry's size quota: NT's RegistrySizeLimit defaults to 25% of paged pool (KB124594,
   * "Understanding and Configuring Registry Size Limit (RSL)"); values the guest sets count against it.
   */
  readonly registryQuota: number;
  private registryUsed = 0;

  constructor(
    private readonly cpu: GuestMemoryEngine,
    options: PoolOptions = {},
  ) {
    this.sizes = poolSizes(options.memoryMiB ?? DEFAULT_MEMORY_MIB);
    const page = cpu.pageSize;
    const reserve = MUST_SUCCEED_PAGES * page;
    const npStart = NONPAGED_POOL_END - this.sizes.nonPaged - reserve;
    this.nonPaged = new Arena(npStart, npStart + this.sizes.nonPaged, NONPAGED_POOL_END);
    const pStart = PAGED_POOL_START_END.start;
    this.paged = new Arena(pStart, pStart + this.sizes.paged, pStart + this.sizes.paged);
    this.registryQuota = Math.floor(this.sizes.paged / 4);
  }

  /**
   * Charges `bytes` of paged pool for a structure NT keeps there and the model keeps on the host (an
   * object name, a symbolic link's target); false when paged pool cannot hold it (NT's allocation
   * fails: the caller returns STATUS_INSUFFICIENT_RESOURCES). This bounds host memory by NT's limit.
   */
  chargePaged(bytes: number): boolean {
    if (this.paged.next + this.charged + bytes > this.paged.end) return false;
    this.charged += bytes;
    return true;
  }

  /** Gives back what chargePaged took. */
  releasePaged(bytes: number): void {
    this.charged = Math.max(0, this.charged - bytes);
  }

  /** Changes the registry's size by `delta` bytes; false (no change) when that passes registryQuota. */
  chargeRegistry(delta: number): boolean {
    if (delta > 0 && this.registryUsed + delta > this.registryQuota) return false;
    this.registryUsed = Math.max(0, this.registryUsed + delta);
    return true;
  }

  /** The guest ranges of nonpaged and paged pool (must-succeed reserve included). */
  get ranges(): { nonPaged: { start: number; end: number }; paged: { start: number; end: number } } {
    return {
      nonPaged: { start: this.nonPaged.start, end: this.nonPaged.reserveEnd },
      paged: { start: this.paged.start, end: this.paged.reserveEnd },
    };
  }

  /**
   * Allocates `size` bytes (zeroed) of `poolType`'s pool; null when that pool is exhausted or the
   * engine's guest memory cap refuses the pages (NT returns NULL too). A must-succeed request may take
   * the reserve; when even that fails the caller bugchecks (MUST_SUCCEED_POOL_EMPTY).
   */
  allocate(
    size: number,
    poolType: number,
    tag: string | null,
    owner: PoolOwner,
    options: AllocateOptions = {},
  ): number | null {
    const PAGE = this.cpu.pageSize; // 4 KiB x86, 8 KiB Alpha
    const arena = isPagedPool(poolType) ? this.paged : this.nonPaged;
    const bytes = Math.max(PAGE, Math.ceil(Math.max(size, 1) / PAGE) * PAGE);
    const limit = isMustSucceedPool(poolType) ? arena.reserveEnd : arena.end;
    const charged = arena === this.paged ? this.charged : 0;
    if (!(size <= limit - arena.start) || arena.next + charged + bytes > limit) return null;
    const address = arena.next;
    try {
      this.ensureMapped(arena, address + bytes, limit);
    } catch (e) {
      if (e instanceof GuestMemoryLimitError) return null;
      throw e;
    }
    arena.next += bytes;
    // CacheAligned types (+4) start on a page here, as NT's large blocks do (no header).
    const header = options.header === true && (poolType & 4) === 0 && size <= poolBuddyMax(PAGE);
    const user = header ? address + POOL_OVERHEAD : address;
    // The page is fresh (never reused), so zero but for the two headers.
    if (header) {
      const h = poolPageHeaders(PAGE, size, poolType, tag);
      this.cpu.writeU32(address, h.ulong1);
      this.cpu.writeU32(address + 4, h.tag);
      this.cpu.writeU32(address + h.freeOffset, h.freeUlong1);
    }
    const block = {
      address: user,
      size,
      base: address,
      mappedSize: bytes,
      header,
      tag,
      poolType,
      owner,
      freed: false,
    };
    this.blocks.set(user, block);
    this.order.push(block);
    return user;
  }

  /** Maps the arena's chunks up to `end` (a large block gets one mapping of its own size). */
  private ensureMapped(arena: Arena, end: number, limit: number): void {
    while (arena.mapped < end) {
      const need = end - arena.mapped;
      const size = Math.min(Math.max(POOL_CHUNK, need), limit - arena.mapped);
      try {
        this.cpu.map(arena.mapped, size, RW);
      } catch (e) {
        // Under a tight guest memory cap, map only what this block needs.
        if (!(e instanceof GuestMemoryLimitError) || size === need) throw e;
        this.cpu.map(arena.mapped, need, RW);
        arena.mapped += need;
        continue;
      }
      arena.mapped += size;
    }
  }

  /**
   * Allocates a kernel structure that is never freed, packed (8-byte aligned) into chunks mapped 64 KiB
   * at a time. No use-after-free tracking; such blocks are not pool blocks (not in leaks or `blockAt`).
   */
  allocateStatic(size: number): number {
    const address = this.staticNext;
    const end = address + Math.ceil(Math.max(size, 1) / 8) * 8;
    if (end > STATIC_REGION.end) throw new Error('kernel static region exhausted (host limit)');
    while (this.staticMapped < end) {
      this.cpu.map(this.staticMapped, STATIC_CHUNK, RW);
      this.staticMapped += STATIC_CHUNK;
    }
    this.staticNext = end;
    return address;
  }

  /**
   * Frees a block. A block with a POOL_HEADER is checked first as NT's ExFreePool checks it (the
   * headers of its page, ReactOS's ExpCheckPoolBlocks): a corrupted one is returned and the block
   * stays allocated (NT bugchecks there).
   */
  free(address: number): FreeResult {
    const block = this.blocks.get(address);
    if (!block) return 'not-allocated';
    if (block.freed) return 'double-free';
    const bad = this.check(block);
    if (bad) return bad;
    block.freed = true;
    if (this.guardedFrees < MAX_GUARDED_FREES) {
      this.guardedFrees++;
      this.cpu.protect(block.base, block.mappedSize, { read: false, write: false, execute: false });
    } else {
      this.unguardedFrees++;
    }
    return 'ok';
  }

  /** The POOL_HEADER check of a block's page (null when sound or the block has no header). */
  check(block: PoolBlock): BadPoolHeader | null {
    if (!block.header) return null;
    return checkPoolPage(
      this.cpu.read(block.base, this.cpu.pageSize),
      block.base,
      block.address - POOL_OVERHEAD,
    );
  }

  /** The block whose pages hold `address` (freed or not), for turning faults into pool reports. */
  blockAt(address: number): PoolBlock | undefined {
    return this.order.find((b) => address >= b.base && address < b.base + b.mappedSize);
  }

  /** Blocks allocated for `owner` and not freed. */
  live(owner: PoolOwner): PoolBlock[] {
    return this.order.filter((b) => !b.freed && b.owner === owner);
  }
}
