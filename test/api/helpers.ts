// Shared bits of the harness-API tests: whether libunicorn is here, fixture paths, hashing a folder,
// and a matcher's failure message without its colours.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { UnicornX86 } from '../../src/cpu/unicorn.js';

/** libunicorn.so.2 loads (boot tests skip without it; scripts/setup.sh installs it). */
export const unicorn = (() => {
  try {
    new UnicornX86().close();
    return true;
  } catch {
    return false;
  }
})();

/** Appended to the titles of suites that boot: why they are skipped, when they are. */
export const skipReason = unicorn
  ? ''
  : ' (skipped: libunicorn.so.2 does not load; scripts/setup.sh installs it)';

export const SETS = 'fixtures/imagesets';
export const KB_UP = 'fixtures/imagesets/kb138713-x86-up';
export const MISMATCHED_HAL = 'fixtures/imagesets/mismatched-hal-x86';
export const bin = (p: string): Uint8Array => new Uint8Array(readFileSync(join('fixtures/bin/nt351', p)));

/** SHA-256 of every file under `dir`, by path. */
export function hashTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out[p] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** The message `f` throws, without ANSI colours; fails the test when `f` does not throw. */
export function failureOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return stripVTControlCharacters((e as Error).message);
  }
  throw new Error('expected the assertion to fail, but it passed');
}
