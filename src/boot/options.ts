// BootOptions checked before a boot starts, with the same ranges as `nt351 boot`'s flags: a library
// caller's `cpus: -1` or `maxMillis: NaN` is a typed error, never a report with -1 processors.

import { type WholeNumberRange, wholeNumberProblem } from '../input/index.js';
import type { BootOptions } from './report.js';

/** A BootOptions value out of range (the library's counterpart of the CLI's usage error, exit 64). */
export class BootOptionsError extends Error {
  override readonly name = 'BootOptionsError';
}

/** Whole-number options and their ranges (the CLI's: src/cli/main.ts). */
const RANGES: WholeNumberRange<keyof BootOptions>[] = [
  ['cpus', 1, 32],
  ['maxInstructions', 1, 2 ** 53],
  ['maxMillis', 1, 2 ** 31],
  ['traceLimit', 1, 10_000_000],
];

/** Throws BootOptionsError for the first option out of range. */
export function checkBootOptions(opts: BootOptions): void {
  if (typeof opts !== 'object' || opts === null) throw new BootOptionsError('boot options must be an object');
  const problem = wholeNumberProblem(opts, RANGES);
  if (problem !== null) throw new BootOptionsError(problem);
  if (opts.profile !== undefined && typeof opts.profile !== 'string')
    throw new BootOptionsError(`profile expects a machine profile name, got ${String(opts.profile)}`);
  if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function')
    throw new BootOptionsError(`onProgress expects a function, got ${typeof opts.onProgress}`);
  if (opts.trace !== undefined && opts.trace !== 'block' && opts.trace !== 'insn')
    throw new BootOptionsError(`trace expects 'block' or 'insn', got ${String(opts.trace)}`);
}
