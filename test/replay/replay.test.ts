import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseScenarios, replay, ScenarioError } from '../../src/replay/index.js';
import { cliInProcess } from '../helpers/cli.js';
import { hashTree } from '../helpers/tree.js';
import { haveUnicorn } from '../helpers/unicorn.js';

const unicorn = haveUnicorn;
const tmp = mkdtempSync(join(tmpdir(), 'nt351-replay-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const scenario = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};
const cli = (...args: string[]) => cliInProcess('replay', ...args);

describe.skipIf(!unicorn)('the KB Q138713 suite', () => {
  it('passes: symptom, three resolutions, the wrong fixes for SP1-SP5 on UP and MP, and the disable-Server stop-gap (49 scenarios, 49 boots)', async () => {
    const before = hashTree('fixtures');
    const r = await replay(['scenarios/kb138713/x86']); // the Alpha suite: alpha-replay.test.ts
    expect(r.errors).toEqual([]);
    expect(r.results.filter((x) => !x.passed).map((x) => [x.name, x.firstDifference])).toEqual([]);
    expect(r.summary).toEqual({ scenarios: 49, passed: 49, failed: 0, boots: 49, errors: 0 });
    expect(
      r.results.filter((x) => x.name.startsWith('workaround-disable-server')).map((x) => x.outcome),
    ).toEqual(Array(4).fill('clean'));
    expect(r.results.filter((x) => x.name.startsWith('symptom')).map((x) => x.outcome)).toEqual(
      Array(10).fill('errors'),
    );
    expect(r.results.filter((x) => x.name.startsWith('wrong fix')).map((x) => x.outcome)).toEqual(
      Array(5).fill('bugcheck'),
    );
    expect(hashTree('fixtures')).toEqual(before);
  });
});

describe.skipIf(!unicorn)('a failing scenario', () => {
  const base = `schema: nt351-scenario/1
name: wrong expectation
steps:
  - install: {media: nt351-x86-rtm, machine: x86-pc-up}
  - service-pack: {media: nt351-x86-sp2, skip: [System32\\ntoskrnl.exe]}
  - boot: {}
`;
  it('names the first difference, expected vs actual, and the expect step line', async () => {
    const p = scenario(
      'fail.yaml',
      `${base}  - expect:\n      outcome: clean\n      events:\n        - {id: 7023, message: {pattern: "path specified"}}\n`,
    );
    const r = await replay([p]);
    expect(r.summary.failed).toBe(1);
    expect(r.results[0]!.firstDifference).toEqual({
      what: 'outcome',
      expected: 'clean',
      actual: 'errors',
      line: 7,
    });
    const diffs = r.results[0]!.steps.at(-1)!.differences!;
    expect(diffs[1]!.what).toBe('events: 7023');
    expect(diffs[1]!.actual).toContain('The system cannot find the file specified.');
  });

  it('fails a step that cannot be done (missing media file, expect before boot) with its reason', async () => {
    const p = scenario(
      'bad-step.yaml',
      `schema: nt351-scenario/1
name: bad copy
steps:
  - install: {media: nt351-x86-rtm, machine: x86-pc-up}
  - copy: {from: 'media:nt351-x86-sp3\\I386\\NOPE.SYS', to: '%SystemRoot%\\x.sys'}
`,
    );
    const r = await replay([p]);
    expect(r.results[0]!.firstDifference).toMatchObject({ what: 'copy step', line: 5 });
    expect(r.results[0]!.firstDifference!.actual).toContain('media nt351-x86-sp3 has no file I386\\NOPE.SYS');
    const e = await replay([
      scenario(
        'early.yaml',
        'schema: nt351-scenario/1\nname: e\nstart: {imageset: ../../x}\nsteps:\n  - expect: {outcome: clean}\n',
      ),
    ]);
    expect(e.results[0]!.passed).toBe(false);
  });

  it('rejects paths that leave the image set', async () => {
    const p = scenario(
      'escape.yaml',
      `${base}  - copy: {from: '%SystemRoot%\\System32\\hal.dll', to: '..\\..\\escaped.dll'}\n`,
    );
    const r = await replay([p]);
    expect(r.results[0]!.firstDifference!.actual).toContain("leaves the image set ('..')");
  });
});

describe('scenario file errors carry file, line and column', () => {
  const err = (text: string) => {
    try {
      parseScenarios(text, 's.yaml');
    } catch (e) {
      expect(e).toBeInstanceOf(ScenarioError);
      return (e as Error).message;
    }
    throw new Error('expected a ScenarioError');
  };
  const head = 'schema: nt351-scenario/1\nname: x\n';
  it.each([
    ['schema: nt351-scenario/9\nname: x\nsteps: []\n', "s.yaml:1:9: 'schema': expected 'nt351-scenario/1'"],
    [
      `${head}steps:\n  - boot: {cpus: many}\n`,
      's.yaml:4:18: steps[0].boot.cpus: expected a whole number from 1 to 32',
    ],
    [`${head}steps:\n  - reboot: {}\n`, "s.yaml:4:5: steps[0]: unknown step 'reboot'"],
    [
      `${head}steps:\n  - boot: {cpu: 2}\n`,
      "s.yaml:4:12: unknown key 'cpu' in steps[0].boot (expected one of: cpus, profile)",
    ],
    [`${head}stepz: []\n`, "s.yaml:3:1: unknown key 'stepz' in the scenario"],
    [
      `${head}steps:\n  - expect: {outcome: fine}\n`,
      "s.yaml:4:23: 'expect.outcome': expected clean, errors, bugcheck or loader-stop",
    ],
    [
      `${head}steps:\n  - expect: {events: [{id: 1, message: {pattern: "("}}]}\n`,
      'not a valid regular expression',
    ],
    [`${head}steps:\n  - delete: "\${nope}"\n`, `s.yaml:4:13: '\${nope}' is not a matrix name`],
    [`${head}matrix: {sp: []}\nsteps: []\n`, "s.yaml:3:14: 'matrix.sp': expected a non-empty list of values"],
    [`${head}a: &a [1]\nsteps: *a\n`, 'YAML aliases (*name) are not allowed'],
    [`${head}steps: [\n`, 's.yaml:4:1: not valid YAML'],
    [`${head}steps: [${'{a: '.repeat(70)}`, 's.yaml:3:257: nested more than 64 levels deep'],
    [`${head}steps:\n${'- '.repeat(70)}x\n`, 's.yaml:4:129: nested more than 64 levels deep'],
  ])('%j', (text, message) => {
    expect(err(text)).toContain(message);
  });

  it('expands a matrix into one scenario per combination with values substituted', () => {
    const s = parseScenarios(
      `${head}matrix: {sp: [1, 2], m: [x86-pc-up, x86-mps-mp]}\nsteps:\n  - install: {media: "nt351-x86-sp\${sp}", machine: "\${m}", cpus: "\${sp}"}\n`,
      's.yaml',
    );
    expect(s.map((x) => x.name)).toEqual([
      'x [sp=1, m=x86-pc-up]',
      'x [sp=1, m=x86-mps-mp]',
      'x [sp=2, m=x86-pc-up]',
      'x [sp=2, m=x86-mps-mp]',
    ]);
    expect(s[3]!.steps[0]).toMatchObject({
      kind: 'install',
      media: 'nt351-x86-sp2',
      machine: 'x86-mps-mp',
      cpus: 2,
    });
  });
});

describe.skipIf(!unicorn)('nt351 replay command', () => {
  it('exits 0 when all pass, 1 when one fails, 65 for a broken file, 66 for a missing path, 64 for bad --jobs', async () => {
    const ok = await cli('--filter', 'symptom [sp=1, machine=x86-pc-up]', 'scenarios/kb138713');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('1 scenario(s): 1 passed, 0 failed; 1 boot(s)');
    expect(ok.stderr).toContain('[1/1] pass symptom [sp=1, machine=x86-pc-up]');
    const failing = scenario(
      'f.yaml',
      'schema: nt351-scenario/1\nname: f\nstart: {imageset: ../../nowhere}\nsteps:\n  - boot: {}\n',
    );
    const f = await cli(failing);
    expect(f.code).toBe(1);
    expect(f.stdout).toContain('FAIL f (');
    expect((await cli(scenario('broken.yaml', 'schema: [\n'))).code).toBe(65);
    expect((await cli(join(tmp, 'missing.yaml'))).code).toBe(66);
    expect((await cli('--jobs', '0', 'scenarios/kb138713')).code).toBe(64);
  });

  it('writes JUnit XML with one testcase per scenario and the failure message', async () => {
    const xml = join(tmp, 'out.xml');
    const failing = scenario(
      'j.yaml',
      `schema: nt351-scenario/1
name: junit
steps:
  - install: {media: nt351-x86-rtm, machine: x86-pc-up}
  - boot: {}
  - expect: {outcome: bugcheck}
`,
    );
    const r = await cli('--junit', xml, '--json', failing);
    expect(r.code).toBe(1);
    const text = readFileSync(xml, 'utf8');
    expect(text).toContain('<testcase classname="');
    expect(text).toContain('name="junit"');
    expect(text).toContain('<failure message="outcome: expected bugcheck, actual clean">');
    expect(JSON.parse(r.stdout).summary).toEqual({ scenarios: 1, passed: 0, failed: 1, boots: 1, errors: 0 });
  });
});

describe('schema/scenario.schema.json', () => {
  it('accepts every KB scenario file and rejects a wrong one (editors use it for completion)', async () => {
    const { Ajv } = await import('ajv');
    const { parse } = await import('yaml');
    const { scenarioFiles } = await import('../../src/replay/index.js');
    const validate = new Ajv({ allowUnionTypes: true }).compile(
      JSON.parse(readFileSync('schema/scenario.schema.json', 'utf8')),
    );
    const files = scenarioFiles(['scenarios']);
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const f of files)
      expect(validate(parse(readFileSync(f, 'utf8'))), `${f}: ${JSON.stringify(validate.errors)}`).toBe(true);
    expect(validate({ schema: 'nt351-scenario/1', name: 'x', steps: [{ reboot: {} }] })).toBe(false);
  });
});
