// Raw on-disk layouts of NT's event log file (.evt): ELF_LOGFILE_HEADER, EVENTLOGRECORD, ELF_EOF_RECORD.
// Sources: Microsoft Learn "ELF_LOGFILE_HEADER structure" (bb309024), "EVENTLOGRECORD structure (winnt.h)",
// "ELF_EOF_RECORD structure" (bb309022); libyal/libevt "Windows Event Log (EVT) format" (documentation/);
// ReactOS sdk/lib/evtlib/evtlib.h (flags, 64 KiB file granularity). All fields little-endian.

/** "LfLe" read as a little-endian DWORD (ELF_LOG_SIGNATURE); both the header and each record carry it. */
export const ELF_LOG_SIGNATURE = 0x654c664c;

/** ELF_LOGFILE_HEADER (EVENTLOGHEADER): 0x30 bytes at file offset 0. */
export const ELF_LOGFILE_HEADER = {
  size: 0x30,
  /** Always 0x30. */
  HeaderSize: 0x00,
  /** ELF_LOG_SIGNATURE. */
  Signature: 0x04,
  /** Always 1. */
  MajorVersion: 0x08,
  /** Always 1. */
  MinorVersion: 0x0c,
  /** File offset of the oldest record. */
  StartOffset: 0x10,
  /** File offset of the ELF_EOF_RECORD. */
  EndOffset: 0x14,
  /** Number the next record will get. */
  CurrentRecordNumber: 0x18,
  /** Number of the oldest record; 0 in an empty log. */
  OldestRecordNumber: 0x1c,
  /** Maximum file size in bytes. */
  MaxSize: 0x20,
  /** ELF_LOGFILE_* flags below. */
  Flags: 0x24,
  /** Retention period in seconds (informational copy of the registry's Retention value). */
  Retention: 0x28,
  /** Copy of HeaderSize, 0x30: marks the end of the header. */
  EndHeaderSize: 0x2c,
} as const;

/** ELF_LOGFILE_HEADER.Flags bits (evtlib.h; libevt "File flags"). */
export const ELF_LOGFILE_FLAGS = {
  HEADER_DIRTY: 0x1,
  HEADER_WRAP: 0x2,
  LOGFULL_WRITTEN: 0x4,
  ARCHIVE_SET: 0x8,
} as const;

/** EVENTLOGRECORD fixed part: 0x38 bytes, followed by the variable part and a trailing copy of Length. */
export const EVENTLOGRECORD = {
  size: 0x38,
  /** DWORD: record size in bytes, padding and trailing Length included. */
  Length: 0x00,
  /** DWORD: ELF_LOG_SIGNATURE. */
  Reserved: 0x04,
  RecordNumber: 0x08,
  /** DWORD: seconds since 1970-01-01 00:00:00 UTC. */
  TimeGenerated: 0x0c,
  /** DWORD: seconds since 1970-01-01 00:00:00 UTC. */
  TimeWritten: 0x10,
  /** DWORD: full event identifier, severity/customer/facility bits included. */
  EventID: 0x14,
  /** WORD: EVENTLOG_*_TYPE below. */
  EventType: 0x18,
  /** WORD */
  NumStrings: 0x1a,
  /** WORD */
  EventCategory: 0x1c,
  /** WORD */
  ReservedFlags: 0x1e,
  ClosingRecordNumber: 0x20,
  /** DWORD: offset of the insertion strings from the start of the record. */
  StringOffset: 0x24,
  UserSidLength: 0x28,
  /** DWORD: offset from the start of the record. */
  UserSidOffset: 0x2c,
  DataLength: 0x30,
  /** DWORD: offset from the start of the record. */
  DataOffset: 0x34,
  /** Variable part: SourceName\0 ComputerName\0 (UTF-16LE), pad to DWORD, UserSid, Strings, Data, pad. */
  SourceName: 0x38,
} as const;

/** EventType values (winnt.h EVENTLOG_*_TYPE / EVENTLOG_AUDIT_*). */
export const EVENTLOG_TYPE = {
  ERROR: 0x0001,
  WARNING: 0x0002,
  INFORMATION: 0x0004,
  AUDIT_SUCCESS: 0x0008,
  AUDIT_FAILURE: 0x0010,
} as const;

/** ELF_EOF_RECORD (EVENTLOGEOF): 0x28 bytes written right after the newest record. */
export const ELF_EOF_RECORD = {
  size: 0x28,
  /** Always 0x28. */
  RecordSizeBeginning: 0x00,
  /** 0x11111111, 0x22222222, 0x33333333, 0x44444444 at 0x04..0x10. */
  One: 0x04,
  Two: 0x08,
  Three: 0x0c,
  Four: 0x10,
  /** File offset of the oldest record (of this record when the log is empty). */
  BeginRecord: 0x14,
  /** File offset of this EOF record. */
  EndRecord: 0x18,
  CurrentRecordNumber: 0x1c,
  OldestRecordNumber: 0x20,
  /** Always 0x28. */
  RecordSizeEnd: 0x24,
} as const;

/** The four marker DWORDs of ELF_EOF_RECORD, in order. */
export const ELF_EOF_MARKERS = [0x11111111, 0x22222222, 0x33333333, 0x44444444] as const;

/** NT keeps the log file's size in 64 KiB steps (evtlib.c EVENTLOG_FILE_GRANULARITY). */
export const EVENTLOG_FILE_GRANULARITY = 0x10000;

/** NT's default MaxSize for the System, Application and Security logs: 512 KiB. */
export const EVENTLOG_DEFAULT_MAX_SIZE = 0x80000;

/** NT's default Retention: overwrite events older than 7 days, in seconds. */
export const EVENTLOG_DEFAULT_RETENTION = 7 * 24 * 3600;
