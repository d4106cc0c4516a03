// Benchmark: in-process boot of sp3-x86-up with N extra copies of a NIC driver (issue 19: boot cost
// linear in drivers, target <= 0.2 ms per extra driver warm). Sets are generated in temp folders. Each
// N reports the first (cold: a new engine maps everything) boot, then the median warm boot (an engine
// reused from the previous boot) in wall time and in this process's CPU time, which a shared machine
// disturbs less.
import { rmSync } from 'node:fs';
import { boot } from '../src/boot/index.js';
import { ImageSet } from '../src/system/index.js';
import { manyDriverSet } from '../test/hardening/many-drivers.js';
import { warmBoots } from './boot.js';

interface Figures {
  n: number;
  cold: number;
  warm: number;
  warmCpu: number;
}

/**
 * Boots of each set before its warm ones are measured (bench/boot.ts warms the KB set with 20), and
 * of the first set, which also warms this process's JIT for every later one (its small boots need
 * more of them: the first sets' figures were measured while V8 was still tiering up).
 */
const WARM_UP = 20;
const FIRST_WARM_UP = 200;

/** Cold and median warm boot in ms of a set with `n` extra drivers. */
async function measure(n: number, runs: number, warmUp: number): Promise<Figures> {
  const { root } = manyDriverSet(n);
  try {
    const set = ImageSet.open(root);
    const t0 = performance.now();
    await boot(set.fork());
    const cold = performance.now() - t0;
    // Warm as bench/boot.ts's KB figure is: an engine reused and V8's optimised code in place. The
    // first boots of a set with many drivers are several times slower while V8 tiers up (128 drivers:
    // ~350, 100, 80 ... 30 ms for boots 1 to 25 under load), which two warm-up boots measured.
    for (let i = 0; i < warmUp; i++) await boot(set.fork());
    const { wall, cpu } = await warmBoots(set, runs, (r) => {
      if (r.bugcheck) throw new Error(`${n} drivers: bugcheck ${r.bugcheck.name}`);
    });
    return { n, cold, warm: wall, warmCpu: cpu };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export async function benchBootScale(
  log: (s: string) => void,
  counts: number[] = [0, 32, 128, 500],
): Promise<{ lines: string[] }> {
  const figures: Figures[] = [];
  for (const n of counts) {
    const f = await measure(n, n >= 128 ? 9 : 31, figures.length === 0 ? FIRST_WARM_UP : WARM_UP);
    figures.push(f);
    log(
      `boot-scale: ${n} extra drivers: cold ${f.cold.toFixed(0)} ms, warm ${f.warm.toFixed(2)} ms median (${f.warmCpu.toFixed(2)} ms CPU)`,
    );
  }
  const first = figures[0]!;
  const perDriver = (f: Figures, key: 'warm' | 'warmCpu') => (f[key] - first[key]) / (f.n - first.n);
  const slopes = figures
    .slice(1)
    .map((f) => ({ f, wall: perDriver(f, 'warm'), cpu: perDriver(f, 'warmCpu') }));
  for (const s of slopes)
    log(
      `boot-scale: ${first.n} to ${s.f.n} drivers: ${s.wall.toFixed(3)} ms (${s.cpu.toFixed(3)} ms CPU) per extra driver (target <= 0.2)`,
    );
  return {
    lines: [
      ...figures.map(
        (f) =>
          `| boot, sp3-x86-up + ${f.n} NIC drivers: cold (first boot) / warm median (warm CPU time) | ${f.cold.toFixed(0)} ms / ${f.warm.toFixed(2)} ms (${f.warmCpu.toFixed(2)} ms) | | |`,
      ),
      ...slopes.map(
        (s) =>
          `| warm cost per extra driver, ${first.n} to ${s.f.n} (CPU time) | ${s.wall.toFixed(3)} ms (${s.cpu.toFixed(3)} ms) | target 0.2 ms | ${(s.wall / 0.2).toFixed(2)} |`,
      ),
    ],
  };
}

if (process.argv[1]?.endsWith('boot-scale.ts')) {
  const counts = process.argv.slice(2).map(Number);
  await benchBootScale((s) => process.stdout.write(`${s}\n`), counts.length > 0 ? counts : undefined);
}
