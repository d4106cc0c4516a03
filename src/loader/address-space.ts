// Kernel address-space manager for system images: the kernel from 0x80100000 up, the HAL at
// 0x80400000 when free, drivers after them; first fit at 64 KB granularity, preferred base when free.
import { alignUp } from '../pe/index.js';

/** x86 NT 3.51 places (facts: "Kernel image base 0x80100000; HAL at 0x80400000"). */
export const KERNEL_BASE = 0x80100000;
export const HAL_BASE = 0x80400000;
/** Model: where drivers go when their preferred base is taken (after the boot images). */
export const DRIVER_REGION = { start: 0x80600000, end: 0xa0000000 } as const;
const GRANULARITY = 0x10000;

/** A reserved range of guest virtual addresses. */
export interface Reservation {
  base: number;
  size: number;
  owner: string;
}

export class KernelAddressSpace {
  private readonly reserved: Reservation[] = [];

  /** Ranges in address order. */
  get reservations(): readonly Reservation[] {
    return this.reserved;
  }

  isFree(base: number, size: number): boolean {
    if (base < 0x80000000 || base + size > 0x1_0000_0000) return false;
    return this.reserved.every((r) => base + size <= r.base || base >= r.base + r.size);
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
    for (
      let at = DRIVER_REGION.start;
      base === undefined && at + length <= DRIVER_REGION.end;
      at += GRANULARITY
    ) {
      if (this.isFree(at, length)) base = at;
    }
    if (base === undefined) return null;
    const r = { base, size: length, owner };
    this.reserved.push(r);
    this.reserved.sort((a, b) => a.base - b.base);
    return r;
  }

  release(base: number): void {
    const i = this.reserved.findIndex((r) => r.base === base);
    if (i >= 0) this.reserved.splice(i, 1);
  }
}
