// Round trip: hives built by our writer read back by our reader, key for key and byte for byte, in each
// format version and list kind; the writer is byte-reproducible and its checksum is NT's.
import { describe, expect, it } from 'vitest';
import {
  baseBlockChecksum,
  Hive,
  layout as L,
  MalformedHiveError,
  NT351_RELEASE_FILETIME,
  regValue as V,
  walkHive,
  writeHive,
} from '../../src/regf/index.js';
import { sampleSystem } from './sample.js';

const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
const u16 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint16(at, true);

describe('writer -> reader', () => {
  for (const [minor, list] of [
    [2, 'li'],
    [3, 'lf'],
    [5, 'lh'],
  ] as const) {
    it(`keeps every key and value (version 1.${minor}, ${list} lists)`, () => {
      const tree = sampleSystem(60);
      const bytes = writeHive(tree, { minor, fileName: 'SYSTEM' });
      const hive = Hive.parse(bytes, 'sample');
      expect(hive.header.minor).toBe(minor);
      expect(hive.header.fileName).toBe('SYSTEM');
      expect(hive.header.timestamp).toBe(NT351_RELEASE_FILETIME);
      const services = hive.openKey('ControlSet001\\Services')!;
      // The list kind on disk is the one asked for.
      const listOffset = u32(bytes, 4096 + services.offset + 4 + L.NK.SubKeyList);
      expect(u16(bytes, 4096 + listOffset + 4)).toBe(L.SIG[list]);
      const want = tree.subkeys![1]!.subkeys![0]!.subkeys!;
      const got = services.subkeys();
      expect(got.map((k) => k.name).sort()).toEqual(want.map((k) => k.name).sort());
      for (const spec of want) {
        const key = services.subkey(spec.name)!;
        expect(key.values().map((v) => [v.name, v.type, Buffer.from(v.data()).toString('hex')])).toEqual(
          (spec.values ?? []).map((v) => [v.name, v.type, Buffer.from(v.data).toString('hex')]),
        );
      }
    });
  }

  it('stores subkeys sorted by upper-case name, as NT looks them up', () => {
    const hive = Hive.parse(writeHive({ name: 'R', subkeys: [{ name: 'b' }, { name: 'C' }, { name: 'a' }] }));
    expect(
      hive
        .root()
        .subkeys()
        .map((k) => k.name),
    ).toEqual(['a', 'b', 'C']);
  });

  it('decodes each type: strings, multi-strings, DWORD both ways, QWORD, binary, none, unknown as bytes', () => {
    const hive = Hive.parse(
      writeHive({
        name: 'R',
        values: [
          V.sz('s', 'text'),
          V.expandSz('e', '%SystemRoot%'),
          V.multiSz('m', ['a', 'bc']),
          V.dword('d', 0xfffffffe),
          V.dwordBigEndian('b', 0x11223344),
          V.qword('q', 0x1_2345_6789n),
          V.binary('x', Uint8Array.of(9, 8, 7, 6, 5)),
          V.none('n'),
          { name: 'u', type: 0x77, data: Uint8Array.of(1, 2) },
          V.sz('', 'the default'),
        ],
      }),
    );
    const r = hive.root();
    expect(r.value('S')!.decoded()).toBe('text');
    expect(r.value('e')!.decoded()).toBe('%SystemRoot%');
    expect(r.value('m')!.decoded()).toEqual(['a', 'bc']);
    expect(r.value('d')!.decoded()).toBe(0xfffffffe);
    expect(r.value('b')!.decoded()).toBe(0x11223344);
    expect(r.value('q')!.decoded()).toBe(0x1_2345_6789n);
    expect([...(r.value('x')!.decoded() as Uint8Array)]).toEqual([9, 8, 7, 6, 5]);
    expect((r.value('n')!.decoded() as Uint8Array).length).toBe(0);
    expect([...(r.value('u')!.decoded() as Uint8Array)]).toEqual([1, 2]);
    expect(r.value('u')!.typeName).toBe('REG_0x77');
    expect(r.value('')!.decoded()).toBe('the default');
    expect(r.value('d')!.inline).toBe(true);
    expect(r.value('x')!.inline).toBe(false);
    expect(r.value('missing')).toBeNull();
  });

  it('finds keys by path without regard to case, and returns null for a missing one', () => {
    const hive = Hive.parse(writeHive(sampleSystem(10)));
    expect(hive.openKey('controlset001\\SERVICES\\lanmanserver')!.value('start')!.dword()).toBe(2);
    expect(hive.openKey('\\ControlSet001\\Services\\ärger')!.name).toBe('Ärger');
    expect(hive.openKey('ControlSet001\\Services\\Nope')).toBeNull();
    expect(hive.openKey('')!.name).toBe('SYSTEM');
    expect(hive.openKey('ControlSet002')!.className()).toBe('LKG');
  });

  it('reads names stored in 8 bits (KEY_COMP_NAME / VALUE_COMP_NAME) and in UTF-16', () => {
    const tree = {
      name: 'R',
      subkeys: [{ name: 'Ärger', values: [V.dword('Wert', 1)] }, { name: 'Сервер' }],
    };
    const compressed = Hive.parse(writeHive(tree, { minor: 3 }));
    const ascii = compressed.root().subkey('ärger')!;
    expect(ascii.flags & L.KEY_COMP_NAME).toBe(L.KEY_COMP_NAME);
    expect(ascii.value('wert')!.flags & L.VALUE_COMP_NAME).toBe(L.VALUE_COMP_NAME);
    // A name outside Latin-1 stays UTF-16 even where names are compressed.
    expect(compressed.root().subkey('сервер')!.flags & L.KEY_COMP_NAME).toBe(0);
    const wide = Hive.parse(writeHive(tree, { minor: 2 }));
    expect(wide.root().subkey('ÄRGER')!.flags & L.KEY_COMP_NAME).toBe(0);
    expect(wide.root().subkey('ärger')!.value('WERT')!.dword()).toBe(1);
  });

  it('splits long subkey lists under an index root (ri) and reads them back in order', () => {
    const names = Array.from({ length: 2500 }, (_, i) => `K${String(i).padStart(5, '0')}`);
    for (const [minor, leaf] of [
      [2, 'li'],
      [5, 'lh'],
    ] as const) {
      const bytes = writeHive({ name: 'R', subkeys: names.map((name) => ({ name })) }, { minor });
      const hive = Hive.parse(bytes);
      const root = hive.root();
      const list = u32(bytes, 4096 + root.offset + 4 + L.NK.SubKeyList);
      expect(u16(bytes, 4096 + list + 4)).toBe(L.SIG.ri);
      const first = u32(bytes, 4096 + list + 4 + 4);
      expect(u16(bytes, 4096 + first + 4)).toBe(L.SIG[leaf]);
      expect(root.subkeys().map((k) => k.name)).toEqual(names);
      expect(hive.openKey('k02499')!.name).toBe('K02499');
    }
  });

  it('stores values over 16344 bytes as big data (db) from version 1.4 on, and in one cell before', () => {
    const data = Uint8Array.from({ length: 40_000 }, (_, i) => (i * 31) & 0xff);
    for (const minor of [2, 5]) {
      const bytes = writeHive({ name: 'R', values: [V.binary('big', data)] }, { minor });
      const v = Hive.parse(bytes).root().value('big')!;
      const cell = u32(bytes, 4096 + v.offset + 4 + L.VK.Data);
      expect(u16(bytes, 4096 + cell + 4) === L.SIG.db).toBe(minor === 5);
      expect(Buffer.from(v.data()).equals(Buffer.from(data))).toBe(true);
    }
  });

  it('is byte-reproducible, with a given timestamp where one is asked for', () => {
    const a = writeHive(sampleSystem(30), { fileName: 'SYSTEM' });
    const b = writeHive(sampleSystem(30), { fileName: 'SYSTEM' });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const t = 133_000_000_000_000_000n;
    const c = Hive.parse(
      writeHive({ name: 'R', lastWritten: 5n, subkeys: [{ name: 'k' }] }, { timestamp: t }),
    );
    expect(c.header.timestamp).toBe(t);
    expect(c.root().lastWritten).toBe(5n);
    expect(c.root().subkey('k')!.lastWritten).toBe(t);
  });

  it("writes NT's checksum, hive bins that add up to the declared size, and one security cell", () => {
    const bytes = writeHive(sampleSystem(80));
    const hive = Hive.parse(bytes);
    expect(u32(bytes, L.BASE_BLOCK.CheckSum)).toBe(baseBlockChecksum(bytes));
    expect(hive.bins.reduce((n, b) => n + (b.end - b.start), 0)).toBe(hive.header.hiveBinsSize);
    expect(bytes.length).toBe(4096 + hive.header.hiveBinsSize);
    const sk = new Set<number>();
    walkHive(hive, (k) => sk.add(u32(bytes, 4096 + k.offset + 4 + L.NK.Security)));
    expect(sk.size).toBe(1);
    const skCell = [...sk][0]!;
    expect(u16(bytes, 4096 + skCell + 4)).toBe(L.SIG.sk);
  });

  it('rejects a tree NT could not hold', () => {
    expect(() => writeHive({ name: 'R', subkeys: [{ name: 'a' }, { name: 'A' }] })).toThrow(/two subkeys/);
    expect(() => writeHive({ name: 'R', values: [V.dword('v', 1), V.dword('V', 2)] })).toThrow(/two values/);
  });

  it('answers any number of lookups on one hive: the work budget bounds each call, not the hive', () => {
    const hive = Hive.parse(writeHive(sampleSystem(30)));
    const budget = hive.reader.budget;
    let start = -1;
    for (let i = 0; i < 20_000; i++) {
      start = hive.openKey('ControlSet001\\Services\\LanmanServer')!.value('Start')!.dword();
    }
    expect(start).toBe(2);
    // The loop above made far more reads than one budget allows.
    hive.openKey('ControlSet001\\Services\\LanmanServer');
    expect(hive.reader.steps * 20_000).toBeGreaterThan(budget);
  });

  it('checks the checksum unless asked not to', () => {
    const bytes = writeHive({ name: 'R' });
    bytes[100] = bytes[100]! ^ 1;
    expect(() => Hive.parse(bytes)).toThrow(MalformedHiveError);
    expect(Hive.parse(bytes, 'x', { ignoreChecksum: true }).root().name).toBe('R');
  });
});
