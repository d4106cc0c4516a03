// Reading user inputs for the CLI: typed errors for missing or unreadable paths, directory walking
// that never follows symlinked directories, and a size cap. The user's files are only read.
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** An input path that cannot be used, with a one-line reason for the user. */
export class InputError extends Error {
  override readonly name = 'InputError';
  readonly path: string;
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.path = path;
  }
}

/** Files larger than this are refused rather than read into memory. */
export const MAX_INPUT_BYTES = 512 * 1024 * 1024;

function describe(path: string, e: unknown): InputError {
  const code = (e as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOENT'
      ? 'no such file or directory'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'is a directory, expected a file'
          : `cannot be read (${code ?? String(e)})`;
  return new InputError(path, reason);
}

/** Reads one file, which must be a regular file. */
export function readInputFile(path: string): Uint8Array {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (e) {
    throw describe(path, e);
  }
  if (st.isDirectory()) throw new InputError(path, 'is a directory, expected a PE file');
  if (!st.isFile()) throw new InputError(path, 'is not a regular file');
  if (st.size > MAX_INPUT_BYTES)
    throw new InputError(path, `is ${st.size} bytes; the limit is ${MAX_INPUT_BYTES}`);
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw describe(path, e);
  }
}

/** True when the file begins with "MZ", the mark of a DOS/PE image. */
function startsWithMz(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x4d && b[1] === 0x5a;
  } catch (e) {
    throw describe(path, e);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Expands `paths` into image files: a file is taken as is; a directory is walked (sorted, symlinked
 * directories not followed) and its files that start with "MZ" are taken.
 */
export function collectImages(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (e) {
      throw describe(dir, e);
    }
    for (const name of names) {
      const p = join(dir, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if ((st.isFile() || (st.isSymbolicLink() && statSync(p).isFile())) && startsWithMz(p)) out.push(p);
    }
  };
  for (const p of paths) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch (e) {
      throw describe(p, e);
    }
    if (st.isDirectory()) walk(p);
    else out.push(p);
  }
  return out;
}
