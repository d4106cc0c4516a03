// Differential tests: what our reader sees in a hive, key for key and value for value, against Debian's
// hivex (hivexml, hivexsh) and libregf (regfexport), on hives our writer made in each format version and
// on hives hivex itself rewrote (hivexsh adds keys and values with its own cell allocator and lists).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Hive, writeHive } from '../../src/regf/index.js';
import { sampleSystem } from './sample.js';
import { differences, missingTools } from './tools.js';

const skip = missingTools('hivexml', 'hivexsh', 'regfexport');
const dir = mkdtempSync(join(tmpdir(), 'nt351-regf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const VERSIONS = [
  { minor: 2, list: 'li' },
  { minor: 3, list: 'lf' },
  { minor: 5, list: 'lh' },
] as const;

/** hivexsh commands that add a service and change a value, then commit (hivex writes the cells). */
const HIVEXSH_EDIT = [
  'cd \\ControlSet001\\Services',
  'add NewSvc',
  'cd NewSvc',
  'setval 5',
  'Start',
  'dword:0x00000004',
  'ImagePath',
  'expandstring:\\SystemRoot\\System32\\drivers\\new.sys',
  'Blob',
  'hex:3:01,02,03,04,05,06,07,08,09',
  'DependOnGroup',
  'hex:7:41,00,00,00,00,00',
  '@',
  'string:the default',
  'add Parameters',
  'cd \\ControlSet001\\Services\\LanmanServer',
  'setval 1',
  'Start',
  'dword:4',
  'cd \\Select',
  'setval 1',
  'Current',
  'dword:2',
  'commit',
  '',
].join('\n');

describe.skipIf(skip !== null)(`hive tools agree with our reader${skip ? ` (skipped: ${skip})` : ''}`, () => {
  for (const { minor, list } of VERSIONS) {
    it(`our writer, version 1.${minor} (${list} lists): hivexml and regfexport read what we read`, () => {
      const bytes = writeHive(sampleSystem(120), { minor, fileName: 'SYSTEM' });
      const file = join(dir, `ours-${minor}.hive`);
      writeFileSync(file, bytes);
      expect(differences(file, bytes)).toEqual([]);
    });

    it(`hivex's own writes over a version 1.${minor} hive: all three agree`, () => {
      const file = join(dir, `hivex-${minor}.hive`);
      writeFileSync(file, writeHive(sampleSystem(120), { minor, fileName: 'SYSTEM' }));
      execFileSync('/usr/bin/hivexsh', ['-w', file], { input: HIVEXSH_EDIT });
      const bytes = new Uint8Array(readFileSync(file));
      const hive = Hive.parse(bytes, file);
      expect(hive.openKey('ControlSet001\\Services\\NewSvc\\Parameters')).not.toBeNull();
      expect(hive.openKey('controlset001\\services\\lanmanserver')!.value('start')!.dword()).toBe(4);
      expect(hive.openKey('ControlSet001\\Services\\NewSvc')!.value('')!.string()).toBe('the default');
      expect(differences(file, bytes)).toEqual([]);
    });
  }

  it('the comparison notices a hive that differs from the one the tools read', () => {
    const a = writeHive(sampleSystem(20));
    const tree = sampleSystem(20);
    tree.subkeys![1]!.subkeys![0]!.subkeys!.find((k) => k.name === 'LanmanServer')!.values = [
      { name: 'Start', type: 4, data: Uint8Array.of(3, 0, 0, 0) },
      { name: 'DisplayName', type: 1, data: Uint8Array.of(0x53, 0, 0, 0) },
    ];
    const file = join(dir, 'other.hive');
    writeFileSync(file, writeHive(tree));
    const diffs = differences(file, a);
    expect(diffs.some((d) => d.includes('LanmanServer\\"Start": data 2, hivexml 3'))).toBe(true);
    expect(diffs.some((d) => d.includes('LanmanServer\\"Start": data 2, regfexport 3'))).toBe(true);
  });

  it('hivexsh lists the values of a key we wrote as we wrote them', () => {
    const file = join(dir, 'lsval.hive');
    writeFileSync(file, writeHive(sampleSystem(20)));
    const out = execFileSync('/usr/bin/hivexsh', [file], {
      input: 'cd \\ControlSet001\\Services\\LanmanServer\nlsval\n',
      encoding: 'utf8',
    });
    expect(out.trim().split('\n')).toEqual(['"Start"=dword:00000002', '"DisplayName"="Server"']);
  });

  it('a hive with 3000 keys under one parent (index roots): the tools list every key', () => {
    const file = join(dir, 'ri.hive');
    const tree = { name: 'R', subkeys: Array.from({ length: 3000 }, (_, i) => ({ name: `K${i}` })) };
    for (const minor of [2, 5]) {
      const bytes = writeHive(tree, { minor });
      writeFileSync(file, bytes);
      expect(differences(file, bytes)).toEqual([]);
    }
  });
});
