// A small bounded reader for NT event log files: enough to read back what evt-writer.ts writes (and what a
// cleanly closed, unwrapped NT log holds). Every bad byte ends in EvtFormatError, never a RangeError.
import { EvtFormatError } from './evt-errors.js';
import {
  ELF_EOF_MARKERS,
  ELF_EOF_RECORD,
  ELF_LOG_SIGNATURE,
  ELF_LOGFILE_FLAGS,
  ELF_LOGFILE_HEADER,
  EVENTLOGRECORD,
} from './evt-layout.js';
import type { EvtRecord } from './evt-writer.js';

/** The ELF_LOGFILE_HEADER fields. */
export interface EvtLogHeader {
  startOffset: number;
  endOffset: number;
  currentRecordNumber: number;
  oldestRecordNumber: number;
  maxSize: number;
  flags: number;
  retention: number;
}

/** A record as read from a file: the writer's fields plus where it was and its user SID, if any. */
export interface ReadEvtRecord extends Omit<EvtRecord, 'eventType'> {
  /** As {@link EvtRecord.eventType}, plus 0 (EVENTLOG_SUCCESS), which ReportEvent also accepts. */
  eventType: 0 | EvtRecord['eventType'];
  /** File offset of the record. */
  offset: number;
  /** Raw SID bytes, or null when the record has none. */
  userSid: Uint8Array | null;
}

/** The contents of an event log file, oldest record first. */
export interface EvtLog {
  header: EvtLogHeader;
  records: ReadEvtRecord[];
}

const EVENT_TYPES = new Set([0, 1, 2, 4, 8, 16]);

/** UTF-16 code units to a string, in slices (a spread of 10^5 arguments overflows the stack). */
function fromUnits(units: number[]): string {
  let s = '';
  for (let i = 0; i < units.length; i += 4096) s += String.fromCharCode(...units.slice(i, i + 4096));
  return s;
}

/**
 * Reads an unwrapped NT event log: the header, every record from StartOffset to EndOffset, and the
 * ELF_EOF_RECORD at EndOffset, which must agree with the header.
 * Long because the header, the record walk and the EOF check are one validation of one buffer: each
 * step's offsets depend on the one before, as in the format's description.
 * @param file label used in error messages
 * @throws EvtFormatError for truncated, inconsistent or unsupported (wrapped, dirty) files
 */
