// PeImage: one parsed image over one Uint8Array, or over a file read on demand (PeImage.open). Maps RVAs
// to file bytes as NT's image mapper lays sections out, and gives lazy, memoised access to each data
// directory's interpreter.

import { alignUp } from './align.js';
import { computeChecksum } from './checksum.js';
import { MalformedPeError } from './errors.js';
import { type ExportTable, parseExports } from './exports.js';
import { FileReader, type RangeSource } from './file-reader.js';
import { type DataDirectory, type Headers, parseHeaders, type SectionHeader } from './headers.js';
import { type BoundImport, type ImportModule, parseBoundImports, parseImports } from './imports.js';
import { DirectoryEntry } from './layout.js';
import { ByteReader } from './reader.js';
import { parseRelocations, type RelocationBlock } from './relocs.js';
import { parseVersion, type VersionInfo } from './resources.js';
import { type FileOffset, fileOffset, type Rva } from './types.js';

/** One contiguous stretch of the mapped image (the headers or a section) and the file bytes behind it. */
export interface Span {
  rva: number;
  /** Bytes the span occupies in the mapped image. */
  mappedSize: number;
  /** File offset of the span's first byte. */
  offset: number;
  /** Leading bytes of the span backed by the file; the rest reads as zeros. */
  backedSize: number;
  /** The section this span maps, or undefined for the headers. */
  section: SectionHeader | undefined;
}

/** A parsed PE image. Construction reads only the headers; directories are parsed on first use. */
export class PeImage {
  readonly reader: ByteReader;
  readonly headers: Headers;
  private readonly spans: Span[];
  private lastSpan: Span | undefined;
  /** Each directory's result, or the MalformedPeError its parse threw (parsing is deterministic). */
  private memo = new Map<string, { value: unknown } | { error: MalformedPeError }>();

  private constructor(reader: ByteReader) {
    this.reader = reader;
    this.headers = parseHeaders(reader);
    this.spans = buildSpans(this.headers, reader.length);
  }

  /** Parses the headers of `bytes` (not copied). `file` names the input in errors. */
  static parse(bytes: Uint8Array, file = '<buffer>'): PeImage {
    return new PeImage(new ByteReader(bytes, file));
  }

  /**
   * Parses the headers of the file `open` opens, reading only them; directories read their own ranges
   * when first asked for. `release()` closes the file (so does a malformed header); a directory asked
   * for later opens it again. `bytes`, `checksum()` and the loader's mapping read the whole file.
   */
  static open(open: () => RangeSource, file: string): PeImage {
    const reader = FileReader.open(open, file);
    try {
      return new PeImage(reader);
    } catch (e) {
      reader.release();
      throw e;
    }
  }

  /**
   * Lets go of the file behind an image from `open()` (closed, its buffers reused): the headers and
   * every directory already parsed (or failed) stay available; anything else read later opens the
   * file again. No effect on an image parsed from bytes.
   */
  release(): void {
    this.reader.release();
  }

  get file(): string {
    return this.reader.file;
  }
  get bytes(): Uint8Array {
    return this.reader.bytes;
  }
  get is64(): boolean {
    return this.headers.optionalHeader.is64;
  }
  get sections(): SectionHeader[] {
    return this.headers.sections;
  }

  /**
   * How NT's image mapper lays the file out in memory: the headers and each section, with the file
   * bytes that back each one (the rest is zero fill). The loader maps images from this.
   */
  layout(): readonly Readonly<Span>[] {
    return [...this.spans].reverse();
  }

  /** The data directory at `index` when present (non-zero RVA and size), else null. */
  directory(index: number): DataDirectory | null {
    const d = this.headers.dataDirectories[index];
    return d && d.rva !== 0 && d.size !== 0 ? d : null;
  }

  /** The section whose mapped range holds `rva`, if any. */
  sectionOf(at: Rva): SectionHeader | undefined {
    return this.span(at)?.section;
  }

