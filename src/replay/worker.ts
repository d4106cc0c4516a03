// A replay worker thread: runs the scenarios it is sent, one at a time, and posts each result back.
import { parentPort } from 'node:worker_threads';
import { type RunScenarioOptions, runScenario } from './run.js';
import type { Scenario } from './scenario.js';

parentPort?.on('message', async (m: { index: number; scenario: Scenario; opts: RunScenarioOptions }) => {
  try {
    parentPort!.postMessage({ index: m.index, result: await runScenario(m.scenario, m.opts) });
  } catch (e) {
    parentPort!.postMessage({ index: m.index, error: (e as Error).stack ?? String(e) });
  }
});
