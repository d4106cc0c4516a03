// `npm run stress` (issue 20; not part of `npm test`, it takes minutes): the hostile inputs replayed in
// child processes, so an abort, an exit 70 or a hang is seen from outside. (1) every one-byte-map x86
// encoding under eight prefix runs (LOCK among them) through the engine with the code guard
// (scripts/unicorn-sweep.ts; all maps, 0F 38 and 0F 3A too: `npx tsx scripts/unicorn-sweep.ts --guarded`);
// (2) image-set mutations of x86 and Alpha sets (scripts/mutate-imagesets.ts). Prints one table.
//   npx tsx scripts/stress.ts [mutations per set = 400]
import { spawnSync } from 'node:child_process';

const perSet = Number(process.argv[2] ?? '400');
const tsx = ['--import', 'tsx'];
const HANG_MS = 20 * 60 * 1000;

interface Row {
  run: string;
  inputs: string;
  aborts: number;
  exceptions: number;
  hangs: number;
  seconds: number;
}

function child(
  args: string[],
  env: Record<string, string> = {},
): { out: string; signal: string | null; status: number | null; ms: number } {
  const t = Date.now();
  const r = spawnSync(process.execPath, [...tsx, ...args], {
    encoding: 'utf8',
    timeout: HANG_MS,
    maxBuffer: 1 << 26,
    env: { ...process.env, ...env },
  });
  return { out: `${r.stdout}${r.stderr}`, signal: r.signal, status: r.status, ms: Date.now() - t };
}

const rows: Row[] = [];
{
  const r = child(['scripts/unicorn-sweep.ts', '--guarded'], { SWEEP_MAP: '' });
  const m = /(\d+) encodings in [\d.]+ s; (\d+) aborted/.exec(r.out);
  rows.push({
    run: 'x86 one-byte-map encodings, 8 prefix runs, guarded engine',
    inputs: m ? m[1]! : '?',
    aborts: m ? Number(m[2]) : 1,
    exceptions: r.status !== 0 && r.signal === null ? 1 : 0,
    hangs: r.signal === 'SIGTERM' ? 1 : 0,
    seconds: r.ms / 1000,
  });
}
for (const [set, seed] of [
  ['kb138713-x86-up', 1],
  ['sp3-x86-up', 2],
  ['kb138713-alpha-2100', 3],
] as const) {
  const r = child(['scripts/mutate-imagesets.ts', String(seed), set, String(perSet)]);
  const exceptions = [...r.out.matchAll(/^\s*(\d+)\s+exception/gm)].reduce((n, x) => n + Number(x[1]), 0);
  rows.push({
    run: `mutations of ${set} (seed ${seed})`,
    inputs: String(perSet),
    aborts: r.signal === 'SIGABRT' ? 1 : 0,
    exceptions: exceptions + (r.status !== 0 && r.signal === null && exceptions === 0 ? 1 : 0),
    hangs: r.signal === 'SIGTERM' ? 1 : 0,
    seconds: r.ms / 1000,
  });
}
const line = (c: string[]) => `| ${c.join(' | ')} |`;
process.stdout.write(`${line(['run', 'inputs', 'aborts', 'exceptions (exit 70)', 'hangs', 'seconds'])}\n`);
process.stdout.write(`${line(['---', '---', '---', '---', '---', '---'])}\n`);
for (const r of rows)
  process.stdout.write(
    `${line([r.run, r.inputs, String(r.aborts), String(r.exceptions), String(r.hangs), r.seconds.toFixed(1)])}\n`,
  );
process.exitCode = rows.some((r) => r.aborts + r.exceptions + r.hangs > 0) ? 1 : 0;
