// Per-boot caches of issue 19: a file's parsed PeImage is shared by boots that load the same bytes
// (src/loader/image-cache.ts), and the SYSTEM hive's configuration is read once per hive bytes but
// handed out as a copy each time (src/system/system-hive.ts), so one boot's changes never reach the next;
// an image set and its forks remember resolved paths, under the system root they were resolved for.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCached } from '../../src/loader/image-cache.js';
import { ImageSet } from '../../src/system/imageset.js';
import { readSystemHive } from '../../src/system/system-hive.js';

const SET = 'fixtures/imagesets/kb138713-x86-up/WINNT35/SYSTEM32';

describe('per-boot caches', () => {
  it('parses the same bytes once, and other bytes or another name anew', () => {
    const bytes = new Uint8Array(readFileSync(`${SET}/NTOSKRNL.EXE`));
    const a = parseCached(bytes, 'ntoskrnl.exe');
    expect(parseCached(bytes, 'ntoskrnl.exe')).toBe(a);
    expect(parseCached(bytes.slice(), 'ntoskrnl.exe')).not.toBe(a);
    const renamed = parseCached(bytes, 'other.exe');
    expect(renamed).not.toBe(a);
    expect(renamed.file).toBe('other.exe');
  });

  it('gives each reader of a hive its own copy of the configuration', () => {
    const hive = new Uint8Array(readFileSync(`${SET}/CONFIG/SYSTEM`));
    const first = readSystemHive(hive, 'SYSTEM');
    const pristine = readSystemHive(hive, 'SYSTEM');
    const names = first.services.map((s) => s.name);
    for (const s of first.services) {
      s.dependOnGroup.push('changed');
      s.start = 99;
    }
    for (const tags of first.tagOrder.values()) tags.push(99);
    // The group order is shared between the copies, frozen: no reader can change it for another.
    if (first.groupOrder) expect(() => (first.groupOrder as string[]).push('changed')).toThrow(TypeError);
    first.controlSet.name = 'changed';
    first.services.length = 0;
    first.tagOrder.clear();
    const second = readSystemHive(hive, 'SYSTEM');
    expect(second).toEqual(pristine);
    expect(second.services.map((s) => s.name)).toEqual(names);
    expect(names.length).toBeGreaterThan(0);
    expect(readSystemHive(hive, 'SYSTEM', true).controlSet?.use).toBe('LastKnownGood');
  });

  it('resolves a path once per system root, for the set and its forks, and still refuses bad ones', () => {
    const set = ImageSet.fromMemory(
      { machine: { architecture: 'x86', profile: 'pc-at', cpus: 1 }, services: [] } as never,
      {},
    );
    expect(set.resolve('\\SystemRoot\\System32\\x.sys')).toBe('WINNT35\\System32\\x.sys');
    const fork = set.fork();
    expect(fork.resolve('\\SystemRoot\\System32\\x.sys')).toBe('WINNT35\\System32\\x.sys');
    fork.manifest.systemRoot = 'NT';
    expect(fork.resolve('\\SystemRoot\\System32\\x.sys')).toBe('NT\\System32\\x.sys');
    expect(set.resolve('\\SystemRoot\\System32\\x.sys')).toBe('WINNT35\\System32\\x.sys');
    expect(() => set.resolve('..\\x')).toThrow(/leaves the image set/);
    expect(() => set.resolve('..\\x')).toThrow(/leaves the image set/);
  });

  it("gives a fork its own copy of the manifest: a fork's changes never reach the set", () => {
    const service = { name: 'Srv', type: 1, start: 3, errorControl: 1, group: null, imagePath: null };
    const set = ImageSet.fromMemory(
      {
        description: 'fork test',
        machine: { architecture: 'x86', profile: 'pc-at', cpus: 1 },
        systemRoot: 'WINNT35',
        kernel: 'System32\\ntoskrnl.exe',
        hal: 'System32\\hal.dll',
        services: [
          { ...service, tag: 2, dependOnService: ['Rdr'], dependOnGroup: ['NDIS'] },
          { ...service, name: 'Rdr', dependOnService: [], dependOnGroup: [] },
        ],
        sources: { profile: 'option' },
      } as never,
      {},
    );
    const before = structuredClone(set.manifest);
    const fork = set.fork();
    expect(fork.manifest).toEqual(before);
    fork.manifest.machine.cpus = 7;
    fork.manifest.services[0]!.dependOnGroup.push('changed');
    fork.manifest.services[0]!.start = 99;
    fork.manifest.services.pop();
    fork.manifest.sources = { ...fork.manifest.sources, kernel: 'changed' };
    expect(set.manifest).toEqual(before);
    expect(set.fork().manifest).toEqual(before);
  });
});
