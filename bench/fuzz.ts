// Fuzzes the PE parser: `tsx bench/fuzz.ts [--execs N] [--seed S] [--workers W] [--no-save]`.
// Runs scripts/fuzz.ts's loop in worker threads, prints progress every few seconds and a summary line,
// and saves each distinct crash, minimised, to test/pe/corpus. A watchdog catches hangs and worker
// deaths (out of memory) and saves the input that was running.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { CORPUS_DIR, type Crash, encodeCase, fuzzLoop, loadSeeds, MAX_INPUT, ROOT } from '../scripts/fuzz.js';

/** Wall-clock bound for one input; a crash only if it stays over it on re-runs. */
const SLOW_MS = 500;
/** A worker whose exec counter stands still this long is hung. */
const HANG_MS = 30_000;
/** Heap a worker may use before V8 kills it (an allocation driven by a header count ends here). */
const WORKER_HEAP_MB = 1536;
const PROGRESS_MS = 3000;

interface Job {
  seed: number;
  execs: number;
  /**
   * [0] runs so far (minimiser runs included: the watchdog's heartbeat), [1] length of the input
   * running, [2] its seed index, [3] index of the fuzz execution running; then the input's bytes.
   */
  shared: SharedArrayBuffer;
}

type Message =
  | { type: 'crash'; crash: Crash; input: Uint8Array; seedIndex: number; exec: number }
  | { type: 'done'; execs: number };

const HEADER = 16;
/** Worker bootstrap: register tsx in the worker, then load this file there. */
const WORKER_BOOT = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
/** A worker that dies this many times is a broken harness, not a crash: stop. */
const MAX_RESTARTS = 20;

interface Slot {
  worker: Worker;
  counters: Int32Array;
  data: Uint8Array;
  last: number;
  lastChange: number;
  /** Its executions are counted in `retired` now. */
  ended: boolean;
  hang: () => void;
}

function workerMain(job: Job): void {
  const seeds = loadSeeds();
  const counters = new Int32Array(job.shared, 0, 4);
  const data = new Uint8Array(job.shared, HEADER);
  const post = (m: Message) => parentPort!.postMessage(m);
  fuzzLoop(
    seeds,
    job.seed,
    job.execs,
    (f) =>
      post({ type: 'crash', crash: f.crash, input: f.input, seedIndex: seeds.indexOf(f.seed), exec: f.exec }),
    {
      slowMs: SLOW_MS,
      before: (input, si, exec) => {
        data.set(input);
        Atomics.store(counters, 1, input.length);
        Atomics.store(counters, 2, si);
        Atomics.store(counters, 3, exec);
        Atomics.add(counters, 0, 1);
      },
    },
  );
  post({ type: 'done', execs: job.execs });
}

