// Benchmark runner (`npm run bench`): runs every benchmark and appends the figures, with the date and
// the machine, to docs/benchmarks.md. Benchmarks are never unit tests.
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { benchAlpha } from './alpha.js';
import { benchBoot } from './boot.js';
import { benchBootScale } from './boot-scale.js';
import { benchCliStart } from './cli-start.js';
import { benchCpu } from './cpu.js';
import { benchCpuX64 } from './cpu-x64.js';
import { benchLoad } from './load.js';
import { machineLine } from './machine.js';
import { benchParse } from './parse.js';
import { benchRegf } from './regf.js';
import { benchReplay } from './replay.js';
import { benchResolve } from './resolve.js';
import { benchUnicornRegions } from './unicorn-regions.js';

const DOC = 'docs/benchmarks.md';
const log = (s: string) => process.stdout.write(`${s}\n`);

const parse = benchParse(log);
const cpu = benchCpu(log);
const cpuX64 = benchCpuX64(log);
const load = benchLoad(log);
const alpha = benchAlpha(log);
const bootFigures = await benchBoot(log);
const regf = benchRegf(log);
const replayFigures = benchReplay(log);
const resolve = benchResolve(log);
const cliStart = benchCliStart(log);
// Up to 500 drivers, the figure: about two engine regions per image, so the cold boot is seconds.
const scale = await benchBootScale(log, [0, 32, 128, 500]);
const regions = benchUnicornRegions(log);
if (!existsSync(DOC)) {
  writeFileSync(
    DOC,
    '# Benchmarks\n\nAppended by `npm run bench`; each run lists its date, its machine and the raw figures.\nRatios compare against a peer measured in the same run, so they hold up on a noisy machine.\n',
  );
}
appendFileSync(
  DOC,
  [
    '',
    `## ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
    '',
    `Machine: ${machineLine()}`,
    '',
    '| benchmark | nt351 | peer | ratio |',
    '|---|---|---|---|',
    ...parse.lines,
    ...cpu.lines,
    ...cpuX64.lines,
    ...load.lines,
    ...alpha.lines,
    ...bootFigures.lines,
    ...regf.lines,
    ...resolve.lines,
    ...cliStart.lines,
    ...replayFigures.lines,
    ...scale.lines,
    ...regions.lines,
    '',
  ].join('\n'),
);
log(`appended to ${DOC}`);
