// WinDivert 2.2 (test/corpus/windivert-2.2/WinDivert32.sys and its AMD64 twin WinDivert64.sys,
// WDK-built KMDF 1.9 drivers using the Windows Filtering Platform and NDIS 6) run end to end under
// `--kernel registry`, with the same report for both builds apart from addresses: DriverEntry
// binds to KMDF and creates its secured control device and link, registers its WFP provider and
// sublayers; a create, an IOCTL and a close reach its file-object and queue callbacks; unload
// undoes it all. The IOCTL is IOCTL_WINDIVERT_INITIALIZE = CTL_CODE(FILE_DEVICE_NETWORK, 0x921,
// METHOD_OUT_DIRECT, FILE_READ_DATA | FILE_WRITE_DATA) = 0x0012E486 (basil00/WinDivert,
// include/windivert_device.h); the sandbox's input buffer is zeroes, not a WINDIVERT_IOCTL with its
// magic, so the driver's own check refuses it with STATUS_INVALID_PARAMETER.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import type { KernelEvent, RunDriverReport } from '../../src/sandbox/index.js';
import { runDriver } from '../../src/sandbox/index.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const IOCTL_WINDIVERT_INITIALIZE = 0x0012e486;
const SDDL_DEVOBJ_SYS_ALL_ADM_ALL = 'D:P(A;;GA;;;SY)(A;;GA;;;BA)';
/** The provider key WinDivert 2.2 registers its WFP objects under. */
const PROVIDER = '{450ec398-1eaf-49f5-85e0-228f0d293921}';

describe.each([
  ['WinDivert32.sys', 'x86'],
  ['WinDivert64.sys', 'AMD64'],
])('WinDivert 2.2 %s (%s: KMDF 1.9, WFP, NDIS 6) under --kernel registry', (file) => {
  const DRIVER = join(HERE, 'windivert-2.2', file);
  let report: RunDriverReport;
  beforeAll(async () => {
    report = await runDriver({ driver: DRIVER, kernel: 'registry', ioctls: [IOCTL_WINDIVERT_INITIALIZE] });
  }, 60_000);

  const call = (routine: string) => {
    const c = report.calls.find((x) => x.routine === routine);
    if (!c) throw new Error(`no ${routine} in ${report.calls.map((x) => x.routine).join(', ')}`);
    return c;
  };
  const eventsOf = (routine: string): KernelEvent[] => {
    const c = call(routine);
    return report.events.slice(c.firstEvent, c.firstEvent + c.eventCount);
  };
  const apiNames = (routine: string) =>
    eventsOf(routine).flatMap((e) => (e.type === 'api-call' ? [`${e.module}!${e.name}`] : []));

  it('runs every entry point to its return with no routine left unimplemented', () => {
    expect(report.outcome).toBe('ok');
    expect(report.calls.map((c) => c.routine)).toEqual([
      'DriverEntry',
      'IRP_MJ_CREATE',
      'IRP_MJ_DEVICE_CONTROL 0x0012e486',
      'IRP_MJ_READ',
      'IRP_MJ_WRITE',
      'IRP_MJ_CLEANUP',
      'IRP_MJ_CLOSE',
      'DriverUnload',
    ]);
    for (const c of report.calls) expect(c.outcome.kind, c.routine).toBe('returned');
    expect(report.events.filter((e) => e.type === 'unimplemented-routine')).toEqual([]);
    expect(report.poolLeaks).toEqual([]);
  });

  it('DriverEntry binds to KMDF and creates the secured control device and its link', () => {
    expect(call('DriverEntry').status).toBe('0x00000000');
    const names = apiNames('DriverEntry');
    expect(names[1]).toBe('wdfldr!WdfVersionBind'); // after the stub's RtlCopyUnicodeString
    expect(names).toEqual(
      expect.arrayContaining([
        'wdf01000!WdfDriverCreate',
        'wdf01000!WdfControlDeviceInitAllocate',
        'wdf01000!WdfDeviceCreate',
        'wdf01000!WdfIoQueueCreate',
        'wdf01000!WdfDeviceCreateSymbolicLink',
        'wdf01000!WdfControlFinishInitializing',
      ]),
    );
    const device = eventsOf('DriverEntry').find((e) => e.type === 'device-created');
    expect(device).toMatchObject({
      name: '\\Device\\WinDivert',
      deviceType: 0x12, // FILE_DEVICE_NETWORK
      sddl: SDDL_DEVOBJ_SYS_ALL_ADM_ALL,
    });
    expect(device?.type === 'device-created' && device.securityDescriptor).toBeGreaterThan(0);
    expect(eventsOf('DriverEntry')).toContainEqual({
      type: 'symlink-created',
      link: '\\??\\WinDivert',
      target: '\\Device\\WinDivert',
    });
  });

  it('DriverEntry registers its WFP provider, sublayers and injection handles; unload removes them', () => {
    const wfp = (routine: string, action: string, kind: string) =>
      eventsOf(routine).filter((e) => e.type === 'wfp-object' && e.action === action && e.kind === kind);
    expect(wfp('DriverEntry', 'added', 'provider')).toEqual([
      { type: 'wfp-object', action: 'added', kind: 'provider', key: PROVIDER, name: 'WinDivert', id: null },
    ]);
    const sublayers = wfp('DriverEntry', 'added', 'sublayer');
    expect(sublayers.length).toBeGreaterThanOrEqual(6);
    expect(wfp('DriverUnload', 'deleted', 'sublayer').length).toBe(sublayers.length);
    expect(wfp('DriverUnload', 'deleted', 'provider')).toHaveLength(1);
    const handles = wfp('DriverEntry', 'added', 'injection-handle').length;
    expect(handles).toBeGreaterThan(0);
    expect(wfp('DriverUnload', 'deleted', 'injection-handle')).toHaveLength(handles);
  });

  it('create, the IOCTL and close reach the file-object and queue callbacks and are completed', () => {
    expect(call('IRP_MJ_CREATE').irpStatus).toBe('0x00000000');
    expect(apiNames('IRP_MJ_CREATE')).toContain('wdf01000!WdfRequestComplete');
    const ioctl = call('IRP_MJ_DEVICE_CONTROL 0x0012e486');
    // Through EvtIoInCallerContext (WdfDeviceEnqueueRequest) into EvtIoDeviceControl, which checks the
    // WINDIVERT_IOCTL it was given and completes the request.
    expect(apiNames(ioctl.routine)).toEqual(
      expect.arrayContaining([
        'wdf01000!WdfDeviceEnqueueRequest',
        'wdf01000!WdfRequestGetFileObject',
        'wdf01000!WdfRequestRetrieveOutputBuffer',
        'wdf01000!WdfRequestComplete',
      ]),
    );
    expect(ioctl.irpStatus).toBe('0xC000000D');
    // No EvtIoRead/EvtIoWrite: KMDF fails those requests itself.
    expect(call('IRP_MJ_READ').irpStatus).toBe('0xC0000010');
    expect(call('IRP_MJ_CLOSE').irpStatus).toBe('0x00000000');
    expect(apiNames('IRP_MJ_CLOSE')).toContain('fwpkclnt!FwpmEngineClose0');
  });

  it('unload runs EvtDriverUnload, deletes the device and link, and unbinds from KMDF', () => {
    const events = eventsOf('DriverUnload');
    expect(events).toContainEqual({ type: 'symlink-deleted', link: '\\??\\WinDivert' });
    expect(events.some((e) => e.type === 'device-deleted' && e.name === '\\Device\\WinDivert')).toBe(true);
    expect(apiNames('DriverUnload').at(-1)).toBe('wdfldr!WdfVersionUnbind');
    expect(report.devices).toEqual([]);
    expect(report.symbolicLinks).toEqual([]);
  });

  it('CLI: the report shows the device with its security, the link and the WFP objects', async () => {
    let out = '';
    const code = await run(
      ['node', 'nt351', 'run-driver', '--kernel', 'registry', '--ioctl', '0x12e486', DRIVER],
      { stdout: (s) => (out += s), stderr: () => {} },
    );
    expect(code).toBe(0);
    expect(out).toMatch(
      /device created: \\Device\\WinDivert at 0x[0-9a-f]+, type 0x12, security D:P\(A;;GA;;;SY\)\(A;;GA;;;BA\) \(descriptor at 0x[0-9a-f]+\)/,
    );
    expect(out).toContain('symbolic link created: \\??\\WinDivert -> \\Device\\WinDivert');
    expect(out).toContain(`WFP provider added: ${PROVIDER} "WinDivert"`);
    expect(out).toMatch(/IRP_MJ_DEVICE_CONTROL 0x0012e486 at 0x[0-9a-f]+ -> 0xC000000D/);
    expect(out).toContain('Outcome: ok');
  }, 60_000);
});

