// A registry hive file (regf) opened over one buffer: the base block with its checksum, the hive bins it
// declares, cell lookup inside them, and lookup of keys by path from the root key.
import { baseBlockChecksum } from './checksum.js';
import { RegKey } from './key.js';
import {
  BASE_BLOCK as BASE_BLOCK_,
  CELL as CELL_,
  HBASE_FORMAT_MEMORY as HBASE_FORMAT_MEMORY_,
  HBIN as HBIN_,
  HBIN_SIGNATURE as HBIN_SIGNATURE_,
  HBLOCK_SIZE as HBLOCK_SIZE_,
  HFILE_TYPE_PRIMARY as HFILE_TYPE_PRIMARY_,
  HSYS_MAJOR as HSYS_MAJOR_,
  REGF_SIGNATURE as REGF_SIGNATURE_,
} from './layout.js';
import { HiveReader } from './reader.js';

// Module-level copies: a bundler's live bindings (tsx, vitest) make each imported constant a getter call.
const BASE_BLOCK = BASE_BLOCK_;
const CELL = CELL_;
const HBASE_FORMAT_MEMORY = HBASE_FORMAT_MEMORY_;
const HBIN = HBIN_;
const HBIN_SIGNATURE = HBIN_SIGNATURE_;
const HBLOCK_SIZE = HBLOCK_SIZE_;
const HFILE_TYPE_PRIMARY = HFILE_TYPE_PRIMARY_;
const HSYS_MAJOR = HSYS_MAJOR_;
const REGF_SIGNATURE = REGF_SIGNATURE_;

/** The base block's fields. */
export interface BaseBlock {
  sequence1: number;
  sequence2: number;
  /** FILETIME of the last write. */
  timestamp: bigint;
  major: number;
  minor: number;
  type: number;
  format: number;
  /** Offset of the root key's cell, relative to the first hive bin. */
  rootCell: number;
  /** Declared size of the hive bins data, in bytes. */
  hiveBinsSize: number;
  cluster: number;
  /** The file name NT recorded for debugging (UTF-16, up to 32 characters). */
  fileName: string;
  checksum: number;
  /** The checksum computed over the first 508 bytes. */
  computedChecksum: number;
}

/** One hive bin: absolute file offsets of its start and end. */
export interface HiveBin {
  start: number;
  end: number;
}

/** A cell found by its offset: where its data starts (file offset) and how many bytes it holds. */
export interface Cell {
  /** The cell's offset relative to the first hive bin (as stored in the hive). */
  offset: number;
  /** File offset of the cell's data (after the size field). */
  data: number;
  /** Bytes of data in the cell (its size less the size field). */
  size: number;
}

/** Options for {@link Hive.parse}. */
export interface HiveOptions {
  /** Accept a base block whose checksum does not match (NT would recover it from the log). */
  ignoreChecksum?: boolean;
}

/** Longest path, in keys, that {@link Hive.openKey} follows (NT's limit is 512 levels). */
export const MAX_KEY_DEPTH = 512;

/** A parsed registry hive: zero-copy over the caller's bytes. */
export class Hive {
  readonly reader: HiveReader;
  readonly header: BaseBlock;
  readonly bins: readonly HiveBin[];

  private constructor(reader: HiveReader, header: BaseBlock, bins: HiveBin[]) {
    this.reader = reader;
    this.header = header;
    this.bins = bins;
  }

  /** File label used in errors. */
  get file(): string {
    return this.reader.file;
  }

