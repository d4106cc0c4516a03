// IoCallDriver and IoCompleteRequest on a driver that stacks two devices (fixtures/src/samples/
// layered.c, built for NT 3.51): IRPs pass down through stack locations, completion routines run as
// guest code with NT's arguments, STATUS_MORE_PROCESSING_REQUIRED stops the completion, and the two
// IRP bugchecks drivers hit (no stack location left, completed twice) end the run as NT would.
import { describe, expect, it } from 'vitest';
import { type RunDriverReport, runDriver } from '../../src/sandbox/index.js';
import { cliInProcess } from '../helpers/cli.js';

const LAYERED = 'fixtures/bin/samples/layered.sys';
const dbg = (r: RunDriverReport) => r.events.flatMap((e) => (e.type === 'dbgprint' ? [e.text.trim()] : []));

const cli = cliInProcess;

describe('IRPs through a stack of devices', () => {
  const ioctls = ['--ioctl', '0x222000', '--ioctl', '0x222004', '--ioctl', '0x222008'];

  it('passes IRPs down and calls completion routines on the way up (golden)', async () => {
    const human = await cli('run-driver', ...ioctls, LAYERED);
    expect(human.code).toBe(0);
    await expect(human.stdout).toMatchFileSnapshot('../golden/run-driver-layered.txt');
    const json = await cli('run-driver', '--json', ...ioctls, LAYERED);
    await expect(json.stdout).toMatchFileSnapshot('../golden/run-driver-layered.json');
    const r = JSON.parse(json.stdout) as RunDriverReport;
    expect(r.outcome).toBe('ok');
    expect(r.calls.map((c) => [c.routine, c.status, c.irpStatus, c.irpInformation])).toEqual([
      ['DriverEntry', '0x00000000', undefined, undefined],
      ['IRP_MJ_CREATE', '0x00000000', '0x00000000', 0],
      ['IRP_MJ_DEVICE_CONTROL 0x00222000', '0x00000000', '0x00000000', 16],
      ['IRP_MJ_DEVICE_CONTROL 0x00222004', '0xC0000010', '0xC0000010', 0],
      // The completion routine kept the IRP; the upper device completed it again with Information 1.
      ['IRP_MJ_DEVICE_CONTROL 0x00222008', '0x00000000', '0x00000000', 1],
      ['IRP_MJ_CLOSE', '0x00000000', '0x00000000', 0],
      ['DriverUnload', null, undefined, undefined],
    ]);
  });

  it('gives completion routines the upper device, the IRP and the context, and honours their status', async () => {
    const r = await runDriver({ driver: LAYERED, ioctls: [0x222000, 0x222004, 0x222008] });
    const upper = r.events.find((e) => e.type === 'device-created' && e.name === '\\Device\\LayeredUpper');
    const completions = r.events.filter((e) => e.type === 'completion-routine');
    expect(completions.map((e) => [e.device, e.context, e.result])).toEqual([
      [upper && upper.type === 'device-created' ? upper.device : -1, 0x222000, 0],
      [expect.any(Number), 0x222004, 0],
      [expect.any(Number), 0x222008, 0xc0000016],
    ]);
    expect(dbg(r)).toEqual([
      'layered: lower device completes 00222000 with 00000000',
      'layered: completion for 00222000 on the upper device, status 00000000, information 16',
      'layered: IoCallDriver returned 00000000',
      'layered: lower device completes 00222004 with c0000010',
      'layered: completion for 00222004 on the upper device, status c0000010, information 0',
      'layered: IoCallDriver returned c0000010',
      'layered: lower device completes 00222008 with 00000000',
      'layered: completion for 00222008 on the upper device, status 00000000, information 16',
      'layered: IoCallDriver returned 00000000',
      'layered: unloaded',
    ]);
  });

  it('bugchecks NO_MORE_IRP_STACK_LOCATIONS (0x35) when IoCallDriver has no location left', async () => {
    const r = await runDriver({ driver: LAYERED, ioctls: [0x22200c] });
    expect(r.outcome).toBe('bugcheck');
    expect(r.events.find((e) => e.type === 'bugcheck')).toMatchObject({ code: 0x35 });
    // The run stops in IoCallDriver: the driver's code after the call does not run.
    expect(dbg(r)).toEqual([]);
    expect(r.calls.at(-1)!.outcome).toMatchObject({ kind: 'stopped', reason: 'bugcheck 0x35' });
  });

  it('bugchecks MULTIPLE_IRP_COMPLETE_REQUESTS (0x44) on a second IoCompleteRequest', async () => {
    const r = await runDriver({ driver: LAYERED, ioctls: [0x222010] });
    expect(r.outcome).toBe('bugcheck');
    const bugcheck = r.events.find((e) => e.type === 'bugcheck');
    expect(bugcheck).toMatchObject({ code: 0x44 });
    expect(dbg(r).at(-1)).toBe(
      'layered: completion for 00222010 on the upper device, status 00000000, information 16',
    );
  });
});
