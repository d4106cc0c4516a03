// Builds a registry hive file (regf) from a tree of keys and values, byte-reproducible: fixed timestamps
// unless given, cells laid out in a fixed order, one shared security cell, the base block's checksum.
//
// Version: NT 3.x wrote hives with minor versions below 3 and only "li"/"ri" subkey lists
// (shared/docs/nt351-facts.md, "Registry hive files", from the Samba and libregf format notes); minor 3 is
// NT 4.0's (ReactOS cmlib hivedata.h HSYS_MINOR 3, the oldest ReactOS accepts) with the fast leaf "lf";
// Windows XP's minor versions 4 and 5 (HSYS_WHISTLER_BETA1, HSYS_WHISTLER) added big data "db" for values
// over 16344 bytes (M. Suhanov's regf specification, "Big data": "when the Minor version field of the base
// block is greater than 3"; ReactOS CmpIsKeyValueBig) and the hash leaf "lh". We write 1.2 for NT 3.51 by
// default (NT 3.1's hives are taken to be 1.1: no public source we found names the two apart), li lists,
// no big data, and UTF-16 names (8-bit "compressed" names are not known to be read by NT 3.x).
import { baseBlockChecksum } from './checksum.js';
import {
  BASE_BLOCK as BASE_BLOCK_,
  BIG_DATA_MIN_MINOR as BIG_DATA_MIN_MINOR_,
  DB as DB_,
  HBASE_FORMAT_MEMORY as HBASE_FORMAT_MEMORY_,
  HBIN as HBIN_,
  HBIN_SIGNATURE as HBIN_SIGNATURE_,
  HBLOCK_SIZE as HBLOCK_SIZE_,
  HCELL_NIL as HCELL_NIL_,
  HFILE_TYPE_PRIMARY as HFILE_TYPE_PRIMARY_,
  HSYS_MAJOR as HSYS_MAJOR_,
  KEY_COMP_NAME as KEY_COMP_NAME_,
  KEY_HIVE_ENTRY as KEY_HIVE_ENTRY_,
  KEY_NO_DELETE as KEY_NO_DELETE_,
  LIST as LIST_,
  NK as NK_,
  REG as REG_,
  REGF_SIGNATURE as REGF_SIGNATURE_,
  SIG as SIG_,
  SK as SK_,
  VALUE_BIG_SEGMENT as VALUE_BIG_SEGMENT_,
  VALUE_COMP_NAME as VALUE_COMP_NAME_,
  VALUE_INLINE as VALUE_INLINE_,
  VK as VK_,
} from './layout.js';
import { upcaseName } from './names.js';

// Module-level copies: a bundler's live bindings (tsx, vitest) make each imported constant a getter call.
const BASE_BLOCK = BASE_BLOCK_;
const BIG_DATA_MIN_MINOR = BIG_DATA_MIN_MINOR_;
const DB = DB_;
const HBASE_FORMAT_MEMORY = HBASE_FORMAT_MEMORY_;
const HBIN = HBIN_;
const HBIN_SIGNATURE = HBIN_SIGNATURE_;
const HBLOCK_SIZE = HBLOCK_SIZE_;
const HCELL_NIL = HCELL_NIL_;
const HFILE_TYPE_PRIMARY = HFILE_TYPE_PRIMARY_;
const HSYS_MAJOR = HSYS_MAJOR_;
const KEY_COMP_NAME = KEY_COMP_NAME_;
const KEY_HIVE_ENTRY = KEY_HIVE_ENTRY_;
const KEY_NO_DELETE = KEY_NO_DELETE_;
const LIST = LIST_;
const NK = NK_;
const REG = REG_;
const REGF_SIGNATURE = REGF_SIGNATURE_;
const SIG = SIG_;
const SK = SK_;
const VALUE_BIG_SEGMENT = VALUE_BIG_SEGMENT_;
const VALUE_COMP_NAME = VALUE_COMP_NAME_;
const VALUE_INLINE = VALUE_INLINE_;
const VK = VK_;

