// Issue 20, item 7: outputs (--save-overlay, --render, --junit) are never written inside the image
// set, never through a symbolic link, never to a FIFO or device, and making their folders is bounded.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeOutputDir, OutputPathError, writeOutputBytes } from '../../src/system/index.js';
import { cliInProcess } from '../helpers/cli.js';
import { haveUnicorn } from '../helpers/unicorn.js';

const tmp = mkdtempSync(join(tmpdir(), 'nt351-outputs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cli = cliInProcess;

/** A copy of rtm-x86-up, whose boot writes SysEvent.Evt to its overlay. */
const freshSet = () => {
  const dir = mkdtempSync(join(tmp, 'set-'));
  cpSync('fixtures/imagesets/rtm-x86-up', dir, { recursive: true });
  return dir;
};
/** Every file under `dir`, relative. */
const files = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1))
    .sort();
const EVT = ['WINNT35', 'SYSTEM32', 'CONFIG', 'SysEvent.Evt'];

describe.skipIf(!haveUnicorn)('--save-overlay', () => {
  it('writes the overlay into a fresh folder (the normal case still works)', async () => {
    const out = join(tmp, 'overlay-ok');
    const c = await cli('boot', '--save-overlay', out, freshSet());
    expect(c.code).toBe(0);
    expect(files(out)).toEqual([join(...EVT)]);
  });

  for (const [what, target] of [
    ['the image set itself', (set: string) => set],
    ['a folder inside the set', (set: string) => join(set, 'WINNT35')],
    [
      'a link to the set',
      (set: string) => {
        const link = join(tmp, `link-${Math.random().toString(36).slice(2)}`);
        symlinkSync(set, link);
        return link;
      },
    ],
  ] as const) {
    it(`pointed at ${what}: exit 73 before the boot, the set unchanged`, async () => {
      const set = freshSet();
      const before = files(set);
      const c = await cli('boot', '--json', '--save-overlay', target(set), set);
      expect(c.code).toBe(73);
      expect(JSON.parse(c.stdout).error.error).toBe('OutputError');
      expect(c.stderr).toContain('which nt351 only reads');
      expect(files(set)).toEqual(before);
    });
  }

  it('a SysEvent.Evt planted as a link to a file outside: exit 73, that file unchanged', async () => {
    const out = join(tmp, 'planted-file');
    mkdirSync(join(out, ...EVT.slice(0, -1)), { recursive: true });
    const victim = join(tmp, 'victim.txt');
    writeFileSync(victim, 'precious');
    symlinkSync(victim, join(out, ...EVT));
    const c = await cli('boot', '--save-overlay', out, freshSet());
    expect(c.code).toBe(73);
    expect(c.stderr).toContain('is a symbolic link');
    expect(readFileSync(victim, 'utf8')).toBe('precious');
  });

  it('a system-root folder planted as a link to a folder outside: exit 73, nothing written there', async () => {
    const out = join(tmp, 'planted-dir');
    mkdirSync(out);
    const elsewhere = mkdtempSync(join(tmp, 'elsewhere-'));
    symlinkSync(elsewhere, join(out, 'WINNT35'));
    const c = await cli('boot', '--save-overlay', out, freshSet());
    expect(c.code).toBe(73);
    expect(c.stderr).toContain('is a symbolic link');
    expect(files(elsewhere)).toEqual([]);
  });

  it('/proc/1/x (where recursive mkdir never returns): exit 73 at once, in a child process', () => {
    const script = join(tmp, 'cli.ts');
    writeFileSync(
      script,
      `import { main } from ${JSON.stringify(resolve('src/cli/main.ts'))};\nmain(process.argv);\n`,
    );
    const p = spawnSync(
      process.execPath,
      ['--import', 'tsx', script, 'boot', '--save-overlay', '/proc/1/x', freshSet()],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(p.signal).toBeNull(); // not killed by the timeout
    expect(p.status).toBe(73);
    expect(p.stderr).toContain('/proc/1/x');
  });
});

describe.skipIf(!haveUnicorn)('--render', () => {
  it('onto a link: exit 73 before the boot, the link target unchanged', async () => {
    const victim = join(tmp, 'victim.svg');
    writeFileSync(victim, 'precious');
    const link = join(tmp, 'render-link.svg');
    symlinkSync(victim, link);
    const c = await cli('boot', '--render', link, freshSet());
    expect(c.code).toBe(73);
    expect(c.stderr).toContain('is a symbolic link');
    expect(readFileSync(victim, 'utf8')).toBe('precious');
  });

  it('into the image set: exit 73, nothing written into the set', async () => {
    const set = freshSet();
    const c = await cli('boot', '--render', join(set, 'screens.svg'), set);
    expect(c.code).toBe(73);
    expect(existsSync(join(set, 'screens.svg'))).toBe(false);
  });
});

describe('the output helpers', () => {
  it('refuse a FIFO without blocking, and devices', () => {
    const fifo = join(tmp, 'fifo');
    if (spawnSync('mkfifo', [fifo]).status !== 0) return; // mkfifo missing: covered by /dev/null below
    expect(() => writeOutputBytes(fifo, 'x')).toThrow('is not a regular file');
    expect(() => writeOutputBytes('/dev/null', 'x')).toThrow('is not a regular file');
  });
  it('bound the folders made for one output', () => {
    const deep = join(tmp, ...Array(40).fill('d'));
    expect(() => makeOutputDir(deep)).toThrow(OutputPathError);
    expect(() => makeOutputDir(deep)).toThrow('more than 32 folders');
    expect(existsSync(join(tmp, 'd'))).toBe(false);
  });
});
