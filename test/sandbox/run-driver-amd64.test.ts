// run-driver on AMD64 drivers: the ioctl, layered and wdm samples built for AMD64 from the x86 samples'
// source run DriverEntry, their IRP handlers and unload on the synthetic kernel built for their
// machine, with the x86 samples' reports apart from addresses (golden); the machine check both ways (0xC000007B); and a
// WDK-built AMD64 KMDF driver (test/corpus/windivert-2.2) traced in x64 (test/corpus/windivert.test.ts
// runs it end to end).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_HANDLERS } from '../../src/kernel/exports/index.js';
import { syntheticImage } from '../../src/kernel/synthetic.js';
import { writePe } from '../../src/pe/writer.js';
import { type RunDriverReport, runDriver } from '../../src/sandbox/index.js';
import { cliInProcess } from '../helpers/cli.js';

const X86_SAMPLE = 'fixtures/bin/samples/ioctl.sys';
const AMD64_SAMPLE = 'fixtures/bin/samples/amd64/ioctl.sys';
const WINDIVERT64 = 'test/corpus/windivert-2.2/WinDivert64.sys';
const IOCTLS = ['--ioctl', '0x222000', '--ioctl', '0x222004', '--ioctl', '1'];
const tmp = mkdtempSync(join(tmpdir(), 'nt351-amd64-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cli = cliInProcess;

/** The report text without addresses: hex values of 0x10000 and more, and the lines that only give addresses. */
const withoutAddresses = (text: string) =>
  text
    .split('\n')
    .filter((l) => !l.startsWith('PsLoadedModuleList at') && !l.startsWith('AMD64: addresses'))
    .join('\n')
    .replace(/0x[0-9a-fA-F]+/g, (h) => (Number(h) >= 0x10000 ? '0x…' : h));

describe('run-driver on AMD64 drivers', () => {
  it('runs the AMD64 build of the ioctl sample through DriverEntry, IRPs and unload (golden)', async () => {
    const human = await cli('run-driver', '--kernel', 'registry', ...IOCTLS, AMD64_SAMPLE);
    expect(human.code).toBe(0);
    await expect(human.stdout).toMatchFileSnapshot('../golden/run-driver-ioctl-amd64.txt');
    const r = JSON.parse(
      (await cli('run-driver', '--json', '--kernel', 'registry', ...IOCTLS, AMD64_SAMPLE)).stdout,
    ) as RunDriverReport;
    expect(r.addressBase).toBe('0xfffff80000000000');
    expect(r.outcome).toBe('ok');
    expect(r.calls.map((c) => [c.routine, c.status, c.irpInformation ?? null])).toEqual([
      ['DriverEntry', '0x00000000', null],
      ['IRP_MJ_CREATE', '0x00000000', 0],
      ['IRP_MJ_DEVICE_CONTROL 0x00222000', '0x00000000', 512],
      ['IRP_MJ_DEVICE_CONTROL 0x00222004', '0x00000000', 0],
      ['IRP_MJ_DEVICE_CONTROL 0x00000001', '0xC0000010', 0],
      ['IRP_MJ_CLOSE', '0x00000000', 0],
      ['DriverUnload', null, null],
    ]);
    expect(r.events.flatMap((e) => (e.type === 'dbgprint' ? [e.text] : []))).toEqual([
      'IOCTL sample: DriverEntry, registry path \\Registry\\Machine\\System\\CurrentControlSet\\Services\\ioctl\n',
      'IOCTL sample: hello from \\DosDevices\\Nt351Sample, code 00222004, 512 bytes in\n',
      'IOCTL sample: unloaded\n',
    ]);
  });

  it.each([
    ['ioctl', IOCTLS],
    // IoCallDriver's tail call, completion routines (guest calls from a handler), bugchecks 0x35 and 0x44.
    ['layered', ['0x222000', '0x222004', '0x222008', '0x22200c', '0x222010'].flatMap((c) => ['--ioctl', c])],
    // WDM: AddDevice with the model bus driver's PDO, IoAttachDeviceToDeviceStack, PnP and power IRPs.
    ['wdm', ['--ioctl', '0x222000']],
  ])(
    'reports for the AMD64 build of %s what the x86 build reports, apart from addresses',
    async (name, ioctls) => {
      const x86 = await cli(
        'run-driver',
        '--kernel',
        'registry',
        ...ioctls,
        `fixtures/bin/samples/${name}.sys`,
      );
      const amd64 = await cli(
        'run-driver',
        '--kernel',
        'registry',
        ...ioctls,
        `fixtures/bin/samples/amd64/${name}.sys`,
      );
      expect(amd64.code).toBe(x86.code);
      // wdm.sys's device extension holds a pointer: 0x18 bytes on AMD64 where x86 has 0x10.
      const sameSizes = (t: string) =>
        name === 'wdm' ? t.replace('DeviceExtensionSize=0x00000018', 'DeviceExtensionSize=0x00000010') : t;
      expect(sameSizes(withoutAddresses(amd64.stdout))).toBe(withoutAddresses(x86.stdout));
      expect(amd64.stdout).not.toBe(x86.stdout); // the addresses do differ: 64-bit objects are larger
    },
  );

  it('refuses an AMD64 driver on an x86 kernel, and an x86 driver on an AMD64 kernel (0xC000007B)', async () => {
    const onX86 = await runDriver({ driver: AMD64_SAMPLE });
    expect(onX86.outcome).toBe('load-failed');
    expect(onX86.load).toMatchObject({ ok: false, status: '0xC000007B' });
    if (!onX86.load.ok) expect(onX86.load.reason).toContain('0x8664 (AMD64)');
    const kernel = join(tmp, 'ntoskrnl.exe');
    const hal = join(tmp, 'hal.dll');
    const handlers = (m: string) => ALL_HANDLERS.filter((h) => h.module === m);
    writeFileSync(kernel, syntheticImage('ntoskrnl.exe', handlers('ntoskrnl'), 0x80100000, [], 'amd64'));
    writeFileSync(hal, syntheticImage('hal.dll', handlers('hal'), 0x80400000, [], 'amd64'));
    const onAmd64 = await runDriver({ driver: X86_SAMPLE, kernel, hal });
    expect(onAmd64.outcome).toBe('load-failed');
    expect(onAmd64.load).toMatchObject({ ok: false, status: '0xC000007B' });
    if (!onAmd64.load.ok) expect(onAmd64.load.reason).toContain('0x14c (x86)');
    // The AMD64 kernel image runs the AMD64 sample as the synthetic one does.
    expect((await runDriver({ driver: AMD64_SAMPLE, kernel, hal })).calls[0]).toMatchObject({
      routine: 'DriverEntry',
      status: '0x00000000',
    });
  });

  it('reports a fault in AMD64 code with its 64-bit address, pc, registers and x64 disassembly', async () => {
    // DriverEntry: mov rax, qword ptr [rcx + 0x10]; mov rax, qword ptr [0x10]; ret  (a NULL read).
    const code = new Uint8Array([0x48, 0x8b, 0x41, 0x10, 0x48, 0x8b, 0x04, 0x25, 0x10, 0, 0, 0, 0xc3]);
    const driver = join(tmp, 'null64.sys');
    writeFileSync(
      driver,
      writePe({
        machine: 0x8664,
        characteristics: 0x0022,
        imageBase: 0x140000000n,
        is64: true,
        entryPoint: 0x1000,
        subsystem: 1,
        sections: [{ name: '.text', rva: 0x1000, data: code, characteristics: 0x60000020 }],
      }),
    );
    const r = await runDriver({ driver, kernel: 'registry' });
    expect(r.outcome).toBe('fault');
    const o = r.calls[0]?.outcome;
    expect(o).toMatchObject({
      kind: 'fault',
      fault: 'unmapped',
      access: 'read',
      address64: '0x0000000000000010',
      instruction: 'mov rax, qword ptr [0x10]',
    });
    if (o?.kind !== 'fault') throw new Error('no fault');
    expect(o.pc).toBe(r.driver.entryPoint! + 4);
    expect(o.pc64).toBe(`0x${(0xfffff80000000000n + BigInt(o.pc)).toString(16)}`);
    expect(o.registers64?.rip).toBe(o.pc64);
    // RCX held the DRIVER_OBJECT as the guest sees it: a 64-bit system-space address.
    expect(o.registers64?.rcx).toMatch(/^0xfffff800[0-9a-f]{8}$/);
  });

  it('runs WinDivert64.sys (WDK-built AMD64 KMDF) with its KMDF calls, traced in x64', async () => {
    const r = JSON.parse(
      (await cli('run-driver', '--json', '--kernel', 'registry', '--trace', 'insn', WINDIVERT64)).stdout,
    ) as RunDriverReport;
    expect(r.load.ok).toBe(true);
    if (r.load.ok)
      expect(r.load.modules.map((m) => m.name)).toEqual(
        expect.arrayContaining(['NTOSKRNL.EXE', 'HAL.DLL', 'WDFLDR.SYS', 'WinDivert64.sys']),
      );
    expect(r.outcome).toBe('ok');
    expect(r.events.filter((e) => e.type === 'unimplemented-routine')).toEqual([]);
    const bind = r.events.find((e) => e.type === 'api-call' && e.name === 'WdfVersionBind');
    expect(bind).toMatchObject({ module: 'wdfldr', result: 0 });
    // The trace decodes long-mode code, with branch targets at the guest's 64-bit addresses.
    const insns = r.events.flatMap((e) => (e.type === 'trace' ? e.instructions.map((i) => i.text) : []));
    expect(insns[0]).toBe('mov qword ptr [rsp + 8], rbx');
    expect(insns.some((t) => /^call 0xfffff800[0-9a-f]{8}$/.test(t))).toBe(true);
    expect(r.calls[0]).toMatchObject({ routine: 'DriverEntry', address: r.driver.entryPoint });
  });
});
