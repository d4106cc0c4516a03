// Hostile inputs to every command `nt351 --help` lists: a missing path, a directory for a file (or a
// file for a folder), an empty file, a file of the wrong kind, an unreadable file, device files and
// unwritable outputs. Each gives exactly one line on stderr naming the path and the documented exit
// code; with --json, a JSON object on stdout; never a stack trace.
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliInProcess } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'nt351-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const file = (name: string, data: string | Uint8Array) => {
  const p = join(tmp, name);
  writeFileSync(p, data);
  return p;
};
const dir = (name: string) => {
  const p = join(tmp, name);
  mkdirSync(p, { recursive: true });
  return p;
};

const cli = cliInProcess;

/**
 * A file this process cannot read. Tests run as root, which reads a chmod 000 file anyway; the
 * kernel still refuses to open another process's /proc/PID/mem without ptrace rights.
 */
const UNREADABLE = (() => {
  const p = file('unreadable.sys', 'MZ');
  spawnSync('chmod', ['000', p]);
  for (const candidate of [p, '/proc/1/mem']) {
    try {
      closeSync(openSync(candidate, 'r'));
    } catch {
      return candidate;
    }
  }
  return null;
})();

const missing = join(tmp, 'no-such-file.sys');
const folder = dir('a-folder');
const empty = file('empty.sys', '');
const text = file('text.sys', 'hello, world\n'.repeat(20));
const mzOnly = file('mz.sys', 'MZ');
const driver = 'fixtures/bin/samples/ioctl.sys';
const imageset = 'fixtures/imagesets/rtm-x86-up';
/** An image set folder with nothing in it, and ones whose machine.yaml is empty, PE bytes, a folder, a link. */
const emptySet = dir('empty-set');
const setWith = (name: string, make: (yaml: string) => void) => {
  const d = dir(name);
  make(join(d, 'machine.yaml'));
  return d;
};
const blankYamlSet = setWith('blank-yaml', (y) => writeFileSync(y, ''));
const peYamlSet = setWith('pe-yaml', (y) => writeFileSync(y, readFileSync(driver)));
const dirYamlSet = setWith('dir-yaml', (y) => mkdirSync(y));
const linkYamlSet = setWith('link-yaml', (y) => symlinkSync('/dev/zero', y));
const noScenarios = dir('no-scenarios');
writeFileSync(join(noScenarios, 'readme.txt'), 'no scenarios here');
const yamlFolder = dir('folder.yaml');
const peScenario = file('pe.yaml', readFileSync(driver));
const fifo = join(tmp, 'fifo.yaml');
const haveFifo = spawnSync('mkfifo', [fifo]).status === 0;

interface Case {
  what: string;
  args: string[];
  code: number;
  /** The path the one stderr line must name. */
  path: string;
  /** Text the line must contain. */
  says: string | RegExp;
  skip?: string | false;
}

