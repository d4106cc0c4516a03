// Differential test: our parser against python3-pefile on our fixtures and on real PE files from
// Debian packages (nsis-common, clamav-testfiles). Exports, imports, sections, relocations, version
// resource and checksum must be equal, up to the documented normalisations below.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { debianFiles, fixtureFiles } from '../diff/corpus.js';
import { type Dump, dumpOurs } from '../diff/ours.js';
import { havePefile, PYTHON } from '../helpers/tools.js';

type Theirs = Omit<Dump, 'relocations'> & { relocations: number[][]; warnings: string[] };

function pefileDump(files: string[]): Map<string, Theirs> {
  const out = execFileSync(PYTHON, ['test/diff/pefile_dump.py', ...files], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  return new Map((JSON.parse(out) as Theirs[]).map((d) => [d.file, d]));
}

/**
 * pefile keeps the bytes after a NUL inside a section name ("MEW\0F..."); NT and we stop at the NUL.
 */
const sectionNameAsNt = (name: string) => name.split('\0')[0];

function compare(ours: Dump, theirs: Theirs): void {
  const ctx = ours.file;
  for (const k of ['machine', 'characteristics', 'imageBase', 'entryPoint', 'subsystem'] as const) {
    expect(ours[k], `${ctx} ${k}`).toEqual(theirs[k]);
  }
  expect(ours.sections, `${ctx} sections`).toEqual(
    theirs.sections.map(([n, ...rest]) => [sectionNameAsNt(n), ...rest]),
  );
  expect(ours.exports, `${ctx} exports`).toEqual(theirs.exports);
  expect(ours.imports, `${ctx} imports`).toEqual(theirs.imports);
  if ('malformed' in ours.relocations) {
    // Both must consider the relocation directory broken: pefile warns and yields nothing.
    expect(theirs.relocations, `${ctx} relocations`).toEqual([]);
    expect(theirs.warnings.join('\n'), `${ctx} pefile warnings`).toMatch(/relocation/i);
  } else if (theirs.warnings.some((w) => w.startsWith('Overlapping offsets in relocation data'))) {
    // pefile stops a block at the first repeated (type, offset) word. IMAGE_REL_BASED_HIGHADJ's
    // second word is data, not an entry, so Alpha images repeat such words legitimately (e.g. 0x4000
    // twice): pefile's list is then a prefix of ours, cut inside the block it gave up on (its last
    // HIGHADJ without the data word pefile stopped at).
    const n = theirs.relocations.length;
    expect(n, `${ctx} relocations`).toBeLessThan(ours.relocations.length);
    const cut = ours.relocations.slice(0, n).map((r, i) => (i === n - 1 ? r.slice(0, 2) : r));
    expect(cut, `${ctx} relocations`).toEqual(
      theirs.relocations.map((r, i) => (i === n - 1 ? r.slice(0, 2) : r)),
    );
  } else {
    expect(ours.relocations, `${ctx} relocations`).toEqual(theirs.relocations);
  }
  expect(ours.version, `${ctx} version`).toEqual(theirs.version);
  expect(ours.checksum, `${ctx} checksum`).toEqual(theirs.checksum);
}

describe.skipIf(!havePefile)('parser agrees with python3-pefile', () => {
  const debian = debianFiles();
  const fixtures = fixtureFiles();

  it('has a real corpus to compare (run ./scripts/setup.sh to install nsis-common and clamav-testfiles)', () => {
    expect(debian.length).toBeGreaterThanOrEqual(50);
  });

  for (const [label, files] of [
    ['Debian packages', debian],
    ['our fixtures', fixtures],
  ] as const) {
    it.skipIf(files.length === 0)(`on ${files.length} files from ${label}`, () => {
      const theirs = pefileDump(files);
      for (const f of files) compare(dumpOurs(f), theirs.get(f)!);
    });
  }
});