function parseArgs(argv: string[]): { execs: number; seed: number; workers: number; save: boolean } {
  const opts = { execs: 1_000_000, seed: 1, workers: Math.min(2, availableParallelism()), save: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${a} needs a non-negative integer`);
      return v;
    };
    if (a === '--execs') opts.execs = num();
    else if (a === '--seed') opts.seed = num();
    else if (a === '--workers') opts.workers = Math.max(1, num());
    else if (a === '--no-save') opts.save = false;
    else
      throw new Error(
        `unknown argument ${a}; usage: tsx bench/fuzz.ts [--execs N] [--seed S] [--workers W] [--no-save]`,
      );
  }
  return opts;
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const seeds = loadSeeds();
  const log = (s: string) => process.stdout.write(`${s}\n`);
  log(
    `fuzz: ${seeds.length} distinct seeds, ${opts.execs} execs, seed ${opts.seed}, ${opts.workers} worker(s)`,
  );

  const bySignature = new Map<string, { count: number; file: string | null; message: string }>();
  const record = (crash: Crash, input: Uint8Array, seedIndex: number, where: string) => {
    const known = bySignature.get(crash.signature);
    if (known) {
      known.count++;
      return;
    }
    let file: string | null = null;
    if (opts.save) {
      const c = encodeCase(input, seeds[seedIndex] ?? null, crash.signature);
      mkdirSync(CORPUS_DIR, { recursive: true });
      writeFileSync(join(CORPUS_DIR, c.file), c.data);
      file = relative(ROOT, join(CORPUS_DIR, c.file));
    }
    bySignature.set(crash.signature, { count: 1, file, message: crash.message });
    log(`fuzz: CRASH ${crash.signature} (${input.length} bytes, ${where})${file ? ` -> ${file}` : ''}`);
    log(`      ${crash.message.split('\n').slice(0, 4).join('\n      ')}`);
  };

  const start = performance.now();
  let finished = 0;
  let retired = 0; // execs of workers that were replaced
  let restarts = 0;
  const slots: Slot[] = [];

  await new Promise<void>((resolve, reject) => {
    const spawn = (index: number, seed: number, execs: number) => {
      const shared = new SharedArrayBuffer(HEADER + MAX_INPUT);
      const job: Job = { seed, execs, shared };
      // Node 20 does not pass tsx's --import hook to workers; each worker registers it itself.
      const worker = new Worker(WORKER_BOOT, {
        eval: true,
        workerData: job,
        resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
      });
      const slot: Slot = {
        worker,
        counters: new Int32Array(shared, 0, 4),
        data: new Uint8Array(shared, HEADER),
        last: 0,
        lastChange: performance.now(),
        ended: false,
        hang: () =>
          replace({ kind: 'slow', signature: 'hang', message: `no progress for ${HANG_MS / 1000} s` }),
      };
      slots[index] = slot;
      const replace = (crash: Crash) => {
        if (slot.ended) return;
        slot.ended = true;
        const done = Atomics.load(slot.counters, 3);
        const len = Atomics.load(slot.counters, 1);
        record(
          crash,
          slot.data.slice(0, len),
          Atomics.load(slot.counters, 2),
          `worker ${index} exec ${done}`,
        );
        void worker.terminate();
        retired += done;
        if (++restarts > MAX_RESTARTS) {
          for (const s of slots) void s.worker.terminate();
          reject(new Error(`workers died ${restarts} times; last: ${crash.message.split('\n')[0]}`));
          return;
        }
        if (done < execs) spawn(index, seed + 0x10000 * (restarts + 1), execs - done);
        else if (++finished === opts.workers) resolve();
      };
      worker.on('message', (m: Message) => {
        if (m.type === 'crash') record(m.crash, m.input, m.seedIndex, `worker ${index} exec ${m.exec}`);
        else if (m.type === 'done' && !slot.ended) {
          slot.ended = true;
          retired += m.execs;
          if (++finished === opts.workers) resolve();
        }
      });
      worker.on('error', (e) =>
        replace({ kind: 'exception', signature: `worker ${e.name}`, message: e.stack ?? String(e) }),
      );
    };
    const per = Math.floor(opts.execs / opts.workers);
    for (let w = 0; w < opts.workers; w++) {
      spawn(w, (opts.seed * 0x9e3779b1 + w) >>> 0, w === 0 ? opts.execs - per * (opts.workers - 1) : per);
    }
    const timer = setInterval(() => {
      const now = performance.now();
      let running = 0;
      for (const s of slots) {
        if (s.ended) continue;
        const c = Atomics.load(s.counters, 0);
        running += Atomics.load(s.counters, 3);
        if (c !== s.last) {
          s.last = c;
          s.lastChange = now;
        } else if (now - s.lastChange > HANG_MS) s.hang();
      }
      const done = Math.min(opts.execs, retired + running);
      const secs = (now - start) / 1000;
      const crashes = [...bySignature.values()].reduce((n, c) => n + c.count, 0);
      log(
        `fuzz: ${done} execs, ${(done / secs).toFixed(0)} execs/s, ${crashes} crash(es), ${bySignature.size} distinct`,
      );
    }, PROGRESS_MS);
    timer.unref();
  });

  const secs = (performance.now() - start) / 1000;
  const crashes = [...bySignature.values()].reduce((n, c) => n + c.count, 0);
  log(
    `fuzz: done: ${opts.execs} execs in ${secs.toFixed(1)} s (${(opts.execs / secs).toFixed(0)} execs/s) on ${opts.workers} worker(s), seed ${opts.seed}: ${crashes} crash(es), ${bySignature.size} distinct signature(s)`,
  );
  for (const [sig, c] of bySignature) log(`fuzz:   ${c.count}x ${sig}${c.file ? ` -> ${c.file}` : ''}`);
  return bySignature.size === 0 ? 0 : 1;
}

if (isMainThread) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exit(2);
    },
  );
} else {
  workerMain(workerData as Job);
}