export function readEvtFile(bytes: Uint8Array, file = '<evt>'): EvtLog {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (offset: number, structure: string, field: string, reason: string): never => {
    throw new EvtFormatError({ file, offset, structure, field, reason });
  };
  const u32 = (off: number, structure: string, field: string): number => {
    if (off < 0 || off + 4 > bytes.length)
      fail(off, structure, field, `file ends at 0x${bytes.length.toString(16)}`);
    return view.getUint32(off, true);
  };
  const u16 = (off: number, structure: string, field: string): number => {
    if (off < 0 || off + 2 > bytes.length)
      fail(off, structure, field, `file ends at 0x${bytes.length.toString(16)}`);
    return view.getUint16(off, true);
  };

  const H = ELF_LOGFILE_HEADER;
  const h = (field: keyof typeof H) => u32(H[field], 'ELF_LOGFILE_HEADER', field);
  if (h('HeaderSize') !== H.size) fail(0, 'ELF_LOGFILE_HEADER', 'HeaderSize', `is not 0x30`);
  if (h('Signature') !== ELF_LOG_SIGNATURE) fail(4, 'ELF_LOGFILE_HEADER', 'Signature', 'is not "LfLe"');
  if (h('MajorVersion') !== 1 || h('MinorVersion') !== 1)
    fail(
      8,
      'ELF_LOGFILE_HEADER',
      'MajorVersion',
      `version ${h('MajorVersion')}.${h('MinorVersion')} is not 1.1`,
    );
  if (h('EndHeaderSize') !== H.size)
    fail(H.EndHeaderSize, 'ELF_LOGFILE_HEADER', 'EndHeaderSize', 'is not 0x30');
  const header: EvtLogHeader = {
    startOffset: h('StartOffset'),
    endOffset: h('EndOffset'),
    currentRecordNumber: h('CurrentRecordNumber'),
    oldestRecordNumber: h('OldestRecordNumber'),
    maxSize: h('MaxSize'),
    flags: h('Flags'),
    retention: h('Retention'),
  };
  if (header.flags & ELF_LOGFILE_FLAGS.HEADER_WRAP)
    fail(H.Flags, 'ELF_LOGFILE_HEADER', 'Flags', 'wrapped logs are not read by this reader');
  if (header.flags & ELF_LOGFILE_FLAGS.HEADER_DIRTY)
    fail(
      H.Flags,
      'ELF_LOGFILE_HEADER',
      'Flags',
      'the log is dirty (not closed): its header offsets are stale',
    );
  const { startOffset: start, endOffset: end } = header;
  if (start < H.size || start > end || end + ELF_EOF_RECORD.size > bytes.length || (start | end) & 3)
    fail(
      H.StartOffset,
      'ELF_LOGFILE_HEADER',
      'StartOffset',
      `records 0x${start.toString(16)}..0x${end.toString(16)} do not fit a 0x${bytes.length.toString(16)}-byte file`,
    );

  const records: ReadEvtRecord[] = [];
  for (let pos = start; pos < end; ) {
    const r = readRecord(pos, end);
    const want = header.oldestRecordNumber + records.length;
    if (r.recordNumber !== want)
      fail(
        pos + EVENTLOGRECORD.RecordNumber,
        'EVENTLOGRECORD',
        'RecordNumber',
        `is ${r.recordNumber}, expected ${want}`,
      );
    records.push(r);
    pos += u32(pos, 'EVENTLOGRECORD', 'Length');
  }

  const E = ELF_EOF_RECORD;
  const e = (field: keyof typeof E) => u32(end + E[field], 'ELF_EOF_RECORD', field);
  if (e('RecordSizeBeginning') !== E.size || e('RecordSizeEnd') !== E.size)
    fail(end, 'ELF_EOF_RECORD', 'RecordSizeBeginning', 'no 0x28-byte EOF record at the header EndOffset');
  for (const [i, m] of ELF_EOF_MARKERS.entries()) {
    if (u32(end + E.One + 4 * i, 'ELF_EOF_RECORD', 'One') !== m)
      fail(
        end + E.One + 4 * i,
        'ELF_EOF_RECORD',
        ['One', 'Two', 'Three', 'Four'][i] ?? '',
        `is not 0x${m.toString(16)}`,
      );
  }
  const expected: [keyof typeof E, number][] = [
    ['BeginRecord', start],
    ['EndRecord', end],
    ['CurrentRecordNumber', header.currentRecordNumber],
    ['OldestRecordNumber', header.oldestRecordNumber],
  ];
  for (const [field, value] of expected)
    if (e(field) !== value)
      fail(end + E[field], 'ELF_EOF_RECORD', field, `${e(field)} disagrees with the header (${value})`);
  const count = records.length ? header.currentRecordNumber - header.oldestRecordNumber : 0;
  if (count !== records.length)
    fail(
      H.CurrentRecordNumber,
      'ELF_LOGFILE_HEADER',
      'CurrentRecordNumber',
      `promises ${count} records, found ${records.length}`,
    );
  return { header, records };

  /** UTF-16LE string ending in NUL, entirely before `limit`; returns the string and the offset after the NUL. */
  function stringZ(off: number, limit: number, field: string): [string, number] {
    const units: number[] = [];
    for (let p = off; p + 2 <= limit; p += 2) {
      const c = view.getUint16(p, true);
      if (c === 0) return [fromUnits(units), p + 2];
      units.push(c);
    }
    return fail(off, 'EVENTLOGRECORD', field, 'string runs past the end of the record');
  }

  function readRecord(pos: number, limit: number): ReadEvtRecord {
    const R = EVENTLOGRECORD;
    const f32 = (field: keyof typeof R) => u32(pos + R[field], 'EVENTLOGRECORD', field);
    const f16 = (field: keyof typeof R) => u16(pos + R[field], 'EVENTLOGRECORD', field);
    const length = f32('Length');
    if (length < R.size + 4 || length & 3 || pos + length > limit)
      fail(
        pos,
        'EVENTLOGRECORD',
        'Length',
        `0x${length.toString(16)} does not fit before 0x${limit.toString(16)}`,
      );
    if (f32('Reserved') !== ELF_LOG_SIGNATURE)
      fail(pos + R.Reserved, 'EVENTLOGRECORD', 'Reserved', 'is not "LfLe"');
    if (u32(pos + length - 4, 'EVENTLOGRECORD', 'Length') !== length)
      fail(pos + length - 4, 'EVENTLOGRECORD', 'Length', 'trailing copy of Length differs');
    const body = pos + length - 4; // the variable part ends before the trailing Length
    const inBody = (field: keyof typeof R, off: number, size: number) => {
      if (off < R.size || off + size > length - 4)
        fail(
          pos + R[field],
          'EVENTLOGRECORD',
          field,
          `0x${off.toString(16)}+0x${size.toString(16)} is outside the record`,
        );
      return pos + off;
    };
    const eventType = f16('EventType');
    if (!EVENT_TYPES.has(eventType))
      fail(pos + R.EventType, 'EVENTLOGRECORD', 'EventType', `${eventType} is unknown`);
    const [source, afterSource] = stringZ(pos + R.SourceName, body, 'SourceName');
    const [computer] = stringZ(afterSource, body, 'ComputerName');
    const strings: string[] = [];
    const numStrings = f16('NumStrings');
    if (numStrings > 0) {
      let p = inBody('StringOffset', f32('StringOffset'), 0);
      for (let i = 0; i < numStrings; i++) {
        const [s, next] = stringZ(p, body, 'StringOffset');
        strings.push(s);
        p = next;
      }
    }
    const sidLength = f32('UserSidLength');
    const sidAt = sidLength ? inBody('UserSidOffset', f32('UserSidOffset'), sidLength) : 0;
    const dataLength = f32('DataLength');
    const dataAt = dataLength ? inBody('DataOffset', f32('DataOffset'), dataLength) : 0;
    const r: ReadEvtRecord = {
      recordNumber: f32('RecordNumber'),
      timeGenerated: f32('TimeGenerated'),
      timeWritten: f32('TimeWritten'),
      eventId: f32('EventID'),
      eventType: eventType as ReadEvtRecord['eventType'],
      eventCategory: f16('EventCategory'),
      source,
      computer,
      strings,
      offset: pos,
      userSid: sidLength ? bytes.slice(sidAt, sidAt + sidLength) : null,
    };
    if (dataLength) r.data = bytes.slice(dataAt, dataAt + dataLength);
    return r;
  }
}