/** One value to write. */
export interface HiveValueSpec {
  /** The value's name; "" is the key's default value. */
  name: string;
  /** REG_* type number (any 32-bit number: unknown types are kept as bytes). */
  type: number;
  data: Uint8Array;
}

/** One key to write, with its values and subkeys (in any order: they are sorted as NT requires). */
export interface HiveKeySpec {
  name: string;
  values?: readonly HiveValueSpec[];
  subkeys?: readonly HiveKeySpec[];
  /** FILETIME of the key's last write; the hive's timestamp when absent. */
  lastWritten?: bigint;
  className?: string;
}

/** Options for {@link writeHive}. */
export interface WriteHiveOptions {
  /** Minor format version: 2 (NT 3.5/3.51, the default), 3 (NT 4.0), 5 (Windows XP on). */
  minor?: number;
  /** FILETIME written in the base block, the first bin and every key without its own. */
  timestamp?: bigint;
  /** File name recorded in the base block (its last 31 characters), e.g. `SYSTEM`. */
  fileName?: string;
  /** Subkey list kind; by default li below minor 3, lf at 3 and 4, lh from 5. */
  list?: 'li' | 'lf' | 'lh';
}

/** FILETIME of 1995-05-30 00:00 UTC, NT 3.51's release: the default timestamp. */
export const NT351_RELEASE_FILETIME = (BigInt(Date.UTC(1995, 4, 30)) + 11_644_473_600_000n) * 10_000n;

const utf16 = (s: string): Uint8Array => {
  const out = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[2 * i] = c & 0xff;
    out[2 * i + 1] = c >> 8;
  }
  return out;
};
const isLatin1 = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
};
const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Value constructors for the common types. */
export const regValue = {
  /** REG_SZ: UTF-16 text with its terminating NUL, as NT stores it. */
  sz: (name: string, text: string): HiveValueSpec => ({ name, type: REG.SZ, data: utf16(`${text}\0`) }),
  expandSz: (name: string, text: string): HiveValueSpec => ({
    name,
    type: REG.EXPAND_SZ,
    data: utf16(`${text}\0`),
  }),
  /** REG_MULTI_SZ: each string NUL-terminated, then an empty string. */
  multiSz: (name: string, strings: readonly string[]): HiveValueSpec => ({
    name,
    type: REG.MULTI_SZ,
    data: utf16(`${strings.map((s) => `${s}\0`).join('')}\0`),
  }),
  dword: (name: string, n: number): HiveValueSpec => {
    const data = new Uint8Array(4);
    new DataView(data.buffer).setUint32(0, n >>> 0, true);
    return { name, type: REG.DWORD, data };
  },
  dwordBigEndian: (name: string, n: number): HiveValueSpec => {
    const data = new Uint8Array(4);
    new DataView(data.buffer).setUint32(0, n >>> 0, false);
    return { name, type: REG.DWORD_BIG_ENDIAN, data };
  },
  qword: (name: string, n: bigint): HiveValueSpec => {
    const data = new Uint8Array(8);
    new DataView(data.buffer).setBigUint64(0, BigInt.asUintN(64, n), true);
    return { name, type: REG.QWORD, data };
  },
  binary: (name: string, data: Uint8Array): HiveValueSpec => ({ name, type: REG.BINARY, data }),
  none: (name: string, data: Uint8Array = new Uint8Array(0)): HiveValueSpec => ({
    name,
    type: REG.NONE,
    data,
  }),
};

/** A SID's bytes: revision 1, identifier authority, sub-authorities. */
function sid(authority: number, ...subs: number[]): number[] {
  const out = [1, subs.length, 0, 0, 0, 0, 0, authority];
  for (const s of subs) out.push(s & 0xff, (s >> 8) & 0xff, (s >> 16) & 0xff, (s >>> 24) & 0xff);
  return out;
}

