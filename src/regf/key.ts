// Key nodes ("nk") and the lists hanging off them: subkey lists of every kind (li, lf, lh and ri of
// leaves) and value lists. Each list is checked against its cell's size and its key's counts.
import type { Hive } from './hive.js';
import {
  HCELL_NIL as HCELL_NIL_,
  KEY_COMP_NAME as KEY_COMP_NAME_,
  LIST as LIST_,
  NK as NK_,
  SIG as SIG_,
} from './layout.js';
import { sameName } from './names.js';
import { RegValue } from './value.js';

// Module-level copies: a bundler's live bindings (tsx, vitest) make each imported constant a getter call.
const HCELL_NIL = HCELL_NIL_;
const KEY_COMP_NAME = KEY_COMP_NAME_;
const LIST = LIST_;
const NK = NK_;
const SIG = SIG_;

/** How deep index roots ("ri") may nest: NT writes an ri of leaves only; one more level is tolerated. */
export const MAX_INDEX_DEPTH = 2;

/** One key of a hive. */
export class RegKey {
  readonly hive: Hive;
  /** The key node's cell offset (relative to the first hive bin). */
  readonly offset: number;
  readonly flags: number;
  readonly name: string;
  /** FILETIME of the key's last write. */
  readonly lastWritten: bigint;
  readonly subkeyCount: number;
  readonly valueCount: number;
  private readonly subkeyList: number;
  private readonly valueList: number;
  private readonly classCell: number;
  private readonly classLength: number;

  /** Reads the key node at `offset`; throws MalformedHiveError unless it is a well-formed "nk" cell. */
  constructor(hive: Hive, offset: number) {
    const r = hive.reader;
    r.single();
    const s = 'nk';
    const c = hive.cell(offset, s, 'cell', NK.Name);
    if (r.u16(c.data + NK.Signature, s, 'Signature') !== SIG.nk) {
      throw r.error(c.data, s, 'Signature', `cell 0x${offset.toString(16)} is not a key node ("nk")`);
    }
    this.hive = hive;
    this.offset = offset;
    this.flags = r.u16(c.data + NK.Flags, s, 'Flags');
    this.lastWritten = r.u64(c.data + NK.LastWriteTime, s, 'LastWriteTime');
    this.subkeyCount = r.u32(c.data + NK.SubKeyCount, s, 'SubKeyCount');
    this.subkeyList = r.u32(c.data + NK.SubKeyList, s, 'SubKeyList');
    this.valueCount = r.u32(c.data + NK.ValueCount, s, 'ValueCount');
    this.valueList = r.u32(c.data + NK.ValueList, s, 'ValueList');
    this.classCell = r.u32(c.data + NK.Class, s, 'Class');
    this.classLength = r.u16(c.data + NK.ClassLength, s, 'ClassLength');
    const nameLength = r.u16(c.data + NK.NameLength, s, 'NameLength');
    if (NK.Name + nameLength > c.size) {
      throw r.error(c.data + NK.NameLength, s, 'NameLength', `name of ${nameLength} bytes overruns its cell`);
    }
    this.name = r.name(c.data + NK.Name, nameLength, (this.flags & KEY_COMP_NAME) !== 0, s, 'Name');
  }

  /** The key's class name, or null when it has none. */
  className(): string | null {
    return this.hive.reader.operation(() => {
      if (this.classLength === 0 || this.classCell === HCELL_NIL) return null;
      const c = this.hive.cell(this.classCell, 'class name', 'cell', this.classLength);
      return this.hive.reader.name(c.data, this.classLength, false, 'class name', 'Name');
    });
  }

  /** Cell offsets of the subkeys' key nodes, in list order. */
  subkeyOffsets(): number[] {
    return this.hive.reader.operation(() => {
      if (this.subkeyCount === 0) return [];
      const out: number[] = [];
      this.readList(this.subkeyList, 0, out);
      if (out.length !== this.subkeyCount) {
        const r = this.hive.reader;
        throw r.error(
          -1,
          'nk',
          'SubKeyCount',
          `key "${this.name}" declares ${this.subkeyCount} subkeys but its lists hold ${out.length}`,
        );
      }
      return out;
    });
  }

  /** Appends the key node offsets of the list at `offset` (a leaf, or an index root of leaves). */
  private readList(offset: number, depth: number, out: number[]): void {
    const hive = this.hive;
    const r = hive.reader;
    const s = 'subkey list';
    const c = hive.cell(offset, s, 'cell', LIST.Elements);
    const sig = r.u16(c.data + LIST.Signature, s, 'Signature');
    const count = r.u16(c.data + LIST.Count, s, 'Count');
    const width = sig === SIG.li || sig === SIG.ri ? 4 : sig === SIG.lf || sig === SIG.lh ? 8 : 0;
    if (width === 0) {
      throw r.error(
        c.data,
        s,
        'Signature',
        `cell 0x${offset.toString(16)} is not a subkey list (li, lf, lh or ri)`,
      );
    }
    if (LIST.Elements + count * width > c.size) {
      throw r.error(c.data + LIST.Count, s, 'Count', `${count} elements overrun a cell of ${c.size} bytes`);
    }
    if (sig === SIG.ri && depth >= MAX_INDEX_DEPTH) {
      throw r.error(c.data, s, 'Signature', `index roots nested deeper than ${MAX_INDEX_DEPTH}`);
    }
    for (let i = 0; i < count; i++) {
      const element = r.u32(c.data + LIST.Elements + i * width, s, `Element[${i}]`);
      if (sig === SIG.ri) this.readList(element, depth + 1, out);
      else out.push(element);
      if (out.length > this.subkeyCount) {
        throw r.error(c.data, s, 'Count', `lists hold more than the key's ${this.subkeyCount} subkeys`);
      }
    }
  }

  /** The subkeys, in list order (NT keeps them sorted by upper-case name). */
  subkeys(): RegKey[] {
    return this.hive.reader.operation(() => {
      return this.subkeyOffsets().map((o) => new RegKey(this.hive, o));
    });
  }

  /** The subkey called `name` (case-insensitive), or null. */
  subkey(name: string): RegKey | null {
    return this.hive.reader.operation(() => {
      for (const o of this.subkeyOffsets()) {
        const k = new RegKey(this.hive, o);
        if (sameName(k.name, name)) return k;
      }
      return null;
    });
  }

  /** Cell offsets of the values' value keys, in list order. */
  valueOffsets(): number[] {
    return this.hive.reader.operation(() => {
      if (this.valueCount === 0) return [];
      const r = this.hive.reader;
      const s = 'value list';
      const c = this.hive.cell(this.valueList, s, 'cell');
      if (this.valueCount > c.size / 4) {
        throw r.error(
          c.data,
          s,
          'ValueCount',
          `${this.valueCount} values overrun a list cell of ${c.size} bytes`,
        );
      }
      const out: number[] = [];
      for (let i = 0; i < this.valueCount; i++) out.push(r.u32(c.data + 4 * i, s, `Element[${i}]`));
      return out;
    });
  }

  /** The values, in list order. */
  values(): RegValue[] {
    return this.hive.reader.operation(() => {
      return this.valueOffsets().map((o) => new RegValue(this.hive, o));
    });
  }

  /** The value called `name` (case-insensitive; "" is the default value), or null. */
  value(name: string): RegValue | null {
    return this.hive.reader.operation(() => {
      for (const o of this.valueOffsets()) {
        const v = new RegValue(this.hive, o);
        if (sameName(v.name, name)) return v;
      }
      return null;
    });
  }
}
