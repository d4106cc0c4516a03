// Builds a small NT-shaped image set with our PE writer (kernel, HAL, drivers) in a temporary
// directory, so tests of resolution rules do not depend on the mingw-built fixtures.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryEntry } from '../../src/pe/layout.js';
import {
  buildExports,
  buildImports,
  buildRelocations,
  type ExportSlot,
  type ImportSpec,
  SectionBuilder,
  writePe,
} from '../../src/pe/writer.js';

const CODE = 0x60000020;
const RDATA = 0x40000040;

/** A kernel-mode image: exports and/or imports, i386 unless said otherwise. */
export function image(opts: {
  exports?: { dllName: string; base?: number; slots: ExportSlot[]; names: [string, number][] };
  imports?: { dll: string; imports: ImportSpec[] }[];
  characteristics?: number;
  imageBase?: number;
  /** 32-bit words for a .data section at RVA 0x3000; `pointers` lists word indexes holding VAs (HIGHLOW). */
  data?: { words: number[]; pointers: number[] };
}): Uint8Array {
  const sb = new SectionBuilder(0x2000);
  const directories: Record<number, { rva: number; size: number }> = {};
  if (opts.exports) directories[DirectoryEntry.EXPORT] = buildExports(sb, { base: 1, ...opts.exports });
  if (opts.imports) {
    const d = buildImports(sb, opts.imports);
    directories[DirectoryEntry.IMPORT] = { rva: d.rva, size: d.size };
  }
  const extra = [];
  if (opts.data) {
    const data = new Uint8Array(opts.data.words.length * 4);
    opts.data.words.forEach((w, i) => {
      new DataView(data.buffer).setUint32(i * 4, w >>> 0, true);
    });
    extra.push({ name: '.data', rva: 0x3000, data, characteristics: 0xc0000040 });
    directories[DirectoryEntry.BASERELOC] = buildRelocations(
      sb,
      opts.data.pointers.map((i) => [3, 0x3000 + 4 * i] as [number, number]),
    );
  }
  return writePe({
    machine: 0x14c,
    characteristics: opts.characteristics ?? 0x0102,
    imageBase: opts.imageBase ?? 0x10000,
    entryPoint: 0x1000,
    directories,
    sections: [
      { name: '.text', rva: 0x1000, data: new Uint8Array(0x20).fill(0xc3), characteristics: CODE },
      { name: '.rdata', rva: 0x2000, data: sb.bytes, characteristics: RDATA },
      ...extra,
    ],
  });
}

/** Sorted export names with sequential slots, all pointing into .text. */
export function namedExports(dllName: string, names: string[], extra: ExportSlot[] = []) {
  const sorted = [...names].sort();
  return {
    dllName,
    slots: [...sorted.map((_, i) => 0x1000 + i), ...extra],
    names: sorted.map((n, i) => [n, i] as [string, number]),
  };
}

/**
 * The seed's situation in miniature: an RTM-like kernel without RtlIsNameLegalDOS8Dot3, a HAL, an SP
 * srv.sys that imports it, and drivers that exercise the other statuses.
 */
export function kbLikeSet(): { root: string; system32: string; drivers: string } {
  const root = mkdtempSync(join(tmpdir(), 'nt351-set-'));
  const system32 = join(root, 'WINNT35', 'SYSTEM32');
  const drivers = join(system32, 'DRIVERS');
  mkdirSync(drivers, { recursive: true });
  const kernelNames = ['ExAllocatePool', 'IoCreateDevice', 'RtlInitUnicodeString', 'KeBugCheckEx'];
  const kernel = namedExports('ntoskrnl.exe', kernelNames);
  kernel.slots.push('HAL.KfRaiseIrql', 'NOSUCH.Routine');
  kernel.names.push(['KeRaiseIrql', 4], ['KiMissingTarget', 5]);
  kernel.names.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  writeFileSync(
    join(system32, 'NTOSKRNL.EXE'),
    image({ exports: kernel, imageBase: 0x80100000, characteristics: 0x0102 }),
  );
  writeFileSync(
    join(system32, 'HAL.DLL'),
    image({
      exports: namedExports('hal.dll', ['KfRaiseIrql', 'HalInitSystem']),
      imports: [{ dll: 'ntoskrnl.exe', imports: [{ name: 'KeBugCheckEx' }] }],
      imageBase: 0x80400000,
      characteristics: 0x2102,
    }),
  );
  writeFileSync(
    join(drivers, 'SRV.SYS'),
    image({
      imports: [
        {
          dll: 'NTOSKRNL.EXE',
          imports: [
            { name: 'IoCreateDevice' },
            { name: 'RtlInitUnicodeString' },
            { name: 'RtlIsNameLegalDOS8Dot3' },
          ],
        },
      ],
    }),
  );
  writeFileSync(
    join(drivers, 'GOOD.SYS'),
    image({
      imports: [
        { dll: 'ntoskrnl.exe', imports: [{ name: 'KeRaiseIrql' }, { ordinal: 2 }] },
        { dll: 'HAL.dll', imports: [{ name: 'HalInitSystem', hint: 0 }] },
      ],
    }),
  );
  writeFileSync(
    join(drivers, 'ODD.SYS'),
    image({
      imports: [
        { dll: 'NTOSKRNL.EXE', imports: [{ ordinal: 99 }, { name: 'KiMissingTarget' }] },
        { dll: 'ntdll.dll', imports: [{ name: 'NtClose' }] },
        { dll: 'MISSING.SYS', imports: [{ name: 'Anything' }] },
      ],
    }),
  );
  return { root, system32, drivers };
}
