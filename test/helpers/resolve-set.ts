// `nt351 resolve --kernel-mode` on an image set's folder, in-process, for the fixture tests.
import { readFileSync } from 'node:fs';
import { resolveImages } from '../../src/analysis/resolve.js';
import { collectImages } from '../../src/cli/files.js';

/** Every PE image under fixtures/imagesets/`set`, resolved with the kernel loader's rules. */
export const resolveImageSet = (set: string) =>
  resolveImages(
    collectImages([`fixtures/imagesets/${set}`]).map((path) => ({
      path,
      bytes: new Uint8Array(readFileSync(path)),
    })),
    'kernel',
  );