/** What a report says apart from addresses and the compiler's helper calls (x86's _alldiv, memset…). */
function behaviour(r: RunDriverReport) {
  const HELPERS = /^ntoskrnl!(_all\w+|_aull\w+|mem\w+)$/;
  return r.calls.map((c) => ({
    routine: c.routine,
    status: c.status,
    irpStatus: c.irpStatus,
    events: r.events.slice(c.firstEvent, c.firstEvent + c.eventCount).flatMap((e) => {
      if (e.type === 'api-call') {
        const name = `${e.module}!${e.name}`;
        return HELPERS.test(name) ? [] : [name];
      }
      if (e.type === 'wfp-object')
        return [
          `${e.kind} ${e.action} ${e.kind === 'engine' || e.kind === 'injection-handle' ? '' : e.key} ${e.name ?? ''}`,
        ];
      if (e.type === 'device-created') return [`device ${e.name} 0x${e.deviceType.toString(16)} ${e.sddl}`];
      if (e.type === 'symlink-created') return [`link ${e.link} -> ${e.target}`];
      if (e.type === 'io-error-log') return [`error log ${e.errorCode} ${e.strings.join(',')}`];
      return [e.type];
    }),
  }));
}

describe('WinDivert 2.2: the AMD64 build', () => {
  it('does what the x86 build does, call for call, apart from addresses and compiler helpers', async () => {
    const run = (file: string) =>
      runDriver({
        driver: join(HERE, 'windivert-2.2', file),
        kernel: 'registry',
        ioctls: [IOCTL_WINDIVERT_INITIALIZE],
      });
    const [x86, amd64] = [await run('WinDivert32.sys'), await run('WinDivert64.sys')];
    const b64 = behaviour(amd64);
    expect(b64.flatMap((c) => c.events)).toContain('wdf01000!WdfIoQueueCreate');
    // The driver's own names differ (the service key is the file's name), and the x86 spin lock
    // routines are HAL exports where AMD64's are the kernel's.
    const same = (b: ReturnType<typeof behaviour>) =>
      JSON.parse(
        JSON.stringify(b)
          .replaceAll(/WinDivert(32|64)/g, 'WinDivertNN')
          .replaceAll(/(hal|ntoskrnl)!(Ke\w+InStackQueuedSpinLock)/g, '$2'),
      );
    expect(same(b64)).toEqual(same(behaviour(x86)));
  }, 60_000);
});
