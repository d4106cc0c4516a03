// The replay pool: this thread and long-lived worker threads (worker.ts) take scenarios from one
// shared queue; each worker loads the emulator once and runs many scenarios. Results keep the
// scenarios' order whatever order they finish in, so the report is the same as one job's.
import { existsSync } from 'node:fs';
import { type MessagePort, Worker } from 'node:worker_threads';
import { type RunScenarioOptions, runScenario, type ScenarioResult } from './run.js';
import type { Scenario } from './scenario.js';

/** What a worker posts back: that it has loaded, or the outcome of the scenario at `index`. */
export type WorkerReply = { ready: true } | { index: number; result?: ScenarioResult; error?: string };

/**
 * What this thread posts to a worker, once: the whole list and the shared queue of the indices not
 * taken yet (see takeScenario). The worker reads it only after it has loaded the emulator, so a worker
 * still starting up holds no scenario and the others never wait for it.
 */
export interface WorkerRequest {
  scenarios: Scenario[];
  opts: RunScenarioOptions;
  queue: SharedArrayBuffer;
}

/** A queue of the indices [front, back) in one 64-bit word: front in the low half, back in the high. */
export function newQueue(total: number): SharedArrayBuffer {
  const queue = new SharedArrayBuffer(8);
  new BigInt64Array(queue)[0] = BigInt(total) << 32n;
  return queue;
}

/**
 * Takes the next index from the front (this thread) or the back (workers) of `queue`, or -1 when it is
 * empty. Front and back change in one atomic compare-and-exchange, so no index is taken twice.
 */
export function takeScenario(queue: SharedArrayBuffer, fromBack: boolean): number {
  const word = new BigInt64Array(queue);
  for (;;) {
    const now = Atomics.load(word, 0);
    const front = Number(now & 0xffffffffn);
    const back = Number(now >> 32n);
    if (front >= back) return -1;
    const next = fromBack
      ? (BigInt(back - 1) << 32n) | BigInt(front)
      : (BigInt(back) << 32n) | BigInt(front + 1);
    if (Atomics.compareExchange(word, 0, now, next) === now) return fromBack ? back - 1 : front;
  }
}

/**
 * The script a worker thread runs: worker.cjs when there is one beside this module, that is in the
 * CLI bundle (dist/bundle/, scripts/bundle.cjs: a worker running the CLI's own CommonJS bundle from
 * its V8 code cache, as bin/nt351.js does), else worker.js (the compiled package).
 */
function workerScript(): URL {
  const bundled = new URL('./worker.cjs', import.meta.url);
  return existsSync(bundled) ? bundled : new URL('./worker.js', import.meta.url);
}

/** Starts `n` replay workers (they load the emulator while the caller reads the scenarios). */
export function startWorkers(n: number): Worker[] {
  const script = workerScript();
  return Array.from({ length: n }, () => new Worker(script));
}

/**
 * A worker's side of the pool, on `port` (the worker's parentPort): takes scenarios from the back of
 * the queue it is sent, one at a time until it is empty, posting each result. Says when it is ready.
 */
export function serveScenarios(port: MessagePort): void {
  port.on('message', async (m: WorkerRequest) => {
    for (let index = takeScenario(m.queue, true); index >= 0; index = takeScenario(m.queue, true)) {
      let reply: WorkerReply;
      try {
        reply = { index, result: await runScenario(m.scenarios[index]!, m.opts) };
      } catch (e) {
        reply = { index, error: (e as Error).stack ?? String(e) };
      }
      port.postMessage(reply);
    }
  });
  port.postMessage({ ready: true } satisfies WorkerReply);
}

/**
 * Runs `scenarios` on this thread and `workers`; results in the scenarios' order. This thread starts
 * at once, taking scenarios from the front of the list; each worker takes them from the back as soon as
 * it has loaded, one at a time, until the two ends meet, so the work is shared dynamically and a slow
 * or late worker delays the end by at most the scenario it is running. Taking from both ends lets each
 * warm up (V8's compiled code, per-process caches) on fewer kinds of scenario: suites are sorted by
 * file, and the KB suite's Alpha scenarios come before the x86 ones. `onResult` is called in
 * completion order.
 */
export function inPool(
  scenarios: Scenario[],
  opts: RunScenarioOptions,
  workers: Worker[],
  onResult?: (r: ScenarioResult, done: number, total: number) => void,
): Promise<ScenarioResult[]> {
  const total = scenarios.length;
  const results: ScenarioResult[] = new Array(total);
  const queue = newQueue(total);
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
    for (const w of workers) {
      w.on('message', (m: WorkerReply) => {
        if ('ready' in m) return;
        if (m.error !== undefined || !m.result) return fail(new Error(`replay worker: ${m.error}`));
        finished(m.index, m.result);
      });
      w.on('error', fail);
      w.on('exit', (code) => {
        if (done < total) fail(new Error(`replay worker exited with code ${code} before the end`));
      });
      const request: WorkerRequest = { scenarios, opts, queue };
      w.postMessage(request);
    }
    // This thread's share; it yields between scenarios so that workers' results are taken in (and
    // progress is reported) as they come.
    void (async () => {
      for (
        let index = takeScenario(queue, false);
        index >= 0 && !failed;
        index = takeScenario(queue, false)
      ) {
        finished(index, await runScenario(scenarios[index]!, opts));
        await new Promise<void>((r) => setImmediate(r));
      }
    })().catch((e: unknown) => fail(e instanceof Error ? e : new Error(String(e))));
  });
}
