// The kernel's image address space (src/loader/address-space.ts): first fit at 64 KB granularity in
// the driver region, preferred bases when free, released ranges reused; placing many images costs one
// walk over the reservations each (issue 19).
import { describe, expect, it } from 'vitest';
import { DRIVER_REGION, HAL_BASE, KERNEL_BASE, KernelAddressSpace } from '../../src/loader/address-space.js';

describe('KernelAddressSpace', () => {
  it('places images first fit on 64 KB boundaries, around fixed ones, and reuses released ranges', () => {
    const s = new KernelAddressSpace();
    expect(s.reserve(0x1c0000, 'ntoskrnl', KERNEL_BASE)?.base).toBe(KERNEL_BASE);
    expect(s.reserve(0x20000, 'hal', HAL_BASE)?.base).toBe(HAL_BASE);
    const a = s.reserve(0x7000, 'a')!;
    expect(a.base).toBe(DRIVER_REGION.start);
    // A preferred base at 4 KB alignment just past `a` takes part of the next 64 KB step.
    expect(s.reserve(0x3000, 'b', DRIVER_REGION.start + 0x8000)?.base).toBe(DRIVER_REGION.start + 0x8000);
    expect(s.reserve(0x9000, 'c')?.base).toBe(DRIVER_REGION.start + 0x10000);
    expect(s.reserve(0x10001, 'd')?.base).toBe(DRIVER_REGION.start + 0x20000);
    expect(s.reserve(0x1000, 'e')?.base).toBe(DRIVER_REGION.start + 0x40000);
    s.release(DRIVER_REGION.start + 0x10000);
    expect(s.reserve(0x10000, 'f')?.base).toBe(DRIVER_REGION.start + 0x10000);
    expect(s.reservations.map((r) => r.owner)).toEqual(['ntoskrnl', 'hal', 'a', 'b', 'f', 'd', 'e']);
    expect(s.reserve(DRIVER_REGION.end - DRIVER_REGION.start, 'too big')).toBeNull();
  });

  it('images of 1 MiB less 4 KiB fill the driver region in consecutive 1 MiB steps, then null', () => {
    const s = new KernelAddressSpace();
    const steps = (DRIVER_REGION.end - DRIVER_REGION.start) / 0x100000;
    for (let i = 0; i < steps; i++) {
      const r = s.reserve(0xff000, `n${i}`);
      if (r?.base !== DRIVER_REGION.start + i * 0x100000) expect.fail(`image ${i} at ${r?.base}`);
    }
    expect(s.reservations).toHaveLength(steps);
    expect(s.reserve(0x1000, 'one more')).toBeNull();
  });

  it('places every image where a walk over each 64 KB step would, through random reserves and releases', () => {
    // The reference: the region tried step by step against every reservation (what first fit means).
    const naive = new Map<number, number>(); // base -> length
    const free = (base: number, length: number) =>
      base >= KERNEL_BASE &&
      base + length <= DRIVER_REGION.end &&
      [...naive].every(([b, l]) => base + length <= b || base >= b + l);
    const naiveReserve = (size: number, preferred?: number): number | null => {
      const length = Math.ceil(Math.max(size, 1) / 0x1000) * 0x1000;
      let base: number | null = null;
      if (preferred !== undefined && preferred % 0x1000 === 0 && free(preferred, length)) base = preferred;
      for (let at = DRIVER_REGION.start; base === null && at + length <= DRIVER_REGION.end; at += 0x10000)
        if (free(at, length)) base = at;
      if (base !== null) naive.set(base, length);
      return base;
    };
    let seed = 19;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const s = new KernelAddressSpace();
    for (let step = 0; step < 3000; step++) {
      const bases = s.reservations.map((r) => r.base);
      if (bases.length > 0 && random(4) === 0) {
        const base = bases[random(bases.length)]!;
        s.release(base);
        naive.delete(base);
        continue;
      }
      const size = random(3) === 0 ? 0x1000 + random(0x40000) : 0x1000 * (1 + random(24));
      const preferred =
        random(3) === 0 ? DRIVER_REGION.start + 0x1000 * random(0x400) : random(2) ? 0x10000 : undefined;
      const got = s.reserve(size, `i${step}`, preferred)?.base ?? null;
      if (got !== naiveReserve(size, preferred)) expect.fail(`step ${step}: ${got} differs from first fit`);
    }
    expect(s.reservations.map((r) => [r.base, r.size])).toEqual([...naive].sort((a, b) => a[0] - b[0]));
  });
});
