// Benchmark: warm in-process boot of sp3-x86-up with N extra copies of a NIC driver (issue 19: boot
// cost linear in drivers, target <= 0.2 ms per extra driver). Sets are generated in temp folders.
import { rmSync } from 'node:fs';
import { boot } from '../src/boot/index.js';
import { ImageSet } from '../src/system/index.js';
import { manyDriverSet } from '../test/hardening/many-drivers.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median warm boot in ms of a set with `n` extra drivers. */
async function warmBoot(n: number, runs: number): Promise<number> {
  const { root } = manyDriverSet(n);
  try {
    const set = ImageSet.open(root);
    for (let i = 0; i < 3; i++) await boot(set.fork());
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const r = await boot(set.fork());
      times.push(performance.now() - t);
      if (r.bugcheck) throw new Error(`${n} drivers: bugcheck ${r.bugcheck.name}`);
    }
    return median(times);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export async function benchBootScale(
  log: (s: string) => void,
  counts: number[] = [0, 8, 32, 128, 500],
): Promise<{ lines: string[] }> {
  const figures: [number, number][] = [];
  for (const n of counts) {
    const ms = await warmBoot(n, n >= 128 ? 5 : 15);
    figures.push([n, ms]);
    log(`boot-scale: ${n} extra drivers: ${ms.toFixed(2)} ms median warm boot`);
  }
  const [n0, t0] = figures[0]!;
  const [nMax, tMax] = figures.at(-1)!;
  const perDriver = (tMax - t0) / (nMax - n0);
  log(`boot-scale: ${perDriver.toFixed(3)} ms per extra driver (target <= 0.2)`);
  return {
    lines: [
      ...figures.map(([n, ms]) => `| warm boot, sp3-x86-up + ${n} NIC drivers | ${ms.toFixed(2)} ms | | |`),
      `| cost per extra driver (${n0} to ${nMax}) | ${perDriver.toFixed(3)} ms | target 0.2 ms | ${(perDriver / 0.2).toFixed(2)} |`,
    ],
  };
}

if (process.argv[1]?.endsWith('boot-scale.ts')) {
  const counts = process.argv.slice(2).map(Number);
  await benchBootScale((s) => process.stdout.write(`${s}\n`), counts.length > 0 ? counts : undefined);
}
