// The hive reader's long fuzz run: `npx tsx test/regf/fuzz-run.ts [--execs N] [--seed S] [--no-save]`.
// One process; prints progress and a summary line, and saves each distinct crash, minimised, to
// test/regf/corpus/crash-<sha1>.bin (to be fixed, or listed in known-failures.json until it is).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS_DIR, fuzzLoop, loadSeeds, sha1 } from './fuzz.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const execs = arg('execs', 200_000);
const seed = arg('seed', 1);
const save = !process.argv.includes('--no-save');
const seeds = loadSeeds();
const signatures = new Map<string, string>();
const t0 = performance.now();
let crashes = 0;
fuzzLoop(
  seeds,
  seed,
  execs,
  (f) => {
    crashes++;
    if (signatures.has(f.crash.signature)) return;
    const file = `crash-${sha1(f.input).slice(0, 12)}.bin`;
    signatures.set(f.crash.signature, file);
    process.stdout.write(`crash ${f.crash.signature} from ${f.seed.name} at exec ${f.exec}: ${file}\n`);
    if (save) {
      mkdirSync(CORPUS_DIR, { recursive: true });
      writeFileSync(join(CORPUS_DIR, file), f.input);
    }
  },
  (done) => {
    if (done % 20_480 === 0 && done > 0) {
      process.stdout.write(`${done} execs, ${((done / (performance.now() - t0)) * 1000).toFixed(0)}/s\n`);
    }
  },
);
const secs = (performance.now() - t0) / 1000;
process.stdout.write(
  `regf fuzz: ${execs} execs, PRNG seed ${seed}, ${seeds.length} seeds, ${secs.toFixed(1)} s (${(execs / secs).toFixed(0)}/s), ${crashes} crashing inputs, ${signatures.size} distinct signatures\n`,
);
