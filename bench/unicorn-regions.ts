// Benchmark: what one libunicorn memory-map operation costs against the number of regions already
// mapped (issue 19: boot cost per driver grows with the regions every image adds). Measured on a bare
// UnicornX86 through its C API, so the figures are libunicorn's own, not the engine wrapper's.
import { UnicornX86 } from '../src/cpu/unicorn.js';

interface Raw {
  rawApi: {
    memMap(uc: unknown, a: number, s: number, p: number): number;
    memUnmap(uc: unknown, a: number, s: number): number;
    memProtect(uc: unknown, a: number, s: number, p: number): number;
    memWrite(uc: unknown, a: number, b: Uint8Array, s: number): number;
  };
  uc: unknown;
}
const READ = 1;
const WRITE = 2;
const EXEC = 4;

/** Microseconds per call of each operation with `regions` one-page regions mapped (alternately RW, RX). */
function costs(regions: number, k: number): Record<string, number> {
  const cpu = new UnicornX86({ codeGuard: false });
  const raw = cpu as unknown as Raw;
  const { rawApi: api, uc } = raw;
  const base = 0x80100000;
  for (let i = 0; i < regions; i++)
    api.memMap(uc, base + i * 0x10000, 0x1000, i % 2 ? READ | WRITE : READ | EXEC);
  const time = (f: (i: number) => number): number => {
    const t = performance.now();
    for (let i = 0; i < k; i++) if (f(i) !== 0) throw new Error('uc call failed');
    return ((performance.now() - t) / k) * 1000;
  };
  const n = Math.min(k, regions / 2);
  const rw = (i: number) => base + (2 * (i % n) + 1) * 0x10000;
  const rx = (i: number) => base + 2 * (i % n) * 0x10000;
  const four = new Uint8Array(4);
  const out = {
    'uc_mem_protect keeping read-only-ness (RX to none and back)': time((i) =>
      api.memProtect(uc, rx(i >> 1), 0x1000, i % 2 ? READ | EXEC : 0),
    ),
    'uc_mem_protect changing read-only-ness (RW to none and back)': time((i) =>
      api.memProtect(uc, rw(i >> 1), 0x1000, i % 2 ? READ | WRITE : 0),
    ),
    'uc_mem_write of 4 bytes to a writable region': time((i) => api.memWrite(uc, rw(i), four, 4)),
    'uc_mem_write of 4 bytes to a read-only region': time((i) => api.memWrite(uc, rx(i), four, 4)),
    'uc_mem_map of a new page': time((i) => api.memMap(uc, 0x40000000 + i * 0x10000, 0x1000, READ | WRITE)),
    'uc_mem_unmap of a page': time((i) => api.memUnmap(uc, 0x40000000 + i * 0x10000, 0x1000)),
  };
  cpu.close();
  return out;
}

export function benchUnicornRegions(log: (s: string) => void, counts = [50, 400, 1600]): { lines: string[] } {
  const rows = new Map<string, number[]>();
  for (const r of counts) {
    const c = costs(r, r >= 1600 ? 10 : 40);
    for (const [op, us] of Object.entries(c)) rows.set(op, [...(rows.get(op) ?? []), us]);
    log(
      `unicorn-regions: ${r} regions: ${Object.entries(c)
        .map(([op, us]) => `${op} ${us.toFixed(1)} µs`)
        .join('; ')}`,
    );
  }
  return {
    lines: [...rows].map(
      ([op, us]) =>
        `| libunicorn ${op}, with ${counts.join(' / ')} regions mapped | ${us.map((u) => `${u.toFixed(1)} µs`).join(' / ')} | – | measured, no target |`,
    ),
  };
}

if (process.argv[1]?.endsWith('unicorn-regions.ts'))
  benchUnicornRegions((s) => process.stdout.write(`${s}\n`));