  /**
   * Opens a hive: checks the base block (signature, major version 1, primary file, memory format,
   * checksum), then every hive bin the base block declares (signature, offset, size), against the file's
   * length. Throws MalformedHiveError for anything else.
   */
  static parse(bytes: Uint8Array, file = 'hive', options: HiveOptions = {}): Hive {
    const r = new HiveReader(bytes, file);
    const B = BASE_BLOCK;
    const s = 'base block';
    r.check(0, HBLOCK_SIZE, s, 'size');
    if (r.u32(B.Signature, s, 'Signature') !== REGF_SIGNATURE) {
      throw r.error(0, s, 'Signature', 'not a registry hive: the file does not start with "regf"');
    }
    const header: BaseBlock = {
      sequence1: r.u32(B.Sequence1, s, 'Sequence1'),
      sequence2: r.u32(B.Sequence2, s, 'Sequence2'),
      timestamp: r.u64(B.TimeStamp, s, 'TimeStamp'),
      major: r.u32(B.Major, s, 'Major'),
      minor: r.u32(B.Minor, s, 'Minor'),
      type: r.u32(B.Type, s, 'Type'),
      format: r.u32(B.Format, s, 'Format'),
      rootCell: r.u32(B.RootCell, s, 'RootCell'),
      hiveBinsSize: r.u32(B.Length, s, 'Length'),
      cluster: r.u32(B.Cluster, s, 'Cluster'),
      fileName: r.name(B.FileName, B.FileNameSize, false, s, 'FileName').replace(/\0.*$/s, ''),
      checksum: r.u32(B.CheckSum, s, 'CheckSum'),
      computedChecksum: baseBlockChecksum(bytes),
    };
    if (header.major !== HSYS_MAJOR) {
      throw r.error(B.Major, s, 'Major', `major version ${header.major}, expected ${HSYS_MAJOR}`);
    }
    if (header.type !== HFILE_TYPE_PRIMARY) {
      throw r.error(B.Type, s, 'Type', `file type ${header.type} is not a primary hive (a log file?)`);
    }
    if (header.format !== HBASE_FORMAT_MEMORY) {
      throw r.error(B.Format, s, 'Format', `format ${header.format}, expected ${HBASE_FORMAT_MEMORY}`);
    }
    if (!options.ignoreChecksum && header.checksum !== header.computedChecksum) {
      throw r.error(
        B.CheckSum,
        s,
        'CheckSum',
        `checksum 0x${header.checksum.toString(16)} does not match the computed 0x${header.computedChecksum.toString(16)}`,
      );
    }
    const size = header.hiveBinsSize;
    if (size === 0 || size % HBLOCK_SIZE !== 0) {
      throw r.error(
        B.Length,
        s,
        'Length',
        `hive bins size 0x${size.toString(16)} is not a positive multiple of 4096`,
      );
    }
    if (HBLOCK_SIZE + size > bytes.length) {
      throw r.error(
        B.Length,
        s,
        'Length',
        `declares 0x${size.toString(16)} bytes of hive bins but the file holds 0x${(bytes.length - HBLOCK_SIZE).toString(16)}`,
      );
    }
    const bins: HiveBin[] = [];
    const end = HBLOCK_SIZE + size;
    for (let p = HBLOCK_SIZE; p < end; ) {
      const h = 'hbin';
      if (r.u32(p + HBIN.Signature, h, 'Signature') !== HBIN_SIGNATURE) {
        throw r.error(p, h, 'Signature', 'expected a hive bin ("hbin") here');
      }
      const at = r.u32(p + HBIN.FileOffset, h, 'FileOffset');
      if (at !== p - HBLOCK_SIZE) {
        throw r.error(
          p + HBIN.FileOffset,
          h,
          'FileOffset',
          `says 0x${at.toString(16)}, is at 0x${(p - HBLOCK_SIZE).toString(16)}`,
        );
      }
      const binSize = r.u32(p + HBIN.Size, h, 'Size');
      if (binSize === 0 || binSize % HBLOCK_SIZE !== 0 || p + binSize > end) {
        throw r.error(
          p + HBIN.Size,
          h,
          'Size',
          `size 0x${binSize.toString(16)} is not a multiple of 4096 inside the declared hive bins`,
        );
      }
      bins.push({ start: p, end: p + binSize });
      p += binSize;
    }
    return new Hive(r, header, bins);
  }

  /** The bin holding file offset `at`, or undefined. */
  private binOf(at: number): HiveBin | undefined {
    let lo = 0;
    let hi = this.bins.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const b = this.bins[mid]!;
      if (at < b.start) hi = mid - 1;
      else if (at >= b.end) lo = mid + 1;
      else return b;
    }
    return undefined;
  }

  /**
   * The allocated cell at `offset` (relative to the first hive bin), read for `structure`: it must lie
   * inside one hive bin, past its header, 8-byte aligned, allocated (negative size), and hold at least
   * `minSize` bytes of data.
   */
  cell(offset: number, structure: string, field: string, minSize = 0): Cell {
    const r = this.reader;
    const at = HBLOCK_SIZE + offset;
    const bin = offset % 8 === 0 ? this.binOf(at) : undefined;
    if (!bin || at < bin.start + HBIN.size) {
      throw r.error(
        at,
        structure,
        field,
        `cell offset 0x${offset.toString(16)} is not an aligned cell inside a hive bin`,
      );
    }
    const raw = r.i32(at + CELL.Size, structure, 'cell size');
    if (raw >= 0)
      throw r.error(at, structure, field, `cell at 0x${offset.toString(16)} is free (size ${raw})`);
    const size = -raw;
    if (size < 8 || at + size > bin.end) {
      throw r.error(at, structure, 'cell size', `cell size ${size} runs outside its hive bin`);
    }
    if (size - 4 < minSize) {
      throw r.error(at, structure, 'cell size', `cell holds ${size - 4} bytes, needs at least ${minSize}`);
    }
    return { offset, data: at + CELL.Data, size: size - 4 };
  }

  /** The root key. */
  root(): RegKey {
    return this.reader.operation(() => {
      return new RegKey(this, this.header.rootCell);
    });
  }

  /**
   * The key at `path` below the root (`ControlSet001\Services\Srv`; case-insensitive, as NT compares
   * names; empty components are ignored), or null when a component does not exist.
   */
  openKey(path: string): RegKey | null {
    return this.reader.operation(() => {
      let key: RegKey | null = this.root();
      const parts = path.split('\\').filter((p) => p !== '');
      if (parts.length > MAX_KEY_DEPTH) return null;
      for (const part of parts) {
        key = key.subkey(part);
        if (!key) return null;
      }
      return key;
    });
  }
}
