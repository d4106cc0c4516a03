// Parser behaviour on synthetic images built with our writer: NT's export lookups, forwarders,
// old-linker imports, relocation arithmetic, resource loops, machines and PE32+.
import { describe, expect, it } from 'vitest';
import { applyRelocations, MalformedPeError, PeImage } from '../../src/pe/index.js';
import { DirectoryEntry, RelocType } from '../../src/pe/layout.js';
import {
  buildExports,
  buildImports,
  buildRelocations,
  type ExportSlot,
  SectionBuilder,
  writePe,
} from '../../src/pe/writer.js';

const RDATA = 0x40000040;
const CODE = 0x60000020;

function kernelWith(slots: ExportSlot[], names: [string, number][], base = 1): PeImage {
  const sb = new SectionBuilder(0x2000);
  const dir = buildExports(sb, { dllName: 'ntoskrnl.exe', base, slots, names });
  const bytes = writePe({
    machine: 0x14c,
    characteristics: 0x0102,
    imageBase: 0x80100000,
    entryPoint: 0x1000,
    directories: { [DirectoryEntry.EXPORT]: dir },
    sections: [
      { name: '.text', rva: 0x1000, data: new Uint8Array(0x100).fill(0xc3), characteristics: CODE },
      { name: '.edata', rva: 0x2000, data: sb.bytes, characteristics: RDATA },
    ],
  });
  return PeImage.parse(bytes, 'kernel.exe');
}

describe('exports', () => {
  const img = kernelWith(
    [0x1000, 0x1010, 0x1020, 'HAL.KfRaiseIrql', 'HAL.#5', 0, 0x1030],
    [
      ['ExAllocatePool', 1],
      ['IoCreateDevice', 0],
      ['KeRaiseIrql', 3],
      ['KfLowerIrql', 4],
      ['RtlInitUnicodeString', 6],
    ],
    100,
  );
  const ex = img.exports()!;

  it('lists named, ordinal-only and forwarded exports by ordinal', () => {
    expect(ex.dllName).toBe('ntoskrnl.exe');
    expect(ex.entries.map((e) => [e.ordinal, e.name, e.rva, e.forwarder?.text ?? null])).toEqual([
      [100, 'IoCreateDevice', 0x1000, null],
      [101, 'ExAllocatePool', 0x1010, null],
      [102, null, 0x1020, null], // NONAME
      [103, 'KeRaiseIrql', null, 'HAL.KfRaiseIrql'],
      [104, 'KfLowerIrql', null, 'HAL.#5'],
      [106, 'RtlInitUnicodeString', 0x1030, null], // slot 105 is unused (RVA 0) and not listed
    ]);
    expect(ex.entries[4]!.forwarder).toEqual({ text: 'HAL.#5', module: 'HAL', name: null, ordinal: 5 });
  });

  it('finds by name through the hint and through binary search', () => {
    expect(ex.findByName('KeRaiseIrql', 2)).toMatchObject({ kind: 'forwarder', ordinal: 103 });
    expect(ex.findByName('KeRaiseIrql', 0)).toMatchObject({ kind: 'forwarder', ordinal: 103 });
    expect(ex.findByName('KeRaiseIrql', 9999)).toMatchObject({ kind: 'forwarder', ordinal: 103 });
    expect(ex.findByName('RtlInitUnicodeString')).toMatchObject({ kind: 'rva', rva: 0x1030, ordinal: 106 });
    expect(ex.findByName('RtlIsNameLegalDOS8Dot3')).toEqual({ kind: 'name-not-found' });
    expect(ex.findByName('rtlinitunicodestring')).toEqual({ kind: 'name-not-found' }); // case-sensitive
  });

  it('finds by ordinal with NT range rules', () => {
    expect(ex.findByOrdinal(102)).toMatchObject({ kind: 'rva', rva: 0x1020, index: 2 });
    expect(ex.findByOrdinal(107)).toEqual({ kind: 'ordinal-out-of-range', index: 7 });
    // Below Base: NT's USHORT index wraps to a large value, so it is out of range, not index -1.
    expect(ex.findByOrdinal(99)).toEqual({ kind: 'ordinal-out-of-range', index: 0xffff });
  });

  it('misses names in an unsorted table as NT binary search would, and warns', () => {
    const unsorted = kernelWith(
      [0x1000, 0x1010, 0x1020],
      [
        ['Zeta', 0],
        ['Alpha', 1],
        ['Mid', 2],
      ],
    ).exports()!;
    expect(unsorted.warnings.join()).toMatch(/not sorted/);
    expect(unsorted.findByName('Zeta')).toEqual({ kind: 'name-not-found' });
    expect(unsorted.findByName('Zeta', 0)).toMatchObject({ kind: 'rva', rva: 0x1000 }); // the hint still works
  });

  it('rejects a function table larger than the file', () => {
    const sb = new SectionBuilder(0x2000);
    const dir = buildExports(sb, { dllName: 'x.sys', base: 1, slots: [0x1000], names: [] });
    sb.patchU32(dir.rva + 20, 0x0fffffff); // NumberOfFunctions
    const bytes = writePe({
      machine: 0x14c,
      characteristics: 0x0102,
      imageBase: 0x10000,
      entryPoint: 0,
      directories: { [DirectoryEntry.EXPORT]: dir },
      sections: [
        { name: '.edata', rva: 0x2000, data: sb.bytes, virtualSize: 0x40000000, characteristics: RDATA },
      ],
    });
    const e = catchError(() => PeImage.parse(bytes, 'huge.sys').exports());
    expect(e).toBeInstanceOf(MalformedPeError);
    expect(e).toMatchObject({
      file: 'huge.sys',
      structure: 'IMAGE_EXPORT_DIRECTORY',
      field: 'NumberOfFunctions',
    });
  });
});

