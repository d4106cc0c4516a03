// Value keys ("vk") and their data: inline (at most 4 bytes, in the value key itself), in one cell, or as
// big data ("db" segments, hives of minor version 4 on); decoded by type, unknown types kept as bytes.
import type { Hive } from './hive.js';
import {
  BIG_DATA_MIN_MINOR as BIG_DATA_MIN_MINOR_,
  DB as DB_,
  REG as REG_,
  REG_TYPE_NAMES as REG_TYPE_NAMES_,
  SIG as SIG_,
  VALUE_BIG_SEGMENT as VALUE_BIG_SEGMENT_,
  VALUE_COMP_NAME as VALUE_COMP_NAME_,
  VALUE_INLINE as VALUE_INLINE_,
  VK as VK_,
} from './layout.js';
import { decodeUtf16 } from './reader.js';

// Module-level copies: a bundler's live bindings (tsx, vitest) make each imported constant a getter call.
const BIG_DATA_MIN_MINOR = BIG_DATA_MIN_MINOR_;
const DB = DB_;
const REG = REG_;
const REG_TYPE_NAMES = REG_TYPE_NAMES_;
const SIG = SIG_;
const VALUE_BIG_SEGMENT = VALUE_BIG_SEGMENT_;
const VALUE_COMP_NAME = VALUE_COMP_NAME_;
const VALUE_INLINE = VALUE_INLINE_;
const VK = VK_;

/** A value's data decoded by its type: text, a list of strings, a number, or raw bytes. */
export type RegData = string | string[] | number | bigint | Uint8Array;

/** One value of a key. */
export class RegValue {
  readonly hive: Hive;
  /** The value key's cell offset. */
  readonly offset: number;
  /** The value's name; "" for the key's default value. */
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  /** Data length in bytes (without the inline bit). */
  readonly length: number;
  /** True when the data lives in the value key itself. */
  readonly inline: boolean;
  private readonly dataField: number;
  private readonly dataFieldAt: number;

  /** Reads the value key at `offset`; throws MalformedHiveError unless it is a well-formed "vk" cell. */
  constructor(hive: Hive, offset: number) {
    const r = hive.reader;
    r.single();
    const s = 'vk';
    const c = hive.cell(offset, s, 'cell', VK.Name);
    if (r.u16(c.data + VK.Signature, s, 'Signature') !== SIG.vk) {
      throw r.error(c.data, s, 'Signature', `cell 0x${offset.toString(16)} is not a value key ("vk")`);
    }
    this.hive = hive;
    this.offset = offset;
    const nameLength = r.u16(c.data + VK.NameLength, s, 'NameLength');
    const raw = r.u32(c.data + VK.DataLength, s, 'DataLength');
    this.dataFieldAt = c.data + VK.Data;
    this.dataField = r.u32(this.dataFieldAt, s, 'Data');
    this.type = r.u32(c.data + VK.Type, s, 'Type');
    this.flags = r.u16(c.data + VK.Flags, s, 'Flags');
    if (VK.Name + nameLength > c.size) {
      throw r.error(c.data + VK.NameLength, s, 'NameLength', `name of ${nameLength} bytes overruns its cell`);
    }
    this.name = r.name(c.data + VK.Name, nameLength, (this.flags & VALUE_COMP_NAME) !== 0, s, 'Name');
    this.inline = raw >= VALUE_INLINE;
    this.length = this.inline ? raw - VALUE_INLINE : raw;
    if (this.inline && this.length > 4) {
      throw r.error(
        c.data + VK.DataLength,
        s,
        'DataLength',
        `inline data of ${this.length} bytes (at most 4 fit)`,
      );
    }
  }

  /** The type's name (`REG_SZ`…), or `REG_0x…` for a type NT does not define. */
  get typeName(): string {
    return REG_TYPE_NAMES[this.type] ?? `REG_0x${this.type.toString(16)}`;
  }

