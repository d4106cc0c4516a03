// `replay --jobs N` (src/replay/pool.ts): this thread and long-lived workers share the scenarios, and
// the output is byte for byte that of one job. Workers load the compiled package, so these tests run
// dist/ (built by `npm test`) in child processes, and are skipped when it has not been built.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { haveUnicorn } from '../helpers/unicorn.js';

const built = existsSync('dist/cli/main.js') && existsSync('dist/replay/pool.js');
const skipped = !built ? ' (skipped: dist/ is not built, run npm run build)' : '';
// Scenarios of both architectures, from several files (Alpha first in the sorted suite).
const FILTER = 'sp=3';

const nt351 = (...args: string[]) =>
  execFileSync(process.execPath, ['bin/nt351.js', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 << 20,
  });

/** Runs `code` (an ES module; DIST stands for dist/'s URL) in a child node process; its stdout. */
function node(code: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'nt351-jobs-'));
  try {
    const file = join(dir, 'pool.mjs');
    writeFileSync(file, code.replaceAll('DIST', pathToFileURL(resolve('dist')).href));
    return execFileSync(process.execPath, [file], {
      encoding: 'utf8',
      timeout: 120_000,
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 << 20,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!built || !haveUnicorn)(`replay --jobs${skipped}`, () => {
  it('prints the same report, byte for byte, with --jobs 2 as with --jobs 1 (table and JSON)', () => {
    const one = nt351('replay', '--filter', FILTER, 'scenarios/kb138713');
    const two = nt351('replay', '--jobs', '2', '--filter', FILTER, 'scenarios/kb138713');
    expect(one).toMatch(/scenario\(s\): \d+ passed/);
    expect(two).toBe(one);
    // JSON carries each scenario's wall-clock time: equal once that is set aside.
    const untimed = (s: string) => s.replace(/"millis": \d+/g, '"millis": 0');
    const jsonOne = nt351('replay', '--json', '--filter', FILTER, 'scenarios/kb138713');
    const jsonTwo = nt351('replay', '--json', '--jobs', '2', '--filter', FILTER, 'scenarios/kb138713');
    expect(untimed(jsonTwo)).toBe(untimed(jsonOne));
  });

  it('the pool gives a worker scenarios from the back of the list and keeps results in order', () => {
    const out = node(`
      import { readFileSync } from 'node:fs';
      import { mediaCatalog, replay, scenarioFiles } from 'DIST/replay/index.js';
      import { inPool, startWorkers } from 'DIST/replay/pool.js';
      import { parseScenarios } from 'DIST/replay/scenario.js';
      const seq = await replay(['scenarios/kb138713'], { filter: ${JSON.stringify(FILTER)} });
      const media = mediaCatalog('fixtures/media');
      const scenarios = scenarioFiles(['scenarios/kb138713'])
        .flatMap((f) => parseScenarios(readFileSync(f, 'utf8'), f, { media }))
        .filter((s) => (s.file + ' ' + s.name).toLowerCase().includes(${JSON.stringify(FILTER)}));
      const [w] = startWorkers(1);
      let fromWorker = [];
      // Once the worker has loaded, it takes a scenario as soon as the pool posts the queue.
      await new Promise((ready) => w.once('message', ready));
      w.on('message', (m) => fromWorker.push(m.index));
      const pooled = await inPool(scenarios, {}, [w]);
      await w.terminate();
      const strip = (rs) => rs.map(({ millis, ...r }) => r);
      process.stdout.write(JSON.stringify({
        same: JSON.stringify(strip(pooled)) === JSON.stringify(strip(seq.results)),
        total: scenarios.length,
        fromWorker,
      }));
    `);
    const r = JSON.parse(out) as { same: boolean; total: number; fromWorker: number[] };
    expect(r.same).toBe(true);
    expect(r.total).toBeGreaterThan(4);
    // The worker ran some of them, taken from the back of the list.
    expect(r.fromWorker.length).toBeGreaterThan(0);
    expect(r.fromWorker.length).toBeLessThan(r.total);
    expect(Math.max(...r.fromWorker)).toBe(r.total - 1);
  });

  it('a worker that never takes work does not hold the pool: this thread runs every scenario', () => {
    const out = node(`
      import { readFileSync } from 'node:fs';
      import { Worker } from 'node:worker_threads';
      import { mediaCatalog, scenarioFiles } from 'DIST/replay/index.js';
      import { inPool } from 'DIST/replay/pool.js';
      import { parseScenarios } from 'DIST/replay/scenario.js';
      const media = mediaCatalog('fixtures/media');
      const scenarios = scenarioFiles(['scenarios/kb138713'])
        .flatMap((f) => parseScenarios(readFileSync(f, 'utf8'), f, { media }))
        .filter((s) => (s.file + ' ' + s.name).toLowerCase().includes(${JSON.stringify(FILTER)}));
      // A worker still loading (here: forever) when the suite ends.
      const stuck = new Worker('setInterval(() => {}, 1000)', { eval: true });
      const pooled = await inPool(scenarios, {}, [stuck]);
      await stuck.terminate();
      process.stdout.write(JSON.stringify({ total: scenarios.length, results: pooled.filter(Boolean).length }));
    `);
    const r = JSON.parse(out) as { total: number; results: number };
    expect(r.total).toBeGreaterThan(4);
    expect(r.results).toBe(r.total);
  });
});