describe('imports', () => {
  function driver(noLookupTable: boolean) {
    const sb = new SectionBuilder(0x3000);
    const dir = buildImports(sb, [
      {
        dll: 'NTOSKRNL.EXE',
        imports: [{ name: 'IoCreateDevice', hint: 7 }, { ordinal: 12 }, { name: 'RtlIsNameLegalDOS8Dot3' }],
        noLookupTable,
      },
      { dll: 'HAL.DLL', imports: [{ name: 'KfRaiseIrql', hint: 1 }], noLookupTable },
    ]);
    return PeImage.parse(
      writePe({
        machine: 0x14c,
        characteristics: 0x0102,
        imageBase: 0x10000,
        entryPoint: 0x1000,
        directories: { [DirectoryEntry.IMPORT]: { rva: dir.rva, size: dir.size } },
        sections: [{ name: '.idata', rva: 0x3000, data: sb.bytes, characteristics: RDATA | 0x80000000 }],
      }),
      'srv.sys',
    );
  }

  for (const noLookupTable of [false, true]) {
    it(`reads names, hints and ordinals ${noLookupTable ? 'from the IAT (OriginalFirstThunk 0)' : 'from the lookup table'}`, () => {
      const mods = driver(noLookupTable).imports();
      expect(mods.map((m) => [m.dll, m.fromIat])).toEqual([
        ['NTOSKRNL.EXE', noLookupTable],
        ['HAL.DLL', noLookupTable],
      ]);
      expect(mods[0]!.entries.map((e) => [e.name, e.ordinal, e.hint])).toEqual([
        ['IoCreateDevice', null, 7],
        [null, 12, null],
        ['RtlIsNameLegalDOS8Dot3', null, 0],
      ]);
      expect(mods[0]!.entries[1]!.iatRva - mods[0]!.entries[0]!.iatRva).toBe(4);
    });
  }
});