  /** The raw data: a view into the hive, or (big data only) a copy joining its segments. */
  data(): Uint8Array {
    return this.hive.reader.operation(() => {
      const hive = this.hive;
      const r = hive.reader;
      if (this.inline) return r.slice(this.dataFieldAt, this.length, 'vk', 'Data');
      if (this.length === 0) return new Uint8Array(0);
      const s = 'value data';
      const c = hive.cell(this.dataField, s, 'cell');
      if (hive.header.minor >= BIG_DATA_MIN_MINOR && this.length > VALUE_BIG_SEGMENT && c.size >= DB.size) {
        if (r.u16(c.data + DB.Signature, s, 'Signature') === SIG.db) return this.bigData(c.data);
      }
      if (c.size < this.length) {
        throw r.error(c.data, s, 'cell', `data of ${this.length} bytes overruns a cell of ${c.size} bytes`);
      }
      return r.slice(c.data, this.length, s, 'Data');
    });
  }

  /** Joins the segments of a big data record ("db") at file offset `at`. */
  private bigData(at: number): Uint8Array {
    const hive = this.hive;
    const r = hive.reader;
    const s = 'db';
    const count = r.u16(at + DB.Count, s, 'Count');
    if (this.length > r.length) {
      // Segments shared between lists could make more data than the file holds: refuse before copying.
      throw r.error(at, s, 'Count', `big data of ${this.length} bytes in a file of ${r.length}`);
    }
    if (count * VALUE_BIG_SEGMENT < this.length) {
      throw r.error(at + DB.Count, s, 'Count', `${count} segments cannot hold ${this.length} bytes`);
    }
    const list = hive.cell(r.u32(at + DB.List, s, 'List'), 'db segment list', 'cell', count * 4);
    const out = new Uint8Array(this.length);
    let done = 0;
    for (let i = 0; i < count && done < this.length; i++) {
      const seg = hive.cell(
        r.u32(list.data + 4 * i, 'db segment list', `Element[${i}]`),
        'db segment',
        'cell',
      );
      const take = Math.min(VALUE_BIG_SEGMENT, this.length - done);
      if (seg.size < take) {
        throw r.error(seg.data, 'db segment', 'cell', `segment of ${seg.size} bytes, needs ${take}`);
      }
      out.set(r.slice(seg.data, take, 'db segment', 'Data'), done);
      done += take;
    }
    return out;
  }

  /** REG_SZ, REG_EXPAND_SZ or REG_LINK text, up to its first NUL. */
  string(): string {
    return this.hive.reader.operation(() => {
      const text = decodeUtf16(this.data());
      const nul = text.indexOf('\0');
      return nul < 0 ? text : text.slice(0, nul);
    });
  }

  /** REG_MULTI_SZ strings, up to the empty string that ends the list. */
  strings(): string[] {
    return this.hive.reader.operation(() => {
      const out: string[] = [];
      for (const s of decodeUtf16(this.data()).split('\0')) {
        if (s === '') break;
        out.push(s);
      }
      return out;
    });
  }

  /** REG_DWORD (little-endian) or REG_DWORD_BIG_ENDIAN; data shorter than 4 bytes is malformed. */
  dword(): number {
    return this.hive.reader.operation(() => {
      const d = this.data();
      if (d.length < 4) {
        throw this.hive.reader.error(
          -1,
          'vk',
          'DataLength',
          `${this.typeName} "${this.name}" has ${d.length} bytes of data`,
        );
      }
      const v = new DataView(d.buffer, d.byteOffset, 4);
      return v.getUint32(0, this.type !== REG.DWORD_BIG_ENDIAN);
    });
  }

  /** REG_QWORD; data shorter than 8 bytes is malformed. */
  qword(): bigint {
    return this.hive.reader.operation(() => {
      const d = this.data();
      if (d.length < 8) {
        throw this.hive.reader.error(
          -1,
          'vk',
          'DataLength',
          `${this.typeName} "${this.name}" has ${d.length} bytes of data`,
        );
      }
      return new DataView(d.buffer, d.byteOffset, 8).getBigUint64(0, true);
    });
  }

  /** The data decoded by type: strings for the string types, numbers for DWORD/QWORD, else raw bytes. */
  decoded(): RegData {
    return this.hive.reader.operation(() => {
      switch (this.type) {
        case REG.SZ:
        case REG.EXPAND_SZ:
        case REG.LINK:
          return this.string();
        case REG.MULTI_SZ:
          return this.strings();
        case REG.DWORD:
        case REG.DWORD_BIG_ENDIAN:
          return this.dword();
        case REG.QWORD:
          return this.qword();
        default:
          return this.data();
      }
    });
  }
}