const cases: Record<string, Case[]> = {
  inspect: [
    { what: 'a missing file', args: [missing], code: 3, path: missing, says: 'no such file or directory' },
    {
      what: 'a directory',
      args: [folder],
      code: 3,
      path: folder,
      says: 'is a directory, expected a PE file',
    },
    { what: 'an empty file', args: [empty], code: 2, path: empty, says: 'IMAGE_DOS_HEADER.e_magic' },
    { what: 'a text file', args: [text], code: 2, path: text, says: 'IMAGE_DOS_HEADER.e_magic' },
    { what: '"MZ" and nothing else', args: [mzOnly], code: 2, path: mzOnly, says: 'IMAGE_DOS_HEADER' },
    { what: 'a device file', args: ['/dev/zero'], code: 3, path: '/dev/zero', says: 'is not a regular file' },
  ],
  resolve: [
    { what: 'a missing path', args: [missing], code: 3, path: missing, says: 'no such file or directory' },
    {
      what: 'a folder without PE images',
      args: [noScenarios],
      code: 3,
      path: noScenarios,
      says: 'contains no PE images',
    },
    { what: 'an empty file', args: [empty], code: 2, path: empty, says: 'IMAGE_DOS_HEADER.e_magic' },
    { what: 'a text file', args: [text], code: 2, path: text, says: 'IMAGE_DOS_HEADER.e_magic' },
    { what: 'a device file', args: ['/dev/zero'], code: 3, path: '/dev/zero', says: 'is not a regular file' },
  ],
  'run-driver': [
    { what: 'a missing driver', args: [missing], code: 3, path: missing, says: 'no such file or directory' },
    { what: 'a directory as the driver', args: [folder], code: 3, path: folder, says: 'is a directory' },
    { what: 'an empty driver', args: [empty], code: 2, path: empty, says: 'IMAGE_DOS_HEADER.e_magic' },
    {
      what: 'a text file as the driver',
      args: [text],
      code: 2,
      path: text,
      says: 'IMAGE_DOS_HEADER.e_magic',
    },
    {
      what: 'a text file as --kernel',
      args: ['--kernel', text, driver],
      code: 2,
      path: text,
      says: 'e_magic',
    },
    {
      what: 'a directory as --hal',
      args: ['--hal', folder, driver],
      code: 3,
      path: folder,
      says: 'is a directory',
    },
    {
      what: 'a missing --kernel',
      args: ['--kernel', missing, driver],
      code: 3,
      path: missing,
      says: 'no such file',
    },
    {
      what: 'a file as --imageset',
      args: ['--imageset', text, driver],
      code: 3,
      path: text,
      says: 'is not a folder; --imageset expects an image set folder',
    },
    {
      what: 'an empty folder as --imageset (no kernel)',
      args: ['--imageset', emptySet, driver],
      code: 3,
      path: join(emptySet, 'WINNT35/SYSTEM32/NTOSKRNL.EXE'),
      says: 'no such file or directory',
    },
    {
      what: 'a missing --imageset',
      args: ['--imageset', missing, driver],
      code: 3,
      path: missing,
      says: 'no such file',
    },
  ],
  boot: [
    { what: 'a missing image set', args: [missing], code: 66, path: missing, says: 'no such image set' },
    { what: 'a file for the image set folder', args: [text], code: 65, path: text, says: 'is not a folder' },
    {
      what: 'a folder without machine.yaml',
      args: [emptySet],
      code: 66,
      path: emptySet,
      says: 'not an NT installation: machine.yaml, BOOT.INI and a folder with System32',
    },
    {
      what: 'an empty machine.yaml',
      args: [blankYamlSet],
      code: 65,
      path: blankYamlSet,
      says: 'expected a mapping',
    },
    { what: 'PE bytes as machine.yaml', args: [peYamlSet], code: 65, path: peYamlSet, says: 'machine.yaml' },
    { what: 'machine.yaml a folder', args: [dirYamlSet], code: 65, path: dirYamlSet, says: 'is a directory' },
    {
      what: 'machine.yaml a link to /dev/zero (would never finish reading)',
      args: [linkYamlSet],
      code: 65,
      path: linkYamlSet,
      says: 'is a symbolic link',
    },
    {
      what: 'a device file for the image set',
      args: ['/dev/zero'],
      code: 65,
      path: '/dev/zero',
      says: 'is not a folder',
    },
    {
      what: '--render onto a directory (checked before booting)',
      args: ['--render', dir('out.svg'), imageset],
      code: 73,
      path: join(tmp, 'out.svg'),
      says: 'is a directory, expected a file to write',
    },
    {
      what: '--render into a missing folder',
      args: ['--render', join(missing, 'x.svg'), imageset],
      code: 73,
      path: join(missing, 'x.svg'),
      says: 'does not exist',
    },
    {
      what: '--save-overlay onto a file',
      args: ['--save-overlay', text, imageset],
      code: 73,
      path: text,
      says: 'is not a folder',
    },
  ],
  replay: [
    { what: 'a missing path', args: [missing], code: 66, path: missing, says: 'no such file or folder' },
    {
      what: 'a folder without scenarios',
      args: [noScenarios],
      code: 66,
      path: noScenarios,
      says: 'no scenario files',
    },
    {
      what: 'a folder named like a scenario',
      args: [yamlFolder],
      code: 66,
      path: yamlFolder,
      says: 'no scenario files',
    },
    { what: 'an empty file', args: [empty], code: 65, path: empty, says: ':1:1: expected a mapping' },
    { what: 'a PE file', args: [peScenario], code: 65, path: peScenario, says: /pe\.yaml:\d+:\d+: / },
    {
      what: 'a device file',
      args: ['/dev/zero'],
      code: 66,
      path: '/dev/zero',
      says: 'is not a regular file',
    },
    {
      what: 'a FIFO (would block)',
      args: [fifo],
      code: 66,
      path: fifo,
      says: 'is not a regular file',
      skip: !haveFifo && 'mkfifo is not available',
    },
    {
      what: '--junit onto a directory',
      args: ['--junit', folder, empty],
      code: 73,
      path: folder,
      says: 'is a directory, expected a file to write',
    },
  ],
};
for (const command of ['inspect', 'resolve', 'run-driver', 'replay'])
  cases[command]!.push({
    what: 'an unreadable file',
    args: [UNREADABLE ?? missing],
    code: command === 'replay' ? 66 : 3,
    path: UNREADABLE ?? missing,
    says: 'permission denied',
    skip: UNREADABLE === null && 'this process can read every candidate (chmod 000 file, /proc/1/mem)',
  });
