// Boot-level checks of structured exception handling and the I/O error log: a boot driver whose
// ExRaiseStatus no frame takes stops the boot with KMODE_EXCEPTION_NOT_HANDLED (NT's parameters),
// and a driver's IoWriteErrorLogEntry packet becomes a System-log record in the report, in
// SysEvent.Evt (read back with evtexport) and in Event Viewer's rows.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boot } from '../../src/boot/index.js';
import { ImageSet } from '../../src/system/index.js';
import { haveEvtexport, parseEvtexport } from '../helpers/evtexport.js';
import { haveUnicorn } from '../helpers/unicorn.js';
import { x86Driver } from '../helpers/x86-driver.js';

const SET = 'fixtures/imagesets/rtm-x86-up';
const ATDISK = '\\SystemRoot\\System32\\drivers\\atdisk.sys';
const le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

/** DriverEntry: IoAllocateErrorLogEntry(DriverObject, 0x40), fill it, IoWriteErrorLogEntry, return 0. */
const errorLogDriver = () =>
  x86Driver(['IoAllocateErrorLogEntry', 'IoWriteErrorLogEntry'], (a) => {
    a.emit(0x8b, 0x44, 0x24, 0x04); // mov eax, [esp+4]: DriverObject
    a.emit(0x6a, 0x40, 0x50); // push 0x40; push eax
    a.callImport('IoAllocateErrorLogEntry');
    const dword = (offset: number, value: number) => a.emit(0xc7, 0x40, offset, ...le(value)); // mov [eax+o], imm32
    const word = (offset: number, value: number) =>
      a.emit(0x66, 0xc7, 0x40, offset, value & 0xff, value >>> 8);
    dword(0x0c, 0xc0040005); // ErrorCode
    dword(0x10, 0x1234); // UniqueErrorValue
    dword(0x14, 0xc000009a); // FinalStatus
    word(0x02, 4); // DumpDataSize
    dword(0x28, 0xaabbccdd); // DumpData[0]
    word(0x04, 1); // NumberOfStrings
    word(0x06, 0x2c); // StringOffset
    dword(0x2c, 0x00330043); // L"C3"
    dword(0x30, 0); // NUL
    a.emit(0x50); // push eax
    a.callImport('IoWriteErrorLogEntry');
    a.emit(0x31, 0xc0, 0xc2, 0x08, 0x00); // xor eax, eax; ret 8
  });

describe.skipIf(!haveUnicorn)('exceptions and the error log at boot', () => {
  it('a boot driver raising a status no frame takes: KMODE_EXCEPTION_NOT_HANDLED (code, address, 0, 0)', async () => {
    const raiser = x86Driver(['ExRaiseStatus'], (a) => {
      a.emit(0x68, ...le(0xc0000123)); // push 0xC0000123
      a.callImport('ExRaiseStatus');
      a.emit(0x31, 0xc0, 0xc2, 0x08, 0x00);
    });
    const set = ImageSet.open(SET);
    set.write(ATDISK, raiser);
    const r = await boot(set);
    expect(r.bugcheck).toMatchObject({
      code: 0x1e,
      name: 'KMODE_EXCEPTION_NOT_HANDLED',
      module: 'ATDISK.SYS',
    });
    const [code, address, p0, p1] = r.bugcheck!.params;
    expect([code, p0, p1]).toEqual([0xc0000123, 0, 0]);
    // The address is the driver's return address from ExRaiseStatus: inside ATDISK.SYS.
    const atdisk = r.modules.find((m) => m.name.toUpperCase() === 'ATDISK.SYS');
    expect(address! - atdisk!.base).toBe(0x1000 + 5 + 6);
  });

  it('IoWriteErrorLogEntry: a System-log record after the EventLog start, as NT writes it', async () => {
    const set = ImageSet.open(SET);
    set.write(ATDISK, errorLogDriver());
    const r = await boot(set);
    expect(r.bugcheck).toBeNull();
    const i = r.events.findIndex((e) => e.eventId === 0xc0040005);
    expect(i).toBeGreaterThan(r.events.findIndex((e) => e.source === 'EventLog' && e.id === 6005));
    const e = r.events[i]!;
    expect(e.source.toLowerCase()).toBe('atdisk');
    expect(e).toMatchObject({ id: 5, type: 'error', strings: [`\\Driver\\${e.source}`, 'C3'] });
    // The data: the packet from MajorFunctionCode through its 4 bytes of DumpData.
    expect(e.data).toBe(
      '000004000100' +
        '2c00' +
        '0000' +
        '0000' +
        '050004c0' +
        '34120000' +
        '9a0000c0' +
        '00000000' +
        '00000000' +
        '0000000000000000' +
        'ddccbbaa',
    );
    expect(r.outcome).toBe('errors');
  });

  it.skipIf(!haveEvtexport)('the error-log record is in SysEvent.Evt: evtexport reads it', async () => {
    const set = ImageSet.open(SET);
    set.write(ATDISK, errorLogDriver());
    const r = await boot(set);
    const dir = mkdtempSync(join(tmpdir(), 'nt351-errorlog-'));
    try {
      const [file] = set.saveOverlay(dir).filter((f) => /SysEvent\.Evt$/i.test(f));
      const out = spawnSync('evtexport', [file!], { encoding: 'utf8' });
      expect(out.status).toBe(0);
      const records = parseEvtexport(out.stdout);
      const rec = records.find((x) => x.id === 0xc0040005);
      const source = r.events.find((e) => e.eventId === 0xc0040005)!.source;
      expect(rec).toMatchObject({ source, type: 1, strings: [`\\Driver\\${source}`, 'C3'] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