  /** File offset holding the byte at `rva`, or null when the byte is not backed by the file. */
  rvaToOffset(at: Rva): FileOffset | null {
    const s = this.span(at);
    if (!s) return null;
    const delta = at - s.rva;
    return delta < s.backedSize ? fileOffset(s.offset + delta) : null;
  }

  /**
   * File offset of [rva, rva+size) when every byte of it is backed by the file within one span (so
   * reads there cannot fail), else null (unmapped, or partly zero fill).
   */
  fileRange(at: Rva, size: number): FileOffset | null {
    const s = this.span(at);
    if (!s) return null;
    const delta = at - s.rva;
    return delta + size <= s.backedSize ? fileOffset(s.offset + delta) : null;
  }

  /** How many bytes from `rva` on are backed by the file in its span (0 when unmapped or zero fill). */
  backedBytesAt(at: Rva): number {
    const s = this.span(at);
    return s ? Math.max(0, s.backedSize - (at - s.rva)) : 0;
  }

  /** True when [rva, rva+size) lies inside the mapped image (headers or a section). */
  isMapped(at: Rva, size = 1): boolean {
    const s = this.span(at);
    return s !== undefined && at + size <= s.rva + s.mappedSize;
  }

  readU16(at: Rva, structure: string, field: string): number {
    const o = this.locate(at, 2, structure, field);
    return o === null ? this.gather(at, 2, structure, field) : this.reader.u16(o, structure, field);
  }

  readU32(at: Rva, structure: string, field: string): number {
    const o = this.locate(at, 4, structure, field);
    return o === null ? this.gather(at, 4, structure, field) : this.reader.u32(o, structure, field);
  }

