// The replay pool: this thread and long-lived worker threads (worker.ts) share one queue of
// scenarios; each worker loads the emulator once and runs many scenarios. Results keep the scenarios'
// order whatever order they finish in, so the report is the same as one job's.
import { Worker } from 'node:worker_threads';
import { type RunScenarioOptions, runScenario, type ScenarioResult } from './run.js';
import type { Scenario } from './scenario.js';

/**
 * Scenarios a worker holds at once (one running, the next queued in its port): this thread, busy
 * with scenarios of its own, hands out work only between them, and the worker must not wait for it.
 */
const DEPTH = 2;

/** What a worker posts back for the scenario at `index`. */
export interface WorkerReply {
  index: number;
  result?: ScenarioResult;
  error?: string;
}

/** What this thread posts to a worker. */
export interface WorkerRequest {
  index: number;
  scenario: Scenario;
  opts: RunScenarioOptions;
}

/** Starts `n` replay workers (they load the emulator while the caller reads the scenarios). */
export function startWorkers(n: number): Worker[] {
  return Array.from({ length: n }, () => new Worker(new URL('./worker.js', import.meta.url)));
}

/**
 * Runs `scenarios` on this thread and `workers`; results in the scenarios' order. This thread takes
 * scenarios from the front of the list and the workers from the back, so that each warms up (V8's
 * compiled code, per-process caches) on fewer kinds of scenario: suites are sorted by file, and the
 * KB suite's Alpha scenarios come before the x86 ones. `onResult` is called in completion order.
 */
export function inPool(
  scenarios: Scenario[],
  opts: RunScenarioOptions,
  workers: Worker[],
  onResult?: (r: ScenarioResult, done: number, total: number) => void,
): Promise<ScenarioResult[]> {
  const total = scenarios.length;
  const results: ScenarioResult[] = new Array(total);
  // Scenarios not handed out yet: [front, back).
  let front = 0;
  let back = total;
  let done = 0;
  return new Promise((resolveAll, rejectAll) => {
    let failed = false;
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      rejectAll(e);
    };
    const finished = (index: number, r: ScenarioResult) => {
      results[index] = r;
      done++;
      onResult?.(r, done, total);
      if (done === total) resolveAll(results);
    };
    const held = new Map<Worker, number>();
    const feed = (w: Worker) => {
      while ((held.get(w) ?? 0) < DEPTH && front < back) {
        const index = --back;
        const request: WorkerRequest = { index, scenario: scenarios[index]!, opts };
        w.postMessage(request);
        held.set(w, (held.get(w) ?? 0) + 1);
      }
    };
    for (const w of workers) {
      w.on('message', (m: WorkerReply) => {
        if (m.error !== undefined || !m.result) return fail(new Error(`replay worker: ${m.error}`));
        held.set(w, held.get(w)! - 1);
        feed(w);
        finished(m.index, m.result);
      });
      w.on('error', fail);
      w.on('exit', (code) => {
        if (done < total) fail(new Error(`replay worker exited with code ${code} before the end`));
      });
      feed(w);
    }
    // This thread's share; it yields between scenarios so that workers' results are taken in and
    // they are fed again.
    void (async () => {
      while (front < back && !failed) {
        const index = front++;
        finished(index, await runScenario(scenarios[index]!, opts));
        await new Promise<void>((r) => setImmediate(r));
      }
    })().catch((e: unknown) => fail(e instanceof Error ? e : new Error(String(e))));
  });
}
