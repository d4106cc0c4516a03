import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseScenarios, replay } from '../../src/replay/index.js';
import { runScenario } from '../../src/replay/run.js';
import { hashTree } from '../helpers/tree.js';
import { haveUnicorn } from '../helpers/unicorn.js';

const unicorn = haveUnicorn;
const tmp = mkdtempSync(join(tmpdir(), 'nt351-alpha-replay-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const outcomes = (r: { results: { name: string; outcome: string | null }[] }, prefix: string) =>
  r.results.filter((x) => x.name.startsWith(prefix)).map((x) => x.outcome);

describe('the Alpha KB Q138713 scenarios', () => {
  it('pass: SP1-SP5 on the Jensen and a one-processor AlphaServer 2100 (35 scenarios, 35 boots)', async () => {
    const before = hashTree('fixtures');
    const r = await replay(['scenarios/kb138713/alpha']);
    expect(r.errors).toEqual([]);
    expect(r.results.filter((x) => !x.passed).map((x) => [x.name, x.firstDifference])).toEqual([]);
    expect(r.summary).toEqual({ scenarios: 35, passed: 35, failed: 0, boots: 35, errors: 0 });
    expect(outcomes(r, 'alpha symptom')).toEqual(Array(10).fill('errors'));
    expect(outcomes(r, 'alpha fix by rerunning')).toEqual(Array(10).fill('clean'));
    expect(outcomes(r, 'alpha Jensen fix')).toEqual(Array(5).fill('clean'));
    expect(outcomes(r, 'alpha 2100 fix')).toEqual(Array(5).fill('clean'));
    // The seed's RISC note: the single-processor fix is wrong on the 2100.
    expect(outcomes(r, 'alpha 2100 wrong fix')).toEqual(Array(5).fill('bugcheck'));
    expect(hashTree('fixtures')).toEqual(before);
  });

  it('an expectation the Alpha boot does not meet fails with the first difference', async () => {
    const [s] = parseScenarios(
      `schema: nt351-scenario/1
name: UP fix on the 2100 expected to work
start: {imageset: ${join(process.cwd(), 'fixtures/imagesets/kb138713-alpha-2100')}}
steps:
  - copy: {from: 'media:nt351-alpha-sp2\\ALPHA\\NTOSKRNL.EXE', to: '%SystemRoot%\\SYSTEM32\\NTOSKRNL.EXE'}
  - boot: {}
  - expect: {outcome: clean}
`,
      join(tmp, 'wrong.yaml'),
    );
    const r = await runScenario(s!);
    expect(r.passed).toBe(false);
    expect(r.outcome).toBe('bugcheck');
    expect(r.firstDifference).toMatchObject({ expected: 'clean', actual: 'bugcheck', line: 7 });
  });
});

describe.skipIf(!unicorn)('the whole KB Q138713 suite', () => {
  it('passes on x86 and Alpha (84 scenarios, 84 boots)', async () => {
    const r = await replay(['scenarios/kb138713']);
    expect(r.results.filter((x) => !x.passed).map((x) => [x.name, x.firstDifference])).toEqual([]);
    expect(r.summary).toEqual({ scenarios: 84, passed: 84, failed: 0, boots: 84, errors: 0 });
  });
});

describe('install on the Alpha machines (Setup from the Alpha CD)', () => {
  const scenario = (machine: string, extra: string) =>
    parseScenarios(
      `schema: nt351-scenario/1
name: install on ${machine}
steps:
  - install: {media: nt351-alpha-rtm, machine: ${machine}, cpus: 1}
${extra}`,
      join(tmp, `${machine}.yaml`),
    )[0]!;

  it.each([
    ['alpha-2100', 'halsabmp.dll', 'mp'],
    ['alpha-jensen-up', 'hal0jens.dll', 'up'],
  ])(
    '%s: Setup copies %s and the %s kernel; RTM boots cleanly, the SP without its kernel shows the symptom',
    async (machine, _hal, kind) => {
      // A clean boot means Setup paired kernel and HAL: the other kernel with this HAL stops with 0x79.
      const clean = await runScenario(
        scenario(machine, '  - boot: {}\n  - expect: {outcome: clean, noHardErrors: true}\n'),
      );
      expect(clean.steps.map((s) => [s.step, s.ok])).toEqual([
        ['install', true],
        ['boot', true],
        ['expect', true],
      ]);
      expect(clean.steps[0]!.detail).toBe(`11 files from nt351-alpha-rtm (${kind} kernel, 1 processor)`);
      const symptom = await runScenario(
        scenario(
          machine,
          `  - service-pack: {media: nt351-alpha-sp4, skip: [NTOSKRNL.EXE]}
  - boot: {}
  - expect:
      outcome: errors
      hardErrors: [{status: 0xC0000263, text: {pattern: 'srv.sys .* RtlIsNameLegalDOS8Dot3 in driver NTOSKRNL.EXE'}}]
      events: [{id: 2508}, {id: 7023}]
`,
        ),
      );
      expect(symptom.steps.filter((s) => !s.ok)).toEqual([]);
      expect(symptom.passed).toBe(true);
    },
  );

  it('media without SERVICES.YAML: install fails and says so', async () => {
    const media = join(tmp, 'media');
    cpSync('fixtures/media/nt351-alpha-rtm', join(media, 'nt351-alpha-rtm'), { recursive: true });
    rmSync(join(media, 'nt351-alpha-rtm', 'SERVICES.YAML'));
    const r = await runScenario(scenario('alpha-2100', '  - boot: {}\n'), { mediaRoot: media });
    expect(r.passed).toBe(false);
    expect(r.firstDifference?.actual).toMatch(/has no SERVICES\.YAML/);
  });
});
