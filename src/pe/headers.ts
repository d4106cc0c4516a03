// Interprets the DOS header, PE signature, COFF file header, optional header (PE32 and PE32+),
// data directories and section table.
import {
  DIRECTORY_NAMES,
  DLL_CHARACTERISTICS,
  FILE_CHARACTERISTICS,
  IMAGE_DATA_DIRECTORY,
  IMAGE_DOS_HEADER,
  IMAGE_DOS_SIGNATURE,
  IMAGE_FILE_HEADER,
  IMAGE_NT_OPTIONAL_HDR32_MAGIC,
  IMAGE_NT_OPTIONAL_HDR64_MAGIC,
  IMAGE_NT_SIGNATURE,
  IMAGE_NUMBEROF_DIRECTORY_ENTRIES,
  IMAGE_OPTIONAL_HEADER32,
  IMAGE_OPTIONAL_HEADER64,
  IMAGE_SECTION_HEADER,
  MACHINE_NAMES,
  SECTION_CHARACTERISTICS,
  SUBSYSTEM_NAMES,
} from './layout.js';
import type { ByteReader } from './reader.js';
import { type FileOffset, fileOffset, type Rva, rva } from './types.js';

export interface FileHeader {
  machine: number;
  /** Short machine name (`i386`, `alpha`, `r4000`, `powerpc`, `amd64`…); `unknown-0x…` when not in our table. */
  machineName: string;
  numberOfSections: number;
  timeDateStamp: number;
  pointerToSymbolTable: number;
  numberOfSymbols: number;
  sizeOfOptionalHeader: number;
  characteristics: number;
}

export interface OptionalHeader {
  magic: number;
  /** True for PE32+ (magic 0x20b). */
  is64: boolean;
  linkerVersion: string;
  sizeOfCode: number;
  sizeOfInitializedData: number;
  sizeOfUninitializedData: number;
  addressOfEntryPoint: Rva;
  baseOfCode: Rva;
  /** PE32 only. */
  baseOfData: Rva | null;
  /** A bigint because PE32+ bases may exceed 2^53. */
  imageBase: bigint;
  sectionAlignment: number;
  fileAlignment: number;
  operatingSystemVersion: string;
  imageVersion: string;
  subsystemVersion: string;
  win32VersionValue: number;
  sizeOfImage: number;
  sizeOfHeaders: number;
  checkSum: number;
  /** File offset of the CheckSum field (skipped when computing the checksum). */
  checkSumOffset: FileOffset;
  subsystem: number;
  dllCharacteristics: number;
  sizeOfStackReserve: bigint;
  sizeOfStackCommit: bigint;
  sizeOfHeapReserve: bigint;
  sizeOfHeapCommit: bigint;
  loaderFlags: number;
  numberOfRvaAndSizes: number;
}

export interface DataDirectory {
  index: number;
  name: string;
  rva: Rva;
  size: number;
}

export interface SectionHeader {
  index: number;
  name: string;
  virtualSize: number;
  virtualAddress: Rva;
  sizeOfRawData: number;
  pointerToRawData: FileOffset;
  pointerToRelocations: number;
  pointerToLinenumbers: number;
  numberOfRelocations: number;
  numberOfLinenumbers: number;
  characteristics: number;
  /** File offset of this IMAGE_SECTION_HEADER. */
  headerOffset: FileOffset;
}

export interface Headers {
  ntHeaderOffset: FileOffset;
  fileHeader: FileHeader;
  optionalHeader: OptionalHeader;
  dataDirectories: DataDirectory[];
  sections: SectionHeader[];
  /** Oddities that do not stop parsing (e.g. a section's raw data running past the end of the file). */
  warnings: string[];
}

