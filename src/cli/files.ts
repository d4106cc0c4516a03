// Reading user inputs and writing outputs for the CLI: typed errors for missing, unreadable or
// unwritable paths (one line each), directory walking that never follows symlinked directories, and a
// size cap. The user's input files are only read.
import {
  closeSync,
  type Dirent,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
} from 'node:fs';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputFileError, type OpenFile, openRegularFile, readRegularFile } from '../input/index.js';

/** The system layer, loaded by the commands that write outputs (resolve and inspect never do). */
const system = () => import('../system/index.js');

/** The nt351 package's own folder (the repository root in a checkout): dist/cli/ or src/cli/ up two. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A path from the command line: as given when it exists; else, when it is relative and under
 * `fixtures/` or `scenarios/`, the package's own copy (the NT 3.51 image sets, media, kernels and
 * scenarios README.md uses), so `npx nt351 boot fixtures/imagesets/kb138713-x86-up` runs in any
 * folder. A path that exists nowhere is returned as given, for the usual "no such file" message.
 */
export function examplePath(path: string): string {
  if (isAbsolute(path) || existsPath(path)) return path;
  const rel = normalize(path);
  if (!/^(fixtures|scenarios)[\\/]/.test(rel)) return path;
  const packaged = join(PACKAGE_ROOT, rel);
  return existsPath(packaged) ? packaged : path;
}

/** The version in the package's package.json (`nt351 --version`; bin/nt351.js reads the same field). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;
}

function existsPath(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

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
          : code === 'ENOTDIR'
            ? 'a part of the path is not a folder'
            : code === 'ENOSPC'
              ? 'no space left on the device'
              : code === 'EROFS'
                ? 'read-only file system'
                : `cannot be used (${code ?? String(e)})`;
  return new InputError(path, reason);
}

/** Reads one file, which must be a regular file of at most MAX_INPUT_BYTES (a link to one is followed). */
export function readInputFile(path: string): Uint8Array {
  try {
    return readRegularFile(path, MAX_INPUT_BYTES, true);
  } catch (e) {
    if (!(e instanceof InputFileError)) throw e;
    throw new InputError(path, e.code === 'EISDIR' ? 'is a directory, expected a PE file' : e.reason);
  }
}

/**
 * Opens one input file for positional reads, with readInputFile's checks and messages; its reads
 * throw InputError too. The caller closes it.
 */
export function openInputFile(path: string): OpenFile {
  const asInputError = (e: unknown) => {
    if (!(e instanceof InputFileError)) return e;
    return new InputError(path, e.code === 'EISDIR' ? 'is a directory, expected a PE file' : e.reason);
  };
  let file: OpenFile;
  try {
    file = openRegularFile(path, MAX_INPUT_BYTES, true);
  } catch (e) {
    throw asInputError(e);
  }
  return {
    path,
    size: file.size,
    read(into, position) {
      try {
        file.read(into, position);
      } catch (e) {
        throw asInputError(e);
      }
    },
    close: () => file.close(),
  };
}

const mzProbe = new Uint8Array(2);

/** True when the file begins with "MZ", the mark of a DOS/PE image. */
function startsWithMz(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const b = mzProbe;
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x4d && b[1] === 0x5a;
  } catch (e) {
    throw describe(path, e);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A symlink to a regular file; a dangling link or one to anything else is skipped by walks. */
function isFileBehindLink(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Expands `paths` into image files: a file is taken as is; a directory is walked (sorted, symlinked
 * directories not followed) and its files that start with "MZ" are taken.
 */
export function collectImages(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries: Dirent[];
    try {
      // The entries' types come with the listing (no lstat per file; Node lstats when the file system
      // does not give them).
      entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      );
    } catch (e) {
      throw describe(dir, e);
    }
    for (const entry of entries) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if ((entry.isFile() || (entry.isSymbolicLink() && isFileBehindLink(p))) && startsWithMz(p))
        out.push(p);
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

/** A bad command line (a flag's value out of range): exit 64. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** An output path that cannot be written, with a one-line reason: exit 73. */
export class OutputError extends Error {
  override readonly name = 'OutputError';
  readonly path: string;
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.path = path;
  }
}

/** A Node.js file-system error (ENOENT, EACCES…) as an InputError naming its path, else null. */
export function inputErrorOf(e: unknown): InputError | null {
  if (e instanceof InputFileError) return new InputError(e.path, e.reason);
  const err = e as NodeJS.ErrnoException;
  if (!(e instanceof Error) || typeof err.code !== 'string' || typeof err.path !== 'string') return null;
  return describe(err.path, e);
}

/** Checks, before any work is done, that `path` can be created or overwritten as a file. */
export function checkOutputFile(path: string): void {
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = lstatSync(path);
  } catch {
    st = undefined;
  }
  if (st?.isSymbolicLink())
    throw new OutputError(path, 'is a symbolic link; outputs are never written through links');
  if (st?.isDirectory()) throw new OutputError(path, 'is a directory, expected a file to write');
  if (st && !st.isFile()) throw new OutputError(path, 'is not a regular file');
  const parent = dirname(path);
  let pst: ReturnType<typeof statSync>;
  try {
    pst = statSync(parent);
  } catch {
    throw new OutputError(path, `folder ${parent} does not exist`);
  }
  if (!pst.isDirectory()) throw new OutputError(path, `${parent} is not a folder`);
}

/**
 * Checks that `dir` is a folder or can be made one (it or its nearest existing parent is a folder),
 * outside the `protect`ed folders.
 */
export async function checkOutputDir(dir: string, protect: (string | null)[] = []): Promise<void> {
  const { checkNotInside, OutputPathError } = await system();
  try {
    checkNotInside(dir, protect);
  } catch (e) {
    if (e instanceof OutputPathError) throw new OutputError(dir, e.reason);
    throw e;
  }
  for (let at = dir; ; at = dirname(at)) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(at);
    } catch {
      if (dirname(at) === at) return;
      continue;
    }
    if (!st.isDirectory())
      throw new OutputError(dir, at === dir ? 'is not a folder' : `${at} is not a folder`);
    return;
  }
}

/**
 * Writes a file, turning a failure into an OutputError: never through a symbolic link, never to a
 * FIFO or device (src/system/output-files.ts); `protect` lists folders the file must not be in.
 */
export async function writeOutputFile(
  path: string,
  data: string | Uint8Array,
  protect: (string | null)[] = [],
): Promise<void> {
  const { checkNotInside, OutputPathError, writeOutputBytes } = await system();
  try {
    checkNotInside(path, protect);
    writeOutputBytes(path, data);
  } catch (e) {
    if (e instanceof OutputPathError) throw new OutputError(path, e.reason);
    throw new OutputError(path, reasonOf(e));
  }
}

/** The one-line reason for a file-system error. */
export function reasonOf(e: unknown): string {
  // Errors of nt351's own (ImageSetError, OutputPathError) carry their reason.
  const own = (e as { reason?: unknown }).reason;
  if (e instanceof Error && typeof own === 'string') return own;
  return describe('', e).message.slice(2);
}

/**
 * Checks a path given on the command line names a regular file that can be opened for reading
 * (a FIFO or a device such as /dev/zero would block or never end).
 */
export function checkReadableFile(path: string): void {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (e) {
    throw describe(path, e);
  }
  if (st.isDirectory()) return;
  if (!st.isFile()) throw new InputError(path, 'is not a regular file');
  try {
    closeSync(openSync(path, 'r'));
  } catch (e) {
    throw describe(path, e);
  }
}
