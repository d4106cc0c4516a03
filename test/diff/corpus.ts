// The differential corpus: our fixture images plus real PE files from Debian packages we did not build
// (nsis-common's plugins and stubs, clamav-testfiles), installed by scripts/setup.sh.
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';

const here = new URL('../..', import.meta.url).pathname;

function filesUnder(dir: string, accept: (name: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, accept));
    else if (accept(name)) out.push(p);
  }
  return out;
}

const isPeName = (n: string) => /\.(exe|dll|sys|efi)$/i.test(n);

/** True when the file starts with "MZ" (some NSIS stubs are raw data, not PE images). */
function startsWithMz(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b.toString('latin1') === 'MZ';
  } finally {
    closeSync(fd);
  }
}

/** Fixture images we built (fixtures/bin and the image sets). */
export const fixtureFiles = (): string[] => filesUnder(join(here, 'fixtures'), isPeName);

/** Real PE files from Debian packages. */
export const debianFiles = (): string[] =>
  [
    ...filesUnder('/usr/share/nsis/Plugins', isPeName),
    ...filesUnder('/usr/share/nsis/Stubs', () => true),
    ...filesUnder('/usr/share/nsis/Contrib/UIs', isPeName),
    ...filesUnder('/usr/share/clamav-testfiles', (n) => /\.exe$/i.test(n)),
  ].filter(startsWithMz);
