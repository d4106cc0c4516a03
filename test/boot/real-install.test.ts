// Booting what a disk holds (issue "Boot a real NT installation"): a drive root with BOOT.INI and
// WINNT35\ whose SYSTEM hive was written by hivex (python3-hivex, not our writer), no machine.yaml;
// the machine is read off the files. Disabling the Server service in the hive (Start = 4, the classic
// stop-gap) removes the seed's popup and both events.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { boot } from '../../src/boot/index.js';
import { Hive, writeHive } from '../../src/regf/index.js';
import { hiveTree, ImageSet, ImageSetError } from '../../src/system/index.js';
import { expectSeedSymptom } from '../helpers/seed.js';
import { haveHivex, PYTHON } from '../helpers/tools.js';
import { haveUnicorn } from '../helpers/unicorn.js';

const tmp = mkdtempSync(join(tmpdir(), 'nt351-real-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const skip = !haveHivex || !haveUnicorn;
const why = !haveHivex
  ? ' (skipped: python3-hivex or hivexsh missing)'
  : !haveUnicorn
    ? ' (skipped: libunicorn missing)'
    : '';

const BOOT_INI = [
  '[boot loader]',
  'timeout=30',
  'default=multi(0)disk(0)rdisk(0)partition(1)\\WINNT35',
  '[operating systems]',
  'multi(0)disk(0)rdisk(0)partition(1)\\WINNT35="Windows NT Server Version 3.51"',
  'multi(0)disk(0)rdisk(0)partition(1)\\WINNT35="Windows NT Server Version 3.51 [VGA mode]" /basevideo /sos',
  'C:\\="MS-DOS"',
  '',
].join('\r\n');

/** The fixture set's SYSTEM hive written again by python3-hivex, from its key tree. */
function hivexCopy(systemHive: string, out: string): void {
  const hive = Hive.parse(new Uint8Array(readFileSync(systemHive)), systemHive);
  const tree = hiveTree(hive);
  const json = (k: ReturnType<typeof hiveTree>): unknown => ({
    name: k.name,
    values: (k.values ?? []).map((v) => ({
      name: v.name,
      type: v.type,
      hex: Buffer.from(v.data).toString('hex'),
    })),
    subkeys: (k.subkeys ?? []).map(json),
  });
  const base = join(tmp, `base-${Math.random().toString(16).slice(2)}`);
  writeFileSync(base, writeHive({ name: tree.name }));
  writeFileSync(`${base}.json`, JSON.stringify(json(tree)));
  const r = spawnSync(PYTHON, ['test/helpers/hivex-write.py', base, `${base}.json`, out], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`hivex-write.py: ${r.stderr}`);
}

/** A drive root as a user copies it off a disk: BOOT.INI, WINNT35\ with a hivex-written hive. */
function driveRoot(name: string, set: string): string {
  const root = join(tmp, name);
  cpSync(join('fixtures/imagesets', set, 'WINNT35'), join(root, 'WINNT35'), { recursive: true });
  rmSync(join(root, 'WINNT35/SYSTEM32/CONFIG/.keep'));
  hivexCopy(
    join('fixtures/imagesets', set, 'WINNT35/SYSTEM32/CONFIG/SYSTEM'),
    join(root, 'WINNT35/SYSTEM32/CONFIG/SYSTEM'),
  );
  writeFileSync(join(root, 'BOOT.INI'), BOOT_INI);
  return root;
}

/** python3-hivex's node_set_value: sets one DWORD of a key in place, keeping its other values. */
function hivexSetDword(hivePath: string, key: string, name: string, value: number): void {
  const script = [
    'import sys, hivex',
    'h = hivex.Hivex(sys.argv[1], write=True)',
    'node = h.root()',
    'for part in sys.argv[2].split("\\\\"): node = h.node_get_child(node, part)',
    'h.node_set_value(node, {"key": sys.argv[3], "t": 4, "value": int(sys.argv[4]).to_bytes(4, "little")})',
    'h.commit(None)',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', script, hivePath, key, name, String(value)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`hivex: ${r.stderr}`);
}

describe.skipIf(skip)(`nt351 boot on a real installation's files${why}`, () => {
  it('a UP drive root (BOOT.INI, hivex-written SYSTEM hive, no machine.yaml) shows the seed symptom word for word', async () => {
    const root = driveRoot('up', 'kb138713-x86-up');
    expect(readdirSync(root).sort()).toEqual(['BOOT.INI', 'WINNT35']);
    const r = await boot(root);
    expectSeedSymptom(r);
    expect(r.configuration).toEqual({ source: 'hive', controlSet: 'ControlSet001', use: 'Default' });
    expect(r.machine.profile).toBe('x86-pc-up');
    expect(r.machine.sources).toMatchObject({
      systemRoot: 'BOOT.INI entry 1 (multi(0)disk(0)rdisk(0)partition(1)\\WINNT35)',
      profile: 'HAL.DLL (OriginalFilename hal.dll)',
      architecture: 'NTOSKRNL.EXE machine type',
      cpus: 'default (a disk does not say)',
    });
  });

  it('an MP drive root is recognised by its HAL (halmps.dll) and shows the same symptom with two processors', async () => {
    const root = driveRoot('mp', 'kb138713-x86-mp');
    const r = await boot(root, { cpus: 2 });
    expectSeedSymptom(r);
    expect(r.machine).toMatchObject({ profile: 'x86-mps-mp', processorsStarted: 2 });
    expect(r.machine.sources).toMatchObject({
      profile: 'HAL.DLL (OriginalFilename halmps.dll)',
      cpus: 'option',
    });
  });

  it('the system root alone (WINNT35) boots the same way', async () => {
    const r = await boot(join(tmp, 'up', 'WINNT35'));
    expectSeedSymptom(r);
    expect(r.machine.sources?.systemRoot).toBe('the folder itself');
  });

  it('with the Server service disabled in the hive (LanmanServer Start = 4): no popup, no 2508, no 7023', async () => {
    const root = driveRoot('disabled', 'kb138713-x86-up');
    const hive = join(root, 'WINNT35/SYSTEM32/CONFIG/SYSTEM');
    hivexSetDword(hive, 'ControlSet001\\Services\\LanmanServer', 'Start', 4);
    const r = await boot(root);
    expect(r.hardErrors).toEqual([]);
    expect(r.events.filter((e) => e.type === 'error')).toEqual([]);
    expect(r.services.find((s) => s.name === 'LanmanServer')).toMatchObject({ start: 4, state: 'disabled' });
    expect(r.outcome).toBe('clean');
  });

  it('BOOT.INI entries: --boot-entry picks one, a non-NT entry and a missing one are refused with the list', () => {
    const root = join(tmp, 'up');
    expect(ImageSet.open(root, { bootEntry: 2 }).manifest.systemRoot).toBe('WINNT35');
    expect(() => ImageSet.open(root, { bootEntry: 3 })).toThrow(
      /boot entry 3 \(C:\\\) does not start Windows NT/,
    );
    expect(() => ImageSet.open(root, { bootEntry: 9 })).toThrow(ImageSetError);
    expect(() => ImageSet.open(root, { bootEntry: 9 })).toThrow(/it has 3: 1 multi/);
  });
});