/**
 * The security descriptor every written key shares (self-relative; owner Administrators, group SYSTEM;
 * DACL: Administrators and SYSTEM KEY_ALL_ACCESS, Everyone KEY_READ, all inherited by subkeys). Our
 * choice, not a copy of what NT setup wrote: NT needs a valid descriptor on every key to load a hive.
 */
export function defaultSecurityDescriptor(): Uint8Array {
  const admins = sid(5, 32, 544);
  const system = sid(5, 18);
  const everyone = sid(1, 0);
  const aces = [
    [0xf003f, admins],
    [0xf003f, system],
    [0x20019, everyone],
  ] as const;
  const aceBytes: number[] = [];
  for (const [mask, s] of aces) {
    const size = 8 + s.length;
    // ACCESS_ALLOWED_ACE: type 0, CONTAINER_INHERIT_ACE, size, mask, SID.
    aceBytes.push(
      0,
      0x02,
      size & 0xff,
      size >> 8,
      mask & 0xff,
      (mask >> 8) & 0xff,
      (mask >> 16) & 0xff,
      mask >>> 24,
    );
    aceBytes.push(...s);
  }
  const aclSize = 8 + aceBytes.length;
  const acl = [2, 0, aclSize & 0xff, aclSize >> 8, aces.length, 0, 0, 0, ...aceBytes];
  const ownerAt = 20;
  const groupAt = ownerAt + admins.length;
  const daclAt = groupAt + system.length;
  const head = new Uint8Array(20);
  const v = new DataView(head.buffer);
  head[0] = 1; // Revision
  v.setUint16(2, 0x8004, true); // SE_SELF_RELATIVE | SE_DACL_PRESENT
  v.setUint32(4, ownerAt, true);
  v.setUint32(8, groupAt, true);
  v.setUint32(12, 0, true); // no SACL
  v.setUint32(16, daclAt, true);
  return Uint8Array.from([...head, ...admins, ...system, ...acl]);
}

/** The largest of `xs`, or 0 (no spread: lists may be long). */
const maxOf = (xs: readonly number[]): number => xs.reduce((m, x) => Math.max(m, x), 0);

/** Largest leaf written before a list is split under an index root (one leaf fits a 4 KiB bin). */
const leafMax = (width: number): number => Math.floor((HBLOCK_SIZE - HBIN.size - 8 - LIST.Elements) / width);

/** The lh hash of a name: H = 37·H + upper-case code unit (M. Suhanov's regf specification, "Hash leaf"). */
export function lhHash(name: string): number {
  let h = 0;
  for (const ch of upcaseName(name)) h = (Math.imul(h, 37) + ch.charCodeAt(0)) >>> 0;
  return h;
}

/** Appends cells to hive bins in a growing buffer. */
class CellWriter {
  buf = new Uint8Array(64 * 1024);
  view = new DataView(this.buf.buffer);
  private pos = HBLOCK_SIZE;
  private binStart = HBLOCK_SIZE;
  private binEnd = HBLOCK_SIZE;
  constructor(private readonly timestamp: bigint) {}

