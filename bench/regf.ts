// Benchmark: dump every key and value (names, types, decoded data) of registry hives with our reader,
// against hivexml (libhivex-bin) and regfexport (libregf-utils) doing the same job on the same files in
// the same run. The hives: SYSTEM-like hives from our writer (versions 1.2 and 1.5) with thousands of
// service keys, and the same after hivexsh rewrote part of them. Run alone: `npx tsx bench/regf.ts`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hive, walkHive, writeHive } from '../src/regf/index.js';
import { sampleSystem } from '../test/regf/sample.js';

/** Service keys per hive. */
const SERVICES = 2000;

/** Our dump: every key's path and every value decoded; returns a count so the work is not dropped. */
function dump(bytes: Uint8Array): number {
  let n = 0;
  walkHive(Hive.parse(bytes), (key, path) => {
    n += path.length + key.name.length;
    for (const v of key.values()) {
      const d = v.decoded();
      n += v.name.length + (typeof d === 'string' ? d.length : Array.isArray(d) ? d.length : 1);
    }
  });
  return n;
}

/** Median of `runs` wall times of `f`, in ms. */
function median(runs: number, f: () => void): number {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    f();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)]!;
}

export function benchRegf(log: (s: string) => void): { lines: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'nt351-bench-regf-'));
  try {
    const files: string[] = [];
    for (const minor of [2, 5]) {
      const file = join(dir, `system-1.${minor}.hive`);
      writeFileSync(file, writeHive(sampleSystem(SERVICES), { minor, fileName: 'SYSTEM' }));
      files.push(file);
    }
    if (existsSync('/usr/bin/hivexsh')) {
      const file = join(dir, 'system-hivex.hive');
      writeFileSync(file, readFileSync(files[0]!));
      execFileSync('/usr/bin/hivexsh', ['-w', file], {
        input: 'cd \\ControlSet001\\Services\nadd NewSvc\ncd NewSvc\nsetval 1\nStart\ndword:3\ncommit\n',
      });
      files.push(file);
    }
    const datas = files.map((f) => new Uint8Array(readFileSync(f)));
    const bytes = datas.reduce((n, d) => n + d.length, 0);
    const label = `${files.length} hives (${(bytes / 1024).toFixed(0)} KiB, ~${SERVICES * files.length} service keys)`;
    let sink = 0;
    for (const d of datas) sink += dump(d); // warm-up
    const ours = median(15, () => {
      for (const d of datas) sink += dump(d);
    });
    log(`regf: ours ${ours.toFixed(1)} ms per pass over ${label}`);
    const lines: string[] = [];
    for (const [tool, pkg, args] of [
      ['hivexml', 'libhivex-bin', (f: string) => [f]],
      ['regfexport', 'libregf-utils', (f: string) => [f]],
    ] as const) {
      if (!existsSync(`/usr/bin/${tool}`)) {
        log(`regf: ${tool} not installed (Debian ${pkg}); no ratio`);
        lines.push(
          `| hive dump: every key and value, ${label} | ours ${ours.toFixed(1)} ms/pass | ${tool} not installed | – |`,
        );
        continue;
      }
      const theirs = median(3, () => {
        for (const f of files)
          execFileSync(`/usr/bin/${tool}`, args(f), { stdio: ['ignore', 'ignore', 'ignore'] });
      });
      const ratio = theirs / ours;
      log(`regf: ${tool} ${theirs.toFixed(1)} ms per pass; ours is ${ratio.toFixed(1)}× faster`);
      lines.push(
        `| hive dump: every key and value, ${label} | ours ${ours.toFixed(1)} ms/pass (median of 15) | ${tool} ${theirs.toFixed(1)} ms/pass (median of 3, process start included) | **${ratio.toFixed(1)}×** |`,
      );
    }
    if (sink === -1) log('unreachable');
    return { lines };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of benchRegf((s) => process.stdout.write(`${s}\n`)).lines)
    process.stdout.write(`${line}\n`);
}
