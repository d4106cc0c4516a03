// The executive's pool in guest memory, built to catch driver bugs: every allocation gets its own
// pages and addresses are never reused, so freed pages can be made inaccessible (a later touch faults
// and is reported as use-after-free); double and invalid frees are events (NT: BAD_POOL_CALLER 0xC2).
import type { GuestMemoryEngine } from '../cpu/engine.js';
import { GuestMemoryLimitError, RW } from '../cpu/engine.js';

/** Model: nonpaged and paged pool share one region of system space. */
export const POOL_REGION = { start: 0x81000000, end: 0x83000000 } as const;

/** Who a block is for: the driver's own allocations, or kernel objects made for it (DEVICE_OBJECT, IRPs…). */
export type PoolOwner = 'driver' | 'kernel';

export interface PoolBlock {
  address: number;
  size: number;
  /** Bytes mapped for the block (whole pages), which a free makes inaccessible. */
  mappedSize: number;
  tag: string | null;
  poolType: number;
  owner: PoolOwner;
  freed: boolean;
}

export type FreeResult = 'ok' | 'double-free' | 'not-allocated';

/** Model: kernel structures that live as long as the system (driver objects, their names, loader entries). */
export const STATIC_REGION = { start: 0x83000000, end: 0x84000000 } as const;
/** The static region is mapped this much at a time. */
const STATIC_CHUNK = 0x10000;

export class Pool {
  private next: number = POOL_REGION.start;
  private readonly blocks = new Map<number, PoolBlock>();
  private staticNext: number = STATIC_REGION.start;
  private staticMapped: number = STATIC_REGION.start;

  constructor(private readonly cpu: GuestMemoryEngine) {}

  /**
   * Allocates `size` bytes (zeroed); null when the pool region is exhausted or the engine's guest
   * memory cap refuses the pages (NT returns NULL too).
   */
  allocate(size: number, poolType: number, tag: string | null, owner: PoolOwner): number | null {
    const PAGE = this.cpu.pageSize; // 4 KiB x86, 8 KiB Alpha
    const bytes = Math.max(PAGE, Math.ceil(Math.max(size, 1) / PAGE) * PAGE);
    if (size > POOL_REGION.end - POOL_REGION.start || this.next + bytes > POOL_REGION.end) return null;
    const address = this.next;
    try {
      this.cpu.map(address, bytes, RW);
    } catch (e) {
      if (e instanceof GuestMemoryLimitError) return null;
      throw e;
    }
    this.next += bytes + PAGE; // an unmapped guard page after every block
    this.blocks.set(address, { address, size, mappedSize: bytes, tag, poolType, owner, freed: false });
    return address;
  }

  /**
   * Allocates a kernel structure that is never freed, packed (8-byte aligned) into chunks mapped 64 KiB
   * at a time: one engine mapping per block, as `allocate` makes, dominated a boot's cost. No guard
   * pages, no use-after-free tracking; such blocks are not pool blocks (not in leaks or `blockAt`).
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

  free(address: number): FreeResult {
    const block = this.blocks.get(address);
    if (!block) return 'not-allocated';
    if (block.freed) return 'double-free';
    block.freed = true;
    this.cpu.protect(block.address, block.mappedSize, { read: false, write: false, execute: false });
    return 'ok';
  }

  /** The block whose pages hold `address` (freed or not), for turning faults into pool reports. */
  blockAt(address: number): PoolBlock | undefined {
    for (const b of this.blocks.values())
      if (address >= b.address && address < b.address + b.mappedSize) return b;
    return undefined;
  }

  /** Blocks allocated for `owner` and not freed. */
  live(owner: PoolOwner): PoolBlock[] {
    return [...this.blocks.values()].filter((b) => !b.freed && b.owner === owner);
  }
}
