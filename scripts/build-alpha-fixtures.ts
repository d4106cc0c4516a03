// Builds the Alpha AXP fixture images (machine 0x184) from fixtures/src/alpha: assembles each source
// with binutils' alpha-linux-gnu-as, links the ELF objects into PE images with src/pe/writer.ts (a
// small linker here: sections, imports, exports, version resource, base relocations), then lays out
// the CD media and image sets. Deterministic: fixed inputs, sorted tables, no timestamps.
//
// Usage: tsx scripts/build-alpha-fixtures.ts [--check | --out DIR]
//   (none)     build and install into fixtures/ (bin/alpha, media/nt351-alpha-*, imagesets/*alpha*)
//   --check    build into a temporary directory and compare byte-for-byte with fixtures/ (exit 1)
//   --out DIR  build into DIR, laid out like fixtures/ (for scripts/build-fixtures.sh)
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alignUp } from '../src/pe/align.js';
import { DirectoryEntry, RelocType } from '../src/pe/layout.js';
import {
  buildExports,
  buildImports,
  buildRelocations,
  buildResources,
  buildVersionInfo,
  type ExportSlot,
  SectionBuilder,
  writePe,
} from '../src/pe/writer.js';
import { buildHives } from './build-hives.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'fixtures/src/alpha');
const NT351 = join(ROOT, 'fixtures/src/nt351');
const AS = 'alpha-linux-gnu-as';

class BuildError extends Error {
  override readonly name = 'BuildError';
}

// ---------------------------------------------------------------------------------------------------
// Sources: register names and .wstring, then the assembler.

/** NT's Alpha register names (ksalpha.h / the calling standard) -> register numbers. */
const REGS: Record<string, number> = {
  v0: 0,
  ...Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`t${i}`, i + 1])),
  ...Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`s${i}`, i + 9])),
  fp: 15,
  ...Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`a${i}`, i + 16])),
  t8: 22,
  t9: 23,
  t10: 24,
  t11: 25,
  ra: 26,
  t12: 27,
  pv: 27,
  at: 28,
  gp: 29,
  sp: 30,
  zero: 31,
};

/**
 * The two things our sources add to gas syntax: `$name` register names (outside string literals) and
 * `.wstring "text"` (a NUL-terminated UTF-16LE string, JSON escapes), written as `.short` values.
 */
export function preprocess(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const w = /^(\s*(?:[A-Za-z_.$][\w.$]*:\s*)?)\.wstring\s+("(?:[^"\\]|\\.)*")\s*$/.exec(line);
      if (w) {
        const s = JSON.parse(w[2]!) as string;
        const units = [...s].map((c) => `0x${c.charCodeAt(0).toString(16)}`);
        return `${w[1]}.short ${[...units, '0'].join(', ')}`;
      }
      return line
        .split('"')
        .map((part, i) =>
          i % 2 === 1
            ? part
            : part.replace(/\$([a-z]+\d*)\b/g, (m, r: string) => (r in REGS ? `$${REGS[r]}` : m)),
        )
        .join('"');
    })
    .join('\n');
}

/** Assembles `file` (already preprocessed, in `dir`) to an ELF object; throws with gas's messages. */
function assemble(dir: string, file: string, out: string, defsyms: Record<string, number>): Uint8Array {
  const args = ['-m21064', '-I', dir, '-I', join(dir, 'drivers'), '-o', out];
  for (const [k, v] of Object.entries(defsyms)) args.push('--defsym', `${k}=${v}`);
  const r = spawnSync(AS, [...args, join(dir, file)], { encoding: 'utf8' });
  if (r.status !== 0) throw new BuildError(`${AS} ${file}: ${r.stderr || r.error?.message}`);
  return new Uint8Array(readFileSync(out));
}

// ---------------------------------------------------------------------------------------------------
// ELF64 little-endian relocatable objects (what gas writes): sections, symbols, RELA relocations.

interface ElfSection {
  name: string;
  type: number;
  flags: bigint;
  data: Uint8Array;
  size: number;
  align: number;
}
interface ElfSymbol {
  name: string;
  global: boolean;
  shndx: number;
  value: number;
}
interface ElfReloc {
  /** Index of the section the relocation applies to. */
  target: number;
  offset: number;
  type: number;
  sym: number;
  addend: number;
}
interface ElfObject {
  file: string;
  sections: ElfSection[];
  symbols: ElfSymbol[];
  relocs: ElfReloc[];
}

const SHT_SYMTAB = 2;
const SHT_RELA = 4;
const SHT_NOBITS = 8;
const SHF_ALLOC = 2n;
const SHN_UNDEF = 0;
const SHN_ABS = 0xfff1;

