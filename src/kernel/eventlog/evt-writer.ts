// Writes a fresh (never wrapped, cleanly closed) NT event log file such as SYSTEM32\CONFIG\SYSEVENT.EVT.
// Record layout follows the EventLog service's record builder (ReactOS base/services/eventlog/file.c
// LogfAllocAndBuildNewRecord, checked against libyal's EVT format document); the file follows
// ReactOS evtlib.c ElfpInitNewFile: header, records from 0x30, ELF_EOF_RECORD, zero fill up to the next
// 64 KiB step ("Windows keeps the file size in 64 kB chunks"). evtexport reads such files.
import { EvtWriteError } from './evt-errors.js';
import {
  ELF_EOF_MARKERS,
  ELF_EOF_RECORD,
  ELF_LOG_SIGNATURE,
  ELF_LOGFILE_HEADER,
  EVENTLOG_DEFAULT_MAX_SIZE,
  EVENTLOG_DEFAULT_RETENTION,
  EVENTLOG_FILE_GRANULARITY,
  EVENTLOGRECORD,
} from './evt-layout.js';

/** One event as the EventLog service stores it (EVENTLOGRECORD without its offsets and lengths). */
export interface EvtRecord {
  /** Sequential record number; the first record of a fresh log is 1. */
  recordNumber: number;
  /** Seconds since 1970-01-01 00:00:00 UTC. */
  timeGenerated: number;
  /** Seconds since 1970-01-01 00:00:00 UTC. */
  timeWritten: number;
  /** Full 32-bit EventID including severity bits (see `fullEventId`, `NT_EVENT_IDS`). */
  eventId: number;
  /** 1 error, 2 warning, 4 information, 8 audit success, 16 audit failure. */
  eventType: 1 | 2 | 4 | 8 | 16;
  eventCategory: number;
  /** Event source, e.g. `Service Control Manager`. */
  source: string;
  /** Computer name, e.g. `NT351`. */
  computer: string;
  /** Insertion strings (%1, %2, ...). */
  strings: string[];
  /** Binary data (Event Viewer's "Data"), e.g. an NTSTATUS. */
  data?: Uint8Array;
}

/** Options of {@link writeEvtFile}. */
export interface EvtWriteOptions {
  /** The header's MaxSize, rounded up to 64 KiB like NT does; default 0x80000 (512 KiB). */
  maxSize?: number;
  /** The header's Retention in seconds; default 604800 (7 days). */
  retention?: number;
}

const align4 = (n: number) => (n + 3) & ~3;
const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;
const isU32 = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

/** Byte length of `s` stored as UTF-16LE with its terminating NUL. */
const utf16zSize = (s: string) => (s.length + 1) * 2;

/** Stores `s` as UTF-16LE at `pos` of `out` (zero-filled: the NUL is already there); returns the end. */
function putUtf16z(out: Uint8Array, pos: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[pos + i * 2] = c & 0xff;
    out[pos + i * 2 + 1] = c >>> 8;
  }
  return pos + utf16zSize(s);
}

const U32_FIELDS = ['recordNumber', 'timeGenerated', 'timeWritten', 'eventId'] as const;
const EVENT_TYPES: ReadonlySet<number> = new Set([1, 2, 4, 8, 16]);

function check(r: EvtRecord, i: number, expectedNumber: number | null): void {
  const bad = (reason: string) => new EvtWriteError(i, reason);
  for (const k of U32_FIELDS) if (!isU32(r[k])) throw bad(`${k} ${r[k]} is not a 32-bit unsigned integer`);
  if (r.recordNumber === 0) throw bad('record numbers start at 1');
  if (expectedNumber !== null && r.recordNumber !== expectedNumber)
    throw bad(`record number ${r.recordNumber} does not follow ${expectedNumber - 1}`);
  if (!EVENT_TYPES.has(r.eventType)) throw bad(`event type ${r.eventType} is not an EVENTLOG_*_TYPE`);
  if (!Number.isInteger(r.eventCategory) || r.eventCategory < 0 || r.eventCategory > 0xffff)
    throw bad(`event category ${r.eventCategory} is not 16-bit`);
  if (r.strings.length > 0xffff) throw bad(`${r.strings.length} insertion strings (at most 65535)`);
  const nul = (what: string, s: string) =>
    bad(`${what} ${JSON.stringify(s)} contains NUL, which ends a stored string`);
  if (r.source.includes('\0')) throw nul('source', r.source);
  if (r.computer.includes('\0')) throw nul('computer', r.computer);
  for (const s of r.strings) if (s.includes('\0')) throw nul('string', s);
}

const NO_DATA = new Uint8Array(0);

/** Where an EVENTLOGRECORD's parts go, and its Length. */
function recordLayout(r: EvtRecord): { sidOffset: number; dataOffset: number; length: number } {
  const sidOffset = align4(EVENTLOGRECORD.SourceName + utf16zSize(r.source) + utf16zSize(r.computer));
  let dataOffset = sidOffset; // no user SID: the strings follow (StringOffset = UserSidOffset)
  for (const s of r.strings) dataOffset += utf16zSize(s);
  const length = align4(dataOffset + (r.data ?? NO_DATA).length) + 4;
  return { sidOffset, dataOffset, length };
}

/**
 * One EVENTLOGRECORD, Length at both ends, stored at `at` of `out` (zero-filled there): encoded in
 * place, as a warm boot's log is written once per boot (issue 19: a buffer per string and record).
 */
