// Reading a user's input file with its type and size checked first: a link, FIFO, device or folder
// is refused (a FIFO would block, /dev/zero never ends), and a file over its limit is refused before
// any of it is read. Opened with O_NOFOLLOW and O_NONBLOCK, then fstat'ed, so what is checked is what
// is read; at most the size fstat gave is read, even if the file grows meanwhile.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** Limits on input files (docs/robustness.md, "Input limits"). */
export const INPUT_LIMITS = {
  /** machine.yaml, a media SERVICES.YAML, a scenario file. */
  yaml: 1024 * 1024,
  /** A media SETUP.INF or UPDATE.INF (the fixtures' are about 1 KiB). */
  inf: 1024 * 1024,
  /** An image (kernel, HAL, driver) in an image set, on media or given to run-driver: NT 3.51's are under 2 MiB. */
  image: 64 * 1024 * 1024,
} as const;

/** An input file that is not a regular file, is too large or cannot be read: `path` and `reason`. */
export class InputFileError extends Error {
  override readonly name = 'InputFileError';
  constructor(
    readonly path: string,
    readonly reason: string,
    /** The file-system error code (ENOENT, EACCES…) when there was one. */
    readonly code: string | null = null,
  ) {
    super(`${path}: ${reason}`);
  }
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'is a symbolic link',
  EISDIR: 'is a directory, expected a file',
  ENOTDIR: 'a part of the path is not a folder',
};

/**
 * The bytes of regular file `path`, at most `limit` of them; throws InputFileError otherwise.
 * `follow` allows a symbolic link as the last component (a path the user typed); files found inside an
 * image set or on media are never read through a link.
 */
export function readRegularFile(path: string, limit: number, follow = false): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | (follow ? 0 : constants.O_NOFOLLOW));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new InputFileError(path, REASONS[code] ?? `cannot be read (${code})`, code);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new InputFileError(path, 'is a directory, expected a file', 'EISDIR');
    if (!st.isFile()) throw new InputFileError(path, 'is not a regular file (a device, FIFO or socket)');
    if (st.size > limit)
      throw new InputFileError(
        path,
        `is ${st.size} bytes; the limit for this kind of file is ${limit}`,
        'EFBIG',
      );
    const bytes = new Uint8Array(st.size);
    let off = 0;
    while (off < bytes.length) {
      const n = readSync(fd, bytes, off, bytes.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return off === bytes.length ? bytes : bytes.subarray(0, off);
  } catch (e) {
    if (e instanceof InputFileError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new InputFileError(path, REASONS[code] ?? `cannot be read (${code})`, code);
  } finally {
    closeSync(fd);
  }
}