function readElf(file: string, b: Uint8Array): ElfObject {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(0, false) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1 || v.getUint16(18, true) !== 0x9026) {
    throw new BuildError(`${file}: not a little-endian ELF64 Alpha object`);
  }
  const shoff = Number(v.getBigUint64(0x28, true));
  const shnum = v.getUint16(0x3c, true);
  const shstrndx = v.getUint16(0x3e, true);
  const raw = Array.from({ length: shnum }, (_, i) => {
    const at = shoff + 64 * i;
    return {
      name: v.getUint32(at, true),
      type: v.getUint32(at + 4, true),
      flags: v.getBigUint64(at + 8, true),
      offset: Number(v.getBigUint64(at + 24, true)),
      size: Number(v.getBigUint64(at + 32, true)),
      link: v.getUint32(at + 40, true),
      info: v.getUint32(at + 44, true),
      align: Number(v.getBigUint64(at + 48, true)),
    };
  });
  const str = (table: number, at: number) => {
    const start = raw[table]!.offset + at;
    let end = start;
    while (b[end] !== 0) end++;
    return new TextDecoder().decode(b.subarray(start, end));
  };
  const sections = raw.map((s) => ({
    name: str(shstrndx, s.name),
    type: s.type,
    flags: s.flags,
    data: s.type === SHT_NOBITS ? new Uint8Array(s.size) : b.slice(s.offset, s.offset + s.size),
    size: s.size,
    align: Math.max(1, s.align),
  }));
  const symtab = raw.findIndex((s) => s.type === SHT_SYMTAB);
  const symbols: ElfSymbol[] = [];
  if (symtab >= 0) {
    const s = raw[symtab]!;
    for (let at = s.offset; at < s.offset + s.size; at += 24) {
      symbols.push({
        name: str(s.link, v.getUint32(at, true)),
        global: b[at + 4]! >> 4 !== 0,
        shndx: v.getUint16(at + 6, true),
        value: Number(v.getBigUint64(at + 8, true)),
      });
    }
  }
  const relocs: ElfReloc[] = [];
  for (const s of raw) {
    if (s.type !== SHT_RELA) continue;
    for (let at = s.offset; at < s.offset + s.size; at += 24) {
      const info = v.getBigUint64(at + 8, true);
      relocs.push({
        target: s.info,
        offset: Number(v.getBigUint64(at, true)),
        type: Number(info & 0xffffffffn),
        sym: Number(info >> 32n),
        addend: Number(v.getBigInt64(at + 16, true)),
      });
    }
  }
  return { file, sections, symbols, relocs };
}

// ---------------------------------------------------------------------------------------------------
// The linker: ELF objects -> one PE image.

const R_ALPHA_REFLONG = 1;
const R_ALPHA_BRADDR = 7;
const R_ALPHA_HINT = 8;
const R_ALPHA_SREL32 = 10;
const R_ALPHA_GPRELHIGH = 17;
const R_ALPHA_GPRELLOW = 18;

/** Output sections in image order, the ELF sections that go into each, and their characteristics. */
const OUTPUT: { name: string; from: string[]; characteristics: number }[] = [
  { name: '.text', from: ['.text'], characteristics: 0x60000020 },
  { name: '.stub', from: ['.stub'], characteristics: 0x60000020 },
  { name: '.rdata', from: ['.rdata', '.rodata'], characteristics: 0x40000040 },
  { name: '.data', from: ['.data', '.bss'], characteristics: 0xc0000040 },
];
/** Alpha pages are 8 KiB: sections start on page boundaries. */
const SECTION_ALIGNMENT = 0x2000;
const IMAGE_FILE_UP_SYSTEM_ONLY = 0x4000;

/** An export: a symbol of the image, or a forwarder string ("HAL.ExAcquireFastMutex"). */
interface ExportDef {
  ordinal: number;
  name: string;
  forwarder?: string;
}

interface VersionDef {
  sp: number;
  fileType: number;
  fileSubtype: number;
  originalFilename: string;
  description: string;
}

interface LinkSpec {
  base: number;
  entry: string;
  characteristics: number;
  dllName?: string;
  exports?: ExportDef[];
  /** Modules to import from, in search order: an `__imp_X` symbol binds to the first that exports X. */
  importFrom: string[];
  version: VersionDef;
}

/** Export name tables of the modules images import from (upper-case module name -> sorted names). */
type Exporters = Map<string, string[]>;

/** Sorted as NT's binary search over the export name table expects (byte order). */
const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Base relocation: [type, rva] or [HIGHADJ, rva, low half]. */
type BaseReloc = [number, number, number?];

