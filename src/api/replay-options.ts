// replay()'s options checked before any scenario runs, with the CLI's ranges (src/cli/main.ts):
// a library caller's `jobs: 0` or `filter: 3` is a typed error up front, not a TypeError mid-run.
import { statSync } from 'node:fs';
import { type WholeNumberRange, wholeNumberProblem } from '../input/index.js';
import type { ReplayApiOptions } from './replay.js';

/** A replay() option out of range or of the wrong type (the CLI's usage error, exit 64). */
export class ReplayOptionsError extends Error {
  override readonly name = 'ReplayOptionsError';
}

/** Whole-number options and their ranges (the CLI's --jobs and the boot's budgets). */
const RANGES: WholeNumberRange<keyof ReplayApiOptions>[] = [
  ['jobs', 1, 64],
  ['maxInstructions', 1, 2 ** 53],
  ['maxMillis', 1, 2 ** 31],
];

/** Throws ReplayOptionsError for the first option that replay() cannot use. */
export function checkReplayOptions(opts: ReplayApiOptions): void {
  if (typeof opts !== 'object' || opts === null)
    throw new ReplayOptionsError(`replay options must be an object, got ${String(opts)}`);
  const problem = wholeNumberProblem(opts, RANGES);
  if (problem !== null) throw new ReplayOptionsError(problem);
  for (const key of ['filter', 'file', 'mediaRoot'] as const) {
    const v = opts[key];
    if (v !== undefined && typeof v !== 'string')
      throw new ReplayOptionsError(`${key} expects a string, got ${typeof v} ${String(v)}`);
  }
  if (opts.onResult !== undefined && typeof opts.onResult !== 'function')
    throw new ReplayOptionsError(`onResult expects a function, got ${typeof opts.onResult}`);
  if (opts.mediaRoot !== undefined) {
    const st = statSync(opts.mediaRoot, { throwIfNoEntry: false });
    if (!st?.isDirectory())
      throw new ReplayOptionsError(
        `mediaRoot '${opts.mediaRoot}' ${st ? 'is not a folder' : 'does not exist'}; expected a folder of media (docs/replay.md)`,
      );
  }
}
