// evt-reader.ts: round trips through the writer, and malformed files (every truncation, every corrupted
// byte or DWORD) end in EvtFormatError or a clean read, never another error.
import { describe, expect, it } from 'vitest';
import { EvtFormatError } from '../../../src/kernel/eventlog/evt-errors.js';
import { readEvtFile } from '../../../src/kernel/eventlog/evt-reader.js';
import { type EvtRecord, writeEvtFile } from '../../../src/kernel/eventlog/evt-writer.js';
import { bootEvents, T0 } from './boot-events.js';

const bytes = writeEvtFile(bootEvents);
const eofEnd = new DataView(bytes.buffer).getUint32(0x14, true) + 0x28;

/** Runs the reader; returns 'ok', or the EvtFormatError. Any other error fails the test. */
function attempt(b: Uint8Array): 'ok' | EvtFormatError {
  try {
    readEvtFile(b, 'test.evt');
    return 'ok';
  } catch (e) {
    if (e instanceof EvtFormatError) return e;
    throw e;
  }
}

describe('readEvtFile round trip', () => {
  it('gives back the records written, with their offsets and no SID', () => {
    const log = readEvtFile(bytes);
    expect(log.records.map(({ offset, userSid, ...r }) => r)).toEqual(bootEvents);
    expect(log.records.map((r) => r.userSid)).toEqual([null, null, null]);
    expect(log.records[0]?.offset).toBe(0x30);
    expect(log.header).toEqual({
      startOffset: 0x30,
      endOffset: eofEnd - 0x28,
      currentRecordNumber: 4,
      oldestRecordNumber: 1,
      maxSize: 0x80000,
      flags: 0,
      retention: 604800,
    });
  });

  it('reads an empty log, a log starting at record 1000, odd strings, and bytes inside a larger buffer', () => {
    expect(readEvtFile(writeEvtFile([])).records).toEqual([]);
    const odd: EvtRecord[] = [1000, 1001].map((n) => ({
      recordNumber: n,
      timeGenerated: T0,
      timeWritten: 0xffffffff,
      eventId: 0xffffffff,
      eventType: 16,
      eventCategory: 0xffff,
      source: 'Ünï ✓ \u{1f600}',
      computer: '',
      strings: ['', 'z'.repeat(100_000), 'line\r\nbreak'],
      data: new Uint8Array([1, 2, 3]),
    }));
    const file = writeEvtFile(odd);
    const inside = new Uint8Array(file.length + 3);
    inside.set(file, 3);
    const log = readEvtFile(inside.subarray(3));
    expect(log.records.map(({ offset, userSid, ...r }) => r)).toEqual(odd);
  });

  it('reads the file cut just after the EOF record (the zero fill is optional)', () => {
    expect(readEvtFile(bytes.subarray(0, eofEnd)).records).toHaveLength(3);
  });
});

describe('readEvtFile on malformed input', () => {
  it('every truncation before the end of the EOF record is an EvtFormatError', () => {
    for (let n = 0; n < eofEnd; n++)
      expect(attempt(bytes.slice(0, n)), `cut at ${n}`).toBeInstanceOf(EvtFormatError);
  });

  it('every single corrupted byte gives EvtFormatError or a clean read; structure bytes are caught', () => {
    let caught = 0;
    for (let i = 0; i < eofEnd; i++) {
      const b = bytes.slice(0, eofEnd);
      b[i] = (b[i] as number) ^ 0xff;
      if (attempt(b) !== 'ok') caught++;
    }
    expect(caught).toBeGreaterThan(100);
    const at = (off: number, value: number) => {
      const b = bytes.slice();
      new DataView(b.buffer).setUint32(off, value, true);
      return attempt(b);
    };
    const rec2 = 0x30 + new DataView(bytes.buffer).getUint32(0x30, true);
    const cases: [string, number, number, RegExp][] = [
      ['header signature', 4, 0x4c664c65, /ELF_LOGFILE_HEADER\.Signature/],
      ['wrap flag', 0x24, 2, /wrapped logs/],
      ['dirty flag', 0x24, 1, /dirty/],
      ['EndOffset past the file', 0x14, 0xfffffff0, /ELF_LOGFILE_HEADER\.StartOffset/],
      ['record Length', rec2, 0x1000, /EVENTLOGRECORD\.Length/],
      ['record Length too small', rec2, 8, /EVENTLOGRECORD\.Length/],
      ['record signature', rec2 + 4, 0, /EVENTLOGRECORD\.Reserved/],
      ['record number', rec2 + 8, 7, /RecordNumber: is 7, expected 2/],
      ['StringOffset', rec2 + 0x24, 0xffff0000, /EVENTLOGRECORD\.StringOffset/],
      ['DataOffset', rec2 + 0x34, 0x7ffffffe, /EVENTLOGRECORD\.DataOffset/],
      ['UserSidLength', rec2 + 0x28, 0xffffffff, /EVENTLOGRECORD\.UserSidOffset/],
      ['EventType', rec2 + 0x18, 3, /EVENTLOGRECORD\.EventType/],
      ['EOF marker', eofEnd - 0x28 + 8, 0x22222223, /ELF_EOF_RECORD\.Two/],
      ['EOF record number', eofEnd - 0x28 + 0x1c, 9, /ELF_EOF_RECORD\.CurrentRecordNumber/],
      ['header record count', 0x18, 9, /ELF_EOF_RECORD\.CurrentRecordNumber/],
    ];
    for (const [what, off, value, message] of cases) {
      const r = at(off, value);
      expect(r, what).toBeInstanceOf(EvtFormatError);
      expect((r as EvtFormatError).message, what).toMatch(message);
    }
  });

  it('every DWORD set to 0, 0xffffffff or 0x7fffffff gives EvtFormatError or a clean read', () => {
    for (let i = 0; i + 4 <= eofEnd; i += 2)
      for (const value of [0, 0xffffffff, 0x7fffffff]) {
        const b = bytes.slice(0, eofEnd);
        new DataView(b.buffer).setUint32(i, value, true);
        attempt(b);
      }
  });

  it('an unterminated string is reported, not read past the record', () => {
    const b = bytes.slice();
    const v = new DataView(b.buffer);
    const len = v.getUint32(0x30, true);
    for (let p = 0x30 + 0x38; p < 0x30 + len - 4; p += 2) v.setUint16(p, 0x41, true);
    const e = attempt(b);
    expect(e).toBeInstanceOf(EvtFormatError);
    expect((e as EvtFormatError).toJSON()).toMatchObject({
      error: 'EvtFormatError',
      file: 'test.evt',
      structure: 'EVENTLOGRECORD',
      field: 'SourceName',
      offset: 0x30 + 0x38,
    });
  });
});