function link(objects: ElfObject[], spec: LinkSpec, exporters: Exporters): Uint8Array {
  // Pieces: each object's allocated sections, concatenated per output section.
  const pieceAt = new Map<string, { out: number; offset: number }>(); // "obj/shndx"
  const outData: Uint8Array[] = OUTPUT.map(() => new Uint8Array(0));
  objects.forEach((o, oi) => {
    o.sections.forEach((s, si) => {
      if ((s.flags & SHF_ALLOC) === 0n) return;
      const out = OUTPUT.findIndex((x) => x.from.includes(s.name));
      if (out < 0) {
        if (s.size === 0) return;
        throw new BuildError(`${o.file}: section ${s.name} has no place in the image`);
      }
      const cur = outData[out]!;
      const offset = alignUp(cur.length, Math.max(4, s.align));
      const next = new Uint8Array(offset + s.size);
      next.set(cur);
      next.set(s.data, offset);
      outData[out] = next;
      pieceAt.set(`${oi}/${si}`, { out, offset });
    });
  });
  let rva = SECTION_ALIGNMENT;
  const sectionRva = outData.map((d) => {
    if (d.length === 0) return -1;
    const at = rva;
    rva = alignUp(at + d.length, SECTION_ALIGNMENT);
    return at;
  });

  // Symbols.
  const globals = new Map<string, number>(); // name -> RVA
  const symbolRva = (oi: number, s: ElfSymbol): number | null => {
    if (s.shndx === SHN_UNDEF || s.shndx === SHN_ABS) return null;
    const p = pieceAt.get(`${oi}/${s.shndx}`);
    if (!p) throw new BuildError(`${objects[oi]!.file}: symbol ${s.name} in a section that is not linked`);
    return sectionRva[p.out]! + p.offset + s.value;
  };
  objects.forEach((o, oi) => {
    for (const s of o.symbols) {
      if (!s.global || s.shndx === SHN_UNDEF) continue;
      if (globals.has(s.name)) throw new BuildError(`${o.file}: ${s.name} defined twice`);
      globals.set(s.name, symbolRva(oi, s)!);
    }
  });

  // Exports.
  const directories: Record<number, { rva: number; size: number }> = {};
  const extra: { name: string; rva: number; data: Uint8Array; characteristics: number }[] = [];
  const addSection = (name: string, sb: SectionBuilder, characteristics: number) => {
    extra.push({ name, rva: sb.rva, data: sb.bytes.slice(), characteristics });
    rva = alignUp(sb.rva + sb.bytes.length, SECTION_ALIGNMENT);
  };
  if (spec.exports) {
    const sb = new SectionBuilder(rva);
    const base = Math.min(...spec.exports.map((e) => e.ordinal));
    const slots: ExportSlot[] = new Array(Math.max(...spec.exports.map((e) => e.ordinal)) - base + 1).fill(0);
    for (const e of spec.exports) {
      const at = e.forwarder ?? globals.get(e.name);
      if (at === undefined) throw new BuildError(`export ${e.name} is not defined`);
      slots[e.ordinal - base] = at;
    }
    const names = spec.exports
      .map((e) => [e.name, e.ordinal - base] as [string, number])
      .sort((a, b) => byteOrder(a[0], b[0]));
    directories[DirectoryEntry.EXPORT] = buildExports(sb, { dllName: spec.dllName!, base, slots, names });
    addSection('.edata', sb, 0x40000040);
  }

  // Imports: every undefined __imp_X, bound to the first module in importFrom that exports X.
  const wanted = new Set<string>();
  for (const o of objects)
    for (const s of o.symbols)
      if (s.shndx === SHN_UNDEF && s.name.startsWith('__imp_')) wanted.add(s.name.slice(6));
  const byModule = new Map<string, string[]>(spec.importFrom.map((m) => [m, []]));
  for (const name of [...wanted].sort(byteOrder)) {
    const m = spec.importFrom.find((mod) => exporters.get(mod)?.includes(name));
    if (!m) throw new BuildError(`no module in [${spec.importFrom.join(', ')}] exports ${name}`);
    byModule.get(m)!.push(name);
  }
  const iat = new Map<string, number>();
  const modules = [...byModule].filter(([, names]) => names.length > 0);
  if (modules.length > 0) {
    const sb = new SectionBuilder(rva);
    // Hints as MS LINK wrote them: the name's index in the exporter's name table.
    const d = buildImports(
      sb,
      modules.map(([dll, names]) => ({
        dll,
        imports: names.map((name) => ({ name, hint: exporters.get(dll)!.indexOf(name) })),
      })),
    );
    modules.forEach(([, names], mi) => {
      names.forEach((n, i) => {
        iat.set(n, d.iat[mi]! + 4 * i);
      });
    });
    directories[DirectoryEntry.IMPORT] = { rva: d.rva, size: d.size };
    addSection('.idata', sb, 0xc0000040);
  }

  // Relocations: patch the code and data, and record the base relocations NT's loader applies.
  const relocs: BaseReloc[] = [];
  const va = (r: number) => (spec.base + r) >>> 0;
  objects.forEach((o, oi) => {
    for (const r of o.relocs) {
      const p = pieceAt.get(`${oi}/${r.target}`);
      if (!p) continue; // relocations of sections that are not linked (none today)
      const sym = o.symbols[r.sym]!;
      let target: number;
      const local = symbolRva(oi, sym);
      if (local !== null) target = va(local);
      else if (sym.shndx === SHN_ABS) target = sym.value;
      else if (sym.name === '__ImageBase') target = spec.base;
      else if (sym.name.startsWith('__imp_') && iat.has(sym.name.slice(6)))
        target = va(iat.get(sym.name.slice(6))!);
      else if (globals.has(sym.name)) target = va(globals.get(sym.name)!);
      else throw new BuildError(`${o.file}: undefined symbol ${sym.name}`);
      const value = (target + r.addend) >>> 0;
      const data = outData[p.out]!;
      const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const at = p.offset + r.offset;
      const where = sectionRva[p.out]! + at;
      switch (r.type) {
        case R_ALPHA_REFLONG:
          dv.setUint32(at, value, true);
          relocs.push([RelocType.HIGHLOW, where]);
          break;
        case R_ALPHA_GPRELHIGH: {
          // LDAH: the high half, adjusted for the sign of the low half the paired LDA adds.
          dv.setUint16(at, ((value + 0x8000) >>> 16) & 0xffff, true);
          // Model: MS LINK emitted HIGHADJ (two slots, the low half in the second) for REFHI/PAIR;
          // when the low half is zero (a 64 KiB-aligned address such as __ImageBase) nothing can carry
          // and a plain HIGH does, as for an LDAH with no LDA.
          if ((value & 0xffff) === 0) relocs.push([RelocType.HIGH, where]);
          else relocs.push([RelocType.HIGHADJ, where, value & 0xffff]);
          break;
        }
        case R_ALPHA_GPRELLOW:
          dv.setUint16(at, value & 0xffff, true);
          relocs.push([RelocType.LOW, where]);
          break;
        case R_ALPHA_BRADDR: {
          const disp = (value - va(where) - 4) >> 2;
          if (disp < -(1 << 20) || disp >= 1 << 20) throw new BuildError(`${o.file}: branch out of range`);
          dv.setUint32(at, ((dv.getUint32(at, true) & 0xffe00000) | (disp & 0x1fffff)) >>> 0, true);
          break;
        }
        case R_ALPHA_SREL32:
          dv.setUint32(at, (value - va(where)) >>> 0, true);
          break;
        case R_ALPHA_HINT:
          break; // JSR's branch-prediction hint: left 0
        default:
          throw new BuildError(`${o.file}: ELF relocation type ${r.type} is not supported`);
      }
    }
  });

  // Version resource.
  {
    const sb = new SectionBuilder(rva);
    const v = spec.version;
    const file = v.originalFilename;
    directories[DirectoryEntry.RESOURCE] = buildResources(sb, [
      {
        type: 16,
        id: 1,
        lang: 0x409,
        data: buildVersionInfo({
          fileVersion: [3, 51, 1057, v.sp],
          productVersion: [3, 51, 1057, v.sp],
          fileOS: 0x40004, // VOS_NT_WINDOWS32
          fileType: v.fileType,
          fileSubtype: v.fileSubtype,
          stringTable: '040904B0',
          strings: [
            ['CompanyName', 'nt351 fixtures (stand-in for Microsoft Corporation)'],
            ['FileDescription', v.description],
            ['FileVersion', `3.51.1057.${v.sp}`],
            ['InternalName', file.replace(/\.[^.]*$/, '')],
            ['OriginalFilename', file],
            ['ProductName', 'Windows NT(TM) Operating System (nt351 fixture)'],
            ['ProductVersion', '3.51'],
          ],
        }),
      },
    ]);
    addSection('.rsrc', sb, 0x40000040);
  }

  // Base relocations.
  {
    const sb = new SectionBuilder(rva);
    directories[DirectoryEntry.BASERELOC] = buildRelocations(
      sb,
      relocs.sort((a, b) => a[1] - b[1]),
    );
    addSection('.reloc', sb, 0x42000040);
  }

  const entry = globals.get(spec.entry);
  if (entry === undefined) throw new BuildError(`entry point ${spec.entry} is not defined`);
  return writePe({
    machine: 0x184,
    characteristics: spec.characteristics,
    imageBase: spec.base,
    entryPoint: entry,
    sectionAlignment: SECTION_ALIGNMENT,
    fileAlignment: 0x200,
    directories,
    sections: [
      ...OUTPUT.flatMap((o, i) =>
        outData[i]!.length > 0
          ? [{ name: o.name, rva: sectionRva[i]!, data: outData[i]!, characteristics: o.characteristics }]
          : [],
      ),
      ...extra,
    ],
  });
}