  private ensure(end: number): void {
    if (end <= this.buf.length) return;
    let n = this.buf.length;
    while (n < end) n *= 2;
    const next = new Uint8Array(n);
    next.set(this.buf);
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Ends the current bin, leaving its rest as one free cell. */
  private closeBin(): void {
    const rest = this.binEnd - this.pos;
    if (rest > 0) this.view.setInt32(this.pos, rest, true);
    this.pos = this.binEnd;
  }

  /** Allocates a cell with `size` bytes of data; returns its offset relative to the first bin. */
  alloc(size: number): number {
    const cellSize = (size + 4 + 7) & ~7;
    if (this.pos + cellSize > this.binEnd) {
      this.closeBin();
      const binSize = Math.ceil((cellSize + HBIN.size) / HBLOCK_SIZE) * HBLOCK_SIZE;
      this.binStart = this.pos;
      this.binEnd = this.binStart + binSize;
      this.ensure(this.binEnd);
      this.view.setUint32(this.binStart + HBIN.Signature, HBIN_SIGNATURE, true);
      this.view.setUint32(this.binStart + HBIN.FileOffset, this.binStart - HBLOCK_SIZE, true);
      this.view.setUint32(this.binStart + HBIN.Size, binSize, true);
      if (this.binStart === HBLOCK_SIZE)
        this.view.setBigUint64(this.binStart + HBIN.TimeStamp, this.timestamp, true);
      this.pos = this.binStart + HBIN.size;
    }
    this.view.setInt32(this.pos, -cellSize, true);
    const offset = this.pos - HBLOCK_SIZE;
    this.pos += cellSize;
    return offset;
  }

  /** File offset of the data of the cell at `offset`. */
  at(offset: number): number {
    return HBLOCK_SIZE + offset + 4;
  }

  /** Closes the last bin; returns the file's bytes and the hive bins size. */
  finish(): { bytes: Uint8Array; length: number } {
    this.closeBin();
    return { bytes: this.buf.slice(0, this.pos), length: this.pos - HBLOCK_SIZE };
  }
}

/**
 * Writes `root` and everything below it as a hive file. The same tree and options always give the same
 * bytes. Throws a plain Error for a tree NT could not hold (duplicate names, names over NT's limits).
 *
 * Long because each record kind (security, value, data, big data, leaf, index root, key node) is a small
 * closure over the one cell writer and the options, written in the order the cells are laid out.
 */
export function writeHive(root: HiveKeySpec, options: WriteHiveOptions = {}): Uint8Array {
  const minor = options.minor ?? 2;
  const timestamp = options.timestamp ?? NT351_RELEASE_FILETIME;
  const listKind = options.list ?? (minor < 3 ? 'li' : minor < 5 ? 'lf' : 'lh');
  const compress = minor >= 3;
  const w = new CellWriter(timestamp);

  let keys = 0;
  const count = (k: HiveKeySpec): void => {
    keys++;
    for (const c of k.subkeys ?? []) count(c);
  };
  count(root);

  // One security cell shared by every key, its list pointing at itself.
  const descriptor = defaultSecurityDescriptor();
  const sk = w.alloc(SK.Descriptor + descriptor.length);
  {
    const at = w.at(sk);
    w.view.setUint16(at + SK.Signature, SIG.sk, true);
    w.view.setUint32(at + SK.Flink, sk, true);
    w.view.setUint32(at + SK.Blink, sk, true);
    w.view.setUint32(at + SK.ReferenceCount, keys, true);
    w.view.setUint32(at + SK.DescriptorLength, descriptor.length, true);
    w.buf.set(descriptor, at + SK.Descriptor);
  }

  const nameBytes = (name: string, flagIfCompressed: number): { bytes: Uint8Array; flag: number } =>
    compress && isLatin1(name)
      ? { bytes: latin1(name), flag: flagIfCompressed }
      : { bytes: utf16(name), flag: 0 };

  const writeValue = (v: HiveValueSpec): number => {
    const n = nameBytes(v.name, VALUE_COMP_NAME);
    if (n.bytes.length > 0xffff) throw new Error(`value name "${v.name.slice(0, 40)}…" is too long`);
    const vk = w.alloc(VK.Name + n.bytes.length);
    const len = v.data.length;
    let lengthField = len;
    let dataField = 0;
    if (len <= 4) {
      lengthField = (len | VALUE_INLINE) >>> 0;
      const at = w.at(vk) + VK.Data;
      w.buf.set(v.data, at);
    } else if (minor >= BIG_DATA_MIN_MINOR && len > VALUE_BIG_SEGMENT) {
      const segments = Math.ceil(len / VALUE_BIG_SEGMENT);
      const db = w.alloc(DB.size);
      const list = w.alloc(4 * segments);
      w.view.setUint16(w.at(db) + DB.Signature, SIG.db, true);
      w.view.setUint16(w.at(db) + DB.Count, segments, true);
      w.view.setUint32(w.at(db) + DB.List, list, true);
      for (let i = 0; i < segments; i++) {
        const part = v.data.subarray(i * VALUE_BIG_SEGMENT, (i + 1) * VALUE_BIG_SEGMENT);
        const seg = w.alloc(part.length);
        w.buf.set(part, w.at(seg));
        w.view.setUint32(w.at(list) + 4 * i, seg, true);
      }
      dataField = db;
    } else {
      dataField = w.alloc(len);
      w.buf.set(v.data, w.at(dataField));
    }
    const at = w.at(vk);
    w.view.setUint16(at + VK.Signature, SIG.vk, true);
    w.view.setUint16(at + VK.NameLength, n.bytes.length, true);
    w.view.setUint32(at + VK.DataLength, lengthField, true);
    if (!(len <= 4)) w.view.setUint32(at + VK.Data, dataField, true);
    w.view.setUint32(at + VK.Type, v.type >>> 0, true);
    w.view.setUint16(at + VK.Flags, n.flag, true);
    w.buf.set(n.bytes, at + VK.Name);
    return vk;
  };

  const writeLeaf = (items: readonly { off: number; name: string }[]): number => {
    const width = listKind === 'li' ? 4 : 8;
    const sig = listKind === 'li' ? SIG.li : listKind === 'lf' ? SIG.lf : SIG.lh;
    const cell = w.alloc(LIST.Elements + width * items.length);
    const at = w.at(cell);
    w.view.setUint16(at + LIST.Signature, sig, true);
    w.view.setUint16(at + LIST.Count, items.length, true);
    items.forEach((it, i) => {
      const e = at + LIST.Elements + width * i;
      w.view.setUint32(e, it.off, true);
      if (listKind === 'lf') {
        // Name hint: the first four characters as 8-bit codes (0 when a character does not fit).
        for (let j = 0; j < 4 && j < it.name.length; j++) {
          const c = it.name.charCodeAt(j);
          w.buf[e + 4 + j] = c <= 0xff ? c : 0;
        }
      } else if (listKind === 'lh') {
        w.view.setUint32(e + 4, lhHash(it.name), true);
      }
    });
    return cell;
  };

  const writeList = (items: readonly { off: number; name: string }[]): number => {
    const max = leafMax(listKind === 'li' ? 4 : 8);
    if (items.length <= max) return writeLeaf(items);
    const leaves: number[] = [];
    for (let i = 0; i < items.length; i += max) leaves.push(writeLeaf(items.slice(i, i + max)));
    const ri = w.alloc(LIST.Elements + 4 * leaves.length);
    const at = w.at(ri);
    w.view.setUint16(at + LIST.Signature, SIG.ri, true);
    w.view.setUint16(at + LIST.Count, leaves.length, true);
    leaves.forEach((l, i) => {
      w.view.setUint32(at + LIST.Elements + 4 * i, l, true);
    });
    return ri;
  };

  const writeKey = (k: HiveKeySpec, parent: number, isRoot: boolean): number => {
    const n = nameBytes(k.name, KEY_COMP_NAME);
    if (k.name.length > 255)
      throw new Error(`key name "${k.name.slice(0, 40)}…" is longer than 255 characters`);
    const nk = w.alloc(NK.Name + n.bytes.length);
    let classCell = HCELL_NIL;
    const classBytes = k.className ? utf16(k.className) : new Uint8Array(0);
    if (classBytes.length > 0) {
      classCell = w.alloc(classBytes.length);
      w.buf.set(classBytes, w.at(classCell));
    }
    const values = k.values ?? [];
    const seenValues = new Set<string>();
    for (const v of values) {
      const up = upcaseName(v.name);
      if (seenValues.has(up)) throw new Error(`key "${k.name}" has two values named "${v.name}"`);
      seenValues.add(up);
    }
    const vks = values.map(writeValue);
    let valueList = HCELL_NIL;
    if (vks.length > 0) {
      valueList = w.alloc(4 * vks.length);
      vks.forEach((o, i) => {
        w.view.setUint32(w.at(valueList) + 4 * i, o, true);
      });
    }
    const sorted = [...(k.subkeys ?? [])].sort((a, b) => {
      const ua = upcaseName(a.name);
      const ub = upcaseName(b.name);
      return ua < ub ? -1 : ua > ub ? 1 : 0;
    });
    for (let i = 1; i < sorted.length; i++) {
      if (upcaseName(sorted[i]!.name) === upcaseName(sorted[i - 1]!.name)) {
        throw new Error(`key "${k.name}" has two subkeys named "${sorted[i]!.name}"`);
      }
    }
    const children = sorted.map((c) => ({ off: writeKey(c, nk, false), name: c.name }));
    const subkeyList = children.length > 0 ? writeList(children) : HCELL_NIL;

    const at = w.at(nk);
    const v = w.view;
    v.setUint16(at + NK.Signature, SIG.nk, true);
    v.setUint16(at + NK.Flags, n.flag | (isRoot ? KEY_HIVE_ENTRY | KEY_NO_DELETE : 0), true);
    v.setBigUint64(at + NK.LastWriteTime, k.lastWritten ?? timestamp, true);
    v.setUint32(at + NK.Parent, parent, true);
    v.setUint32(at + NK.SubKeyCount, children.length, true);
    v.setUint32(at + NK.SubKeyList, subkeyList, true);
    v.setUint32(at + NK.VolatileSubKeyList, HCELL_NIL, true);
    v.setUint32(at + NK.ValueCount, vks.length, true);
    v.setUint32(at + NK.ValueList, valueList, true);
    v.setUint32(at + NK.Security, sk, true);
    v.setUint32(at + NK.Class, classCell, true);
    v.setUint32(at + NK.MaxNameLen, maxOf(sorted.map((c) => c.name.length * 2)), true);
    v.setUint32(at + NK.MaxClassLen, maxOf(sorted.map((c) => (c.className?.length ?? 0) * 2)), true);
    v.setUint32(at + NK.MaxValueNameLen, maxOf(values.map((x) => x.name.length * 2)), true);
    v.setUint32(at + NK.MaxValueDataLen, maxOf(values.map((x) => x.data.length)), true);
    v.setUint16(at + NK.NameLength, n.bytes.length, true);
    v.setUint16(at + NK.ClassLength, classBytes.length, true);
    w.buf.set(n.bytes, at + NK.Name);
    return nk;
  };

  const rootCell = writeKey(root, HCELL_NIL, true);
  const { bytes, length } = w.finish();

  const B = BASE_BLOCK;
  const v = new DataView(bytes.buffer);
  v.setUint32(B.Signature, REGF_SIGNATURE, true);
  v.setUint32(B.Sequence1, 1, true);
  v.setUint32(B.Sequence2, 1, true);
  v.setBigUint64(B.TimeStamp, timestamp, true);
  v.setUint32(B.Major, HSYS_MAJOR, true);
  v.setUint32(B.Minor, minor, true);
  v.setUint32(B.Type, HFILE_TYPE_PRIMARY, true);
  v.setUint32(B.Format, HBASE_FORMAT_MEMORY, true);
  v.setUint32(B.RootCell, rootCell, true);
  v.setUint32(B.Length, length, true);
  v.setUint32(B.Cluster, 1, true);
  bytes.set(utf16((options.fileName ?? '').slice(-31)), B.FileName);
  v.setUint32(B.CheckSum, baseBlockChecksum(bytes), true);
  return bytes;
}
