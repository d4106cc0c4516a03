// The .evt writer checked by a reader we did not write (libyal's evtexport/evtinfo, Debian libevt-utils),
// and the file layout NT uses for a fresh log (header, records from 0x30, EOF record, 64 KiB steps).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fullEventId, splitEventId } from '../../../src/kernel/eventlog/event-id.js';
import { EvtWriteError } from '../../../src/kernel/eventlog/evt-errors.js';
import { type EvtRecord, writeEvtFile } from '../../../src/kernel/eventlog/evt-writer.js';
import { type Exported, haveEvtexport, parseEvtexport } from '../../helpers/evtexport.js';
import { bootEvents, T0 } from './boot-events.js';

const tmp = mkdtempSync(join(tmpdir(), 'nt351-evt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function runTool(tool: string, bytes: Uint8Array, name: string, ...args: string[]) {
  const file = join(tmp, name);
  writeFileSync(file, bytes);
  const r = spawnSync(tool, [...args, file], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

const expectedExport = (r: EvtRecord): Exported => ({
  number: r.recordNumber,
  created: r.timeGenerated,
  written: r.timeWritten,
  type: r.eventType,
  computer: r.computer,
  source: r.source,
  category: r.eventCategory,
  id: r.eventId,
  strings: r.strings,
});

describe.skipIf(!haveEvtexport)(
  'evtexport reads what writeEvtFile writes (needs evtexport from libevt-utils)',
  () => {
    it('exports the three boot events with their numbers, ids, types, sources, computer, times and strings', () => {
      const out = runTool('evtexport', writeEvtFile(bootEvents), 'SysEvent.Evt', '-t', 'system');
      expect(parseEvtexport(out)).toEqual(bootEvents.map(expectedExport));
    });

    it('evtinfo sees a 1.1 System log with three records and nothing to recover', () => {
      const out = runTool('evtinfo', writeEvtFile(bootEvents), 'SysEvent.Evt');
      expect(out).toMatch(/Version\s+: 1\.1\n/);
      expect(out).toMatch(/Number of records\s+: 3\n/);
      expect(out).toMatch(/Number of recovered records\s+: 0\n/);
      expect(out).toMatch(/Log type\s+: System\n/);
    });

    it('reads non-ASCII names, empty strings, a tab and a long string', () => {
      const r: EvtRecord = {
        recordNumber: 41,
        timeGenerated: T0,
        timeWritten: T0 + 1,
        eventId: fullEventId(26, 'informational', 0x12),
        eventType: 2,
        eventCategory: 7,
        source: 'Überprüfung ✓',
        computer: '',
        strings: ['', 'a\tb', 'x'.repeat(3000)],
      };
      const out = runTool('evtexport', writeEvtFile([r]), 'odd.evt', '-t', 'system');
      expect(parseEvtexport(out)).toEqual([expectedExport(r)]);
    });

    it('reads a log that grew past 64 KiB, and an empty log', () => {
      const many = Array.from({ length: 600 }, (_, i) => ({
        ...(bootEvents[2] as EvtRecord),
        recordNumber: 1 + i,
        strings: [`Service${i}`, `%%${i}`],
      }));
      const bytes = writeEvtFile(many);
      expect(bytes.length).toBe(0x20000);
      const got = parseEvtexport(runTool('evtexport', bytes, 'big.evt', '-t', 'system'));
      expect(got.map((e) => e.number)).toEqual(many.map((r) => r.recordNumber));
      expect(got[599]?.strings).toEqual(['Service599', '%%599']);
      const empty = runTool('evtinfo', writeEvtFile([]), 'empty.evt');
      expect(empty).toMatch(/Number of records\s+: 0\n/);
    });
  },
);

describe('writeEvtFile layout', () => {
  const bytes = writeEvtFile(bootEvents);
  const v = new DataView(bytes.buffer);
  const u32 = (o: number) => v.getUint32(o, true);

  it('writes a clean 1.1 header, records from 0x30, and the EOF record; the file is one 64 KiB step', () => {
    expect(bytes.length).toBe(0x10000);
    expect(new TextDecoder().decode(bytes.subarray(4, 8))).toBe('LfLe');
    const [size, , major, minor, start, end, current, oldest, max, flags, retention, endSize] = Array.from(
      { length: 12 },
      (_, i) => u32(4 * i),
    );
    expect({ size, major, minor, start, current, oldest, max, flags, retention, endSize }).toEqual({
      size: 0x30,
      major: 1,
      minor: 1,
      start: 0x30,
      current: 4,
      oldest: 1,
      max: 0x80000,
      flags: 0,
      retention: 604800,
      endSize: 0x30,
    });
    // The records tile 0x30..EndOffset: each Length leads to the next, each ends in a copy of it.
    let pos = 0x30;
    for (const r of bootEvents) {
      expect(u32(pos + 8)).toBe(r.recordNumber);
      const len = u32(pos);
      expect(len % 4).toBe(0);
      expect(u32(pos + len - 4)).toBe(len);
      pos += len;
    }
    expect(pos).toBe(end);
    const eof = Array.from({ length: 10 }, (_, i) => u32((end as number) + 4 * i));
    expect(eof).toEqual([0x28, 0x11111111, 0x22222222, 0x33333333, 0x44444444, 0x30, end, 4, 1, 0x28]);
    expect(bytes.subarray((end as number) + 0x28).every((b) => b === 0)).toBe(true);
  });

  it('lays out a record as NT does: names, DWORD pad, strings, data, pad, Length', () => {
    // Server record: 0x38 + "Server\0" (14) + "NT351\0" (12) = 0x52, padded to 0x54 for the (absent) SID.
    const at = 0x30 + u32(0x30);
    expect(u32(at + 0x24)).toBe(0x54); // StringOffset
    expect(u32(at + 0x28)).toBe(0); // UserSidLength
    expect(u32(at + 0x30)).toBe(4); // DataLength
    expect(u32(at + 0x34)).toBe(0x54 + 8); // DataOffset: after "Srv\0"
    expect(Array.from(bytes.subarray(at + 0x5c, at + 0x60))).toEqual([0x34, 0, 0, 0xc0]);
    expect(u32(at)).toBe(0x60 + 4);
  });

  it('takes MaxSize rounded up to 64 KiB, and refuses records that do not fit or are not sequential', () => {
    expect(new DataView(writeEvtFile([], { maxSize: 0x10001 }).buffer).getUint32(0x20, true)).toBe(0x20000);
    const big = { ...(bootEvents[0] as EvtRecord), strings: ['y'.repeat(40000)] };
    expect(() => writeEvtFile([big], { maxSize: 0x10000 })).toThrow(EvtWriteError);
    expect(() => writeEvtFile([bootEvents[0] as EvtRecord, bootEvents[2] as EvtRecord])).toThrow(
      /record number 3 does not follow 1/,
    );
    expect(() => writeEvtFile([{ ...(bootEvents[0] as EvtRecord), strings: ['a\0b'] }])).toThrow(
      EvtWriteError,
    );
    expect(() => writeEvtFile([{ ...(bootEvents[0] as EvtRecord), timeWritten: -1 }])).toThrow(EvtWriteError);
  });
});

describe('event ids', () => {
  it('builds the netevent.h ids from code and declared severity', () => {
    expect(fullEventId(6005, 'warning')).toBe(0x80001775);
    expect(fullEventId(7023, 'error')).toBe(0xc0001b6f);
    expect(fullEventId(2508, 'warning')).toBe(0x800009cc);
    expect(fullEventId(2508, 'error')).toBe(0xc00009cc);
    expect(fullEventId(1, 'informational', 0xfff, true)).toBe(0x6fff0001);
    expect(splitEventId(0xc0001b6f)).toEqual({ code: 7023, facility: 0, customer: false, severity: 'error' });
    expect(splitEventId(0x6fff0001)).toEqual({
      code: 1,
      facility: 0xfff,
      customer: true,
      severity: 'informational',
    });
  });
});
