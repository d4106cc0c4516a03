// Benchmark of `nt351 replay --jobs 2` against `--jobs 1` on the KB Q138713 suite (scenarios/kb138713,
// 84 scenarios) and its x86 half alone (scenarios/kb138713/x86, 49), through the built CLI (workers
// need dist/: run `npm run build` first). Runs alternate between the two settings; each figure is the median wall-clock time of its runs, with user + system CPU beside it
// (bash's `time` of the child). The machine's load average before and after is part of the line: on a
// shared machine a second job only helps when a second core is free. Also checks that both settings
// print the same report. Alone: `npx tsx bench/replay.ts [rounds]`; bench/run.ts calls benchReplay().
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

const SUITES = ['scenarios/kb138713', 'scenarios/kb138713/x86'];

interface Run {
  wall: number;
  cpu: number;
  stdout: string;
}

function replayOnce(suite: string, jobs: number): Run {
  const r = spawnSync(
    'bash',
    [
      '-c',
      'TIMEFORMAT="%3R %3U %3S"; { time node bin/nt351.js replay --jobs "$0" "$1" 2>/dev/null; } 2>&3',
      String(jobs),
      suite,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore', 'pipe'], maxBuffer: 64 << 20 },
  );
  if (r.status !== 0) throw new Error(`replay --jobs ${jobs} exited ${r.status}`);
  const [wall, user, sys] = (r.output[3] as string).trim().split(/\s+/).map(Number);
  return { wall: wall! * 1000, cpu: (user! + sys!) * 1000, stdout: r.stdout };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export function benchReplay(log: (s: string) => void, rounds = 5): { lines: string[] } {
  if (!existsSync('dist/replay/pool.js')) {
    log('replay: dist/ is not built (npm run build), no replay benchmark');
    return { lines: [] };
  }
  return { lines: SUITES.map((suite) => benchSuite(suite, log, rounds)) };
}

/** Alternating rounds of `--jobs 1` and `--jobs 2` on `suite`; its table line. */
function benchSuite(suite: string, log: (s: string) => void, rounds: number): string {
  const before = loadavg()[0]!;
  const one: Run[] = [];
  const two: Run[] = [];
  for (let i = 0; i < rounds; i++) {
    one.push(replayOnce(suite, 1));
    two.push(replayOnce(suite, 2));
  }
  const after = loadavg()[0]!;
  const same = two.every((r) => r.stdout === one[0]!.stdout) && one.every((r) => r.stdout === one[0]!.stdout);
  const scenarios = /(\d+) scenario\(s\)/.exec(one[0]!.stdout)?.[1] ?? '?';
  const w1 = median(one.map((r) => r.wall));
  const w2 = median(two.map((r) => r.wall));
  const c1 = median(one.map((r) => r.cpu));
  const c2 = median(two.map((r) => r.cpu));
  log(
    `replay ${suite}: ${scenarios} scenarios, --jobs 1 ${w1.toFixed(0)} ms (cpu ${c1.toFixed(0)}), --jobs 2 ${w2.toFixed(0)} ms (cpu ${c2.toFixed(0)}), load ${before.toFixed(1)} -> ${after.toFixed(1)}, same output: ${same}`,
  );
  return `| CLI \`replay --jobs 2 ${suite}\` (${scenarios} scenarios, wall, median of ${rounds} alternating runs, CPU ${c2.toFixed(0)} ms; load average ${before.toFixed(1)} → ${after.toFixed(1)} on ${availableParallelism()} cores; output ${same ? 'identical' : '**differs**'}) | ${w2.toFixed(0)} ms | \`--jobs 1\` ${w1.toFixed(0)} ms (CPU ${c1.toFixed(0)} ms) | **${(w2 / w1).toFixed(2)}×** (target < 1) |`;
}

if (process.argv[1]?.endsWith('replay.ts')) {
  for (const line of benchReplay((s) => process.stdout.write(`${s}\n`), Number(process.argv[2] ?? 5)).lines)
    process.stdout.write(`${line}\n`);
}
