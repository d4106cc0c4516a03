// Corpus test over real PE files from Debian packages we did not build (clamav-testfiles, nsis-common,
// the mingw-w64 runtimes, linux-perf, EFI loaders): every file parses or ends in MalformedPeError, never
// another exception. Files with typed errors are listed in known-failures.json, a list that may only
// shrink: a listed file that now parses, or a new file that fails, fails the test.
// UPDATE_KNOWN_FAILURES=1 rewrites the list from this machine's results.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectImages } from '../../src/cli/files.js';
import { mapImage } from '../../src/loader/map.js';
import { MAX_IMAGE_SIZE } from '../../src/loader/system-loader.js';
import { applyRelocations, MalformedPeError, PeImage, walkResources } from '../../src/pe/index.js';

const LIST = new URL('./known-failures.json', import.meta.url).pathname;

/** Where each package puts its PE files; `every` takes all files, not only those starting with "MZ". */
const GROUPS: { pkg: string; dirs: string[]; every?: boolean }[] = [
  { pkg: 'clamav-testfiles', dirs: ['/usr/share/clamav-testfiles'], every: true },
  { pkg: 'nsis-common', dirs: ['/usr/share/nsis'] },
  {
    pkg: 'gcc-mingw-w64-i686-{posix,win32}-runtime, mingw-w64-i686-dev',
    dirs: ['/usr/lib/gcc/i686-w64-mingw32', '/usr/i686-w64-mingw32/lib'],
  },
  { pkg: 'linux-perf', dirs: ['/usr/lib/perf-core/tests'] },
  { pkg: 'systemd-boot-efi', dirs: ['/usr/lib/systemd/boot/efi'] },
  { pkg: 'shim-unsigned', dirs: ['/usr/lib/shim'] },
  { pkg: 'grub-efi-amd64-bin', dirs: ['/usr/lib/grub/x86_64-efi/monolithic'] },
];

function filesOf(group: (typeof GROUPS)[number]): string[] {
  const dirs = group.dirs.filter((d) => existsSync(d));
  if (!group.every) return collectImages(dirs);
  return dirs.flatMap((d) =>
    readdirSync(d)
      .sort()
      .map((n) => join(d, n))
      .filter((p) => statSync(p).isFile()),
  );
}

/**
 * Everything the tools ask of an image, part by part; each part's MalformedPeError is recorded as
 * `PART: Structure.Field`, any other exception propagates and fails the test.
 */
function typedErrors(file: string): string[] {
  const bytes = new Uint8Array(readFileSync(file));
  const errors: string[] = [];
  const part = (name: string, f: () => void) => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof MalformedPeError)) throw e;
      errors.push(`${name}: ${e.structure}.${e.field}`);
    }
  };
  let img: PeImage | undefined;
  part('HEADERS', () => {
    img = PeImage.parse(bytes, file);
  });
  if (!img) return errors;
  const image = img;
  part('EXPORT', () => {
    const ex = image.exports();
    for (const e of ex?.entries ?? []) {
      if (e.name !== null) ex!.findByName(e.name);
      ex!.findByOrdinal(e.ordinal);
    }
  });
  part('IMPORT', () => image.imports());
  part('BOUND_IMPORT', () => image.boundImports());
  part('BASERELOC', () => {
    const blocks = image.relocations();
    const size = image.headers.optionalHeader.sizeOfImage;
    if (size > 0 && size <= MAX_IMAGE_SIZE) {
      applyRelocations(mapImage(image).bytes, blocks, 0x10000n, image.headers.fileHeader.machine);
    }
  });
  part('RESOURCE', () => walkResources(image, image.directory(2)));
  part('VERSION', () => image.version());
  image.checksum();
  return errors;
}

const known = JSON.parse(readFileSync(LIST, 'utf8')) as Record<string, string[]>;
const results: Record<string, string[]> = {};

describe('real PE files from Debian packages give a result or MalformedPeError', () => {
  for (const group of GROUPS) {
    const files = filesOf(group);
    describe(group.pkg, () => {
      it.skipIf(files.length === 0)(`${files.length} file(s)`, () => {
        const mismatches: string[] = [];
        for (const file of files) {
          let errors: string[];
          try {
            errors = typedErrors(file);
          } catch (e) {
            throw new Error(`${file}: an exception other than MalformedPeError: ${(e as Error).stack}`);
          }
          if (errors.length) results[file] = errors;
          const expected = known[file] ?? [];
          if (JSON.stringify(errors) !== JSON.stringify(expected)) {
            mismatches.push(
              expected.length === 0
                ? `${file}: new failure ${JSON.stringify(errors)}`
                : errors.length === 0
                  ? `${file}: now parses; remove it from known-failures.json`
                  : `${file}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(errors)}`,
            );
          }
        }
        if (process.env.UPDATE_KNOWN_FAILURES !== '1') expect(mismatches).toEqual([]);
      });
    });
  }

  it('lists only files of these packages', () => {
    const roots = GROUPS.flatMap((g) => g.dirs);
    const stray = Object.keys(known).filter((f) => !roots.some((r) => f.startsWith(`${r}/`)));
    expect(stray).toEqual([]);
    if (process.env.UPDATE_KNOWN_FAILURES === '1') {
      // Keep entries of packages not installed here; replace those of packages that are.
      const installed = GROUPS.filter((g) => filesOf(g).length > 0).flatMap((g) => g.dirs);
      const kept = Object.entries(known).filter(([f]) => !installed.some((r) => f.startsWith(`${r}/`)));
      const next = Object.fromEntries(
        [...kept, ...Object.entries(results)].sort(([a], [b]) => (a < b ? -1 : 1)),
      );
      // One line per file, as biome formats it.
      const lines = Object.entries(next).map(
        ([f, errs]) => `  ${JSON.stringify(f)}: [${errs.map((e) => JSON.stringify(e)).join(', ')}]`,
      );
      writeFileSync(LIST, `{\n${lines.join(',\n')}\n}\n`);
    }
  });
});