// ---------------------------------------------------------------------------------------------------
// The NT 3.51 Alpha set.

/** One line of fixtures/src/nt351/ntoskrnl.exports: ordinal, name, kind (real:N, stub:N, data, fwd:T...), since. */
interface KernelExport {
  ordinal: number;
  name: string;
  kind: string;
  since: number;
}
const kernelExportTable = (): KernelExport[] =>
  readFileSync(join(NT351, 'ntoskrnl.exports'), 'utf8')
    .split('\n')
    .filter((l) => /^\d/.test(l))
    .map((l) => {
      const [ordinal, name, kind, since] = l.trim().split(/\s+/);
      return {
        ordinal: Number(ordinal),
        name: name!,
        kind: kind!,
        since: since ? Number(since.slice(2)) : 0,
      };
    });

/** The x86 HAL's export set (fixtures/src/nt351/hal.def.in): name and ordinal. */
const halExportTable = (): ExportDef[] =>
  readFileSync(join(NT351, 'hal.def.in'), 'utf8')
    .split('\n')
    .flatMap((l) => {
      const m = /^\s+([A-Za-z_]\w*?)(?:@\d+)?(?:\s*=\s*\S+)?\s+@(\d+)\s*$/.exec(l);
      return m ? [{ name: m[1]!, ordinal: Number(m[2]) }] : [];
    });

