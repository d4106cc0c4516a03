// A replay worker thread of the compiled package (pool.ts): loads the emulator once, then serves
// scenarios from the pool's shared queue (serveScenarios). The CLI bundle's workers run
// dist/bundle/worker.cjs instead (scripts/bundle.cjs), which calls the same serveScenarios.
import { parentPort } from 'node:worker_threads';
import { serveScenarios } from './pool.js';

if (parentPort) serveScenarios(parentPort);