cases.boot!.push({
  what: 'an unreadable image set folder',
  args: [],
  code: 66,
  path: '',
  says: '',
  skip: 'root reads every folder and /proc has no unreadable folder for root; nothing to emulate it with',
});

describe('nt351 --help lists the commands this test covers', () => {
  it('every command has hostile-input cases', async () => {
    const help = await cli('--help');
    const commands = [...help.stdout.matchAll(/^ {2}([a-z-]+) \[options\]/gm)].map((m) => m[1]);
    expect(commands.sort()).toEqual(Object.keys(cases).sort());
  });

  it.each(Object.keys(cases))('%s --help documents its exit codes', async (command) => {
    const r = await cli(command, '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Exit codes of ${command}:`));
    for (const c of new Set(cases[command]!.map((x) => x.code)))
      expect(r.stdout).toMatch(new RegExp(`\\b${c}\\b`));
  });
});

for (const [command, list] of Object.entries(cases)) {
  describe(`nt351 ${command} with hostile inputs`, () => {
    for (const c of list) {
      it.skipIf(c.skip)(
        `${c.what}: exit ${c.code}, one line naming the path${c.skip ? ` (skipped: ${c.skip})` : ''}`,
        async () => {
          const r = await cli(command, ...c.args);
          expect(r.code).toBe(c.code);
          const lines = r.stderr.trimEnd().split('\n');
          expect(lines).toHaveLength(1);
          expect(lines[0]).toMatch(/^nt351: /);
          expect(lines[0]).toContain(c.path);
          if (typeof c.says === 'string') expect(lines[0]).toContain(c.says);
          else expect(lines[0]).toMatch(c.says);
          expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
          const j = await cli(command, '--json', ...c.args);
          expect(j.code).toBe(c.code);
          const out = JSON.parse(j.stdout) as {
            error?: { error: string; message: string };
            errors?: unknown[];
          };
          // A report that lists the bad file (resolve, replay) or an error object naming it.
          if (out.error) expect(out.error.message).toContain(c.path);
          else expect(JSON.stringify(out.errors)).toContain(c.path);
        },
      );
    }
  });
}

describe('bad command lines exit 64, with a JSON error object under --json', () => {
  it.each([
    [['inspect', '--json']],
    [['resolve', '--json', '--bogus', 'x']],
    [['run-driver', '--json', '--max-instructions', 'lots', driver]],
    [['run-driver', '--json', '--trace', 'everything', driver]],
    [['run-driver', '--json']],
    [['boot', '--json', '--cpus', '0', imageset]],
    [['replay', '--json', '--jobs', '0', 'scenarios']],
  ])('%j', async (args) => {
    const r = await cli(...args);
    expect(r.code).toBe(64);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { error: 'UsageError' } });
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

// Needs dist/ (npm test builds before running vitest).
describe('through bin/nt351.js', () => {
  it.each([
    ['inspect', [empty], 2],
    ['resolve', [missing], 3],
    ['run-driver', [text], 2],
    ['boot', [blankYamlSet], 65],
    ['replay', [empty], 65],
  ] as const)('%s: the documented exit code and no stack trace', (command, args, code) => {
    const p = spawnSync(process.execPath, ['bin/nt351.js', command, ...args], { encoding: 'utf8' });
    expect(p.status).toBe(code);
    expect(p.stderr).not.toMatch(/\n\s+at /);
    expect(p.stderr.trim().split('\n')).toHaveLength(1);
  });
});