describe('bound imports', () => {
  it('reads the bound-import directory with forwarder references', () => {
    const sb = new SectionBuilder(0x2000);
    // Two descriptors (the first with one forwarder ref) and the null terminator, then the names;
    // OffsetModuleName is relative to the directory's start.
    const dir = sb.place(new Uint8Array(8 * 4));
    const name = (s: string) => sb.cstring(s) - dir;
    const words = [
      [0x2fe1a3c0, name('NTOSKRNL.EXE'), 1],
      [0x2fe1a3c1, name('HAL.DLL'), 0],
      [0x2fe1a3c2, name('SCSIPORT.SYS'), 0],
    ];
    const dv = new DataView(new ArrayBuffer(8 * 4));
    words.forEach(([stamp, off, refs], i) => {
      dv.setUint32(i * 8, stamp!, true);
      dv.setUint16(i * 8 + 4, off!, true);
      dv.setUint16(i * 8 + 6, refs!, true);
    });
    const bytes = writePe({
      machine: 0x14c,
      characteristics: 0x0102,
      imageBase: 0x10000,
      entryPoint: 0,
      directories: { [DirectoryEntry.BOUND_IMPORT]: { rva: dir, size: 8 * 4 } },
      sections: [{ name: '.rdata', rva: 0x2000, data: sb.bytes, characteristics: RDATA }],
    });
    const raw = PeImage.parse(bytes, 'bound.sys').rvaToOffset(dir as never)!;
    bytes.set(new Uint8Array(dv.buffer), raw);
    expect(PeImage.parse(bytes, 'bound.sys').boundImports()).toEqual([
      {
        dll: 'NTOSKRNL.EXE',
        timeDateStamp: 0x2fe1a3c0,
        forwarderRefs: [{ dll: 'HAL.DLL', timeDateStamp: 0x2fe1a3c1 }],
      },
      { dll: 'SCSIPORT.SYS', timeDateStamp: 0x2fe1a3c2, forwarderRefs: [] },
    ]);
  });
});

describe('relocations', () => {
  // Code at RVA 0x1000: a HIGHLOW pointer, an Alpha-style LDAH/LDA pair (HIGHADJ + LOW) whose low half
  // is negative, a HIGH/LOW pair and a DIR64 slot.
  const target = 0x8010_9abc; // what the pointers point at when the image sits at its preferred base
  const hi = ((target + 0x8000) >>> 16) & 0xffff; // LDAH rounds up because LDA's displacement is signed
  const lo = target & 0xffff; // 0x9abc: negative as a signed 16-bit value
  const code = new Uint8Array(0x40);
  const cv = new DataView(code.buffer);
  cv.setUint32(0x00, target, true); // HIGHLOW
  cv.setUint16(0x10, hi, true); // HIGHADJ (LDAH displacement)
  cv.setUint16(0x14, lo, true); // LOW (LDA displacement)
  cv.setUint16(0x20, target >>> 16, true); // HIGH
  cv.setUint16(0x24, target & 0xffff, true); // LOW
  cv.setBigUint64(0x30, 0x1_8010_9abcn, true); // DIR64
  const sb = new SectionBuilder(0x2000);
  const dir = buildRelocations(sb, [
    [RelocType.HIGHLOW, 0x1000],
    [RelocType.HIGHADJ, 0x1010, lo],
    [RelocType.LOW, 0x1014],
    [RelocType.HIGH, 0x1020],
    [RelocType.LOW, 0x1024],
    [RelocType.DIR64, 0x1030],
  ]);
  const img = PeImage.parse(
    writePe({
      machine: 0x184, // Alpha AXP
      characteristics: 0x0102,
      imageBase: 0x80100000,
      entryPoint: 0x1000,
      directories: { [DirectoryEntry.BASERELOC]: dir },
      sections: [
        { name: '.text', rva: 0x1000, data: code, characteristics: CODE },
        { name: '.reloc', rva: 0x2000, data: sb.bytes, characteristics: RDATA | 0x02000000 },
      ],
    }),
    'alpha.exe',
  );

  it('parses HIGHADJ as one entry holding its second slot', () => {
    const entries = img.relocations().flatMap((b) => b.entries);
    expect(entries.map((e) => [e.type, e.rva, e.param])).toEqual([
      [RelocType.HIGHLOW, 0x1000, undefined],
      [RelocType.HIGHADJ, 0x1010, lo],
      [RelocType.LOW, 0x1014, undefined],
      [RelocType.HIGH, 0x1020, undefined],
      [RelocType.LOW, 0x1024, undefined],
      [RelocType.DIR64, 0x1030, undefined],
      [RelocType.ABSOLUTE, 0x1000, undefined], // padding that keeps the block 4-byte aligned
    ]);
  });

  for (const delta of [0x10000, 0x7ff8, -0x100000, 0x12345678 - 0x80100000, 0x8000]) {
    it(`moves every pointer by ${delta < 0 ? '-' : ''}0x${Math.abs(delta).toString(16)}`, () => {
      const mapped = new Uint8Array(0x3000);
      mapped.set(code, 0x1000);
      const failures = applyRelocations(mapped, img.relocations(), BigInt(delta), 0x184);
      expect(failures).toEqual([]);
      const m = new DataView(mapped.buffer);
      const moved = (target + delta) >>> 0;
      expect(m.getUint32(0x1000, true)).toBe(moved);
      // Independent check: the LDAH/LDA pair must rebuild the moved address with LDA's sign extension.
      const ldah = m.getUint16(0x1010, true);
      const lda = (m.getUint16(0x1014, true) << 16) >> 16;
      expect(((ldah << 16) + lda) >>> 0).toBe(moved);
      // HIGH/LOW without adjustment: the halves are just the halves of (value + delta) per field.
      expect(m.getUint16(0x1020, true)).toBe(((target >>> 16) + (((delta >>> 0) >>> 16) & 0xffff)) & 0xffff);
      expect(m.getUint16(0x1024, true)).toBe((target + delta) & 0xffff);
      expect(m.getBigUint64(0x1030, true)).toBe(BigInt.asUintN(64, 0x1_8010_9abcn + BigInt(delta)));
    });
  }

  it('reports fix-ups outside the mapped image instead of writing there', () => {
    const small = new Uint8Array(0x1004);
    const failures = applyRelocations(small, img.relocations(), 0x10000n, 0x184);
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((f) => f.reason.includes('outside'))).toBe(true);
  });
});

