// Runs a command under /usr/bin/time -v: its CPU time (user + system), wall time and peak RSS, for
// benchmarks that compare whole processes (the CLI against node or python3-pefile).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What one run cost. */
export interface Timed {
  cpuMs: number;
  wallMs: number;
  rssMiB: number;
  status: number | null;
  stdout: string;
}

/** True when /usr/bin/time (Debian package `time`) is there to measure peak RSS and CPU. */
export const haveTime = existsSync('/usr/bin/time');

/** Runs `cmd args` once; stdout is kept when `keepStdout`, else discarded. */
export function timed(cmd: string, args: string[], keepStdout = false): Timed {
  const dir = mkdtempSync(join(tmpdir(), 'nt351-timed-'));
  const report = join(dir, 'time.txt');
  try {
    const t = performance.now();
    const r = spawnSync('/usr/bin/time', ['-v', '-o', report, cmd, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', keepStdout ? 'pipe' : 'ignore', 'ignore'],
      maxBuffer: 1 << 30,
    });
    const wallMs = performance.now() - t;
    if (r.error) throw r.error;
    const text = readFileSync(report, 'utf8');
    const field = (name: string) => Number(new RegExp(`${name}: ([0-9.]+)`).exec(text)?.[1] ?? Number.NaN);
    return {
      cpuMs: (field('User time \\(seconds\\)') + field('System time \\(seconds\\)')) * 1000,
      wallMs,
      rssMiB: field('Maximum resident set size \\(kbytes\\)') / 1024,
      status: r.status,
      stdout: keepStdout ? r.stdout : '',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The median of `xs`. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