/** Values of the kernel's data exports (everything else is zero). */
const DATA_ITEMS: Record<string, string> = {
  NtBuildNumber: '.long 0xF0000421', // 0xF0000000: free build; 1057
  KeNumberProcessors: '.byte 1', // CCHAR
  KeTickCount: '.long 0, 0, 0', // KSYSTEM_TIME
};

/** Assembly for the stubs (in .stub: v0 = STATUS_NOT_IMPLEMENTED, return) and data items. */
function generated(stubs: string[], data: string[]): string {
  const lines = [
    '# Generated by scripts/build-alpha-fixtures.ts: routines the emulator replaces, data items.',
  ];
  lines.push('\t.set noat', '\t.set nomacro', '\t.section .stub,"ax"');
  for (const s of stubs) {
    lines.push(`\t.globl ${s}`, '\t.align 3', `${s}:`);
    lines.push('\tldah $0, -16384($31)', '\tlda $0, 2($0)', '\tret $31, ($26), 1'); // 0xC0000002
  }
  lines.push('\t.data');
  for (const d of data) lines.push(`\t.globl ${d}`, '\t.align 3', `${d}:`, `\t${DATA_ITEMS[d] ?? '.long 0'}`);
  return `${lines.join('\n')}\n`;
}

const VFT_DLL = 2;
const VFT_DRV = 3;
const VFT2_DRV_NETWORK = 6;
const VFT2_DRV_SYSTEM = 7;
const EXE = 0x030e; // EXECUTABLE_IMAGE | LINE_NUMS_ | LOCAL_SYMS_STRIPPED | 32BIT_MACHINE | DEBUG_STRIPPED
const DLL = EXE | 0x2000;
const KERNEL_BASE = 0x80100000;
const HAL_BASE = 0x80400000;
const DRIVER_BASE = 0x10000;
const BUILDS = [0, 1, 2, 3, 4, 5];
const tagOf = (sp: number) => (sp === 0 ? 'rtm' : `sp${sp}`);

/** The drivers every build shares: file, description, imports (search order). */
const DRIVERS: { file: string; description: string; imports: string[] }[] = [
  { file: 'scsiport.sys', description: 'SCSI Port Driver', imports: ['NTOSKRNL.EXE', 'HAL.DLL'] },
  { file: 'ncrc810.sys', description: 'NCR 53C810 SCSI miniport', imports: ['SCSIPORT.SYS', 'NTOSKRNL.EXE'] },
  { file: 'fastfat.sys', description: 'FAT File System Driver', imports: ['NTOSKRNL.EXE'] },
  { file: 'ndis.sys', description: 'NDIS 3.0 wrapper', imports: ['NTOSKRNL.EXE', 'HAL.DLL'] },
  {
    file: 'dc21x4.sys',
    description: 'DEC 21040/21140 Ethernet NDIS miniport',
    imports: ['NDIS.SYS', 'NTOSKRNL.EXE'],
  },
  { file: 'tdi.sys', description: 'TDI Wrapper', imports: ['NTOSKRNL.EXE'] },
  {
    file: 'nbf.sys',
    description: 'NetBEUI Frame Protocol Driver',
    imports: ['NDIS.SYS', 'TDI.SYS', 'NTOSKRNL.EXE'],
  },
  { file: 'rdr.sys', description: 'Redirector', imports: ['TDI.SYS', 'NTOSKRNL.EXE'] },
];
/** Export drivers: every global symbol but DriverEntry is exported, ordinals in name order from 1. */
const EXPORT_DRIVERS = new Set(['scsiport.sys', 'ndis.sys', 'tdi.sys']);

