// The `inspect` report: everything the parser reads from one image, as plain JSON-ready data.
// Human output (src/cli/render.ts) is rendered from this same object.
import {
  DIRECTORY_NAMES,
  dllCharacteristicNames,
  fileCharacteristicNames,
  type MalformedPeDetails,
  MalformedPeError,
  type PeImage,
  relocTypeName,
  sectionCharacteristicNames,
  subsystemName,
} from '../pe/index.js';

/** A 64-bit quantity: a number when it fits exactly, else a hex string. */
export type Wide = number | string;
const wide = (v: bigint): Wide => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : `0x${v.toString(16)}`);

export interface InspectReport {
  file: string;
  size: number;
  format: 'PE32' | 'PE32+';
  machine: string;
  machineCode: number;
  characteristics: string[];
  characteristicsValue: number;
  timeDateStamp: number;
  imageBase: Wide;
  /** RVA of the entry point. */
  entryPoint: number;
  subsystem: string;
  subsystemVersion: string;
  operatingSystemVersion: string;
  linkerVersion: string;
  dllCharacteristics: string[];
  sizeOfImage: number;
  sizeOfHeaders: number;
  sectionAlignment: number;
  fileAlignment: number;
  dataDirectories: { name: string; rva: number; size: number }[];
  sections: {
    name: string;
    virtualAddress: number;
    virtualSize: number;
    rawSize: number;
    rawPointer: number;
    characteristics: string[];
    characteristicsValue: number;
  }[];
  exports: {
    dllName: string;
    base: number;
    numberOfFunctions: number;
    numberOfNames: number;
    entries: { ordinal: number; name: string | null; rva: number | null; forwarder: string | null }[];
  } | null;
  imports: { dll: string; entries: { name: string | null; ordinal: number | null; hint: number | null }[] }[];
  boundImports: {
    dll: string;
    timeDateStamp: number;
    forwarderRefs: { dll: string; timeDateStamp: number }[];
  }[];
  relocations: { blocks: number; entries: number; byType: Record<string, number> } | null;
  version: {
    fileVersion: string;
    productVersion: string;
    originalFilename: string | null;
    fileVersionString: string | null;
    productVersionString: string | null;
    companyName: string | null;
    fileDescription: string | null;
    strings: Record<string, string>;
  } | null;
  checksum: { header: number; computed: number; matches: boolean };
  /** Oddities that did not stop parsing. */
  warnings: string[];
  /** Directories that could not be parsed; each names file, offset, structure, field and reason. */
  errors: (MalformedPeDetails & { directory: string })[];
}

/**
 * Builds the report. Headers must parse (the caller handles that error); directory errors are collected.
 * Long because it is one flat list of report fields, one directory after another, each with its own
 * error slot; split up it would only pass the report and the error list around.
 */
export function inspectImage(img: PeImage, size: number): InspectReport {
  const { fileHeader: fh, optionalHeader: oh, dataDirectories, sections } = img.headers;
  const errors: InspectReport['errors'] = [];
  const warnings = [...img.headers.warnings];
  const guard = <T>(directory: string, parse: () => T, fallback: T): T => {
    try {
      return parse();
    } catch (e) {
      if (!(e instanceof MalformedPeError)) throw e;
      errors.push({ directory, ...e.toJSON() });
      return fallback;
    }
  };

  const exports = guard(
    'EXPORT',
    () => {
      const ex = img.exports();
      if (!ex) return null;
      warnings.push(...ex.warnings);
      return {
        dllName: ex.dllName,
        base: ex.base,
        numberOfFunctions: ex.numberOfFunctions,
        numberOfNames: ex.numberOfNames,
        entries: ex.entries.map((e) => ({
          ordinal: e.ordinal as number,
          name: e.name,
          rva: e.rva as number | null,
          forwarder: e.forwarder?.text ?? null,
        })),
      };
    },
    null,
  );
  const imports = guard(
    'IMPORT',
    () =>
      img.imports().map((m) => ({
        dll: m.dll,
        entries: m.entries.map((e) => ({ name: e.name, ordinal: e.ordinal, hint: e.hint })),
      })),
    [],
  );
  const boundImports = guard('BOUND_IMPORT', () => img.boundImports(), []);
  const relocations = guard(
    'BASERELOC',
    () => {
      if (!img.directory(5)) return null;
      const blocks = img.relocations();
      const byType: Record<string, number> = {};
      let entries = 0;
      for (const b of blocks) {
        for (const r of b.entries) {
          const name = relocTypeName(r.type, fh.machine);
          byType[name] = (byType[name] ?? 0) + 1;
          entries++;
        }
      }
      return { blocks: blocks.length, entries, byType };
    },
    null,
  );
  const version = guard(
    'RESOURCE',
    () => {
      const v = img.version();
      if (!v) return null;
      const s = (k: string) => v.strings[k] ?? null;
      return {
        fileVersion: v.fileVersion,
        productVersion: v.productVersion,
        originalFilename: s('OriginalFilename'),
        fileVersionString: s('FileVersion'),
        productVersionString: s('ProductVersion'),
        companyName: s('CompanyName'),
        fileDescription: s('FileDescription'),
        strings: v.strings,
      };
    },
    null,
  );
  const checksum = img.checksum();

  return {
    file: img.file,
    size,
    format: oh.is64 ? 'PE32+' : 'PE32',
    machine: fh.machineName,
    machineCode: fh.machine,
    characteristics: fileCharacteristicNames(fh.characteristics),
    characteristicsValue: fh.characteristics,
    timeDateStamp: fh.timeDateStamp,
    imageBase: wide(oh.imageBase),
    entryPoint: oh.addressOfEntryPoint,
    subsystem: subsystemName(oh.subsystem),
    subsystemVersion: oh.subsystemVersion,
    operatingSystemVersion: oh.operatingSystemVersion,
    linkerVersion: oh.linkerVersion,
    dllCharacteristics: dllCharacteristicNames(oh.dllCharacteristics),
    sizeOfImage: oh.sizeOfImage,
    sizeOfHeaders: oh.sizeOfHeaders,
    sectionAlignment: oh.sectionAlignment,
    fileAlignment: oh.fileAlignment,
    dataDirectories: dataDirectories
      .filter((d) => d.rva !== 0 || d.size !== 0)
      .map((d) => ({ name: DIRECTORY_NAMES[d.index] ?? `#${d.index}`, rva: d.rva, size: d.size })),
    sections: sections.map((s) => ({
      name: s.name,
      virtualAddress: s.virtualAddress,
      virtualSize: s.virtualSize,
      rawSize: s.sizeOfRawData,
      rawPointer: s.pointerToRawData,
      characteristics: sectionCharacteristicNames(s.characteristics),
      characteristicsValue: s.characteristics,
    })),
    exports,
    imports,
    boundImports,
    relocations,
    version,
    checksum: { ...checksum, matches: checksum.header === checksum.computed },
    warnings,
    errors,
  };
}
