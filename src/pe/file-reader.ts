// FileReader: the bounds-checked reader over a file that is not held in memory. It loads the ranges
// the parser reads, in windows of 64 KiB read at one go, so parsing the headers, exports and imports of
// a 30 MB DLL (mostly debug sections) reads a few hundred KiB. The file itself is reached through a
// RangeSource (positional reads) that the caller's function opens, again after each release when
// more is read: src/pe names no file system.
import { ByteReader } from './reader.js';

/** Positional reads from one file whose size is fixed when it is opened. */
export interface RangeSource {
  /** The file's size in bytes. */
  readonly size: number;
  /**
   * Fills `into` with the file's bytes from `position` on ([position, position+into.length) lies inside
   * the file); throws when it cannot (the file shrank or could not be read).
   */
  read(into: Uint8Array, position: number): void;
  /** Closes the file; no read follows. */
  close(): void;
}

/** Bytes loaded by one read (a window); tables larger than this get a window of their own size. */
export const WINDOW_BYTES = 64 * 1024;
/** Windows kept per reader: the export and import walks read from up to three places in turn. */
const WINDOWS = 4;
/** Window buffers kept for the next reader (files are parsed one after another, then released). */
const spare: Uint8Array[] = [];

/** Keeps a standard-size window buffer for the next reader. */
const keep = (buf: Uint8Array) => {
  if (buf.length === WINDOW_BYTES && spare.length < 2 * WINDOWS) spare.push(buf);
};

interface Window {
  start: number;
  end: number;
  buf: Uint8Array;
  view: DataView;
}

/**
 * A ByteReader that reads from a RangeSource on demand; `bytes` reads the whole file once. Released,
 * it holds no file and no buffer; a later read opens the file again (it must have kept its size).
 */
export class FileReader extends ByteReader {
  private source: RangeSource | null;
  private readonly reopen: () => RangeSource;
  private readonly windows: Window[] = [];
  private current: Window | null = null;
  private victim = 0;
  private whole: Uint8Array | null = null;

  private constructor(source: RangeSource, open: () => RangeSource, file: string) {
    super(new Uint8Array(0), file, source.size);
    this.source = source;
    this.reopen = open;
  }

  /** A reader over the file `open` opens (now, for its size, and again after each release). */
  static open(open: () => RangeSource, file: string): FileReader {
    return new FileReader(open(), open, file);
  }

  /** Reads the whole file into memory (once): for the checksum, the loader's mapping, resources. */
  override get bytes(): Uint8Array {
    if (!this.whole) {
      const all = new Uint8Array(this.length);
      this.open().read(all, 0);
      this.whole = all;
      this.dropWindows();
      this.current = { start: 0, end: this.length, buf: all, view: new DataView(all.buffer) };
      this.buf = all;
      this.view = this.current.view;
    }
    return this.whole;
  }

  /** Closes the file and hands the window buffers to the next reader; parsed tables stay valid. */
  override release(): void {
    this.source?.close();
    this.source = null;
    this.dropWindows();
    this.whole = null;
    this.current = null;
    this.buf = new Uint8Array(0);
    this.view = new DataView(this.buf.buffer);
  }

  /** A copy, not a view: window buffers are reused. */
  override slice(offset: number, size: number, structure: string, field: string): Uint8Array {
    return super.slice(offset, size, structure, field).slice();
  }

  protected override window(offset: number, size: number): number {
    const c = this.current;
    if (c !== null && offset >= c.start && offset + size <= c.end) return offset - c.start;
    for (const w of this.windows) {
      if (offset >= w.start && offset + size <= w.end) return this.use(w, offset);
    }
    return this.use(this.load(offset, size), offset);
  }

  private use(w: Window, offset: number): number {
    this.current = w;
    this.buf = w.buf;
    this.view = w.view;
    return offset - w.start;
  }

  /** Reads a window holding [offset, offset+size) from the 4 KiB boundary below it, replacing the oldest. */
  private load(offset: number, size: number): Window {
    const start = offset - (offset % 4096);
    const end = Math.min(this.length, Math.max(start + WINDOW_BYTES, offset + size));
    let w = this.windows.length < WINDOWS ? undefined : this.windows[this.victim];
    if (w === undefined) {
      w = { start: 0, end: 0, buf: spare.pop() ?? new Uint8Array(WINDOW_BYTES), view: undefined! };
      w.view = new DataView(w.buf.buffer, w.buf.byteOffset, w.buf.byteLength);
      this.windows.push(w);
    } else {
      this.victim = (this.victim + 1) % WINDOWS;
    }
    if (end - start > w.buf.length) {
      keep(w.buf);
      w.buf = new Uint8Array(end - start);
      w.view = new DataView(w.buf.buffer);
    }
    w.start = start;
    w.end = end;
    this.open().read(w.buf.subarray(0, end - start), start);
    return w;
  }

  private open(): RangeSource {
    if (this.source) return this.source;
    const source = this.reopen();
    if (source.size !== this.length) {
      source.close();
      throw this.error(
        -1,
        'file',
        'size',
        `was 0x${this.length.toString(16)} bytes, now 0x${source.size.toString(16)}`,
      );
    }
    this.source = source;
    return source;
  }

  private dropWindows(): void {
    for (const w of this.windows) keep(w.buf);
    this.windows.length = 0;
    this.victim = 0;
  }
}
