// Image sets: Windows path rules inside the set only, a copy-on-write overlay that never touches the
// user's files, and machine.yaml errors with line and column (including YAML alias bombs).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bootConfiguration,
  ImageSet,
  ImageSetError,
  parseManifest,
  parseServices,
} from '../../src/system/index.js';

const KB = 'fixtures/imagesets/kb138713-x86-up';
const tmp = mkdtempSync(join(tmpdir(), 'nt351-imageset-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('image set paths', () => {
  const set = ImageSet.open(KB);

  it('are case-insensitive, with \\SystemRoot\\ and %SystemRoot% expanded', () => {
    const a = set.read('\\SystemRoot\\System32\\drivers\\srv.sys');
    expect(a).not.toBeNull();
    expect(set.read('%SYSTEMROOT%/system32/DRIVERS/SRV.SYS')).toBe(a);
    expect(set.read('winnt35\\system32\\drivers\\srv.sys')).toBe(a);
    expect(set.actualPath('\\SystemRoot\\system32\\drivers\\srv.sys')).toBe(
      'WINNT35\\SYSTEM32\\DRIVERS\\SRV.SYS',
    );
    expect(set.read('\\SystemRoot\\System32\\drivers\\nothere.sys')).toBeNull();
  });

  it.each([
    ['..\\..\\etc\\passwd', "leaves the image set ('..')"],
    ['\\SystemRoot\\..\\..\\x', "leaves the image set ('..')"],
    ['C:\\WINNT35\\System32\\ntoskrnl.exe', 'is absolute'],
    ['\\\\server\\share\\x', 'is absolute'],
    ['/etc/passwd', 'is absolute'],
    ['\\SystemRoot\\System32\\CON', "names a device ('CON')"],
    ['WINNT35\\nul.txt', "names a device ('nul.txt')"],
    ['WINNT35\\a?b', 'has a character Windows forbids'],
  ])('rejects %s', (p, reason) => {
    expect(() => set.read(p)).toThrow(ImageSetError);
    expect(() => set.read(p)).toThrow(reason);
  });

  it('do not follow symlinks out of the set', () => {
    const dir = join(tmp, 'linked');
    mkdirSync(join(dir, 'WINNT35'), { recursive: true });
    writeFileSync(
      join(dir, 'machine.yaml'),
      `${readFileSync(join(KB, 'machine.yaml'), 'utf8')}systemRoot: WINNT35\n`,
    );
    writeFileSync(join(tmp, 'secret.txt'), 'secret');
    symlinkSync(join(tmp, 'secret.txt'), join(dir, 'WINNT35', 'secret.txt'));
    const linked = ImageSet.open(dir);
    expect(linked.read('WINNT35\\secret.txt')).toBeNull();
  });
});

describe('ImageSet.open checks machine.yaml before reading it', () => {
  const setWith = (name: string, make: (manifest: string) => void) => {
    const dir = join(tmp, name);
    mkdirSync(dir, { recursive: true });
    make(join(dir, 'machine.yaml'));
    return dir;
  };
  const openError = (dir: string) => {
    try {
      ImageSet.open(dir);
    } catch (e) {
      expect(e).toBeInstanceOf(ImageSetError);
      return (e as Error).message;
    }
    throw new Error('expected an ImageSetError');
  };
  const haveMkfifo = spawnSync('mkfifo', ['--version']).status === 0;

  it.each([
    [
      'a symbolic link to a valid manifest',
      (m: string) => symlinkSync(join(process.cwd(), KB, 'machine.yaml'), m),
    ],
    ['a symbolic link to /dev/zero', (m: string) => symlinkSync('/dev/zero', m)],
  ])('refuses %s (never reads through it)', (what, make) => {
    const dir = setWith(`manifest-${what.replace(/\W+/g, '-')}`, make);
    expect(openError(dir)).toBe(
      `${join(dir, 'machine.yaml')}: is a symbolic link; machine.yaml must be a file in the set`,
    );
  });

  it('says a machine.yaml folder is a directory, not missing', () => {
    const dir = setWith('manifest-folder', (m) => mkdirSync(m));
    expect(openError(dir)).toBe(`${join(dir, 'machine.yaml')}: is a directory, expected a YAML file`);
    expect(openError(join(tmp, 'manifest-none'))).toContain('no such image set');
    mkdirSync(join(tmp, 'manifest-absent'));
    expect(openError(join(tmp, 'manifest-absent'))).toContain(
      'not an NT installation: machine.yaml, BOOT.INI and a folder with System32',
    );
  });

  it.skipIf(!haveMkfifo)('refuses a FIFO, which would block the read (skipped without mkfifo)', () => {
    const dir = setWith('manifest-fifo', (m) => expect(spawnSync('mkfifo', [m]).status).toBe(0));
    expect(openError(dir)).toBe(`${join(dir, 'machine.yaml')}: is not a regular file`);
  });
});