  readU64(at: Rva, structure: string, field: string): bigint {
    const o = this.locate(at, 8, structure, field);
    if (o !== null) return this.reader.u64(o, structure, field);
    const lo = this.gather(at, 4, structure, field);
    const hi = this.gather((at + 4) as Rva, 4, structure, field);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /**
   * A NUL-terminated 8-bit string at `rva`, at most `maxLength` bytes. The terminator may be the zero
   * fill that follows a section's file-backed bytes in memory; a string in zero fill is empty.
   */
  readCString(at: Rva, maxLength: number, structure: string, field: string): string {
    const s = this.requireSpan(at, structure, field);
    const delta = at - s.rva;
    if (delta >= s.backedSize) return '';
    const start = s.offset + delta;
    const backedEnd = s.offset + s.backedSize;
    const end = Math.min(backedEnd, start + maxLength + 1);
    const nul = this.reader.indexOfNul(start, end);
    if (nul >= 0) return this.reader.latin1(start, nul);
    if (end === backedEnd && end - start <= maxLength && s.mappedSize > s.backedSize) {
      return this.reader.latin1(start, end);
    }
    throw this.reader.error(start, structure, field, `no NUL terminator within ${maxLength} bytes`);
  }

  /** A view of [rva, rva+size), which must be entirely backed by the file. */
  readBytes(at: Rva, size: number, structure: string, field: string): Uint8Array {
    const o = this.locate(at, size, structure, field);
    if (o === null) {
      throw this.reader.error(
        -1,
        structure,
        field,
        `${size} byte(s) at RVA 0x${at.toString(16)} are not all backed by the file`,
      );
    }
    return this.reader.slice(o, size, structure, field);
  }

  private memoised<T>(key: string, parse: () => T): T {
    const known = this.memo.get(key);
    if (known) {
      if ('error' in known) throw known.error;
      return known.value as T;
    }
    try {
      const value = parse();
      this.memo.set(key, { value });
      return value;
    } catch (e) {
      if (e instanceof MalformedPeError) this.memo.set(key, { error: e });
      throw e;
    }
  }

  /** The export directory, or null when the image has none. */
  exports(): ExportTable | null {
    return this.memoised('exports', () => parseExports(this, this.directory(DirectoryEntry.EXPORT)));
  }
  /** Import descriptors with their thunks, in table order. */
  imports(): ImportModule[] {
    return this.memoised('imports', () => parseImports(this, this.directory(DirectoryEntry.IMPORT)));
  }
  /** The bound-import directory (header-resident), if any. */
  boundImports(): BoundImport[] {
    return this.memoised('bound', () => parseBoundImports(this, this.directory(DirectoryEntry.BOUND_IMPORT)));
  }
  /** Base relocation blocks. */
  relocations(): RelocationBlock[] {
    return this.memoised('relocs', () => parseRelocations(this, this.directory(DirectoryEntry.BASERELOC)));
  }
  /** The version resource (first RT_VERSION entry), or null when absent. */
  version(): VersionInfo | null {
    return this.memoised('version', () => parseVersion(this, this.directory(DirectoryEntry.RESOURCE)));
  }
  /** The header's CheckSum and the one NT's algorithm computes over the file. */
  checksum(): { header: number; computed: number } {
    return this.memoised('checksum', () => ({
      header: this.headers.optionalHeader.checkSum,
      computed: computeChecksum(this.reader.bytes, this.headers.optionalHeader.checkSumOffset),
    }));
  }

  private span(at: number): Span | undefined {
    const last = this.lastSpan;
    if (last && at >= last.rva && at < last.rva + last.mappedSize) return last;
    for (const s of this.spans) {
      if (at >= s.rva && at < s.rva + s.mappedSize) {
        this.lastSpan = s;
        return s;
      }
    }
    return undefined;
  }

  private requireSpan(at: number, structure: string, field: string): Span {
    const s = this.span(at);
    if (!s) {
      throw this.reader.error(
        -1,
        structure,
        field,
        `RVA 0x${(at >>> 0).toString(16)} is outside the headers and every section`,
      );
    }
    return s;
  }

  /** File offset for a fully backed [rva, rva+size), or null when part of it is zero-fill. */
  private locate(at: number, size: number, structure: string, field: string): number | null {
    const s = this.requireSpan(at, structure, field);
    const delta = at - s.rva;
    if (delta + size <= s.backedSize) return s.offset + delta;
    if (delta + size > s.mappedSize && !this.span(s.rva + s.mappedSize)) {
      throw this.reader.error(
        -1,
        structure,
        field,
        `${size} byte(s) at RVA 0x${at.toString(16)} run past the end of ${s.section?.name ?? 'the headers'}`,
      );
    }
    return null;
  }

  /** Little-endian value assembled byte by byte across zero-fill or span boundaries. */
  private gather(at: number, size: number, structure: string, field: string): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) {
      const s = this.requireSpan(at + i, structure, field);
      const d = at + i - s.rva;
      const b = d < s.backedSize ? this.reader.u8(s.offset + d, structure, field) : 0;
      v = v * 256 + b;
    }
    return v;
  }
}

function buildSpans(h: Headers, fileLength: number): Span[] {
  const o = h.optionalHeader;
  const spans: Span[] = [];
  const headerSize = o.sizeOfHeaders || fileLength;
  spans.push({
    rva: 0,
    mappedSize: alignUp(headerSize, o.sectionAlignment),
    offset: 0,
    backedSize: Math.min(headerSize, fileLength),
    section: undefined,
  });
  // Windows' image mapper reads raw data from PointerToRawData rounded down to a 0x200 sector when
  // FileAlignment is at least 0x200 (pefile's adjust_FileAlignment follows it); small-alignment images
  // (NT 3.x drivers) use the value as is.
  const sector = o.fileAlignment >= 0x200 ? 0x200 : 1;
  for (const s of h.sections) {
    const offset = Math.floor(s.pointerToRawData / sector) * sector;
    const mappedSize = alignUp(s.virtualSize || s.sizeOfRawData, o.sectionAlignment);
    const inFile = Math.max(0, fileLength - offset);
    const backedSize = s.sizeOfRawData === 0 ? 0 : Math.min(s.sizeOfRawData, mappedSize, inFile);
    spans.push({ rva: s.virtualAddress, mappedSize, offset, backedSize, section: s });
  }
  // Sections win over the header span where they overlap (a section mapped at RVA 0 is malformed anyway).
  spans.reverse();
  return spans;
}
