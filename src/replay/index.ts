// `replay`: scenario files and folders in, results out in a stable order. With more than one job and
// the compiled package running (a worker cannot load TypeScript sources), the scenarios are shared
// between this thread and jobs - 1 long-lived worker threads (pool.ts); otherwise they run one after
// another.
import { closeSync, existsSync, lstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { inPool, startWorkers } from './pool.js';
import { defaultMediaRoot, type RunScenarioOptions, runScenario, type ScenarioResult } from './run.js';
import { MAX_SCENARIO_BYTES, parseScenarios, type Scenario, ScenarioError } from './scenario.js';

export type { Difference } from './expect.js';
export { serveScenarios } from './pool.js';
export {
  DEFAULT_MEDIA_ROOT,
  defaultMediaRoot,
  type RunScenarioOptions,
  runScenario,
  type ScenarioResult,
  type StepResult,
} from './run.js';
export {
  parseScenarios,
  type Scenario,
  ScenarioError,
  type ScenarioParseOptions,
  type Step,
} from './scenario.js';

export interface ReplayOptions extends RunScenarioOptions {
  /** Only scenarios whose name or file contains this text (case-insensitive). */
  filter?: string;
  /** Worker threads (default 1). */
  jobs?: number;
  /** Called after each scenario, in completion order (progress). */
  onResult?: (r: ScenarioResult, done: number, total: number) => void;
}

export interface ReplayReport {
  results: ScenarioResult[];
  /** Scenario files that could not be read or parsed (file:line:column: reason). */
  errors: { file: string; line: number | null; column: number | null; message: string }[];
  summary: { scenarios: number; passed: number; failed: number; boots: number; errors: number };
}

/**
 * Scenario files under `paths` (folders searched for *.yaml / *.yml), sorted for a stable order. A path
 * given that is neither a folder nor a regular file (a device, a FIFO) is a ScenarioError: reading it
 * could block or never end. Inside folders, symbolic links are not followed.
 */
export function scenarioFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string, depth: number) => {
    const st = depth === 0 ? statSync(p) : lstatSync(p);
    if (st.isDirectory()) {
      if (depth > 16) return;
      for (const e of readdirSync(p).sort()) {
        const c = join(p, e);
        const s = lstatSync(c);
        if (s.isDirectory()) walk(c, depth + 1);
        else if (s.isFile() && /\.ya?ml$/i.test(e)) out.push(c);
      }
    } else if (st.isFile()) out.push(p);
    else
      throw new ScenarioError(
        p,
        'is not a regular file (a device, FIFO or socket); expected a scenario file',
      );
  };
  for (const p of paths) walk(p, 0);
  return out;
}

/** A scenario file's text, reading at most MAX_SCENARIO_BYTES + 1 bytes (a larger file is refused). */
function readScenarioText(file: string): string {
  const buf = Buffer.allocUnsafe(MAX_SCENARIO_BYTES + 1);
  let n = 0;
  const fd = openSync(file, 'r');
  try {
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
  } finally {
    closeSync(fd);
  }
  if (n > MAX_SCENARIO_BYTES) throw new ScenarioError(file, `larger than ${MAX_SCENARIO_BYTES} bytes`);
  return buf.toString('utf8', 0, n);
}

export async function replay(paths: string[], opts: ReplayOptions = {}): Promise<ReplayReport> {
  const compiled = import.meta.url.endsWith('.js');
  // Workers start loading now, while the scenarios are read and parsed here.
  const asked = Math.max(1, Math.min(opts.jobs ?? 1, availableParallelism()));
  const workers = compiled && asked > 1 ? startWorkers(asked - 1) : [];
  try {
    return await replayWith(paths, opts, workers);
  } finally {
    for (const w of workers) void w.terminate();
  }
}

async function replayWith(
  paths: string[],
  opts: ReplayOptions,
  workers: ReturnType<typeof startWorkers>,
): Promise<ReplayReport> {
  const errors: ReplayReport['errors'] = [];
  const scenarios: Scenario[] = [];
  const media = mediaCatalog(opts.mediaRoot ?? defaultMediaRoot());
  for (const file of scenarioFiles(paths)) {
    try {
      scenarios.push(...parseScenarios(readScenarioText(file), file, { media }));
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      errors.push({ file: e.file, line: e.line, column: e.column, message: e.message });
    }
  }
  const f = opts.filter?.toLowerCase();
  const chosen = f ? scenarios.filter((s) => `${s.file} ${s.name}`.toLowerCase().includes(f)) : scenarios;
  const runOpts: RunScenarioOptions = {
    ...(opts.mediaRoot !== undefined ? { mediaRoot: opts.mediaRoot } : {}),
    ...(opts.maxInstructions !== undefined ? { maxInstructions: opts.maxInstructions } : {}),
    ...(opts.maxMillis !== undefined ? { maxMillis: opts.maxMillis } : {}),
  };
  const helpers = workers.slice(0, Math.max(0, chosen.length - 1));
  const results =
    helpers.length > 0
      ? await inPool(chosen, runOpts, helpers, opts.onResult)
      : await inSequence(chosen, runOpts, opts.onResult);
  const passed = results.filter((r) => r.passed).length;
  return {
    results,
    errors,
    summary: {
      scenarios: results.length,
      passed,
      failed: results.length - passed,
      boots: results.reduce((n, r) => n + r.boots, 0),
      errors: errors.length,
    },
  };
}

/** The media folders under `root` (none when it does not exist), for checking names at parse time. */
export function mediaCatalog(root: string): { root: string; names: string[] } {
  const names = existsSync(root)
    ? readdirSync(root, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort()
    : [];
  return { root, names };
}

async function inSequence(
  scenarios: Scenario[],
  opts: RunScenarioOptions,
  onResult: ReplayOptions['onResult'],
): Promise<ScenarioResult[]> {
  const out: ScenarioResult[] = [];
  for (const s of scenarios) {
    out.push(await runScenario(s, opts));
    onResult?.(out[out.length - 1]!, out.length, scenarios.length);
  }
  return out;
}
