// Kernel address-space manager for system images: the kernel from 0x80100000 up, the HAL at
// 0x80400000 when free, drivers after them; first fit at 64 KB granularity, preferred base when free.
// Images live only in [KERNEL_BASE, IMAGE_RANGE_END): the pools and the kernel's own structures lie
// outside it (src/kernel/pool.ts: paged pool from 0xE1000000, nonpaged pool below 0xFFBE0000), so no
// number of drivers can make an image and the pool collide.
import { alignUp } from '../pe/index.js';

/** x86 NT 3.51 places (facts: "Kernel image base 0x80100000; HAL at 0x80400000"). */
export const KERNEL_BASE = 0x80100000;
export const HAL_BASE = 0x80400000;
/** Model: where drivers go when their preferred base is taken (after the boot images). */
export const DRIVER_REGION = { start: 0x80600000, end: 0xa0000000 } as const;
/**
 * Images are placed only below this: NT 3.51 x86 keeps 0x80000000-0x9FFFFFFF for the kernel, HAL and
 * the drivers mapped with them; 0xA0000000 and up holds the system cache, paged pool, system PTEs and
 * nonpaged pool. A preferred base elsewhere is relocated, as NT relocates an image whose base is taken.
 */
export const IMAGE_RANGE = { start: KERNEL_BASE, end: DRIVER_REGION.end } as const;
const GRANULARITY = 0x10000;

/** A reserved range of guest virtual addresses. */
export interface Reservation {
  base: number;
  size: number;
  owner: string;
}

export class KernelAddressSpace {
  /** In address order, never overlapping: a range's neighbours are the only ranges it can collide with. */
  private readonly reserved: Reservation[] = [];
  /**
   * A 64 KB-aligned address of the driver region below which no aligned base has a free page: first
   * fit starts there (issue 19: walking every reservation from the region's start made loading N
   * drivers N^2). Reserving only moves it up; a release moves it down to the released range.
   */
  private frontier: number = DRIVER_REGION.start;

  /** Ranges in address order. */
  get reservations(): readonly Reservation[] {
    return this.reserved;
  }

  isFree(base: number, size: number): boolean {
    if (base < IMAGE_RANGE.start || base + size > IMAGE_RANGE.end) return false;
    const i = this.firstAbove(base);
    const before = this.reserved[i - 1];
    const after = this.reserved[i];
    return (!before || before.base + before.size <= base) && (!after || base + size <= after.base);
  }

  /**
   * Reserves `size` bytes for `owner` at `preferred` when that range is free, else at the first free
   * 64 KB-aligned range of the driver region. Returns null when nothing fits.
   */
  reserve(size: number, owner: string, preferred?: number): Reservation | null {
    const length = alignUp(Math.max(size, 1), 0x1000);
    let base: number | undefined;
    if (preferred !== undefined && preferred % 0x1000 === 0 && this.isFree(preferred, length))
      base = preferred;
    base ??= this.firstFit(length);
    if (base === undefined) return null;
    const r = { base, size: length, owner };
    const i = this.firstAbove(base);
    this.reserved.splice(i, 0, r);
    if (base < this.frontier + 0x1000 && base + length > this.frontier) this.advanceFrontier(i);
    return r;
  }

  /** The index of the first reservation whose base is above `address` (binary search). */
  private firstAbove(address: number): number {
    let lo = 0;
    let hi = this.reserved.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.reserved[mid]!.base > address) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /**
   * The lowest 64 KB-aligned base in the driver region where `length` bytes fit: one walk over the
   * reservations in address order from the frontier (below it nothing fits: every size is a page or more).
   */
  private firstFit(length: number): number | undefined {
    let at = this.frontier;
    for (let i = Math.max(0, this.firstAbove(at) - 1); i < this.reserved.length; i++) {
      const r = this.reserved[i]!;
      if (r.base + r.size <= at) continue;
      if (at + length <= r.base) break;
      at = alignUp(r.base + r.size, GRANULARITY);
    }
    return at + length <= DRIVER_REGION.end ? at : undefined;
  }

  /** Moves the frontier past reservation `i`, which covers its first page, and the ones after it that do. */
  private advanceFrontier(i: number): void {
    for (; i < this.reserved.length; i++) {
      const r = this.reserved[i]!;
      if (r.base + r.size <= this.frontier) continue;
      if (r.base >= this.frontier + 0x1000) break;
      this.frontier = alignUp(r.base + r.size, GRANULARITY);
    }
  }

  release(base: number): void {
    const i = this.firstAbove(base) - 1;
    if (i >= 0 && this.reserved[i]!.base === base) {
      this.reserved.splice(i, 1);
      // Only aligned bases whose first page met the range can have become free.
      const step = Math.max(DRIVER_REGION.start, Math.floor(base / GRANULARITY) * GRANULARITY);
      this.frontier = Math.min(this.frontier, step);
    }
  }
}
