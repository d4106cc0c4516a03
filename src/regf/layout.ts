// Raw on-disk layouts of a registry hive file (regf): field offsets and sizes of the base block, hive bins,
// cells and the records they hold, and the constants that go with them. No parsing logic lives here.
// Sources: M. Suhanov, "Windows registry file format specification" (github.com/msuhanov/regf); J. Metz,
// "Windows NT Registry File (REGF) format" (libyal/libregf documentation); ReactOS sdk/lib/cmlib.

/** Size of the base block and the unit hive bins are sized in. */
export const HBLOCK_SIZE = 4096;

/** The base block (HBASE_BLOCK) at file offset 0. */
export const BASE_BLOCK = {
  Signature: 0,
  Sequence1: 4,
  Sequence2: 8,
  TimeStamp: 12,
  Major: 20,
  Minor: 24,
  Type: 28,
  Format: 32,
  RootCell: 36,
  Length: 40,
  Cluster: 44,
  FileName: 48,
  /** 64 bytes: the last 32 UTF-16 characters of the hive's file name. */
  FileNameSize: 64,
  CheckSum: 508,
  /** The checksum covers the 127 dwords before it. */
  CheckedBytes: 508,
} as const;
export const REGF_SIGNATURE = 0x66676572; // "regf"
export const HSYS_MAJOR = 1;
/** File type of a primary hive (1 is a transaction log). */
export const HFILE_TYPE_PRIMARY = 0;
/** "Direct memory load", the only format NT writes. */
export const HBASE_FORMAT_MEMORY = 1;

/** A hive bin header (HBIN), 32 bytes, at the start of each bin. */
export const HBIN = { size: 32, Signature: 0, FileOffset: 4, Size: 8, TimeStamp: 20, Spare: 28 } as const;
export const HBIN_SIGNATURE = 0x6e696268; // "hbin"

/** A cell: a signed 32-bit size (negative while allocated, 8-byte aligned) and its data. */
export const CELL = { Size: 0, Data: 4 } as const;
/** HCELL_NIL: the "no cell" offset. */
export const HCELL_NIL = 0xffffffff;

/** Two-byte signatures at the start of a cell's data. */
export const SIG = {
  nk: 0x6b6e,
  vk: 0x6b76,
  sk: 0x6b73,
  li: 0x696c,
  lf: 0x666c,
  lh: 0x686c,
  ri: 0x6972,
  db: 0x6264,
} as const;

/** CM_KEY_NODE ("nk"), offsets from the start of the cell data. */
export const NK = {
  Signature: 0,
  Flags: 2,
  LastWriteTime: 4,
  Spare: 12,
  Parent: 16,
  SubKeyCount: 20,
  VolatileSubKeyCount: 24,
  SubKeyList: 28,
  VolatileSubKeyList: 32,
  ValueCount: 36,
  ValueList: 40,
  Security: 44,
  Class: 48,
  MaxNameLen: 52,
  MaxClassLen: 56,
  MaxValueNameLen: 60,
  MaxValueDataLen: 64,
  WorkVar: 68,
  NameLength: 72,
  ClassLength: 74,
  Name: 76,
} as const;

/** Key node flags. */
export const KEY_VOLATILE = 0x0001;
export const KEY_HIVE_EXIT = 0x0002;
export const KEY_HIVE_ENTRY = 0x0004;
export const KEY_NO_DELETE = 0x0008;
export const KEY_SYM_LINK = 0x0010;
/** The key's name is stored as 8-bit characters ("compressed") rather than UTF-16LE. */
export const KEY_COMP_NAME = 0x0020;

/** CM_KEY_VALUE ("vk"). */
export const VK = {
  Signature: 0,
  NameLength: 2,
  DataLength: 4,
  Data: 8,
  Type: 12,
  Flags: 16,
  Spare: 18,
  Name: 20,
} as const;
/** The value's name is stored as 8-bit characters. */
export const VALUE_COMP_NAME = 0x0001;
/** CM_KEY_VALUE_SPECIAL_SIZE: data of at most 4 bytes lives in the Data field itself. */
export const VALUE_INLINE = 0x80000000;
/** CM_KEY_VALUE_BIG: larger data is split into "db" segments of this size (hives of minor version 4 on). */
export const VALUE_BIG_SEGMENT = 16344;
/** First minor version whose large values are stored as big data (HSYS_WHISTLER_BETA1). */
export const BIG_DATA_MIN_MINOR = 4;

/** Subkey lists li/lf/lh/ri: signature, count, then elements. */
export const LIST = { Signature: 0, Count: 2, Elements: 4 } as const;

/** Big data ("db"): segment count and the offset of the segment list. */
export const DB = { Signature: 0, Count: 2, List: 4, size: 8 } as const;

/** CM_KEY_SECURITY ("sk"). */
export const SK = {
  Signature: 0,
  Reserved: 2,
  Flink: 4,
  Blink: 8,
  ReferenceCount: 12,
  DescriptorLength: 16,
  Descriptor: 20,
} as const;

/** Value types (winnt.h REG_*). */
export const REG = {
  NONE: 0,
  SZ: 1,
  EXPAND_SZ: 2,
  BINARY: 3,
  DWORD: 4,
  DWORD_BIG_ENDIAN: 5,
  LINK: 6,
  MULTI_SZ: 7,
  RESOURCE_LIST: 8,
  FULL_RESOURCE_DESCRIPTOR: 9,
  RESOURCE_REQUIREMENTS_LIST: 10,
  QWORD: 11,
} as const;

/** Names of the value types, by number. */
export const REG_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'REG_NONE',
  1: 'REG_SZ',
  2: 'REG_EXPAND_SZ',
  3: 'REG_BINARY',
  4: 'REG_DWORD',
  5: 'REG_DWORD_BIG_ENDIAN',
  6: 'REG_LINK',
  7: 'REG_MULTI_SZ',
  8: 'REG_RESOURCE_LIST',
  9: 'REG_FULL_RESOURCE_DESCRIPTOR',
  10: 'REG_RESOURCE_REQUIREMENTS_LIST',
  11: 'REG_QWORD',
};
