// Benchmark: `nt351 resolve` through the CLI on two corpora of real PE files from Debian packages,
// against python3-pefile resolving the same files in the same run (bench/resolve-peer.py): CPU time
// (user + system; the machine is shared), wall time and peak RSS, from /usr/bin/time -v.
// NT351_BENCH_BEFORE=<checkout with dist/ built> also runs that tree's CLI, for a before/after pair.
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectImages } from '../src/cli/files.js';
import { haveTime, median, type Timed, timed } from './timed.js';

/**
 * The smaller corpus: the Debian packages of test/pe/malformed-corpus.test.ts (clamav-testfiles,
 * nsis-common, the i686 mingw-w64 runtimes with their DWARF-heavy DLLs, linux-perf, systemd-boot-efi,
 * shim-unsigned, grub-efi-amd64-bin), gathered as `nt351 resolve` gathers folders (files starting "MZ").
 */
export const SMALL_CORPUS = [
  '/usr/share/clamav-testfiles',
  '/usr/share/nsis',
  '/usr/lib/gcc/i686-w64-mingw32',
  '/usr/i686-w64-mingw32/lib',
  '/usr/lib/perf-core/tests',
  '/usr/lib/systemd/boot/efi',
  '/usr/lib/shim',
  '/usr/lib/grub/x86_64-efi/monolithic',
];
/** The larger corpus: the smaller one plus Wine's PE DLLs (Debian package libwine, Wine 8.0). */
export const LARGE_CORPUS = [...SMALL_CORPUS, '/usr/lib/x86_64-linux-gnu/wine'];

const CLI = 'bin/nt351.js';
const RUNS = 3;
const RSS_TARGET_MIB = 120;

/** The run with the median CPU time of `n` runs. */
function medianRun(n: number, run: () => Timed): Timed {
  const runs = Array.from({ length: n }, run);
  const m = median(runs.map((r) => r.cpuMs));
  return runs.find((r) => r.cpuMs === m)!;
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const fig = (t: Timed) => `${s(t.cpuMs)} CPU (${s(t.wallMs)} wall), peak RSS ${t.rssMiB.toFixed(0)} MiB`;

function benchCorpus(
  log: (s: string) => void,
  label: string,
  dirs: string[],
  target: number,
  before: string | undefined,
): string[] {
  const present = dirs.filter((d) => existsSync(d));
  const missing = dirs.filter((d) => !existsSync(d));
  const files = collectImages(present);
  const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
  const what = `${files.length} PE files (${(bytes / 2 ** 20).toFixed(0)} MiB): ${label}${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`;
  const dir = mkdtempSync(join(tmpdir(), 'nt351-resolve-bench-'));
  try {
    const list = join(dir, 'files.txt');
    writeFileSync(list, `${files.join('\n')}\n`);
    const ours = medianRun(RUNS, () => timed(process.execPath, [CLI, 'resolve', ...present]));
    if (ours.status !== 0 && ours.status !== 1) throw new Error(`nt351 resolve exited ${ours.status}`);
    const old = before
      ? medianRun(RUNS, () => timed(process.execPath, [join(before, CLI), 'resolve', ...present]))
      : undefined;
    const peer = timed('/usr/bin/python3', ['bench/resolve-peer.py', list], true);
    const fast = timed('/usr/bin/python3', ['bench/resolve-peer.py', list, '--fast'], true);
    if (peer.status !== 0 || fast.status !== 0) throw new Error('bench/resolve-peer.py failed');
    const ratio = peer.cpuMs / ours.cpuMs;
    log(
      `resolve ${what}: ours ${fig(ours)}${old ? `; before ${fig(old)}` : ''}; pefile ${fig(peer)}; pefile fast_load ${fig(fast)}; ${ratio.toFixed(1)}× (CPU)`,
    );
    return [
      `| \`nt351 resolve\` (CLI, median of ${RUNS} by CPU) of ${what} | ${fig(ours)}${old ? `; before: ${fig(old)}` : ''} | pefile.PE() of each file, then the same lookups: ${fig(peer)}; pefile fast_load + export/import directories only: ${s(fast.cpuMs)} CPU | **${ratio.toFixed(1)}×** CPU (target ≥ ${target}×), ${(peer.wallMs / ours.wallMs).toFixed(1)}× wall, ${(fast.cpuMs / ours.cpuMs).toFixed(1)}× the fast_load peer; RSS ${ours.rssMiB <= RSS_TARGET_MIB ? 'within' : 'over'} ${RSS_TARGET_MIB} MiB |`,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Both corpora; a corpus without any of its packages installed is skipped with the reason. */
export function benchResolve(log: (s: string) => void): { lines: string[] } {
  if (!haveTime) {
    log('resolve: skipped, /usr/bin/time (Debian package time) is not installed');
    return { lines: [] };
  }
  const before = process.env.NT351_BENCH_BEFORE;
  const lines: string[] = [];
  for (const [label, dirs, target] of [
    ['the Debian packages of test/pe/malformed-corpus.test.ts', SMALL_CORPUS, 20],
    ['the same plus libwine (Wine 8.0 PE DLLs)', LARGE_CORPUS, 40],
  ] as const) {
    if (!dirs.some((d) => existsSync(d))) {
      log(`resolve: skipped ${label}: none of its folders exist`);
      continue;
    }
    if (dirs === LARGE_CORPUS && !existsSync(LARGE_CORPUS.at(-1)!)) {
      log(
        'resolve: skipped the larger corpus: libwine is not installed (./scripts/setup.sh --bench installs it)',
      );
      continue;
    }
    lines.push(...benchCorpus(log, label, [...dirs], target, before));
  }
  return { lines };
}

if (process.argv[1]?.endsWith('resolve.ts')) benchResolve((s) => process.stdout.write(`${s}\n`));
