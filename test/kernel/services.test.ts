// Executive services a driver calls from DriverEntry (fixtures/src/samples/services.c): registry
// keys in the in-memory model seeded with the driver's services key, files of an image set (read
// only), system threads and object references; plus the version queries NT 3.51 kernels lack.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunDriverReport, runDriver } from '../../src/sandbox/index.js';
import { cliInProcess } from '../helpers/cli.js';
import { x86Driver } from '../helpers/x86-driver.js';

const SERVICES = 'fixtures/bin/samples/services.sys';
const IMAGESET = 'fixtures/imagesets/sp3-x86-up';
const dbg = (r: RunDriverReport) => r.events.flatMap((e) => (e.type === 'dbgprint' ? [e.text.trim()] : []));
const tmp = mkdtempSync(join(tmpdir(), 'nt351-svc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const write = (name: string, bytes: Uint8Array) => {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
};
const le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

const cli = cliInProcess;

describe('Zw*, Ps* and Ob* from guest code', () => {
  it('reads and extends its services key, and finds no files without an image set (golden)', async () => {
    const human = await cli('run-driver', SERVICES);
    expect(human.code).toBe(0);
    await expect(human.stdout).toMatchFileSnapshot('../golden/run-driver-services.txt');
    const r = await runDriver({ driver: SERVICES });
    expect(dbg(r)).toEqual([
      'services: ZwOpenKey(\\Registry\\Machine\\System\\CurrentControlSet\\Services\\services) = 00000000',
      'services: Start = 3 (type 4, status 00000000, 16 bytes)',
      'services: ImagePath into 16 bytes: 80000005, needs 96',
      'services: ImagePath = \\SystemRoot\\System32\\drivers\\services.sys (00000000)',
      'services: ZwCreateKey(Parameters) = 00000000, disposition 1',
      'services: Parameters\\Greeting = hello (00000000)',
      'services: subkey 0: Parameters',
      'services: subkey 1: 8000001a',
      'services: open \\SystemRoot\\System32\\ntoskrnl.exe for writing: c0000034',
      'services: open \\SystemRoot\\System32\\ntoskrnl.exe for reading: c0000034',
      'services: PsCreateSystemThread = 00000000',
      'services: ObReferenceObjectByHandle = 00000000, the current thread: no',
      'services: PsGetCurrentThread is FS:[0x124]: yes',
      // The system thread runs once DriverEntry has returned (src/kernel/scheduler.ts).
      'services: worker thread running with 00001234',
    ]);
    const thread = r.events.find((e) => e.type === 'system-thread');
    expect(thread).toMatchObject({ startContext: 0x1234, startRoutine: expect.any(Number) });
    expect(r.events.filter((e) => e.type === 'thread-ended')).toMatchObject([{ how: 'returned' }]);
  });

  it('opens and reads the image set kernel through \\SystemRoot, refusing a write open', async () => {
    const r = await runDriver({ driver: SERVICES, imageset: IMAGESET });
    expect(r.outcome).toBe('ok');
    expect(dbg(r).filter((t) => / (open|read) /.test(t))).toEqual([
      'services: open \\SystemRoot\\System32\\ntoskrnl.exe for writing: c0000022',
      'services: open \\SystemRoot\\System32\\ntoskrnl.exe for reading: 00000000',
      'services: read 2 bytes: MZ (00000000)',
    ]);
  });

  it('reports a stale handle as STATUS_INVALID_HANDLE and an extra dereference as bugcheck 0x18', async () => {
    const closeBad = x86Driver(['ZwClose'], (a) => {
      a.emit(0x68, ...le(0x1230)); // push 0x1230
      a.callImport('ZwClose');
      a.emit(0xc2, 0x08, 0x00); // ret 8 with ZwClose's status
    });
    const r1 = await runDriver({ driver: write('close.sys', closeBad) });
    expect(r1.calls[0]!.status).toBe('0xC0000008');
    const overDeref = x86Driver(['PsGetCurrentProcess', 'ObDereferenceObject'], (a) => {
      a.callImport('PsGetCurrentProcess');
      a.emit(0x89, 0xc6, 0x56); // mov esi, eax; push esi
      a.callImport('ObDereferenceObject'); // the System process's one reference goes
      a.emit(0x56); // push esi
      a.callImport('ObDereferenceObject'); // below zero
      a.emit(0x31, 0xc0, 0xc2, 0x08, 0x00);
    });
    const r2 = await runDriver({ driver: write('deref.sys', overDeref) });
    expect(r2.outcome).toBe('bugcheck');
    expect(r2.events.find((e) => e.type === 'bugcheck')).toMatchObject({ code: 0x18 });
  });
});

describe('version queries', () => {
  const versionDriver = x86Driver(['PsGetVersion'], (a) => {
    a.emit(0x6a, 0x00); // push NULL (CSDVersion)
    a.emit(0x68);
    a.dataAddress(8); // push &build
    a.emit(0x68);
    a.dataAddress(4); // push &minor
    a.emit(0x68);
    a.dataAddress(0); // push &major
    a.callImport('PsGetVersion');
    a.emit(0xa1);
    a.dataAddress(8); // mov eax, [build]
    a.emit(0xc2, 0x08, 0x00);
  });
  const wdmDriver = x86Driver(['IoIsWdmVersionAvailable'], (a) => {
    a.emit(0x6a, 0x10, 0x6a, 0x01); // push 0x10; push 1: WDM 1.10 (Windows 2000)
    a.callImport('IoIsWdmVersionAvailable');
    a.emit(0x0f, 0xb6, 0xf0); // movzx esi, al
    a.emit(0x6a, 0x20, 0x6a, 0x01); // WDM 1.20 (Windows XP)
    a.callImport('IoIsWdmVersionAvailable');
    a.emit(0x0f, 0xb6, 0xc0, 0xc1, 0xe6, 0x04, 0x09, 0xf0); // movzx eax, al; shl esi, 4; or eax, esi
    a.emit(0xc2, 0x08, 0x00);
  });

  it('PsGetVersion and IoIsWdmVersionAvailable are not exported by NT 3.51: the load fails', async () => {
    for (const [name, bytes] of [
      ['PsGetVersion', versionDriver],
      ['IoIsWdmVersionAvailable', wdmDriver],
    ] as const) {
      const r = await runDriver({ driver: write(`${name}.sys`, bytes) });
      expect(r.outcome).toBe('load-failed');
      expect(r.load).toMatchObject({ ok: false, status: '0xC0000263', misses: [{ name }] });
    }
  });

  it('the registry kernel answers as Windows 2000: build 2195, WDM 1.10 but not 1.20', async () => {
    const v = await runDriver({ driver: write('version.sys', versionDriver), kernel: 'registry' });
    expect(v.calls[0]!.outcome).toEqual({ kind: 'returned', eax: 2195 });
    const w = await runDriver({ driver: write('wdm.sys', wdmDriver), kernel: 'registry' });
    expect(w.calls[0]!.outcome).toEqual({ kind: 'returned', eax: 0x10 }); // 1.10 yes, 1.20 no
  });
});
