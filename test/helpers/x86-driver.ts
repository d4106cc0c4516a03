// Builds small x86 drivers from hand-assembled code with our PE writer: imports from NTOSKRNL.EXE,
// an IAT, and HIGHLOW relocations for every absolute address, so the loader relocates them as NT would.
import { DirectoryEntry, RelocType } from '../../src/pe/layout.js';
import { buildImports, buildRelocations, SectionBuilder, writePe } from '../../src/pe/writer.js';

const BASE = 0x10000;
const TEXT = 0x1000;
const IDATA = 0x2000;
const DATA = 0x3000;
const RELOC = 0x4000;

export interface Asm {
  bytes: number[];
  /** call dword ptr [IAT slot of `name`] */
  callImport(name: string): void;
  /** Raw bytes. */
  emit(...b: number[]): void;
  /** A 32-bit absolute address of a .data offset (relocated). */
  dataAddress(offset: number): void;
}

export function x86Driver(imports: string[], program: (a: Asm) => void): Uint8Array {
  const sb = new SectionBuilder(IDATA);
  const dir = buildImports(sb, [{ dll: 'NTOSKRNL.EXE', imports: imports.map((name) => ({ name })) }]);
  const iat = (name: string) => BASE + dir.iat[0]! + 4 * imports.indexOf(name);
  const relocs: number[] = [];
  const le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
  const a: Asm = {
    bytes: [],
    emit(...b) {
      a.bytes.push(...b);
    },
    callImport(name) {
      if (!imports.includes(name)) throw new Error(`${name} is not imported`);
      a.bytes.push(0xff, 0x15);
      relocs.push(TEXT + a.bytes.length);
      a.bytes.push(...le(iat(name)));
    },
    dataAddress(offset) {
      relocs.push(TEXT + a.bytes.length);
      a.bytes.push(...le(BASE + DATA + offset));
    },
  };
  program(a);
  const rb = new SectionBuilder(RELOC);
  const reloc = buildRelocations(
    rb,
    relocs.map((r) => [RelocType.HIGHLOW, r] as [number, number]),
  );
  return writePe({
    machine: 0x14c,
    characteristics: 0x0102,
    imageBase: BASE,
    entryPoint: TEXT,
    directories: {
      [DirectoryEntry.IMPORT]: { rva: dir.rva, size: dir.size },
      [DirectoryEntry.BASERELOC]: reloc,
    },
    sections: [
      { name: '.text', rva: TEXT, data: new Uint8Array(a.bytes), characteristics: 0x60000020 },
      { name: '.idata', rva: IDATA, data: sb.bytes, characteristics: 0xc0000040 },
      { name: '.data', rva: DATA, data: new Uint8Array(0x100), characteristics: 0xc0000040 },
      { name: '.reloc', rva: RELOC, data: rb.bytes, characteristics: 0x42000040 },
    ],
  });
}
