// The differential corpus: our fixture images plus real PE files from Debian packages we did not build
// (nsis-common's plugins and stubs, clamav-testfiles), installed by scripts/setup.sh. Files are
// gathered as `nt351 resolve` gathers them: every file under the folders that starts with "MZ"
// (some NSIS stubs are raw data, not PE images).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { collectImages } from '../../src/cli/files.js';

const here = new URL('../..', import.meta.url).pathname;

/** PE images under the folders that exist (a folder of a package not installed is skipped). */
const imagesUnder = (...dirs: string[]): string[] => collectImages(dirs.filter((d) => existsSync(d)));

/** Fixture images we built (fixtures/bin, the media and the image sets). */
export const fixtureFiles = (): string[] => imagesUnder(join(here, 'fixtures'));

/** Real PE files from Debian packages. */
export const debianFiles = (): string[] =>
  imagesUnder(
    '/usr/share/nsis/Plugins',
    '/usr/share/nsis/Stubs',
    '/usr/share/nsis/Contrib/UIs',
    '/usr/share/clamav-testfiles',
  );
