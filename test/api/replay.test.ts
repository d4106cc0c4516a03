// The harness API's replay(): the KB symptom scenario file (SP1-SP5 on UP and MP) passes as ten
// results; scenario text runs from memory, its failures are results with the first difference, its
// mistakes ScenarioErrors with line and column; an unparsable file is a ReplayError.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ReplayError,
  ReplayOptionsError,
  replay,
  ScenarioError,
  type ScenarioResult,
} from '../../src/index.js';
import { hashTree, skipReason, unicorn } from './helpers.js';

const SYMPTOM = 'scenarios/kb138713/x86/symptom.yaml';

describe.skipIf(!unicorn)(`replay()${skipReason}`, () => {
  it('runs scenarios/kb138713/x86/symptom.yaml: ten passing results, one per SP and machine', async () => {
    const before = hashTree('fixtures/media');
    const seen: string[] = [];
    const results = await replay(SYMPTOM, {
      onResult: (r, done, total) => seen.push(`${done}/${total} ${r.name}`),
    });
    expect(results.filter((r) => !r.passed).map((r) => [r.name, r.firstDifference])).toEqual([]);
    expect(results.map((r) => r.name)).toEqual(
      [1, 2, 3, 4, 5].flatMap((sp) => [
        `symptom [sp=${sp}, machine=x86-pc-up]`,
        `symptom [sp=${sp}, machine=x86-mps-mp]`,
      ]),
    );
    expect(results.map((r) => [r.outcome, r.boots, r.file])).toEqual(Array(10).fill(['errors', 1, SYMPTOM]));
    expect(results[0]!.steps.map((s) => [s.step, s.ok])).toEqual([
      ['install', true],
      ['service-pack', true],
      ['boot', true],
      ['expect', true],
    ]);
    expect(results[0]!.steps[1]!.detail).toMatch(/; not copied: SYSTEM32\\NTOSKRNL\.EXE$/i);
    expect(seen).toHaveLength(10);
    expect(seen.at(-1)).toBe('10/10 symptom [sp=5, machine=x86-mps-mp]');
    expect(hashTree('fixtures/media')).toEqual(before);
    // A folder and a filter give the same scenarios.
    const again = await replay('scenarios/kb138713/x86', { filter: 'symptom [sp=3' });
    expect(again.map((r: ScenarioResult) => [r.name, r.passed])).toEqual([
      ['symptom [sp=3, machine=x86-pc-up]', true],
      ['symptom [sp=3, machine=x86-mps-mp]', true],
    ]);
  });

  it('runs scenario text; a wrong expectation is a failed result naming expected and actual', async () => {
    const text = [
      'schema: nt351-scenario/1',
      'name: seed boots clean?',
      'start: { imageset: fixtures/imagesets/kb138713-x86-up }',
      'steps:',
      '  - boot: {}',
      '  - expect: { outcome: clean }',
      '',
    ].join('\n');
    const [r, ...rest] = await replay(text);
    expect(rest).toEqual([]);
    expect(r).toMatchObject({ file: '<scenario text>', name: 'seed boots clean?', passed: false, boots: 1 });
    expect(r!.firstDifference).toEqual({ what: 'outcome', expected: 'clean', actual: 'errors', line: 6 });
    // The same scenario expecting what the seed does passes.
    const [ok] = await replay(text.replace('outcome: clean', 'outcome: errors'));
    expect(ok!.passed).toBe(true);
  });

  it('scenario text with a mistake throws a ScenarioError with the line and column', async () => {
    const bad = 'schema: nt351-scenario/1\nname: x\nsteps:\n  - reboot: {}\n';
    const e = await replay(bad, { file: 'my.yaml' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ScenarioError);
    expect((e as ScenarioError).message).toMatch(/^my\.yaml:4:5: /);
  });

  it('a scenario file that cannot be parsed throws a ReplayError listing it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nt351-api-replay-'));
    try {
      writeFileSync(join(dir, 'broken.yaml'), 'schema: nt351-scenario/2\nname: x\nsteps: []\n');
      const e = await replay(dir).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ReplayError);
      expect((e as ReplayError).errors).toHaveLength(1);
      expect((e as ReplayError).message).toMatch(
        /^1 scenario file could not be used:\n {2}.*broken\.yaml:1:9: 'schema': expected 'nt351-scenario\/1'$/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Options are checked before anything runs: these used to run (jobs 0, 1.5), or to fail with a
  // host TypeError (filter 3 at once, onResult 'x' after the first scenario had run).
  it.each([
    [{ jobs: 0 }, /^jobs expects a whole number from 1 to 64, got 0$/],
    [{ jobs: 1.5 }, /^jobs expects a whole number from 1 to 64, got 1\.5$/],
    [{ maxMillis: -1 }, /^maxMillis expects a whole number/],
    [{ filter: 3 }, /^filter expects a string, got number 3$/],
    [{ onResult: 'x' }, /^onResult expects a function, got string$/],
    [
      { mediaRoot: '/nonexistent/media' },
      /^mediaRoot '\/nonexistent\/media' does not exist; expected a folder/,
    ],
    [{ mediaRoot: SYMPTOM }, /is not a folder/],
  ])('options %j throw a ReplayOptionsError before any scenario runs', async (opts, message) => {
    let ran = 0;
    const e = await replay(SYMPTOM, { onResult: () => ran++, ...(opts as object) }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ReplayOptionsError);
    expect((e as Error).message).toMatch(message);
    expect(ran).toBe(0);
  });
});