describe('the overlay', () => {
  it('takes writes, deletions and forks without changing a byte on disk', () => {
    const files = readdirSync(join(KB, 'WINNT35', 'SYSTEM32', 'DRIVERS')).map((f) =>
      join(KB, 'WINNT35', 'SYSTEM32', 'DRIVERS', f),
    );
    const before = files.map(sha);
    const set = ImageSet.open(KB);
    set.write('\\SystemRoot\\System32\\drivers\\srv.sys', new Uint8Array([1, 2, 3]));
    expect(set.delete('\\SystemRoot\\System32\\drivers\\rdr.sys')).toBe(true);
    expect(set.read('\\SystemRoot\\System32\\drivers\\srv.sys')).toEqual(new Uint8Array([1, 2, 3]));
    expect(set.exists('\\SystemRoot\\System32\\drivers\\rdr.sys')).toBe(false);
    const fork = set.fork();
    fork.write('\\SystemRoot\\new.txt', new Uint8Array([9]));
    expect(set.exists('\\SystemRoot\\new.txt')).toBe(false);
    expect(fork.read('\\SystemRoot\\System32\\drivers\\srv.sys')).toEqual(new Uint8Array([1, 2, 3]));
    // Forks share the files the set was opened with: a fork's deletion or write of one is its own.
    fork.delete('\\SystemRoot\\System32\\drivers\\afd.sys');
    fork.write('\\SystemRoot\\System32\\drivers\\nbf.sys', new Uint8Array([7]));
    expect(fork.exists('\\SystemRoot\\System32\\drivers\\afd.sys')).toBe(false);
    expect(set.exists('\\SystemRoot\\System32\\drivers\\afd.sys')).toBe(true);
    expect(set.read('\\SystemRoot\\System32\\drivers\\nbf.sys')!.length).toBeGreaterThan(1);
    expect(set.fork().read('\\SystemRoot\\System32\\drivers\\nbf.sys')!.length).toBeGreaterThan(1);
    expect(set.fork().exists('\\SystemRoot\\System32\\drivers\\afd.sys')).toBe(true);
    expect(set.changes().map((c) => [c.path, c.bytes?.length ?? null])).toEqual([
      ['WINNT35\\SYSTEM32\\DRIVERS\\SRV.SYS', 3],
      ['winnt35\\system32\\drivers\\rdr.sys', null],
    ]);
    const out = join(tmp, 'saved');
    expect(set.saveOverlay(out)).toEqual([join(out, 'WINNT35', 'SYSTEM32', 'DRIVERS', 'SRV.SYS')]);
    expect(files.map(sha)).toEqual(before);
  });

  it('makes a file written as a function once, when it is first read, and forks share it', () => {
    const set = ImageSet.open(KB);
    let made = 0;
    set.write('\\SystemRoot\\System32\\config\\log.evt', () => {
      made++;
      return new Uint8Array([4, 5]);
    });
    expect(made).toBe(0);
    expect(set.exists('\\SystemRoot\\System32\\config\\log.evt')).toBe(true);
    expect(set.actualPath('\\SystemRoot\\System32\\config\\log.evt')).toBe(
      'WINNT35\\SYSTEM32\\CONFIG\\log.evt',
    );
    expect(made).toBe(0);
    const fork = set.fork();
    expect(fork.read('\\SystemRoot\\System32\\config\\log.evt')).toEqual(new Uint8Array([4, 5]));
    expect(set.read('\\SystemRoot\\System32\\config\\log.evt')).toEqual(new Uint8Array([4, 5]));
    expect(set.changes()).toEqual([
      { path: 'WINNT35\\SYSTEM32\\CONFIG\\log.evt', bytes: new Uint8Array([4, 5]) },
    ]);
    expect(made).toBe(1);
  });
});

