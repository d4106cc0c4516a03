// run-driver: the fixture drivers and the DDK-style sample, the seed's load failure, the registry
// kernel, and guest misbehaviour (loop, wild write, use-after-free, double free, unimplemented
// routine) reported as events distinct from a host bug in a handler.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_HANDLERS } from '../../src/kernel/exports/index.js';
import { defineExport } from '../../src/kernel/registry.js';
import { type RunDriverReport, runDriver } from '../../src/sandbox/index.js';
import { cliInProcess } from '../helpers/cli.js';
import { x86Driver } from '../helpers/x86-driver.js';

const tmp = mkdtempSync(join(tmpdir(), 'nt351-run-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const write = (name: string, bytes: Uint8Array) => {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
};
const calls = (r: RunDriverReport) => r.events.flatMap((e) => (e.type === 'api-call' ? [e.name] : []));
const le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const SAMPLE = 'fixtures/bin/samples/ioctl.sys';

const cli = async (...args: string[]) => {
  const r = await cliInProcess(...args);
  return { code: r.code, stdout: r.stdout.split(tmp).join('<tmp>') };
};

describe('run-driver on real drivers', () => {
  it('runs the DDK-style sample through DriverEntry, create, IOCTLs, close and unload (golden)', async () => {
    const human = await cli(
      'run-driver',
      '--ioctl',
      '0x222000',
      '--ioctl',
      '0x222004',
      '--ioctl',
      '1',
      SAMPLE,
    );
    expect(human.code).toBe(0);
    await expect(human.stdout).toMatchFileSnapshot('../golden/run-driver-ioctl.txt');
    const json = await cli(
      'run-driver',
      '--json',
      '--ioctl',
      '0x222000',
      '--ioctl',
      '0x222004',
      '--ioctl',
      '1',
      SAMPLE,
    );
    await expect(json.stdout).toMatchFileSnapshot('../golden/run-driver-ioctl.json');
    const r = JSON.parse(json.stdout) as RunDriverReport;
    expect(r.calls.map((c) => [c.routine, c.status])).toEqual([
      ['DriverEntry', '0x00000000'],
      ['IRP_MJ_CREATE', '0x00000000'],
      ['IRP_MJ_DEVICE_CONTROL 0x00222000', '0x00000000'],
      ['IRP_MJ_DEVICE_CONTROL 0x00222004', '0x00000000'],
      ['IRP_MJ_DEVICE_CONTROL 0x00000001', '0xC0000010'],
      ['IRP_MJ_CLOSE', '0x00000000'],
      ['DriverUnload', null],
    ]);
    expect(
      r.events.filter((e) => e.type === 'dbgprint').map((e) => (e.type === 'dbgprint' ? e.text : '')),
    ).toEqual([
      'IOCTL sample: DriverEntry, registry path \\Registry\\Machine\\System\\CurrentControlSet\\Services\\ioctl\n',
      'IOCTL sample: hello from \\DosDevices\\Nt351Sample, code 00222004, 512 bytes in\n',
      'IOCTL sample: unloaded\n',
    ]);
    expect([r.devices, r.symbolicLinks, r.poolLeaks]).toEqual([[], [], []]);
  });

  it("runs SP5 srv.sys: the kernel's own RtlIsNameLegalDOS8Dot3 runs as guest code and \\Device\\LanmanServer exists", async () => {
    const r = await runDriver({ driver: 'fixtures/bin/nt351/sp5/srv.sys' });
    expect(r.outcome).toBe('ok');
    expect(r.kernel.version).toBe('3.51.1057.5 ntoskrnl.exe');
    expect(r.devices.map((d) => d.name)).toEqual(['\\Device\\LanmanServer']);
    expect(calls(r)).toEqual(['IoCreateDevice']); // RtlInitUnicodeString and RtlIsNameLegalDOS8Dot3 ran in the guest
    expect(r.events.some((e) => e.type === 'dbgprint')).toBe(false); // IPC$ was judged a legal 8.3 name
  });

  it("fails to load SP3 srv.sys on the RTM kernel with the seed's status and text", async () => {
    const r = await runDriver({
      driver: 'fixtures/bin/nt351/sp3/srv.sys',
      kernel: 'fixtures/bin/nt351/rtm/ntoskrnl.exe',
    });
    expect(r.outcome).toBe('load-failed');
    expect(r.load).toMatchObject({
      ok: false,
      status: '0xC0000263',
      reason:
        'The \\SystemRoot\\System32\\drivers\\srv.sys device driver could not locate the entry point RtlIsNameLegalDOS8Dot3 in driver NTOSKRNL.EXE.',
    });
    expect(r.calls).toEqual([]);
  });

  it('calls DllInitialize of a dependency before DriverEntry (elnk3.sys -> ndis.sys) and reports its leak', async () => {
    const r = await runDriver({ driver: 'fixtures/bin/nt351/common/elnk3.sys' });
    expect(r.calls.map((c) => c.routine)).toEqual(['DllInitialize (ndis.sys)', 'DriverEntry']);
    expect(r.poolLeaks.map((l) => l.size)).toEqual([256]);
  });

  it('runs against the synthetic registry kernel, where our handlers stand in for everything', async () => {
    const r = await runDriver({ driver: SAMPLE, kernel: 'registry', ioctls: [0x222004] });
    expect(r.kernel.kind).toBe('registry');
    expect(r.outcome).toBe('ok');
    expect(calls(r)).toContain('RtlInitUnicodeString');
  });
});

describe('guest misbehaviour is reported, not crashed on', () => {
  it('an infinite loop ends with a budget event', async () => {
    const r = await runDriver({
      driver: write(
        'loop.sys',
        x86Driver([], (a) => a.emit(0xeb, 0xfe)),
      ),
      maxInstructions: 100_000,
    });
    expect(r.outcome).toBe('budget');
    expect(r.calls[0]!.outcome).toMatchObject({ kind: 'budget', which: 'instructions' });
  });

  it('a wild pointer write ends with a fault event naming PC, address and instruction', async () => {
    const driver = x86Driver([], (a) => a.emit(0xc7, 0x05, ...le(0x1234), ...le(0xdeadbeef)));
    const r = await runDriver({ driver: write('wild.sys', driver) });
    expect(r.outcome).toBe('fault');
    const o = r.calls[0]!.outcome;
    expect(o).toMatchObject({
      kind: 'fault',
      fault: 'unmapped',
      access: 'write',
      address: 0x1234,
      instruction: 'mov dword ptr [0x1234], 0xdeadbeef',
    });
    expect(o.kind === 'fault' && o.pc).toBe(r.driver.entryPoint);
    expect(o.kind === 'fault' && o.registers.eip).toBe(r.driver.entryPoint);
  });

  it('a write after ExFreePool is a fault in a freed pool block (use after free)', async () => {
    const driver = x86Driver(['ExAllocatePool', 'ExFreePool'], (a) => {
      a.emit(0x6a, 0x40, 0x6a, 0x00); // push 0x40; push NonPagedPool
      a.callImport('ExAllocatePool');
      a.emit(0x89, 0xc6, 0x56); // mov esi, eax; push esi
      a.callImport('ExFreePool');
      a.emit(0xc7, 0x06, ...le(1)); // mov dword ptr [esi], 1
    });
    const r = await runDriver({ driver: write('uaf.sys', driver) });
    const o = r.calls[0]!.outcome;
    expect(o).toMatchObject({
      kind: 'fault',
      fault: 'protection',
      access: 'write',
      pool: { size: 0x40, freed: true },
    });
    expect(calls(r)).toEqual(['ExAllocatePool', 'ExFreePool']);
  });

  it('a double ExFreePool is BAD_POOL_CALLER (0xC2), as NT bugchecks', async () => {
    const driver = x86Driver(['ExAllocatePool', 'ExFreePool'], (a) => {
      a.emit(0x6a, 0x10, 0x6a, 0x00);
      a.callImport('ExAllocatePool');
      a.emit(0x89, 0xc6, 0x56); // mov esi, eax; push esi
      a.callImport('ExFreePool');
      a.emit(0x56); // push esi
      a.callImport('ExFreePool');
      a.emit(0x31, 0xc0, 0xc2, 0x08, 0x00); // xor eax, eax; ret 8
    });
    const r = await runDriver({ driver: write('double.sys', driver) });
    expect(r.outcome).toBe('bugcheck');
    expect(
      r.events.filter((e) => e.type === 'pool-double-free' || e.type === 'bugcheck').map((e) => e.type),
    ).toEqual(['pool-double-free', 'bugcheck']);
    expect(r.events.find((e) => e.type === 'bugcheck')).toMatchObject({
      code: 0xc2,
      parameters: [7, 0, expect.any(Number), 0],
    });
  });

  it('a call to a kernel stub with no handler is an unimplemented-routine event with its caller', async () => {
    const driver = x86Driver(['KeQuerySystemTime'], (a) => {
      a.emit(0x68);
      a.dataAddress(0); // push offset .data
      a.callImport('KeQuerySystemTime');
      a.emit(0xc2, 0x08, 0x00); // ret 8 (EAX = the stub's STATUS_NOT_IMPLEMENTED)
    });
    const handlers = ALL_HANDLERS.filter((h) => h.name !== 'KeQuerySystemTime');
    const r = await runDriver({ driver: write('unimpl.sys', driver), handlers });
    const e = r.events.find((x) => x.type === 'unimplemented-routine');
    expect(e).toMatchObject({ module: 'ntoskrnl', name: 'KeQuerySystemTime' });
    expect(e && e.type === 'unimplemented-routine' && e.caller).toBe(r.driver.entryPoint! + 11);
    expect(r.calls[0]!.status).toBe('0xC0000002');
  });

  it('a bug in a TypeScript handler is a host error, not a guest fault (exit 70)', async () => {
    const broken = defineExport({
      module: 'ntoskrnl',
      prototype: 'PVOID ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes)',
      impl: () => {
        throw new TypeError('handler bug');
      },
    });
    const handlers = [...ALL_HANDLERS.filter((h) => h.name !== 'ExAllocatePool'), broken];
    const r = await runDriver({ driver: 'fixtures/bin/nt351/common/elnk3.sys', handlers });
    expect(r.outcome).toBe('host-error');
    expect(r.calls.at(-1)!.outcome).toMatchObject({ kind: 'host-error', message: 'handler bug' });
  });
});