/** Flag names set in `value` from a [bit, name] table; unknown bits appear as hex. */
export function flagNames(value: number, table: ReadonlyArray<readonly [number, string]>): string[] {
  const names: string[] = [];
  let rest = value >>> 0;
  for (const [bit, name] of table) {
    if ((rest & bit) !== 0) {
      names.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest !== 0) names.push(`0x${rest.toString(16)}`);
  return names;
}

export const machineName = (m: number): string =>
  MACHINE_NAMES[m] ?? `unknown-0x${m.toString(16).padStart(4, '0')}`;
export const subsystemName = (s: number): string => SUBSYSTEM_NAMES[s] ?? `unknown-${s}`;
export const fileCharacteristicNames = (c: number): string[] => flagNames(c, FILE_CHARACTERISTICS);
export const dllCharacteristicNames = (c: number): string[] => flagNames(c, DLL_CHARACTERISTICS);

/** Section flag names, plus `IMAGE_SCN_ALIGN_<n>BYTES` from the alignment nibble. */
export function sectionCharacteristicNames(c: number): string[] {
  const names = flagNames(c & ~0x00f00000, SECTION_CHARACTERISTICS);
  const align = (c >>> 20) & 0xf;
  if (align !== 0) names.push(`IMAGE_SCN_ALIGN_${1 << (align - 1)}BYTES`);
  return names;
}

/** Reads and validates every header. Throws MalformedPeError on anything NT's loader would reject. */
export function parseHeaders(r: ByteReader): Headers {
  const warnings: string[] = [];
  r.check(0, IMAGE_DOS_HEADER.size, 'IMAGE_DOS_HEADER', 'e_magic');
  const magic = r.u16(IMAGE_DOS_HEADER.e_magic, 'IMAGE_DOS_HEADER', 'e_magic');
  if (magic !== IMAGE_DOS_SIGNATURE) {
    throw r.error(0, 'IMAGE_DOS_HEADER', 'e_magic', `expected "MZ" (0x5a4d), found 0x${magic.toString(16)}`);
  }
  const nt = r.u32(IMAGE_DOS_HEADER.e_lfanew, 'IMAGE_DOS_HEADER', 'e_lfanew');
  if (nt + 4 + IMAGE_FILE_HEADER.size > r.length) {
    throw r.error(
      IMAGE_DOS_HEADER.e_lfanew,
      'IMAGE_DOS_HEADER',
      'e_lfanew',
      `points to 0x${nt.toString(16)}, past the end of the file (0x${r.length.toString(16)} bytes)`,
    );
  }
  const sig = r.u32(nt, 'IMAGE_NT_HEADERS', 'Signature');
  if (sig !== IMAGE_NT_SIGNATURE) {
    throw r.error(nt, 'IMAGE_NT_HEADERS', 'Signature', `expected "PE\\0\\0", found 0x${sig.toString(16)}`);
  }

  const fh = nt + 4;
  const F = IMAGE_FILE_HEADER;
  const S = 'IMAGE_FILE_HEADER';
  const machine = r.u16(fh + F.Machine, S, 'Machine');
  const fileHeader: FileHeader = {
    machine,
    machineName: machineName(machine),
    numberOfSections: r.u16(fh + F.NumberOfSections, S, 'NumberOfSections'),
    timeDateStamp: r.u32(fh + F.TimeDateStamp, S, 'TimeDateStamp'),
    pointerToSymbolTable: r.u32(fh + F.PointerToSymbolTable, S, 'PointerToSymbolTable'),
    numberOfSymbols: r.u32(fh + F.NumberOfSymbols, S, 'NumberOfSymbols'),
    sizeOfOptionalHeader: r.u16(fh + F.SizeOfOptionalHeader, S, 'SizeOfOptionalHeader'),
    characteristics: r.u16(fh + F.Characteristics, S, 'Characteristics'),
  };
  if (MACHINE_NAMES[machine] === undefined) warnings.push(`unknown machine 0x${machine.toString(16)}`);

  const oh = fh + F.size;
  const optionalHeader = parseOptionalHeader(r, oh);
  const O = optionalHeader.is64 ? IMAGE_OPTIONAL_HEADER64 : IMAGE_OPTIONAL_HEADER32;

  // Like NT, at most 16 directories are honoured whatever NumberOfRvaAndSizes says, and only those that
  // fit inside SizeOfOptionalHeader.
  const fitting = Math.max(0, Math.floor((fileHeader.sizeOfOptionalHeader - O.DataDirectory) / 8));
  const count = Math.min(optionalHeader.numberOfRvaAndSizes, IMAGE_NUMBEROF_DIRECTORY_ENTRIES, fitting);
  if (optionalHeader.numberOfRvaAndSizes > IMAGE_NUMBEROF_DIRECTORY_ENTRIES) {
    warnings.push(`NumberOfRvaAndSizes is ${optionalHeader.numberOfRvaAndSizes}; only 16 are used`);
  }
  const dataDirectories: DataDirectory[] = [];
  for (let i = 0; i < count; i++) {
    const at = oh + O.DataDirectory + i * IMAGE_DATA_DIRECTORY.size;
    const name = DIRECTORY_NAMES[i]!;
    dataDirectories.push({
      index: i,
      name,
      rva: rva(
        r.u32(at + IMAGE_DATA_DIRECTORY.VirtualAddress, 'IMAGE_DATA_DIRECTORY', `${name}.VirtualAddress`),
      ),
      size: r.u32(at + IMAGE_DATA_DIRECTORY.Size, 'IMAGE_DATA_DIRECTORY', `${name}.Size`),
    });
  }

  const sections = parseSections(
    r,
    oh + fileHeader.sizeOfOptionalHeader,
    fileHeader.numberOfSections,
    warnings,
  );
  return { ntHeaderOffset: fileOffset(nt), fileHeader, optionalHeader, dataDirectories, sections, warnings };
}

function parseOptionalHeader(r: ByteReader, oh: number): OptionalHeader {
  const S = 'IMAGE_OPTIONAL_HEADER';
  const magic = r.u16(oh, S, 'Magic');
  if (magic !== IMAGE_NT_OPTIONAL_HDR32_MAGIC && magic !== IMAGE_NT_OPTIONAL_HDR64_MAGIC) {
    throw r.error(oh, S, 'Magic', `expected 0x10b (PE32) or 0x20b (PE32+), found 0x${magic.toString(16)}`);
  }
  const is64 = magic === IMAGE_NT_OPTIONAL_HDR64_MAGIC;
  const O = is64 ? IMAGE_OPTIONAL_HEADER64 : IMAGE_OPTIONAL_HEADER32;
  const S2 = is64 ? 'IMAGE_OPTIONAL_HEADER64' : 'IMAGE_OPTIONAL_HEADER32';
  r.check(oh, O.DataDirectory, S2, 'NumberOfRvaAndSizes');
  const u8 = (off: number, f: string) => r.u8(oh + off, S2, f);
  const u16 = (off: number, f: string) => r.u16(oh + off, S2, f);
  const u32 = (off: number, f: string) => r.u32(oh + off, S2, f);
  const wide = (off: number, f: string) => (is64 ? r.u64(oh + off, S2, f) : BigInt(u32(off, f)));
  const ver = (off: number, f: string) => `${u16(off, f)}.${u16(off + 2, f)}`;
  return {
    magic,
    is64,
    linkerVersion: `${u8(O.MajorLinkerVersion, 'MajorLinkerVersion')}.${u8(O.MinorLinkerVersion, 'MinorLinkerVersion')}`,
    sizeOfCode: u32(O.SizeOfCode, 'SizeOfCode'),
    sizeOfInitializedData: u32(O.SizeOfInitializedData, 'SizeOfInitializedData'),
    sizeOfUninitializedData: u32(O.SizeOfUninitializedData, 'SizeOfUninitializedData'),
    addressOfEntryPoint: rva(u32(O.AddressOfEntryPoint, 'AddressOfEntryPoint')),
    baseOfCode: rva(u32(O.BaseOfCode, 'BaseOfCode')),
    baseOfData: is64 ? null : rva(u32(IMAGE_OPTIONAL_HEADER32.BaseOfData, 'BaseOfData')),
    imageBase: wide(O.ImageBase, 'ImageBase'),
    sectionAlignment: u32(O.SectionAlignment, 'SectionAlignment'),
    fileAlignment: u32(O.FileAlignment, 'FileAlignment'),
    operatingSystemVersion: ver(O.MajorOperatingSystemVersion, 'MajorOperatingSystemVersion'),
    imageVersion: ver(O.MajorImageVersion, 'MajorImageVersion'),
    subsystemVersion: ver(O.MajorSubsystemVersion, 'MajorSubsystemVersion'),
    win32VersionValue: u32(O.Win32VersionValue, 'Win32VersionValue'),
    sizeOfImage: u32(O.SizeOfImage, 'SizeOfImage'),
    sizeOfHeaders: u32(O.SizeOfHeaders, 'SizeOfHeaders'),
    checkSum: u32(O.CheckSum, 'CheckSum'),
    checkSumOffset: fileOffset(oh + O.CheckSum),
    subsystem: u16(O.Subsystem, 'Subsystem'),
    dllCharacteristics: u16(O.DllCharacteristics, 'DllCharacteristics'),
    sizeOfStackReserve: wide(O.SizeOfStackReserve, 'SizeOfStackReserve'),
    sizeOfStackCommit: wide(O.SizeOfStackCommit, 'SizeOfStackCommit'),
    sizeOfHeapReserve: wide(O.SizeOfHeapReserve, 'SizeOfHeapReserve'),
    sizeOfHeapCommit: wide(O.SizeOfHeapCommit, 'SizeOfHeapCommit'),
    loaderFlags: u32(O.LoaderFlags, 'LoaderFlags'),
    numberOfRvaAndSizes: u32(O.NumberOfRvaAndSizes, 'NumberOfRvaAndSizes'),
  };
}

function parseSections(r: ByteReader, at: number, count: number, warnings: string[]): SectionHeader[] {
  const H = IMAGE_SECTION_HEADER;
  const S = 'IMAGE_SECTION_HEADER';
  r.check(at, count * H.size, S, `table of ${count} section header(s)`);
  const sections: SectionHeader[] = [];
  for (let i = 0; i < count; i++) {
    const o = at + i * H.size;
    const s: SectionHeader = {
      index: i,
      name: r.fixedString(o + H.Name, H.NameSize, S, 'Name'),
      virtualSize: r.u32(o + H.VirtualSize, S, 'VirtualSize'),
      virtualAddress: rva(r.u32(o + H.VirtualAddress, S, 'VirtualAddress')),
      sizeOfRawData: r.u32(o + H.SizeOfRawData, S, 'SizeOfRawData'),
      pointerToRawData: fileOffset(r.u32(o + H.PointerToRawData, S, 'PointerToRawData')),
      pointerToRelocations: r.u32(o + H.PointerToRelocations, S, 'PointerToRelocations'),
      pointerToLinenumbers: r.u32(o + H.PointerToLinenumbers, S, 'PointerToLinenumbers'),
      numberOfRelocations: r.u16(o + H.NumberOfRelocations, S, 'NumberOfRelocations'),
      numberOfLinenumbers: r.u16(o + H.NumberOfLinenumbers, S, 'NumberOfLinenumbers'),
      characteristics: r.u32(o + H.Characteristics, S, 'Characteristics'),
      headerOffset: fileOffset(o),
    };
    if (s.sizeOfRawData > 0 && s.pointerToRawData + s.sizeOfRawData > r.length) {
      warnings.push(
        `section ${i} (${s.name}): raw data 0x${s.pointerToRawData.toString(16)}+0x${s.sizeOfRawData.toString(16)} runs past the end of the file (0x${r.length.toString(16)}); the missing part reads as zeros`,
      );
    }
    sections.push(s);
  }
  return sections;
}
