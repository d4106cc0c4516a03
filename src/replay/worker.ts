// A replay worker thread (pool.ts): loads the emulator once, then takes scenarios from the back of
// the pool's shared queue one at a time until it is empty, and posts each result back. It says when
// it has loaded (tests wait for that; the pool does not).
import { parentPort } from 'node:worker_threads';
import { takeScenario, type WorkerReply, type WorkerRequest } from './pool.js';
import { runScenario } from './run.js';

parentPort?.on('message', async (m: WorkerRequest) => {
  for (let index = takeScenario(m.queue, true); index >= 0; index = takeScenario(m.queue, true)) {
    let reply: WorkerReply;
    try {
      reply = { index, result: await runScenario(m.scenarios[index]!, m.opts) };
    } catch (e) {
      reply = { index, error: (e as Error).stack ?? String(e) };
    }
    parentPort!.postMessage(reply);
  }
});
parentPort?.postMessage({ ready: true } satisfies WorkerReply);
