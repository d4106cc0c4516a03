// Replays every minimised fuzz crash in test/regf/corpus through the fuzzer's target: only
// MalformedHiveError may escape, within the item budget. Inputs listed in known-failures.json still crash
// (a list that may only shrink: a listed input that now passes fails the test until it is removed).
// Then a short deterministic fuzz round. No clocks: speed lives in bench/regf.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { check, fuzzLoop, KNOWN_FAILURES, loadRegressions, loadSeeds } from './fuzz.js';

const cases = loadRegressions();
const known = JSON.parse(readFileSync(KNOWN_FAILURES, 'utf8')) as Record<string, string>;

describe('hive fuzz regression corpus', () => {
  it('has regression inputs', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  for (const c of cases) {
    const listed = known[c.file];
    it(`${c.file} (${c.bytes.length} bytes)${listed ? ` [known failure: ${listed}]` : ''}`, () => {
      const crash = check(c.bytes);
      if (listed) {
        expect(crash, `${c.file} no longer crashes: remove it from known-failures.json`).not.toBeNull();
      } else {
        expect(crash, crash ? `${crash.signature}\n${crash.message}` : '').toBeNull();
      }
    });
  }

  it('known-failures.json lists only inputs in the corpus', () => {
    const files = new Set(cases.map((c) => c.file));
    expect(Object.keys(known).filter((f) => !files.has(f))).toEqual([]);
  });
});

describe('a short deterministic hive fuzz round', () => {
  it('1000 mutated hives (PRNG seed 0x5eed) end in a result or MalformedHiveError', () => {
    const found: string[] = [];
    fuzzLoop(loadSeeds(), 0x5eed, 1000, (f) =>
      found.push(`${f.crash.signature} from ${f.seed.name}: ${f.crash.message.split('\n')[0]}`),
    );
    expect(found).toEqual([]);
  });
});
