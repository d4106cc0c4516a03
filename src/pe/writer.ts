// A small PE writer for fixtures and tests: lays out headers and sections, and builds export, import
// and base-relocation directories inside a section. Images it writes are meant to be read by any tool.

import { alignUp } from './align.js';
import { computeChecksum } from './checksum.js';
import {
  IMAGE_DOS_HEADER,
  IMAGE_FILE_HEADER,
  IMAGE_NT_OPTIONAL_HDR32_MAGIC,
  IMAGE_NT_OPTIONAL_HDR64_MAGIC,
  IMAGE_OPTIONAL_HEADER32,
  IMAGE_OPTIONAL_HEADER64,
  IMAGE_SECTION_HEADER,
} from './layout.js';
import { fileOffset } from './types.js';

const DOS_STUB = 'This program cannot be run in DOS mode.\r\r\n$';

export interface WriterSection {
  name: string;
  rva: number;
  data: Uint8Array;
  /** Defaults to data.length. */
  virtualSize?: number;
  characteristics: number;
}

export interface WriterImage {
  machine: number;
  characteristics: number;
  imageBase: bigint | number;
  entryPoint: number;
  subsystem?: number;
  subsystemVersion?: [number, number];
  is64?: boolean;
  sectionAlignment?: number;
  fileAlignment?: number;
  /** Data directories by index. */
  directories?: Partial<Record<number, { rva: number; size: number }>>;
  sections: WriterSection[];
  /** Store the NT checksum in the header (default true). */
  checksum?: boolean;
}

/** Writes a complete PE image. */
export function writePe(img: WriterImage): Uint8Array {
  const is64 = img.is64 ?? false;
  const O = is64 ? IMAGE_OPTIONAL_HEADER64 : IMAGE_OPTIONAL_HEADER32;
  const optSize = O.DataDirectory + 16 * 8;
  const fa = img.fileAlignment ?? 0x200;
  const sa = img.sectionAlignment ?? 0x1000;
  const ntOff = 0x80;
  const fh = ntOff + 4;
  const oh = fh + IMAGE_FILE_HEADER.size;
  const st = oh + optSize;
  const headersSize = alignUp(st + img.sections.length * IMAGE_SECTION_HEADER.size, fa);
  let fileSize = headersSize;
  const rawOffsets = img.sections.map((s) => {
    const at = fileSize;
    fileSize += alignUp(s.data.length, fa);
    return at;
  });
  const out = new Uint8Array(fileSize);
  const v = new DataView(out.buffer);
  v.setUint16(IMAGE_DOS_HEADER.e_magic, 0x5a4d, true);
  v.setUint32(IMAGE_DOS_HEADER.e_lfanew, ntOff, true);
  out.set(new TextEncoder().encode(DOS_STUB), 0x4e);
  v.setUint32(ntOff, 0x4550, true);
  v.setUint16(fh + IMAGE_FILE_HEADER.Machine, img.machine, true);
  v.setUint16(fh + IMAGE_FILE_HEADER.NumberOfSections, img.sections.length, true);
  v.setUint16(fh + IMAGE_FILE_HEADER.SizeOfOptionalHeader, optSize, true);
  v.setUint16(fh + IMAGE_FILE_HEADER.Characteristics, img.characteristics, true);
  v.setUint16(oh + O.Magic, is64 ? IMAGE_NT_OPTIONAL_HDR64_MAGIC : IMAGE_NT_OPTIONAL_HDR32_MAGIC, true);
  v.setUint32(oh + O.AddressOfEntryPoint, img.entryPoint, true);
  if (is64) v.setBigUint64(oh + O.ImageBase, BigInt(img.imageBase), true);
  else v.setUint32(oh + O.ImageBase, Number(img.imageBase), true);
  v.setUint32(oh + O.SectionAlignment, sa, true);
  v.setUint32(oh + O.FileAlignment, fa, true);
  v.setUint16(oh + O.MajorOperatingSystemVersion, 3, true);
  v.setUint16(oh + O.MinorOperatingSystemVersion, 51, true);
  const [major, minor] = img.subsystemVersion ?? [3, 51];
  v.setUint16(oh + O.MajorSubsystemVersion, major, true);
  v.setUint16(oh + O.MinorSubsystemVersion, minor, true);
  const end = Math.max(headersSize, ...img.sections.map((s) => s.rva + (s.virtualSize ?? s.data.length)));
  v.setUint32(oh + O.SizeOfImage, alignUp(end, sa), true);
  v.setUint32(oh + O.SizeOfHeaders, headersSize, true);
  v.setUint16(oh + O.Subsystem, img.subsystem ?? 1, true);
  v.setUint32(oh + O.NumberOfRvaAndSizes, 16, true);
  for (const [index, d] of Object.entries(img.directories ?? {})) {
    if (!d) continue;
    v.setUint32(oh + O.DataDirectory + Number(index) * 8, d.rva, true);
    v.setUint32(oh + O.DataDirectory + Number(index) * 8 + 4, d.size, true);
  }
  img.sections.forEach((s, i) => {
    const H = IMAGE_SECTION_HEADER;
    const at = st + i * H.size;
    out.set(new TextEncoder().encode(s.name.slice(0, 8)), at + H.Name);
    v.setUint32(at + H.VirtualSize, s.virtualSize ?? s.data.length, true);
    v.setUint32(at + H.VirtualAddress, s.rva, true);
    v.setUint32(at + H.SizeOfRawData, alignUp(s.data.length, fa), true);
    v.setUint32(at + H.PointerToRawData, s.data.length ? rawOffsets[i]! : 0, true);
    v.setUint32(at + H.Characteristics, s.characteristics, true);
    out.set(s.data, rawOffsets[i]!);
  });
  if (img.checksum ?? true) {
    v.setUint32(oh + O.CheckSum, computeChecksum(out, fileOffset(oh + O.CheckSum)), true);
  }
  return out;
}

