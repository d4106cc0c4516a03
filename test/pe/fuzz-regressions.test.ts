// Replays every minimised fuzz crash in test/pe/corpus through the fuzzer's target (every parser entry
// the tools use): only MalformedPeError may escape, within the step (reads) and item budgets. Then a
// short deterministic fuzz round. No clocks: the wall-time bound lives in bench/fuzz.ts only.
import { describe, expect, it } from 'vitest';
import { check, fuzzLoop, loadRegressions, loadSeeds } from '../../scripts/fuzz.js';

const cases = loadRegressions();

describe('fuzz regression corpus', () => {
  it('has regression inputs', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  for (const c of cases) {
    it(`${c.file} (${c.bytes.length} bytes)${c.note ? `: ${c.note}` : ''}`, () => {
      const crash = check(c.bytes);
      expect(crash, crash ? `${crash.signature}\n${crash.message}` : '').toBeNull();
    });
  }
});

describe('a short deterministic fuzz round', () => {
  it('2000 mutated inputs (PRNG seed 0x5eed) end in a result or MalformedPeError', () => {
    const seeds = loadSeeds();
    expect(seeds.length).toBeGreaterThan(0);
    const found: string[] = [];
    fuzzLoop(seeds, 0x5eed, 2000, (f) =>
      found.push(`${f.crash.signature} from ${f.seed.name}: ${f.crash.message.split('\n')[0]}`),
    );
    expect(found).toEqual([]);
  });
});