describe('headers', () => {
  it.each([
    [0x14c, 'i386'],
    [0x184, 'alpha'],
    [0x166, 'r4000'],
    [0x1f0, 'powerpc'],
    [0x8664, 'amd64'],
    [0x1234, 'unknown-0x1234'],
  ])('names machine 0x%s as %s and does not reject unknown machines', (machine, name) => {
    const img = PeImage.parse(
      writePe({ machine, characteristics: 0x4102, imageBase: 0x10000, entryPoint: 0, sections: [] }),
      'm.sys',
    );
    expect(img.headers.fileHeader.machineName).toBe(name);
    expect(img.headers.warnings.some((w) => w.includes('unknown machine'))).toBe(name.startsWith('unknown'));
  });

  it('reads PE32+ headers and 64-bit thunks', () => {
    const img = PeImage.parse(
      writePe({
        machine: 0x8664,
        characteristics: 0x22,
        imageBase: 0x1_4000_0000n,
        entryPoint: 0x1000,
        is64: true,
        sections: [{ name: '.text', rva: 0x1000, data: new Uint8Array([0xc3]), characteristics: CODE }],
      }),
      'x64.sys',
    );
    expect(img.is64).toBe(true);
    expect(img.headers.optionalHeader.imageBase).toBe(0x1_4000_0000n);
    expect(img.checksum().computed).toBe(img.checksum().header);
  });

  it('names file, offset, structure and field for a bad signature', () => {
    const bytes = writePe({
      machine: 0x14c,
      characteristics: 2,
      imageBase: 0x10000,
      entryPoint: 0,
      sections: [],
    });
    bytes[0x80] = 0x4e; // "NE"
    const e = catchError(() => PeImage.parse(bytes, 'old.exe'));
    expect(e).toMatchObject({
      file: 'old.exe',
      offset: 0x80,
      structure: 'IMAGE_NT_HEADERS',
      field: 'Signature',
    });
    expect((e as Error).message).toBe(
      'old.exe: offset 0x80: IMAGE_NT_HEADERS.Signature: expected "PE\\0\\0", found 0x454e',
    );
  });
});

