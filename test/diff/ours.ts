// Our parser's view of a file in the shape test/diff/pefile_dump.py prints, for differential tests.
import { readFileSync } from 'node:fs';
import { MalformedPeError, PeImage } from '../../src/pe/index.js';

export interface Dump {
  file: string;
  machine: number;
  characteristics: number;
  imageBase: number;
  entryPoint: number;
  subsystem: number;
  sections: [string, number, number, number, number, number][];
  exports: {
    dllName: string;
    base: number;
    entries: [number, string | null, number | null, string | null][];
  } | null;
  imports: { dll: string; entries: [string | null, number | null, number | null][] }[];
  relocations: number[][] | Malformed;
  version: { fileVersion: string; productVersion: string; strings: Record<string, string> } | null;
  checksum: { header: number; computed: number };
}

/** A directory our parser rejected, with the error's message. */
export interface Malformed {
  malformed: string;
}

/** `parse()`, or the MalformedPeError it raised as data (any other error propagates). */
function orMalformed<T>(parse: () => T): T | Malformed {
  try {
    return parse();
  } catch (e) {
    if (e instanceof MalformedPeError) return { malformed: e.message };
    throw e;
  }
}

export function dumpOurs(file: string): Dump {
  const img = PeImage.parse(readFileSync(file), file);
  const { fileHeader: fh, optionalHeader: oh } = img.headers;
  const ex = img.exports();
  const v = img.version();
  return {
    file,
    machine: fh.machine,
    characteristics: fh.characteristics,
    imageBase: Number(oh.imageBase),
    entryPoint: oh.addressOfEntryPoint,
    subsystem: oh.subsystem,
    sections: img.sections.map((s) => [
      s.name,
      s.virtualAddress,
      s.virtualSize,
      s.sizeOfRawData,
      s.pointerToRawData,
      s.characteristics,
    ]),
    exports: ex && {
      dllName: ex.dllName,
      base: ex.base,
      entries: ex.entries.map((e) => [e.ordinal, e.name, e.rva, e.forwarder?.text ?? null]),
    },
    imports: img.imports().map((m) => ({
      dll: m.dll,
      entries: m.entries.map((e) => [e.name, e.ordinal, e.hint]),
    })),
    relocations: orMalformed(() =>
      img
        .relocations()
        .flatMap((b) =>
          b.entries.map((r) => (r.param === undefined ? [r.type, r.rva] : [r.type, r.rva, r.param])),
        ),
    ),
    version: v && { fileVersion: v.fileVersion, productVersion: v.productVersion, strings: v.strings },
    checksum: img.checksum(),
  };
}
