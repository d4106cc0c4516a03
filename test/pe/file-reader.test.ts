// PeImage.open (FileReader: the file read range by range) against PeImage.parse over the whole bytes:
// the same headers, directories and MalformedPeErrors on fixtures, real Debian files and truncations;
// only the ranges the tables need are read; a released image closes its file and opens it again.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveImages } from '../../src/analysis/index.js';
import { collectImages } from '../../src/cli/files.js';
import { openRegularFile } from '../../src/input/index.js';
import { MalformedPeError, PeImage, type RangeSource } from '../../src/pe/index.js';
import { debianFiles, fixtureFiles } from '../diff/corpus.js';

/** A file source that counts what is read and how often the file is opened and closed. */
function counted(path: string) {
  const stats = { opens: 0, closes: 0, reads: 0, bytes: 0 };
  const open = (): RangeSource => {
    const file = openRegularFile(path, 2 ** 30);
    stats.opens++;
    return {
      size: file.size,
      read(into, position) {
        stats.reads++;
        stats.bytes += into.length;
        file.read(into, position);
      },
      close() {
        stats.closes++;
        file.close();
      },
    };
  };
  return { open, stats };
}

/** Everything the parser gives for `image`, part by part: a value or the error's fields. */
function everything(make: () => PeImage): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const part = (name: string, f: () => unknown) => {
    try {
      out[name] = f();
    } catch (e) {
      if (!(e instanceof MalformedPeError)) throw e;
      out[name] = e.toJSON();
    }
  };
  let image: PeImage | undefined;
  part('headers', () => {
    image = make();
    return image.headers;
  });
  if (!image) return out;
  const img = image;
  part('exports', () => {
    const e = img.exports();
    return e && { ...e, entries: e.entries, lookups: e.entries.map((x) => e.findByName(x.name ?? '')) };
  });
  part('imports', () => img.imports());
  part('bound', () => img.boundImports());
  part('relocations', () => img.relocations());
  part('version', () => img.version());
  part('checksum', () => img.checksum());
  img.release();
  // As data: functions (the lookups' closures) dropped, 64-bit values as text.
  return JSON.parse(JSON.stringify(out, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)));
}

const same = (path: string) => {
  const whole = everything(() => PeImage.parse(new Uint8Array(readFileSync(path)), path));
  const { open, stats } = counted(path);
  const ranged = everything(() => PeImage.open(open, path));
  expect(ranged).toEqual(whole);
  expect(stats.closes).toBe(stats.opens);
};

describe('PeImage.open reads as PeImage.parse does', () => {
  const fixtures = fixtureFiles();
  const debian = debianFiles();
  it(`on the ${fixtures.length} fixture images`, () => {
    expect(fixtures.length).toBeGreaterThan(100);
    for (const f of fixtures) same(f);
  });
  it.skipIf(debian.length === 0)(
    `on the Debian corpus (${debian.length} files: nsis-common, clamav-testfiles)`,
    () => {
      for (const f of debian) same(f);
    },
  );

  const dir = mkdtempSync(join(tmpdir(), 'nt351-file-reader-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('on truncations of a driver: the same MalformedPeError at each cut', () => {
    const srv = readFileSync('fixtures/imagesets/kb138713-x86-up/WINNT35/SYSTEM32/DRIVERS/SRV.SYS');
    const cuts = [
      0,
      1,
      0x3c,
      0x40,
      0x80,
      0x100,
      0x180,
      0x200,
      0x400,
      0x1000,
      srv.length >> 1,
      srv.length - 1,
    ];
    let failures = 0;
    for (const cut of cuts) {
      const path = join(dir, `srv-${cut}.sys`);
      writeFileSync(path, srv.subarray(0, cut));
      same(path);
      try {
        PeImage.parse(new Uint8Array(srv.subarray(0, cut)), path);
      } catch (e) {
        if (e instanceof MalformedPeError) failures++;
      }
    }
    expect(failures).toBeGreaterThan(5);
  });
});

describe('only the ranges the tables need are read', () => {
  // A DLL of the i686 mingw-w64 runtime: mostly DWARF sections (the posix or win32 variant).
  const big = ['/usr/lib/gcc/i686-w64-mingw32/12-posix', '/usr/lib/gcc/i686-w64-mingw32/12-win32']
    .flatMap((d) => {
      try {
        return collectImages([d]);
      } catch {
        return [];
      }
    })
    .find((f) => /libstdc\+\+-6\.dll$/.test(f));
  it.skipIf(big === undefined)(
    'headers, exports and imports of libstdc++-6.dll: under a tenth of the file',
    () => {
      const { open, stats } = counted(big!);
      const image = PeImage.open(open, big!);
      expect(image.exports()!.numberOfNames).toBeGreaterThan(1000);
      expect(image.imports().length).toBeGreaterThan(0);
      image.release();
      expect(stats.bytes).toBeLessThan(image.reader.length / 10);
      expect(stats).toMatchObject({ opens: 1, closes: 1 });
    },
  );

  it('a released image opens its file again for a table not read yet, and closes it again', () => {
    const path = 'fixtures/imagesets/kb138713-x86-up/WINNT35/SYSTEM32/NTOSKRNL.EXE';
    const { open, stats } = counted(path);
    const image = PeImage.open(open, path);
    image.release();
    expect(stats).toMatchObject({ opens: 1, closes: 1 });
    expect(image.exports()!.numberOfNames).toBeGreaterThan(100);
    image.release();
    expect(stats).toMatchObject({ opens: 2, closes: 2 });
    image.exports(); // kept: no file needed
    expect(stats.opens).toBe(2);
  });

  it('a file that changed size between two opens is a MalformedPeError, not a wrong read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nt351-file-reader-'));
    try {
      const path = join(dir, 'ntoskrnl.exe');
      const bytes = readFileSync('fixtures/imagesets/kb138713-x86-up/WINNT35/SYSTEM32/NTOSKRNL.EXE');
      writeFileSync(path, bytes);
      const { open } = counted(path);
      const image = PeImage.open(open, path);
      image.release();
      writeFileSync(path, bytes.subarray(0, bytes.length - 512));
      expect(() => image.exports()).toThrow(MalformedPeError);
      expect(() => image.exports()).toThrow(/file\.size: was 0x/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('resolve over files opened on demand', () => {
  it('gives the report of resolve over whole bytes, with one file open at a time', () => {
    const files = collectImages(['fixtures/imagesets/kb138713-x86-up', 'fixtures/imagesets/sp3-x86-up']);
    let open = 0;
    let most = 0;
    const inputs = files.map((path) => ({
      path,
      open: (): RangeSource => {
        const f = openRegularFile(path, 2 ** 30);
        most = Math.max(most, ++open);
        const close = () => {
          open--;
          f.close();
        };
        return { size: f.size, read: (into, at) => f.read(into, at), close };
      },
    }));
    const ranged = resolveImages(inputs, 'kernel');
    const whole = resolveImages(
      files.map((path) => ({ path, bytes: new Uint8Array(readFileSync(path)) })),
      'kernel',
    );
    expect(ranged).toEqual(whole);
    expect(ranged.summary.missing).toBeGreaterThan(0);
    expect(open).toBe(0);
    expect(most).toBe(1);
  });
});