/** Accumulates a section's bytes and hands out the RVA of each piece placed in it. */
export class SectionBuilder {
  readonly rva: number;
  private buf = new Uint8Array(256);
  private used = 0;

  constructor(rva: number) {
    this.rva = rva;
  }

  get bytes(): Uint8Array {
    return this.buf.subarray(0, this.used);
  }

  /** Appends `data` at the next multiple of `align`; returns its RVA. */
  place(data: Uint8Array, align = 4): number {
    const at = alignUp(this.used, align);
    while (at + data.length > this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf.set(data, at);
    this.used = at + data.length;
    return this.rva + at;
  }

  u32s(values: readonly number[]): number {
    const b = new Uint8Array(values.length * 4);
    const v = new DataView(b.buffer);
    values.forEach((x, i) => {
      v.setUint32(i * 4, x >>> 0, true);
    });
    return this.place(b);
  }

  u16s(values: readonly number[]): number {
    const b = new Uint8Array(values.length * 2);
    const v = new DataView(b.buffer);
    values.forEach((x, i) => {
      v.setUint16(i * 2, x, true);
    });
    return this.place(b, 2);
  }

  cstring(s: string): number {
    return this.place(new Uint8Array([...new TextEncoder().encode(s), 0]), 1);
  }

  /** Overwrites a 32-bit value at an RVA already placed. */
  patchU32(at: number, value: number): void {
    new DataView(this.buf.buffer).setUint32(at - this.rva, value >>> 0, true);
  }
}

/** One function slot: an RVA, a forwarder string ("MODULE.Name" / "MODULE.#n"), or 0 for an unused slot. */
export type ExportSlot = number | string;

/**
 * Builds an IMAGE_EXPORT_DIRECTORY in `sb`. `names` pairs a name with a slot index and is written in
 * the order given (sort it for NT's binary search). Returns the directory's RVA and size.
 */
export function buildExports(
  sb: SectionBuilder,
  spec: { dllName: string; base: number; slots: ExportSlot[]; names: [string, number][] },
): { rva: number; size: number } {
  const dir = sb.place(new Uint8Array(40));
  const nameRva = sb.cstring(spec.dllName);
  const fnTable = sb.u32s(spec.slots.map(() => 0));
  const nameTable = sb.u32s(spec.names.map(() => 0));
  const ordTable = sb.u16s(spec.names.map(([, i]) => i));
  for (const [i, [n]] of spec.names.entries()) sb.patchU32(nameTable + 4 * i, sb.cstring(n));
  for (const [i, slot] of spec.slots.entries()) {
    sb.patchU32(fnTable + 4 * i, typeof slot === 'string' ? sb.cstring(slot) : slot);
  }
  const size = sb.rva + sb.bytes.length - dir;
  sb.patchU32(dir + 12, nameRva);
  sb.patchU32(dir + 16, spec.base);
  sb.patchU32(dir + 20, spec.slots.length);
  sb.patchU32(dir + 24, spec.names.length);
  sb.patchU32(dir + 28, fnTable);
  sb.patchU32(dir + 32, nameTable);
  sb.patchU32(dir + 36, ordTable);
  return { rva: dir, size };
}

/** An import: a name (with hint) or an ordinal. */
export type ImportSpec = { name: string; hint?: number } | { ordinal: number };

/**
 * Builds an import directory (descriptors, lookup tables, IATs, names) in `sb` for a 32-bit image.
 * `noLookupTable` leaves OriginalFirstThunk 0, as old linkers did.
 */
export function buildImports(
  sb: SectionBuilder,
  modules: { dll: string; imports: ImportSpec[]; noLookupTable?: boolean }[],
): { rva: number; size: number; iat: number[] } {
  const dir = sb.place(new Uint8Array(20 * (modules.length + 1)));
  const iats: number[] = [];
  modules.forEach((m, i) => {
    const thunks = m.imports.map((imp) => {
      if ('ordinal' in imp) return (0x80000000 | imp.ordinal) >>> 0;
      const hint = new Uint8Array(2);
      new DataView(hint.buffer).setUint16(0, imp.hint ?? 0, true);
      const at = sb.place(hint, 2);
      sb.cstring(imp.name);
      return at;
    });
    const lookup = m.noLookupTable ? 0 : sb.u32s([...thunks, 0]);
    const iat = sb.u32s([...thunks, 0]);
    iats.push(iat);
    const d = dir + 20 * i;
    sb.patchU32(d, lookup);
    sb.patchU32(d + 12, sb.cstring(m.dll));
    sb.patchU32(d + 16, iat);
  });
  return { rva: dir, size: 20 * (modules.length + 1), iat: iats };
}

/** Builds base relocation blocks; each entry is [type, rva] or [HIGHADJ, rva, low16]. */
export function buildRelocations(
  sb: SectionBuilder,
  entries: [number, number, number?][],
): { rva: number; size: number } {
  const pages = new Map<number, number[]>();
  for (const [type, at, low] of entries) {
    const page = at & ~0xfff;
    const words = pages.get(page) ?? [];
    words.push((type << 12) | (at & 0xfff));
    if (low !== undefined) words.push(low & 0xffff);
    pages.set(page, words);
  }
  const start = sb.rva + alignUp(sb.bytes.length, 4);
  for (const [page, words] of [...pages].sort((a, b) => a[0] - b[0])) {
    if (words.length % 2) words.push(0); // pad with an ABSOLUTE entry to keep blocks 4-aligned
    sb.u32s([page, 8 + 2 * words.length]);
    sb.u16s(words);
  }
  return { rva: start, size: sb.rva + sb.bytes.length - start };
}

/** One resource of an image: numeric type, id and language (what NT's fixtures need). */
export interface ResourceSpec {
  type: number;
  id: number;
  lang: number;
  data: Uint8Array;
  codePage?: number;
}

/**
 * Builds a resource directory (type / id / language, each level sorted by id as NT's lookup expects)
 * with its data entries and data in `sb`. Returns the directory's RVA and size.
 */
export function buildResources(
  sb: SectionBuilder,
  resources: readonly ResourceSpec[],
): { rva: number; size: number } {
  // Tree: type -> id -> lang -> resource.
  const tree = new Map<number, Map<number, Map<number, ResourceSpec>>>();
  for (const r of resources) {
    const ids = tree.get(r.type) ?? new Map<number, Map<number, ResourceSpec>>();
    const langs = ids.get(r.id) ?? new Map<number, ResourceSpec>();
    langs.set(r.lang, r);
    ids.set(r.id, langs);
    tree.set(r.type, ids);
  }
  const sorted = <V>(m: Map<number, V>) => [...m].sort((a, b) => a[0] - b[0]);
  const dirSize = (n: number) => 16 + 8 * n;
  // Offsets (from the root) of every directory, then the data entries, then the data.
  let size = dirSize(tree.size);
  const idDirs = new Map<number, number>();
  const langDirs = new Map<string, number>();
  for (const [type, ids] of sorted(tree)) {
    idDirs.set(type, size);
    size += dirSize(ids.size);
  }
  for (const [type, ids] of sorted(tree)) {
    for (const [id, langs] of sorted(ids)) {
      langDirs.set(`${type}/${id}`, size);
      size += dirSize(langs.size);
    }
  }
  const entries = new Map<ResourceSpec, number>();
  for (const r of resources) {
    entries.set(r, size);
    size += 16;
  }
  const dataAt = new Map<ResourceSpec, number>();
  for (const r of resources) {
    size = alignUp(size, 4);
    dataAt.set(r, size);
    size += r.data.length;
  }
  const root = sb.rva + alignUp(sb.bytes.length, 4);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  const dir = (at: number, children: [number, number][]) => {
    v.setUint16(at + 14, children.length, true); // NumberOfIdEntries
    children.forEach(([id, offset], i) => {
      v.setUint32(at + 16 + 8 * i, id, true);
      v.setUint32(at + 20 + 8 * i, offset >>> 0, true);
    });
  };
  const SUBDIR = 0x80000000;
  dir(
    0,
    sorted(tree).map(([type]) => [type, (idDirs.get(type)! | SUBDIR) >>> 0]),
  );
  for (const [type, ids] of sorted(tree)) {
    dir(
      idDirs.get(type)!,
      sorted(ids).map(([id]) => [id, (langDirs.get(`${type}/${id}`)! | SUBDIR) >>> 0]),
    );
    for (const [id, langs] of sorted(ids)) {
      dir(
        langDirs.get(`${type}/${id}`)!,
        sorted(langs).map(([lang, r]) => [lang, entries.get(r)!]),
      );
    }
  }
  for (const r of resources) {
    const e = entries.get(r)!;
    v.setUint32(e, root + dataAt.get(r)!, true); // OffsetToData is an RVA
    v.setUint32(e + 4, r.data.length, true);
    v.setUint32(e + 8, r.codePage ?? 0, true);
    out.set(r.data, dataAt.get(r)!);
  }
  sb.place(out, 4);
  return { rva: root, size };
}

/** What a VS_VERSIONINFO resource says (verrsrc.h): fixed version numbers and one string table. */
export interface VersionSpec {
  /** Four parts, e.g. [3, 51, 1057, 3]. */
  fileVersion: [number, number, number, number];
  productVersion: [number, number, number, number];
  fileOS: number;
  fileType: number;
  fileSubtype: number;
  /** StringFileInfo key, e.g. "040904B0" (language 0x409, code page 1200). */
  stringTable: string;
  strings: [string, string][];
}

/** A string as UTF-16LE with its terminating NUL. */
function utf16z(s: string): Uint8Array {
  const b = new Uint8Array(2 * (s.length + 1));
  const v = new DataView(b.buffer);
  for (let i = 0; i < s.length; i++) v.setUint16(2 * i, s.charCodeAt(i), true);
  return b;
}

/** A VS_VERSIONINFO node: header, NUL-terminated UTF-16 key, value and children, each 4-aligned. */
function versionNode(
  key: string,
  type: number,
  value: Uint8Array,
  valueLength: number,
  children: Uint8Array[],
) {
  const k = utf16z(key);
  let length = alignUp(6 + k.length, 4) + value.length;
  const at: number[] = [];
  for (const c of children) {
    length = alignUp(length, 4);
    at.push(length);
    length += c.length;
  }
  const out = new Uint8Array(length);
  const v = new DataView(out.buffer);
  v.setUint16(0, length, true);
  v.setUint16(2, valueLength, true);
  v.setUint16(4, type, true);
  out.set(k, 6);
  out.set(value, alignUp(6 + k.length, 4));
  children.forEach((c, i) => {
    out.set(c, at[i]!);
  });
  return out;
}

/** Builds VS_VERSIONINFO bytes (the RT_VERSION resource's data), laid out as rc.exe and windres do. */
export function buildVersionInfo(spec: VersionSpec): Uint8Array {
  const ffi = new Uint8Array(0x34);
  const f = new DataView(ffi.buffer);
  const [a, b, c, d] = spec.fileVersion;
  const [pa, pb, pc, pd] = spec.productVersion;
  [
    0xfeef04bd,
    0x00010000,
    (a << 16) | b,
    (c << 16) | d,
    (pa << 16) | pb,
    (pc << 16) | pd,
    0x3f,
    0,
    spec.fileOS,
    spec.fileType,
    spec.fileSubtype,
    0,
    0,
  ].forEach((x, i) => {
    f.setUint32(4 * i, x >>> 0, true);
  });
  const strings = spec.strings.map(([k, s]) => versionNode(k, 1, utf16z(s), s.length + 1, []));
  const table = versionNode(spec.stringTable, 1, new Uint8Array(0), 0, strings);
  const sfi = versionNode('StringFileInfo', 1, new Uint8Array(0), 0, [table]);
  const lang = Number.parseInt(spec.stringTable.slice(0, 4), 16);
  const cp = Number.parseInt(spec.stringTable.slice(4), 16);
  const translation = new Uint8Array(4);
  new DataView(translation.buffer).setUint16(0, lang, true);
  new DataView(translation.buffer).setUint16(2, cp, true);
  const vfi = versionNode('VarFileInfo', 1, new Uint8Array(0), 0, [
    versionNode('Translation', 0, translation, 4, []),
  ]);
  return versionNode('VS_VERSION_INFO', 0, ffi, ffi.length, [sfi, vfi]);
}