function encodeRecord(r: EvtRecord, out: Uint8Array, v: DataView, at: number): number {
  const { sidOffset, dataOffset, length } = recordLayout(r);
  const data = r.data ?? NO_DATA;
  const stringOffset = sidOffset; // no user SID: NT's services log System events without one
  const R = EVENTLOGRECORD;
  v.setUint32(at + R.Length, length, true);
  v.setUint32(at + R.Reserved, ELF_LOG_SIGNATURE, true);
  v.setUint32(at + R.RecordNumber, r.recordNumber, true);
  v.setUint32(at + R.TimeGenerated, r.timeGenerated, true);
  v.setUint32(at + R.TimeWritten, r.timeWritten, true);
  v.setUint32(at + R.EventID, r.eventId, true);
  v.setUint16(at + R.EventType, r.eventType, true);
  v.setUint16(at + R.NumStrings, r.strings.length, true);
  v.setUint16(at + R.EventCategory, r.eventCategory, true);
  // ReservedFlags and ClosingRecordNumber stay 0.
  v.setUint32(at + R.StringOffset, stringOffset, true);
  // UserSidLength 0; the offsets of empty parts point where the part would be, as libevt's notes on
  // NT-written files describe (StringOffset of a string-less record points at the data or the trailer).
  v.setUint32(at + R.UserSidOffset, sidOffset, true);
  v.setUint32(at + R.DataLength, data.length, true);
  v.setUint32(at + R.DataOffset, dataOffset, true);
  putUtf16z(out, putUtf16z(out, at + R.SourceName, r.source), r.computer);
  let pos = at + stringOffset;
  for (const s of r.strings) pos = putUtf16z(out, pos, s);
  out.set(data, at + dataOffset);
  v.setUint32(at + length - 4, length, true);
  return at + length;
}

/**
 * The bytes of a fresh NT event log holding `records` (oldest first, consecutive record numbers):
 * ELF_LOGFILE_HEADER with clean flags, the records from offset 0x30, the ELF_EOF_RECORD, then zeros
 * up to the next multiple of 64 KiB (NT's file growth step; never beyond MaxSize).
 * @throws EvtWriteError when a record is out of range or the records do not fit in MaxSize.
 */
export function writeEvtFile(records: EvtRecord[], opts: EvtWriteOptions = {}): Uint8Array {
  const requested = opts.maxSize ?? EVENTLOG_DEFAULT_MAX_SIZE;
  if (!isU32(requested) || requested === 0) throw new EvtWriteError(-1, `MaxSize ${requested} is not usable`);
  const maxSize = alignUp(requested, EVENTLOG_FILE_GRANULARITY);
  const retention = opts.retention ?? EVENTLOG_DEFAULT_RETENTION;
  if (!isU32(retention) || maxSize > 0xffffffff)
    throw new EvtWriteError(-1, `retention ${retention} or MaxSize ${maxSize} is not 32-bit`);
  const first = records[0]?.recordNumber ?? 0;
  const start: number = ELF_LOGFILE_HEADER.size;
  let eofOffset = start;
  for (const [i, r] of records.entries()) {
    check(r, i, i === 0 ? null : first + i);
    eofOffset += recordLayout(r).length;
  }
  const end = eofOffset + ELF_EOF_RECORD.size;
  if (end > maxSize)
    throw new EvtWriteError(-1, `${records.length} records need ${end} bytes, more than MaxSize ${maxSize}`);
  // An empty log: CurrentRecordNumber 1, OldestRecordNumber 0 (ElfpInitNewFile).
  const next = records.length ? first + records.length : 1;
  if (next > 0xffffffff) throw new EvtWriteError(-1, 'record numbers run past 0xffffffff');
  const oldest = records.length ? first : 0;

  const out = new Uint8Array(Math.min(alignUp(end, EVENTLOG_FILE_GRANULARITY), maxSize));
  const v = new DataView(out.buffer);
  const H = ELF_LOGFILE_HEADER;
  v.setUint32(H.HeaderSize, H.size, true);
  v.setUint32(H.Signature, ELF_LOG_SIGNATURE, true);
  v.setUint32(H.MajorVersion, 1, true);
  v.setUint32(H.MinorVersion, 1, true);
  v.setUint32(H.StartOffset, start, true);
  v.setUint32(H.EndOffset, eofOffset, true);
  v.setUint32(H.CurrentRecordNumber, next, true);
  v.setUint32(H.OldestRecordNumber, oldest, true);
  v.setUint32(H.MaxSize, maxSize, true);
  v.setUint32(H.Flags, 0, true); // closed cleanly: not dirty, not wrapped
  v.setUint32(H.Retention, retention, true);
  v.setUint32(H.EndHeaderSize, H.size, true);
  let pos = start;
  for (const r of records) pos = encodeRecord(r, out, v, pos);
  const E = ELF_EOF_RECORD;
  v.setUint32(eofOffset + E.RecordSizeBeginning, E.size, true);
  for (const [i, m] of ELF_EOF_MARKERS.entries()) v.setUint32(eofOffset + E.One + 4 * i, m, true);
  v.setUint32(eofOffset + E.BeginRecord, start, true);
  v.setUint32(eofOffset + E.EndRecord, eofOffset, true);
  v.setUint32(eofOffset + E.CurrentRecordNumber, next, true);
  v.setUint32(eofOffset + E.OldestRecordNumber, oldest, true);
  v.setUint32(eofOffset + E.RecordSizeEnd, E.size, true);
  return out;
}
