// A replay worker thread (pool.ts): loads the emulator once, then runs the scenarios it is sent one
// at a time, in the order they arrive, and posts each result back.
import { parentPort } from 'node:worker_threads';
import type { WorkerReply, WorkerRequest } from './pool.js';
import { runScenario } from './run.js';

// Requests queue up in the port while one runs (the pool keeps the next one waiting here); each
// starts after the previous one ended, never interleaved with it at an await.
let last: Promise<void> = Promise.resolve();
parentPort?.on('message', (m: WorkerRequest) => {
  last = last.then(async () => {
    let reply: WorkerReply;
    try {
      reply = { index: m.index, result: await runScenario(m.scenario, m.opts) };
    } catch (e) {
      reply = { index: m.index, error: (e as Error).stack ?? String(e) };
    }
    parentPort!.postMessage(reply);
  });
});