describe('layout edge cases NT accepted', () => {
  it('accepts a COFF symbol table and overlay data after the last section', () => {
    const base = writePe({
      machine: 0x14c,
      characteristics: 0x0102,
      imageBase: 0x10000,
      entryPoint: 0x1000,
      sections: [{ name: '.text', rva: 0x1000, data: new Uint8Array([0xc3]), characteristics: CODE }],
    });
    const symbols = new Uint8Array(18 * 2 + 4).fill(0x41); // two IMAGE_SYMBOL records + string table size
    const overlay = new TextEncoder().encode('installer payload appended after the image');
    const bytes = new Uint8Array(base.length + symbols.length + overlay.length);
    bytes.set(base);
    bytes.set(symbols, base.length);
    bytes.set(overlay, base.length + symbols.length);
    const dv = new DataView(bytes.buffer);
    dv.setUint32(0x84 + 8, base.length, true); // PointerToSymbolTable
    dv.setUint32(0x84 + 12, 2, true); // NumberOfSymbols
    const img = PeImage.parse(bytes, 'symbols.sys');
    expect(img.headers.fileHeader).toMatchObject({ pointerToSymbolTable: base.length, numberOfSymbols: 2 });
    expect(img.headers.warnings).toEqual([]);
    expect(img.imports()).toEqual([]);
    expect(img.checksum().computed).not.toBe(img.checksum().header); // the header sum covers the old length
  });

  it('maps small NT 3.x alignments and zero-fills past the raw data', () => {
    const data = new Uint8Array(0x30).fill(0x90);
    const img = PeImage.parse(
      writePe({
        machine: 0x14c,
        characteristics: 0x0102,
        imageBase: 0x10000,
        entryPoint: 0x260,
        sectionAlignment: 0x20,
        fileAlignment: 0x20,
        sections: [
          { name: '.text', rva: 0x260, data, characteristics: CODE },
          {
            name: '.bss',
            rva: 0x2a0,
            data: new Uint8Array(8).fill(7),
            virtualSize: 0x100,
            characteristics: RDATA,
          },
        ],
      }),
      'small.sys',
    );
    expect(img.headers.optionalHeader).toMatchObject({ sectionAlignment: 0x20, fileAlignment: 0x20 });
    expect(img.sectionOf(0x28f as never)?.name).toBe('.text');
    expect(img.readU32(0x260 as never, 't', 'f')).toBe(0x90909090);
    expect(img.readU32(0x2a4 as never, 't', 'f')).toBe(0x07070707); // raw bytes
    expect(img.readU32(0x2c0 as never, 't', 'f')).toBe(0); // past SizeOfRawData: zero fill
    expect(img.rvaToOffset(0x2c0 as never)).toBeNull();
    expect(() => img.readU32(0x3a0 as never, 'IMAGE_X', 'Field')).toThrow(
      /IMAGE_X\.Field: RVA 0x3a0 is outside/,
    );
  });
});

describe('resources', () => {
  it('rejects a resource directory that loops back on itself', () => {
    const sb = new SectionBuilder(0x2000);
    // Root directory with one id entry (RT_VERSION) whose subdirectory offset is the root itself.
    const root = sb.place(new Uint8Array(16));
    sb.u32s([16, 0x80000000 | 0]);
    const bytes = writePe({
      machine: 0x14c,
      characteristics: 2,
      imageBase: 0x10000,
      entryPoint: 0,
      directories: { [DirectoryEntry.RESOURCE]: { rva: root, size: 24 } },
      sections: [{ name: '.rsrc', rva: 0x2000, data: sb.bytes, characteristics: RDATA }],
    });
    // NumberOfIdEntries = 1 at offset 14 of the root directory.
    const off = PeImage.parse(bytes, 'loop.sys').rvaToOffset(root as never)!;
    new DataView(bytes.buffer).setUint16(off + 14, 1, true);
    const e = catchError(() => PeImage.parse(bytes, 'loop.sys').version());
    expect(e).toBeInstanceOf(MalformedPeError);
    expect((e as Error).message).toMatch(/loops back/);
  });
});

function catchError(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}
