// Benchmark: full parse (headers, sections, exports, imports, base relocations, version resource,
// checksum) of a PE corpus by our parser, against python3-pefile doing the same work in the same run.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { MalformedPeError, PeImage } from '../src/pe/index.js';
import { debianFiles, fixtureFiles } from '../test/diff/corpus.js';

/** `f()`, or 0 when the directory is malformed (pefile warns and goes on in the same case). */
function counted(f: () => number): number {
  try {
    return f();
  } catch (e) {
    if (e instanceof MalformedPeError) return 0;
    throw e;
  }
}

function fullParse(bytes: Uint8Array): number {
  const img = PeImage.parse(bytes);
  let n = img.sections.length;
  n += counted(() => img.exports()?.entries.length ?? 0);
  n += counted(() => img.imports().reduce((k, m) => k + m.entries.length, 0));
  n += counted(() => img.relocations().reduce((k, b) => k + b.entries.length, 0));
  n += counted(() => Object.keys(img.version()?.strings ?? {}).length);
  n += img.checksum().computed & 1;
  return n;
}

export interface ParseBenchResult {
  files: number;
  bytes: number;
  oursMsPerPass: number;
  oursFirstPassMs: number;
  pefileMsPerPass: number;
  ratio: number;
  lines: string[];
}

export function benchParse(log: (s: string) => void): ParseBenchResult {
  const paths = [...fixtureFiles(), ...debianFiles()];
  const datas = paths.map((p) => new Uint8Array(readFileSync(p)));
  const bytes = datas.reduce((n, d) => n + d.length, 0);
  log(`parse: ${paths.length} files, ${(bytes / 1024).toFixed(0)} KiB`);

  let sink = 0;
  let t = performance.now();
  for (const d of datas) sink += fullParse(d);
  const oursFirstPassMs = performance.now() - t;
  const passes = 200;
  t = performance.now();
  for (let i = 0; i < passes; i++) for (const d of datas) sink += fullParse(d);
  const oursMsPerPass = (performance.now() - t) / passes;
  log(
    `parse: ours ${oursMsPerPass.toFixed(2)} ms/pass over ${passes} passes (first pass ${oursFirstPassMs.toFixed(1)} ms)`,
  );

  const pyPasses = 5;
  const py = JSON.parse(
    execFileSync('/usr/bin/python3', ['test/diff/pefile_dump.py', '--bench', String(pyPasses), ...paths], {
      encoding: 'utf8',
    }),
  ) as { seconds: number };
  const pefileMsPerPass = (py.seconds * 1000) / pyPasses;
  const ratio = pefileMsPerPass / oursMsPerPass;
  log(
    `parse: pefile ${pefileMsPerPass.toFixed(1)} ms/pass over ${pyPasses} passes; ours is ${ratio.toFixed(1)}× faster`,
  );
  if (sink === -1) log('unreachable');
  return {
    files: paths.length,
    bytes,
    oursMsPerPass,
    oursFirstPassMs,
    pefileMsPerPass,
    ratio,
    lines: [
      `| full parse of ${paths.length} PE files (${(bytes / 1024).toFixed(0)} KiB): fixtures + nsis-common + clamav-testfiles | ours ${oursMsPerPass.toFixed(2)} ms/pass (${passes} passes; first pass ${oursFirstPassMs.toFixed(1)} ms) | pefile ${pefileMsPerPass.toFixed(1)} ms/pass (${pyPasses} passes) | **${ratio.toFixed(1)}×** (target ≥ 20×) |`,
    ],
  };
}