/** Builds every image into `bin` (bin/alpha/<rtm,spN,common>/...). */
function buildImages(work: string, bin: string): void {
  const src = join(work, 'src');
  // Preprocessed copies of every source, so `.include` finds preprocessed text too.
  const copy = (from: string, to: string) => {
    mkdirSync(to, { recursive: true });
    for (const e of readdirSync(from).sort()) {
      const f = join(from, e);
      if (statSync(f).isDirectory()) copy(f, join(to, e));
      else if (/\.(s|inc)$/.test(e)) writeFileSync(join(to, e), preprocess(readFileSync(f, 'utf8')));
    }
  };
  copy(SRC, src);
  let n = 0;
  const object = (file: string, defsyms: Record<string, number>) =>
    readElf(file, assemble(src, file, join(work, `${n++}.o`), { NT_SP: 0, NT_MP: 0, HAL_MP: 0, ...defsyms }));
  const generatedObject = (text: string) => {
    const f = `gen-${n}.s`;
    writeFileSync(join(src, f), text);
    return object(f, {});
  };
  const write = (rel: string, bytes: Uint8Array) => {
    mkdirSync(dirname(join(bin, rel)), { recursive: true });
    writeFileSync(join(bin, rel), bytes);
  };
  const globalsOf = (objs: ElfObject[]) =>
    objs.flatMap((o) => o.symbols.filter((s) => s.global && s.shndx !== SHN_UNDEF).map((s) => s.name));

  const kernelTable = kernelExportTable();
  const kernelExports = (sp: number) => kernelTable.filter((e) => e.since <= sp);
  const halTable = halExportTable();
  const exporters: Exporters = new Map([['HAL.DLL', halTable.map((e) => e.name).sort(byteOrder)]]);

  // HALs.
  for (const [mp, file, description] of [
    [0, 'hal0jens.dll', 'Hardware Abstraction Layer (DECpc AXP 150 "Jensen", uniprocessor)'],
    [1, 'halsabmp.dll', 'Hardware Abstraction Layer (AlphaServer 2100 "Sable", multiprocessor)'],
  ] as const) {
    const real = [object('hal.s', { HAL_MP: mp })];
    const have = new Set(globalsOf(real));
    const stubs = halTable.map((e) => e.name).filter((x) => !have.has(x));
    const objs = [...real, generatedObject(generated(stubs, []))];
    const exportNames = (sp: number) =>
      kernelExports(sp)
        .map((e) => e.name)
        .sort(byteOrder);
    write(
      `common/${file}`,
      link(
        objs,
        {
          base: HAL_BASE,
          entry: 'HalpEntry',
          characteristics: DLL,
          dllName: file,
          exports: halTable,
          importFrom: ['NTOSKRNL.EXE'],
          version: { sp: 0, fileType: VFT_DLL, fileSubtype: 0, originalFilename: file, description },
        },
        new Map([['NTOSKRNL.EXE', exportNames(0)]]),
      ),
    );
  }

  // Kernels and srv.sys per build.
  for (const sp of BUILDS) {
    const exports = kernelExports(sp);
    for (const mp of [0, 1]) {
      const file = mp ? 'ntkrnlmp.exe' : 'ntoskrnl.exe';
      const real = [object('ntos.s', { NT_SP: sp, NT_MP: mp }), object('rtl.s', { NT_SP: sp, NT_MP: mp })];
      const have = new Set(globalsOf(real));
      const stubs = exports.filter(
        (e) => !e.kind.startsWith('fwd') && e.kind !== 'data' && !have.has(e.name),
      );
      const data = exports.filter((e) => e.kind === 'data');
      const objs = [
        ...real,
        generatedObject(
          generated(
            stubs.map((e) => e.name),
            data.map((e) => e.name),
          ),
        ),
      ];
      write(
        `${tagOf(sp)}/${file}`,
        link(
          objs,
          {
            base: KERNEL_BASE,
            entry: 'KiSystemStartup',
            characteristics: mp ? EXE : EXE | IMAGE_FILE_UP_SYSTEM_ONLY,
            dllName: file,
            exports: exports.map((e) =>
              e.kind.startsWith('fwd:')
                ? { ordinal: e.ordinal, name: e.name, forwarder: e.kind.split(':')[1]! }
                : { ordinal: e.ordinal, name: e.name },
            ),
            importFrom: ['HAL.DLL'],
            version: {
              sp,
              fileType: VFT_DRV,
              fileSubtype: VFT2_DRV_SYSTEM,
              originalFilename: file,
              description: `NT Kernel & System (${mp ? 'multiprocessor' : 'uniprocessor'})`,
            },
          },
          exporters,
        ),
      );
    }
    // srv.sys: the SP builds import RtlIsNameLegalDOS8Dot3 (hints from this build's kernel).
    write(
      `${tagOf(sp)}/srv.sys`,
      link(
        [object('drivers/srv.s', { NT_SP: sp })],
        {
          base: DRIVER_BASE,
          entry: 'DriverEntry',
          characteristics: EXE,
          importFrom: ['NTOSKRNL.EXE'],
          version: {
            sp,
            fileType: VFT_DRV,
            fileSubtype: VFT2_DRV_NETWORK,
            originalFilename: 'srv.sys',
            description: 'Server driver',
          },
        },
        new Map([['NTOSKRNL.EXE', exports.map((e) => e.name).sort(byteOrder)]]),
      ),
    );
  }

  // The other drivers, the same in every build (built against the RTM kernel's export table).
  exporters.set(
    'NTOSKRNL.EXE',
    kernelExports(0)
      .map((e) => e.name)
      .sort(byteOrder),
  );
  for (const d of DRIVERS) {
    const objs = [object(`drivers/${d.file.replace(/\.sys$/, '.s')}`, {})];
    const upper = d.file.toUpperCase();
    const exports = EXPORT_DRIVERS.has(d.file)
      ? globalsOf(objs)
          .filter((x) => x !== 'DriverEntry')
          .sort(byteOrder)
          .map((name, i) => ({ name, ordinal: i + 1 }))
      : undefined;
    if (exports)
      exporters.set(
        upper,
        exports.map((e) => e.name),
      );
    write(
      `common/${d.file}`,
      link(
        objs,
        {
          base: DRIVER_BASE,
          entry: 'DriverEntry',
          characteristics: EXE,
          ...(exports ? { exports, dllName: upper } : {}),
          importFrom: d.imports,
          version: {
            sp: 0,
            fileType: VFT_DRV,
            fileSubtype: VFT2_DRV_SYSTEM,
            originalFilename: d.file,
            description: d.description,
          },
        },
        exporters,
      ),
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// Media and image sets.

const crlf = (lines: string[]) => `${lines.join('\r\n')}\r\n`;

function buildMedia(bin: string, root: string): void {
  const rtm = join(root, 'media/nt351-alpha-rtm');
  mkdirSync(join(rtm, 'ALPHA'), { recursive: true });
  const files: [string, string][] = [
    ['rtm/ntoskrnl.exe', 'NTOSKRNL.EXE'],
    ['rtm/ntkrnlmp.exe', 'NTKRNLMP.EXE'],
    ['rtm/srv.sys', 'SRV.SYS'],
    ['common/hal0jens.dll', 'HAL0JENS.DLL'],
    ['common/halsabmp.dll', 'HALSABMP.DLL'],
    ...DRIVERS.map((d) => [`common/${d.file}`, d.file.toUpperCase()] as [string, string]),
  ];
  for (const [from, to] of files) cpSync(join(bin, from), join(rtm, 'ALPHA', to));
  // Setup's services key (model of HIVESYS.INF), as the x86 RTM media carries it.
  cpSync(join(SRC, 'imagesets/services.yaml'), join(rtm, 'SERVICES.YAML'));
  writeFileSync(
    join(rtm, 'SETUP.INF'),
    crlf([
      '; SETUP.INF (nt351 fixture model of what Windows NT 3.51 Setup copies from this CD, Alpha AXP).',
      '; [Files]: destination under %SystemRoot% = source on this CD [, condition].',
      '; Conditions: up / mp pick the kernel by the HAL the machine needs; a machine profile picks the HAL.',
      '; The AlphaServer 2100 (alpha-2100) needs the multiprocessor HAL and kernel even with one',
      '; processor (KB Q138713); Setup copies NTKRNLMP.EXE as NTOSKRNL.EXE there.',
      '[Version]',
      'Build = 1057',
      'ServicePack = 0',
      'Architecture = alpha',
      '[Files]',
      'System32\\ntoskrnl.exe = ALPHA\\NTOSKRNL.EXE, up',
      'System32\\ntoskrnl.exe = ALPHA\\NTKRNLMP.EXE, mp',
      'System32\\hal.dll = ALPHA\\HAL0JENS.DLL, alpha-jensen-up',
      'System32\\hal.dll = ALPHA\\HALSABMP.DLL, alpha-2100',
      'System32\\drivers\\srv.sys = ALPHA\\SRV.SYS',
      ...DRIVERS.map((d) => `System32\\drivers\\${d.file} = ALPHA\\${d.file.toUpperCase()}`),
    ]),
  );
  for (const sp of BUILDS.slice(1)) {
    const m = join(root, `media/nt351-alpha-sp${sp}`);
    mkdirSync(join(m, 'ALPHA'), { recursive: true });
    cpSync(join(bin, `sp${sp}/ntoskrnl.exe`), join(m, 'ALPHA/NTOSKRNL.EXE'));
    cpSync(join(bin, `sp${sp}/ntkrnlmp.exe`), join(m, 'ALPHA/NTKRNLMP.EXE'));
    cpSync(join(bin, `sp${sp}/srv.sys`), join(m, 'ALPHA/SRV.SYS'));
    writeFileSync(
      join(m, 'UPDATE.INF'),
      crlf([
        `; UPDATE.INF (nt351 fixture model of the file list UPDATE.EXE of Windows NT 3.51 Service Pack ${sp} copies, Alpha AXP).`,
        '; [Files]: destination under %SystemRoot% = source on this disk [, condition].',
        '; up / mp: UPDATE.EXE copies the kernel that matches the installed one (NTKRNLMP.EXE goes to',
        '; NTOSKRNL.EXE on machines with a multiprocessor HAL). KB Q138713: when it fails to copy the',
        "; kernel, the SP's SRV.SYS runs with the RTM kernel.",
        '[Version]',
        'Build = 1057',
        `ServicePack = ${sp}`,
        'Architecture = alpha',
        '[Files]',
        'System32\\ntoskrnl.exe = ALPHA\\NTOSKRNL.EXE, up',
        'System32\\ntoskrnl.exe = ALPHA\\NTKRNLMP.EXE, mp',
        'System32\\drivers\\srv.sys = ALPHA\\SRV.SYS',
      ]),
    );
  }
}

/** Image sets: name, kernel build, UP/MP kernel, HAL file, srv.sys build. */
const IMAGE_SETS: [string, number, 'up' | 'mp', string, number][] = [
  ['kb138713-alpha-2100', 0, 'mp', 'halsabmp.dll', 3],
  ['alpha-2100-up-kernel', 3, 'up', 'halsabmp.dll', 3],
  ['kb138713-alpha-jensen', 0, 'up', 'hal0jens.dll', 3],
  ['sp3-alpha-2100', 3, 'mp', 'halsabmp.dll', 3],
  ['sp3-alpha-jensen', 3, 'up', 'hal0jens.dll', 3],
];

function buildImageSets(bin: string, root: string): void {
  const services = readFileSync(join(SRC, 'imagesets/services.yaml'), 'utf8');
  for (const [name, kernel, kind, hal, srv] of IMAGE_SETS) {
    const sys = join(root, 'imagesets', name, 'WINNT35/SYSTEM32');
    mkdirSync(join(sys, 'DRIVERS'), { recursive: true });
    mkdirSync(join(sys, 'CONFIG'), { recursive: true });
    cpSync(
      join(bin, tagOf(kernel), kind === 'up' ? 'ntoskrnl.exe' : 'ntkrnlmp.exe'),
      join(sys, 'NTOSKRNL.EXE'),
    );
    cpSync(join(bin, 'common', hal), join(sys, 'HAL.DLL'));
    cpSync(join(bin, tagOf(srv), 'srv.sys'), join(sys, 'DRIVERS/SRV.SYS'));
    for (const d of DRIVERS) cpSync(join(bin, 'common', d.file), join(sys, 'DRIVERS', d.file.toUpperCase()));
    writeFileSync(join(sys, 'CONFIG/.keep'), ''); // SYSTEM32\CONFIG holds the hives and event logs
    const machine = readFileSync(join(SRC, `imagesets/${name}.yaml`), 'utf8');
    writeFileSync(join(root, 'imagesets', name, 'machine.yaml'), machine + services);
  }
}

// ---------------------------------------------------------------------------------------------------
// Install or compare.

/** Directories this script owns under a fixtures-shaped root (bin/alpha, media/nt351-alpha-*, imagesets/*alpha*). */
function ownedDirs(root: string): string[] {
  const tops = [
    ['bin', (e: string) => e === 'alpha'],
    ['media', (e: string) => e.startsWith('nt351-alpha-')],
    ['imagesets', (e: string) => e.includes('alpha')],
  ] as const;
  return tops.flatMap(([top, mine]) => {
    const dir = join(root, top);
    return existsSync(dir)
      ? readdirSync(dir)
          .sort()
          .filter(mine)
          .map((e) => join(dir, e))
      : [];
  });
}

/** Files in the directories this script owns, relative to `root` and sorted. */
function owned(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir).sort()) {
      const f = join(dir, e);
      if (statSync(f).isDirectory()) walk(f);
      else out.push(relative(root, f));
    }
  };
  for (const d of ownedDirs(root)) walk(d);
  return out;
}