describe('machine.yaml', () => {
  const good = readFileSync(join(KB, 'machine.yaml'), 'utf8');
  const err = (text: string) => {
    try {
      parseManifest(text, 'machine.yaml');
    } catch (e) {
      expect(e).toBeInstanceOf(ImageSetError);
      return (e as Error).message;
    }
    throw new Error('expected an ImageSetError');
  };

  it('parses the fixture manifests (machine facts; services in the SYSTEM hive) and service tables with defaults', () => {
    const m = parseManifest(good, 'machine.yaml');
    expect(m.machine).toEqual({ architecture: 'x86', cpus: 1, profile: 'x86-pc-up' });
    expect(m.services).toEqual([]);
    const file = 'fixtures/media/nt351-x86-rtm/SERVICES.YAML';
    const services = parseServices(readFileSync(file, 'utf8'), file);
    expect(services.map((s) => s.name)).toContain('LanmanServer');
    expect(services.find((s) => s.name === 'LanmanServer')).toMatchObject({
      type: 0x20,
      start: 2,
      displayName: 'Server',
      driver: 'Srv',
      device: '\\Device\\LanmanServer',
      dependOnService: [],
    });
  });

  it.each([
    ['schema: nt351-imageset/2\n', "machine.yaml:1:9: 'schema': expected 'nt351-imageset/1'"],
    ['- a\n- b\n', 'machine.yaml:1:1: expected a mapping at the top'],
    ['schema: nt351-imageset/1\nmachine: 3\n', "'machine': expected a mapping"],
    [
      'schema: nt351-imageset/1\nmachine: {architecture: mips, cpus: 1, profile: x}\n',
      "machine.yaml:2:25: 'machine.architecture': expected x86 or alpha",
    ],
    ['schema: nt351-imageset/1\nschema: again\n', 'machine.yaml:2:1: not valid YAML'],
    [
      'schema: nt351-imageset/1\nmachine: {architecture: x86, profile: p}\nsystemRoot: W\nkernel: k\nhal: h\nservices:\n  Srv: {Type: one, Start: 1}\n',
      "machine.yaml:7:15: 'services.Srv.Type': expected a number",
    ],
    [
      'schema: nt351-imageset/1\nmachine: {architecture: x86, profile: p}\nsystemRoot: W\nkernel: k\nhal: h\nservices:\n  Srv: {Type: 1, Start: 1, DependOnGroup: TDI}\n',
      "'services.Srv.DependOnGroup': expected a list of names",
    ],
    [
      'schema: nt351-imageset/1\nmachine: {architecture: x86, profile: p}\nsystemRoot: W\nkernel: k\nhal: h\nKernel: k2\n',
      "machine.yaml:6:1: unknown key 'Kernel' in machine.yaml (expected one of: schema, description, machine,",
    ],
    [
      'schema: nt351-imageset/1\nmachine:\n  architecture: x86\n  profile: p\n  cpu: 2\n',
      "machine.yaml:5:3: unknown key 'cpu' in 'machine' (expected one of: architecture, cpus, profile)",
    ],
    [
      'schema: nt351-imageset/1\nmachine: {architecture: x86, profile: p}\nsystemRoot: W\nkernel: k\nhal: h\nservices:\n  Srv:\n    Type: 1\n    Strat: 1\n',
      "machine.yaml:9:5: unknown key 'Strat' in 'services.Srv' (expected one of: Type, Start, ErrorControl,",
    ],
    [
      `schema: nt351-imageset/1\ndescription: ${'['.repeat(70)}\n`,
      'machine.yaml:2:77: nested more than 64 levels deep',
    ],
    [
      `schema: nt351-imageset/1\nservices:\n${Array.from({ length: 70 }, (_, i) => `${' '.repeat(2 * i + 2)}k${i}:`).join('\n')}\n`,
      'machine.yaml:66:129: nested more than 64 levels deep',
    ],
  ])('reports %j with its position', (text, message) => {
    expect(err(text)).toContain(message);
  });

  it('accepts every fixture machine.yaml and media SERVICES.YAML (their keys are all known)', () => {
    const sets = readdirSync('fixtures/imagesets');
    expect(sets.length).toBeGreaterThan(5);
    for (const set of sets)
      expect(
        bootConfiguration(ImageSet.open(join('fixtures/imagesets', set))).services.length,
        set,
      ).toBeGreaterThan(0);
    const media = readdirSync('fixtures/media').filter((m) =>
      readdirSync(join('fixtures/media', m)).includes('SERVICES.YAML'),
    );
    expect(media.length).toBeGreaterThan(0);
    for (const m of media) {
      const p = join('fixtures/media', m, 'SERVICES.YAML');
      expect(parseServices(readFileSync(p, 'utf8'), p).length, p).toBeGreaterThan(0);
    }
  });

  it('does not count brackets in quotes, comments, plain and block scalars as nesting', () => {
    const text = [
      good,
      `x1: "${'['.repeat(100)}"`,
      `x2: 'it''s ${'{'.repeat(100)}' # ${'['.repeat(100)}`,
      `x3: a${'['.repeat(100)}`,
      'x4: |',
      `  ${'['.repeat(100)}`,
      `x5: [${Array(62).fill('[').join('')}${Array(62).fill(']').join('')}]`,
    ].join('\n');
    // Only the unknown keys are reported: the depth check let the text through to the parser.
    expect(err(text)).toMatch(/unknown key 'x1'/);
    // 64 levels (the top mapping, x5's list and 62 lists inside it) are allowed, 65 are not.
    expect(err(`${good}\nx5: [${'['.repeat(63)}${']'.repeat(63)}]\n`)).toMatch(
      /:\d+:68: nested more than 64 levels deep/,
    );
  });

  it('refuses a YAML alias bomb quickly instead of expanding it', () => {
    const bomb = [
      'schema: nt351-imageset/1',
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...Array.from(
        { length: 9 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(', ')}]`,
      ),
      'machine: {architecture: x86, cpus: 1, profile: x86-pc-up}',
    ].join('\n');
    expect(err(bomb)).toMatch(/cannot be read: .*alias/i);
  });
});
