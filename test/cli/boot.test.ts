// `nt351 boot` from the command line: exit codes by outcome, --json, and one clear line for every
// kind of bad input (missing folder, a file instead of a folder, no or broken machine.yaml, bad flags).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { profileNames } from '../../src/boot/index.js';
import { cliInProcess } from '../helpers/cli.js';
import { haveUnicorn } from '../helpers/unicorn.js';

const unicorn = haveUnicorn;
const tmp = mkdtempSync(join(tmpdir(), 'nt351-boot-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cli = (...args: string[]) => cliInProcess('boot', ...args);

describe.skipIf(!unicorn)('nt351 boot exit codes by outcome', () => {
  it('0 for a clean boot, 1 for errors, 2 for a bugcheck', async () => {
    expect((await cli('fixtures/imagesets/sp3-x86-up')).code).toBe(0);
    const kb = await cli('fixtures/imagesets/kb138713-x86-up');
    expect(kb.code).toBe(1);
    expect(kb.stdout).toContain('| System Process - Driver Entry Point Not Found');
    expect(kb.stderr).toBe('');
    const stop = await cli('fixtures/imagesets/mismatched-hal-x86');
    expect(stop.code).toBe(2);
    expect(stop.stdout).toContain('*** STOP: 0x00000079 (0x00000002,0x00000002,0x00000000,0x00000000)');
  });

  it('--json prints the report; --cpus and --profile are honoured', async () => {
    const r = await cli('--json', '--cpus', '3', 'fixtures/imagesets/kb138713-x86-mp');
    const report = JSON.parse(r.stdout);
    expect(report.outcome).toBe('errors');
    expect(report.machine.processorsStarted).toBe(3);
    // The MP kernel with the standard PC HAL's profile: one processor, as the UP HAL starts one.
    const up = JSON.parse(
      (await cli('--json', '--cpus', '3', '--profile', 'x86-pc-up', 'fixtures/imagesets/kb138713-x86-mp'))
        .stdout,
    );
    expect(up.machine.processorsStarted).toBe(1);
  });

  it('--save-overlay writes the System log outside the set; --render draws popups and STOP screens', async () => {
    const out = join(tmp, 'overlay');
    const r = await cli(
      '--save-overlay',
      out,
      '--render',
      join(tmp, 'kb.svg'),
      'fixtures/imagesets/kb138713-x86-up',
    );
    expect(r.code).toBe(1);
    expect(readdirSync(join(out, 'WINNT35', 'SYSTEM32', 'CONFIG'))).toEqual(['SysEvent.Evt']);
    expect(readdirSync('fixtures/imagesets/kb138713-x86-up/WINNT35/SYSTEM32/CONFIG')).toEqual([
      '.keep',
      'SYSTEM',
    ]);
    const svg = readFileSync(join(tmp, 'kb.svg'), 'utf8');
    expect(svg).toContain('System Process - Driver Entry Point Not Found');
    const stop = await cli('--render', join(tmp, 'hal.html'), 'fixtures/imagesets/mismatched-hal-x86');
    expect(stop.code).toBe(2);
    expect(readFileSync(join(tmp, 'hal.html'), 'utf8')).toContain('*** STOP: 0x00000079');
    const gif = await cli('--render', join(tmp, 'x.gif'), 'fixtures/imagesets/rtm-x86-up');
    expect(gif.code).toBe(64);
    expect(gif.stderr).toContain("--render expects a file name ending in .svg, .png or .html, got '");
  });
});

describe('nt351 boot with bad input: one line, documented exit code', () => {
  const oneLine = (s: string) => expect(s.trim().split('\n')).toHaveLength(1);

  it('66 for a missing image set or a folder without machine.yaml', async () => {
    const r = await cli(join(tmp, 'nope'));
    expect(r.code).toBe(66);
    oneLine(r.stderr);
    expect(r.stderr).toContain('no such image set');
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    const e = await cli(empty);
    expect(e.code).toBe(66);
    expect(e.stderr).toContain('machine.yaml');
  });

  it('65 for a file instead of a folder, broken YAML (with line and column) and unknown profiles', async () => {
    const file = join(tmp, 'file.txt');
    writeFileSync(file, 'x');
    expect((await cli(file)).code).toBe(65);
    const bad = join(tmp, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'machine.yaml'), 'schema: nt351-imageset/1\nmachine: [unclosed\n');
    const r = await cli(bad);
    expect(r.code).toBe(65);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/machine\.yaml:\d+:\d+: not valid YAML/);
    const typed = join(tmp, 'typed');
    mkdirSync(typed);
    writeFileSync(
      join(typed, 'machine.yaml'),
      'schema: nt351-imageset/1\nmachine:\n  architecture: x86\n  cpus: many\n  profile: x86-pc-up\n',
    );
    const t = await cli(typed);
    expect(t.code).toBe(65);
    expect(t.stderr).toContain("machine.yaml:4:9: 'machine.cpus': expected a whole number from 1 to 32");
    // A profile named on the command line is a bad command line (64, with the known names), as
    // `--cpus 0` is; the same name in machine.yaml is a data error of that file (65).
    const json = await cli('--json', '--profile', 'vax-780', 'fixtures/imagesets/rtm-x86-up');
    expect(json.code).toBe(64);
    expect(JSON.parse(json.stdout).error.message).toBe(
      `--profile: unknown machine profile 'vax-780' (known: ${profileNames().join(', ')})`,
    );
    const cpus = await cli('--json', '--cpus', '0', 'fixtures/imagesets/rtm-x86-up');
    expect(cpus.code).toBe(json.code);
    const inFile = join(tmp, 'vax');
    mkdirSync(inFile);
    writeFileSync(
      join(inFile, 'machine.yaml'),
      'schema: nt351-imageset/1\nmachine:\n  architecture: x86\n  cpus: 1\n  profile: vax-780\n',
    );
    expect((await cli(inFile)).code).toBe(65);
  });

  it('64 for bad flags', async () => {
    expect((await cli('--cpus', '0', 'fixtures/imagesets/rtm-x86-up')).code).toBe(64);
    expect((await cli('--cpus', 'two', 'fixtures/imagesets/rtm-x86-up')).code).toBe(64);
    expect((await cli('--trace', 'everything', 'fixtures/imagesets/rtm-x86-up')).code).toBe(64);
    expect((await cli()).code).toBe(64);
  });
});