function main(argv: string[]): number {
  const [opt, value] = argv;
  if (opt === '-h' || opt === '--help') {
    process.stdout.write(
      `${readFileSync(fileURLToPath(import.meta.url), 'utf8')
        .split('\n')
        .slice(5, 9)
        .join('\n')}\n`,
    );
    return 0;
  }
  if (opt !== undefined && opt !== '--check' && opt !== '--out') {
    process.stderr.write(`build-alpha-fixtures: unknown option '${opt}' (expected --check or --out DIR)\n`);
    return 2;
  }
  if (opt === '--out' && !value) {
    process.stderr.write('build-alpha-fixtures: --out needs a directory\n');
    return 2;
  }
  if (spawnSync(AS, ['--version'], { stdio: 'ignore' }).status !== 0) {
    process.stderr.write(`build-alpha-fixtures: ${AS} not found; install binutils-alpha-linux-gnu\n`);
    return 3;
  }
  const work = mkdtempSync(join(tmpdir(), 'nt351-alpha-'));
  try {
    const root = opt === '--out' ? resolve(value!) : join(work, 'out');
    const bin = join(root, 'bin/alpha');
    buildImages(work, bin);
    buildMedia(bin, root);
    buildImageSets(bin, root);
    buildHives(root);
    const built = owned(root);
    if (opt === '--out') {
      process.stdout.write(`build-alpha-fixtures: ${built.length} file(s) written to ${root}\n`);
      return 0;
    }
    const fixtures = join(ROOT, 'fixtures');
    if (opt === '--check') {
      let status = 0;
      for (const f of built) {
        const have = join(fixtures, f);
        if (!existsSync(have) || Buffer.compare(readFileSync(have), readFileSync(join(root, f))) !== 0) {
          process.stderr.write(`differs: fixtures/${f}\n`);
          status = 1;
        }
      }
      const made = new Set(built);
      for (const f of owned(fixtures)) {
        if (!made.has(f)) {
          process.stderr.write(`not built any more: fixtures/${f}\n`);
          status = 1;
        }
      }
      if (status === 0)
        process.stdout.write(
          `build-alpha-fixtures --check: ${built.length} file(s) identical to fixtures/\n`,
        );
      return status;
    }
    for (const d of ownedDirs(fixtures)) rmSync(d, { recursive: true });
    for (const f of built) {
      mkdirSync(dirname(join(fixtures, f)), { recursive: true });
      cpSync(join(root, f), join(fixtures, f));
    }
    process.stdout.write(`build-alpha-fixtures: ${built.length} file(s) written to fixtures/\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof BuildError)) throw e;
    process.stderr.write(`build-alpha-fixtures: ${e.message}\n`);
    return 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
