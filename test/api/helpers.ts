import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { haveUnicorn } from '../helpers/unicorn.js';

/** libunicorn.so.2 loads (boot tests skip without it; scripts/setup.sh installs it). */
export const unicorn = haveUnicorn;

/** Appended to the titles of suites that boot: why they are skipped, when they are. */
export const skipReason = unicorn
  ? ''
  : ' (skipped: libunicorn.so.2 does not load; scripts/setup.sh installs it)';

export const SETS = 'fixtures/imagesets';
export const KB_UP = 'fixtures/imagesets/kb138713-x86-up';
export const MISMATCHED_HAL = 'fixtures/imagesets/mismatched-hal-x86';
export const bin = (p: string): Uint8Array => new Uint8Array(readFileSync(join('fixtures/bin/nt351', p)));

export { hashTree } from '../helpers/tree.js';

/** The message `f` throws, without ANSI colours; fails the test when `f` does not throw. */
export function failureOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return stripVTControlCharacters((e as Error).message);
  }
  throw new Error('expected the assertion to fail, but it passed');
}
