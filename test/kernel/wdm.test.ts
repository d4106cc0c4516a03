// A WDM function driver (fixtures/src/samples/wdm.c) under the registry kernel: run-driver plays
// the PnP manager (AddDevice with a bus driver's PDO, IRP_MN_START_DEVICE first, IRP_MN_REMOVE_DEVICE
// last); the driver's start goes down to the bus driver and comes back through its completion routine.
import { describe, expect, it } from 'vitest';
import type { RunDriverReport } from '../../src/sandbox/index.js';
import { runDriver } from '../../src/sandbox/index.js';
import { cliInProcess } from '../helpers/cli.js';

const WDM = 'fixtures/bin/samples/wdm.sys';
const args = ['run-driver', '--kernel', 'registry', '--ioctl', '0x222000', WDM];

const cli = cliInProcess;

describe('a WDM driver skeleton', () => {
  it('is added, started, queried, removed and unloaded (golden, human and JSON)', async () => {
    const human = await cli(...args);
    expect(human.code).toBe(0);
    await expect(human.stdout).toMatchFileSnapshot('../golden/run-driver-wdm.txt');
    const json = await cli('run-driver', '--json', ...args.slice(1));
    await expect(json.stdout).toMatchFileSnapshot('../golden/run-driver-wdm.json');
    const r = JSON.parse(json.stdout) as RunDriverReport;
    expect(r.calls.map((c) => [c.routine, c.status, c.irpStatus ?? null])).toEqual([
      ['DriverEntry', '0x00000000', null],
      ['AddDevice', '0x00000000', null],
      ['IRP_MJ_PNP IRP_MN_START_DEVICE', '0x00000000', '0x00000000'],
      ['IRP_MJ_POWER IRP_MN_SET_POWER D0', '0x00000000', '0x00000000'],
      ['IRP_MJ_CREATE', '0x00000000', '0x00000000'],
      ['IRP_MJ_DEVICE_CONTROL 0x00222000', '0x00000000', '0x00000000'],
      ['IRP_MJ_CLOSE', '0x00000000', '0x00000000'],
      ['IRP_MJ_PNP IRP_MN_REMOVE_DEVICE', '0x00000000', '0x00000000'],
      ['DriverUnload', null, null],
    ]);
    // The start IRP reached the bus driver through IofCallDriver and came back through the
    // completion routine, which kept it (STATUS_MORE_PROCESSING_REQUIRED) for the FDO to finish.
    const start = r.calls[2]!;
    const during = r.events.slice(start.firstEvent, start.firstEvent + start.eventCount);
    expect(during.map((e) => (e.type === 'api-call' ? `${e.module}!${e.name}` : e.type))).toEqual([
      'ntoskrnl!IofCallDriver',
      'nt351!BusDriverDispatch',
      'completion-routine',
      'ntoskrnl!DbgPrint',
      'dbgprint',
      'ntoskrnl!DbgPrint',
      'dbgprint',
      'ntoskrnl!IofCompleteRequest',
    ]);
    expect(during.find((e) => e.type === 'completion-routine')).toMatchObject({ result: 0xc0000016 });
    expect(r.calls[5]!.irpInformation).toBe(4);
    expect(r.devices.map((d) => d.name)).toEqual(['\\Device\\00000001']); // the bus driver's PDO
  });

  it('cannot load on the NT 3.51 kernel, which lacks the WDM routines; every miss is listed', async () => {
    const r = await runDriver({ driver: WDM });
    expect(r.outcome).toBe('load-failed');
    if (r.load.ok) throw new Error('loaded');
    expect(r.load.misses.map((m) => m.name).sort()).toEqual([
      'IoAttachDeviceToDeviceStack',
      'IoIsWdmVersionAvailable',
      'PoCallDriver',
      'PoStartNextPowerIrp',
    ]);
  });
});
