// Writing outputs (a saved overlay, a rendered picture, a JUnit file) without being redirected: no
// file or folder below the output root is followed through a symbolic link, only regular files are
// written (never a FIFO or a device), nothing lands inside a protected folder (the image set, the
// media), and folders are made one at a time to a bounded depth (Node's recursive mkdir never returns
// on some /proc paths).
import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  realpathSync,
  writeSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** An output that would be unsafe or cannot be written: `path` and a one-line `reason`. */
export class OutputPathError extends Error {
  override readonly name = 'OutputPathError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/** Most folders an output path may create below its nearest existing folder. */
export const MAX_OUTPUT_DEPTH = 32;

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code ?? String(e);

/** `path`'s real location: the nearest existing ancestor resolved, the rest appended. */
function realLocation(path: string): string {
  const abs = resolve(path);
  const rest: string[] = [];
  for (let at = abs; ; at = dirname(at)) {
    try {
      return join(realpathSync(at), ...rest.reverse());
    } catch {
      if (dirname(at) === at) return abs;
      rest.push(at.slice(dirname(at).length).replace(/^[\\/]+/, ''));
    }
  }
}

const inside = (path: string, root: string) => {
  const r = relative(root, path);
  return r === '' || (!r.startsWith('..') && !r.startsWith(sep) && r !== '..');
};

/** Throws when `path` lies in (or is) one of the `protect`ed folders. */
export function checkNotInside(path: string, protect: readonly (string | null)[]): void {
  const real = realLocation(path);
  for (const root of protect) {
    if (!root) continue;
    const realRoot = realLocation(root);
    if (inside(real, realRoot))
      throw new OutputPathError(
        path,
        `is inside ${root}, which nt351 only reads; choose a folder outside it`,
      );
  }
}

/**
 * Makes folder `dir` (and missing parents), one level at a time and at most MAX_OUTPUT_DEPTH levels;
 * a level that exists must be a real folder, not a symbolic link (the user's own path above the
 * nearest existing folder is taken as it is).
 */
export function makeOutputDir(dir: string, below?: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    let st: ReturnType<typeof lstatSync> | undefined;
    try {
      st = lstatSync(at);
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw new OutputPathError(dir, `${at} cannot be used (${errno(e)})`);
    }
    if (st) {
      const own = below !== undefined && inside(at, resolve(below)) && at !== resolve(below);
      if (st.isSymbolicLink() && own)
        throw new OutputPathError(dir, `${at} is a symbolic link; outputs are never written through links`);
      if (!st.isDirectory() && !(st.isSymbolicLink() && !own))
        throw new OutputPathError(dir, `${at} is not a folder`);
      break;
    }
    missing.push(at);
    if (missing.length > MAX_OUTPUT_DEPTH)
      throw new OutputPathError(dir, `more than ${MAX_OUTPUT_DEPTH} folders would have to be made`);
    if (dirname(at) === at) break;
    at = dirname(at);
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw new OutputPathError(dir, `cannot make folder ${d} (${errno(e)})`);
      if (!lstatSync(d).isDirectory()) throw new OutputPathError(dir, `${d} is not a folder`);
    }
  }
}

/**
 * Writes `data` to `path` as a regular file: a symbolic link, FIFO, device or folder at `path` is
 * refused (O_NOFOLLOW, O_NONBLOCK, then fstat before anything is truncated).
 */
export function writeOutputBytes(path: string, data: string | Uint8Array): void {
  let st: ReturnType<typeof lstatSync> | undefined;
  try {
    st = lstatSync(path);
  } catch (e) {
    if (errno(e) !== 'ENOENT') throw new OutputPathError(path, `cannot be used (${errno(e)})`);
  }
  if (st?.isSymbolicLink())
    throw new OutputPathError(path, 'is a symbolic link; outputs are never written through links');
  if (st?.isDirectory()) throw new OutputPathError(path, 'is a directory, expected a file to write');
  if (st && !st.isFile()) throw new OutputPathError(path, 'is not a regular file');
  let fd: number;
  try {
    fd = openSync(
      path,
      constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK,
      0o644,
    );
  } catch (e) {
    const code = errno(e);
    throw new OutputPathError(
      path,
      code === 'ELOOP'
        ? 'is a symbolic link; outputs are never written through links'
        : code === 'ENOENT'
          ? 'its folder does not exist'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission denied'
            : code === 'EISDIR'
              ? 'is a directory, expected a file to write'
              : `cannot be written (${code})`,
    );
  }
  try {
    if (!fstatSync(fd).isFile()) throw new OutputPathError(path, 'is not a regular file');
    ftruncateSync(fd, 0);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
  } catch (e) {
    if (e instanceof OutputPathError) throw e;
    throw new OutputPathError(path, `cannot be written (${errno(e)})`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes files under folder `dir` (set-relative `\`-separated paths), refusing a `dir` inside a
 * protected folder, links anywhere below `dir`, and special files. Returns the paths written.
 */
export function writeOutputTree(
  dir: string,
  files: readonly { path: string; bytes: Uint8Array }[],
  protect: readonly (string | null)[],
): string[] {
  checkNotInside(dir, protect);
  makeOutputDir(dir);
  const written: string[] = [];
  for (const { path, bytes } of files) {
    const out = join(dir, ...path.split('\\'));
    makeOutputDir(dirname(out), dir);
    // Checked again once the folders exist: a link planted below dir cannot lead into the set.
    checkNotInside(out, protect);
    try {
      writeOutputBytes(out, bytes);
    } catch (e) {
      // Named by the file below dir, which is what was refused.
      if (e instanceof OutputPathError) throw new OutputPathError(dir, `${out}: ${e.reason}`);
      throw e;
    }
    written.push(out);
  }
  return written;
}
