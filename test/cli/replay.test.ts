// `nt351 replay` from the command line: names checked when the file is read (machine profiles,
// media), each error printed once, --filter matching nothing, --media and NT351_MEDIA, JUnit times.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { profileNames } from '../../src/boot/index.js';
import { cliInProcess } from '../helpers/cli.js';
import { haveUnicorn } from '../helpers/unicorn.js';

const tmp = mkdtempSync(join(tmpdir(), 'nt351-replay-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => {
  delete process.env.NT351_MEDIA;
});
const scenario = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};
const cli = (...args: string[]) => cliInProcess('replay', ...args);
const install = (media: string, machine: string) =>
  `schema: nt351-scenario/1\nname: n\nsteps:\n  - install: { media: ${media}, machine: ${machine} }\n  - boot: {}\n`;

describe('names in a scenario file are checked when it is read', () => {
  it('an unknown machine profile: 65, file:line:column and the known profiles, printed once', async () => {
    const f = scenario('machine.yaml', install('nt351-x86-rtm', 'x86-pc-upp'));
    const r = await cli(f);
    expect(r.code).toBe(65);
    const line = `nt351: ${f}:4:47: steps[0].install.machine: unknown machine profile 'x86-pc-upp' (known: ${profileNames().join(', ')})\n`;
    expect(r.stderr).toBe(line);
    expect(r.stdout).not.toContain('x86-pc-upp');
    expect(r.stdout).toContain('0 scenario(s): 0 passed, 0 failed, 1 file(s) with errors; 0 boot(s)');
  });

  it('an unknown media name: 65 with the media the folder holds', async () => {
    const f = scenario('media.yaml', install('nt351-x86-rtmx', 'x86-pc-up'));
    const r = await cli(f);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(
      /^nt351: .*media\.yaml:4:23: steps\[0\]\.install\.media: no media 'nt351-x86-rtmx' in .*fixtures[\\/]media \(known: nt351-alpha-rtm, .*nt351-x86-sp5\)\n$/,
    );
  });

  it('a boot profile is checked too', async () => {
    const f = scenario(
      'profile.yaml',
      'schema: nt351-scenario/1\nname: p\nstart: {imageset: x}\nsteps:\n  - boot: { profile: pdp-11 }\n',
    );
    const r = await cli('--json', f);
    expect(r.code).toBe(65);
    expect(JSON.parse(r.stdout).errors[0].message).toContain(
      "steps[0].boot.profile: unknown machine profile 'pdp-11'",
    );
  });
});

describe('where media come from', () => {
  it('--media names a folder that must exist (66)', async () => {
    const r = await cli('--media', join(tmp, 'nowhere'), scenario('m.yaml', install('cd', 'x86-pc-up')));
    expect(r.code).toBe(66);
    expect(r.stderr).toBe(`nt351: ${join(tmp, 'nowhere')}: no such folder (--media)\n`);
  });

  it('--media and NT351_MEDIA: names are looked up there', async () => {
    const media = join(tmp, 'cds');
    mkdirSync(media);
    cpSync('fixtures/media/nt351-x86-rtm', join(media, 'my-cd'), { recursive: true });
    const f = scenario('cd.yaml', install('nt351-x86-rtm', 'x86-pc-up'));
    const viaFlag = await cli('--media', media, f);
    expect(viaFlag.code).toBe(65);
    expect(viaFlag.stderr).toContain(`no media 'nt351-x86-rtm' in ${media} (known: my-cd)`);
    process.env.NT351_MEDIA = media;
    const viaEnv = await cli(f);
    expect(viaEnv.stderr).toBe(viaFlag.stderr);
  });
});

describe('--filter', () => {
  it('matching nothing is an error (66), not an empty success', async () => {
    const r = await cli('--filter', 'no-such-scenario', 'scenarios/kb138713');
    expect(r.code).toBe(66);
    expect(r.stderr).toBe(
      "nt351: --filter 'no-such-scenario' matches none of the scenarios in scenarios/kb138713\n",
    );
  });
});

describe.skipIf(!haveUnicorn)('JUnit XML', () => {
  it('gives every testcase and testsuite a time in seconds', async () => {
    const xml = join(tmp, 'junit.xml');
    const r = await cli('--junit', xml, '--filter', 'symptom [sp=1', 'scenarios/kb138713/x86');
    expect(r.code).toBe(0);
    const text = readFileSync(xml, 'utf8');
    const cases = [...text.matchAll(/<testcase [^>]*>/g)].map((m) => m[0]);
    expect(cases).toHaveLength(2);
    for (const c of cases) expect(c).toMatch(/ time="\d+\.\d{3}"/);
    expect(text).toMatch(/<testsuite name="[^"]+" tests="2" failures="0" time="\d+\.\d{3}">/);
  });
});
