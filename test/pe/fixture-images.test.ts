// The parser's mingw-built test images (fixtures/src/parser): what they export and import, how NT's
// rules resolve them (byte-for-byte rebuilds: test/fixtures/build-check.test.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveImages } from '../../src/analysis/resolve.js';
import { collectImages } from '../../src/cli/files.js';
import { PeImage } from '../../src/pe/index.js';

const dir = 'fixtures/bin/parser';
const load = (name: string) => PeImage.parse(new Uint8Array(readFileSync(`${dir}/${name}`)), name);

describe('parser test images built with mingw-w64', () => {
  it('testkrnl.exe exports named, NONAME, DATA and forwarded entries with a version resource', () => {
    const img = load('testkrnl.exe');
    const ex = img.exports()!;
    expect(img.headers.optionalHeader.imageBase).toBe(0x80100000n);
    expect(img.headers.optionalHeader.subsystemVersion).toBe('3.51');
    expect(ex.dllName).toBe('testkrnl.exe');
    expect(ex.entries.filter((e) => e.name === null).map((e) => e.ordinal)).toEqual([7, 8]);
    expect(ex.findByName('KeRaiseIrql')).toMatchObject({
      kind: 'forwarder',
      forwarder: { module: 'HAL', name: 'KfRaiseIrql' },
    });
    expect(ex.findByOrdinal(10)).toMatchObject({
      kind: 'forwarder',
      forwarder: { module: 'HAL', ordinal: 3 },
    });
    expect(ex.findByName('KeNumberProcessors')).toMatchObject({ kind: 'rva' });
    expect(img.version()).toMatchObject({
      fileVersion: '3.51.1057.9',
      strings: { OriginalFilename: 'testkrnl.exe', CompanyName: 'nt351 fixtures' },
    });
    expect(img.checksum().computed).toBe(img.checksum().header);
  });

  it('testdrv.sys imports by name, by ordinal and through a forwarder, and all of it resolves', () => {
    expect(
      load('testdrv.sys')
        .imports()
        .map((m) => [m.dll, m.entries.map((e) => e.name ?? `#${e.ordinal}`)]),
    ).toEqual([
      ['hal.dll', ['HalInitSystem']],
      ['testkrnl.exe', ['KeRaiseIrql', '#7', 'RtlCompareMemory', 'RtlInitUnicodeString']],
    ]);
    const inputs = collectImages([dir]).map((path) => ({ path, bytes: new Uint8Array(readFileSync(path)) }));
    const report = resolveImages(inputs, 'kernel');
    expect(report.images.find((i) => i.file.endsWith('testdrv.sys'))).toMatchObject({
      imports: 5,
      resolved: 5,
    });
    expect(
      report.missing.map((m) => [m.image.split('/').pop(), m.name ?? `#${m.ordinal}`, m.status]),
    ).toEqual([
      ['testdrv-missing.sys', '#40', '0xC0000262'],
      ['testdrv-missing.sys', 'RtlIsNameLegalDOS8Dot3', '0xC0000263'],
      ['testuser.sys', 'NtClose', '0xC000007A'],
    ]);
  });
});
