// Second differential reference: GNU objdump -p (binutils) against our exports and imports on every
// i386/AMD64 image of the corpus it can read.
import { describe, expect, it } from 'vitest';
import { debianFiles, fixtureFiles } from '../diff/corpus.js';
import { objdumpView } from '../diff/objdump.js';
import { dumpOurs } from '../diff/ours.js';
import { haveObjdump } from '../helpers/tools.js';

/**
 * Known differences, each explained; this list may only shrink.
 * clam.exe: objdump prints no import table; it does not round PointerToRawData (1) down to 0x200 as
 * Windows and pefile do, so it reads the descriptors from the wrong bytes. pefile agrees with us.
 */
const KNOWN: Record<string, string> = { 'clam.exe': 'imports' };

describe.skipIf(!haveObjdump)('parser agrees with objdump -p', () => {
  const files = [...fixtureFiles(), ...debianFiles()];
  it(`on the i386/AMD64 images among ${files.length} files`, () => {
    let compared = 0;
    for (const f of files) {
      const ours = dumpOurs(f);
      if (ours.machine !== 0x14c && ours.machine !== 0x8664) continue;
      const theirs = objdumpView(f);
      if (!theirs) continue; // "file format not recognized" (e.g. clam-upack.exe)
      compared++;
      const exports =
        ours.exports &&
        Object.values(
          ours.exports.entries.reduce<
            Record<number, { ordinal: number; rva: number; forwarder: string | null; names: string[] }>
          >((m, [ordinal, name, rva, forwarder]) => {
            m[ordinal] ??= { ordinal, rva: rva ?? 0, forwarder, names: [] };
            if (name) m[ordinal]!.names.push(name);
            return m;
          }, {}),
        );
      const base = f.split('/').pop()!;
      const objExports = theirs.exports?.map((e) => ({ ...e, rva: e.forwarder ? 0 : e.rva })) ?? null;
      expect(exports, `${f} exports`).toEqual(objExports);
      if (KNOWN[base] !== 'imports') expect(ours.imports, `${f} imports`).toEqual(theirs.imports);
    }
    expect(compared).toBeGreaterThanOrEqual(50);
  });
});
