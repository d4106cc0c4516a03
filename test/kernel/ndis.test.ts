// The NDIS 3.0 wrapper with a guest miniport (test/kernel/guest/miniport.c) under `--kernel registry`:
// NdisMRegisterMiniport initialises the adapter (MiniportInitialize, then NDIS's queries) before it
// returns, configuration reads come from the registry, NDIS serves the adapter's IRPs, and unloading
// halts the adapter; built to fail
// its initialisation (or to select a medium NDIS never offered), the adapter's device goes, the
// failure and the miniport's error-log entry are reported and DriverEntry fails.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type KernelEvent, runDriver } from '../../src/sandbox/index.js';
import { buildGuestDriver, haveMingw } from './guest-driver.js';

const SOURCE = 'test/kernel/guest/miniport.c';
/** ntddndis.h: the OID in, the miniport's answer out. */
const IOCTL_NDIS_QUERY_GLOBAL_STATS = 0x00170002;

/** The events NDIS and the I/O manager report, in order, without addresses. */
const story = (events: KernelEvent[]) =>
  events.flatMap((e) => {
    if (e.type === 'ndis-adapter')
      return [[e.action, e.adapter, e.status, e.medium ?? e.oid ?? null, e.data ?? null]];
    if (e.type === 'device-created' || e.type === 'device-deleted') return [[e.type, e.name]];
    if (e.type === 'io-error-log') return [['io-error-log', e.device, e.errorCode, e.dumpData]];
    return [];
  });

describe.skipIf(!haveMingw())('an NDIS 3.0 miniport (needs gcc-mingw-w64-i686)', () => {
  const checks = readFileSync(SOURCE, 'utf8').match(/^\s+CHECK\(/gm)?.length;

  it('is initialised during NdisMRegisterMiniport, queried, and halted at unload', async () => {
    const driver = buildGuestDriver(SOURCE, 'miniport');
    const r = await runDriver({ driver, kernel: 'registry', ioctls: [IOCTL_NDIS_QUERY_GLOBAL_STATS] });
    const printed = r.events.flatMap((e) => (e.type === 'dbgprint' ? [e.text] : []));
    expect(printed.filter((t) => t.startsWith('FAIL'))).toEqual([]);
    expect(r.events.filter((e) => e.type === 'unimplemented-routine')).toEqual([]);
    expect(printed).toContain(`miniport: ${checks} passed, 0 failed\n`);
    // NDIS's dispatch routine serves the adapter's IRPs: the sandbox's IOCTL input holds OID 0,
    // which the miniport refuses (NDIS_STATUS_INVALID_OID); reads and writes are not NDIS's.
    expect(r.calls.map((c) => [c.routine, c.status, c.irpStatus ?? null])).toEqual([
      ['DriverEntry', '0x00000000', null],
      ['IRP_MJ_CREATE', '0x00000000', '0x00000000'],
      ['IRP_MJ_DEVICE_CONTROL 0x00170002', '0xC0010017', '0xC0010017'],
      ['IRP_MJ_READ', '0xC0000010', '0xC0000010'],
      ['IRP_MJ_WRITE', '0xC0000010', '0xC0000010'],
      ['IRP_MJ_CLEANUP', '0x00000000', '0x00000000'],
      ['IRP_MJ_CLOSE', '0x00000000', '0x00000000'],
      ['DriverUnload', null, null],
    ]);
    expect(story(r.events)).toEqual([
      ['device-created', '\\Device\\miniport1'],
      ['initialize', '\\Device\\miniport1', 0, 0, null],
      ['query', '\\Device\\miniport1', 0, 0x00010101, '0101010002010101'],
      ['query', '\\Device\\miniport1', 0, 0x01010102, '02004c4f4f50'],
      ['query', '\\Device\\miniport1', 0xc0010017, 0, null],
      ['halt', '\\Device\\miniport1', null, null, null],
      ['device-deleted', '\\Device\\miniport1'],
    ]);
    // The halt ran in the unload, with the context the miniport gave NdisMSetAttributes.
    const unload = r.calls.at(-1)!;
    const during = r.events.slice(unload.firstEvent, unload.firstEvent + unload.eventCount);
    expect(during.flatMap((e) => (e.type === 'dbgprint' ? [e.text] : []))).toEqual(['miniport: halt ok\n']);
    expect(r.outcome).toBe('ok');
  });

  it('fails initialisation: the error-log entry and the failure are reported, the device goes, DriverEntry fails', async () => {
    const driver = buildGuestDriver(SOURCE, 'miniport-fail', ['-DFAIL_INIT=1']);
    const r = await runDriver({ driver, kernel: 'registry' });
    const printed = r.events.flatMap((e) => (e.type === 'dbgprint' ? [e.text] : []));
    expect(printed.filter((t) => t.startsWith('FAIL'))).toEqual([]);
    expect(printed).toContain(`miniport: ${checks} passed, 0 failed\n`);
    expect(story(r.events)).toEqual([
      ['device-created', '\\Device\\miniport-fail1'],
      ['io-error-log', '\\Device\\miniport-fail1', 0xc000138a, [0x300, 10]],
      ['initialize', '\\Device\\miniport-fail1', 0xc0010006, null, null],
      ['device-deleted', '\\Device\\miniport-fail1'],
    ]);
    expect(r.calls.map((c) => [c.routine, c.status])).toEqual([['DriverEntry', '0xC0000001']]);
    expect(r.outcome).toBe('driver-entry-failed');
  });

  it('fails an adapter whose miniport selects a medium NDIS did not offer (NDIS_STATUS_UNSUPPORTED_MEDIA)', async () => {
    const driver = buildGuestDriver(SOURCE, 'miniport-medium', ['-DFAIL_INIT=2']);
    const r = await runDriver({ driver, kernel: 'registry' });
    const printed = r.events.flatMap((e) => (e.type === 'dbgprint' ? [e.text] : []));
    expect(printed).toContain(`miniport: ${checks} passed, 0 failed\n`);
    expect(r.events.find((e) => e.type === 'ndis-adapter')).toEqual({
      type: 'ndis-adapter',
      action: 'initialize',
      adapter: '\\Device\\miniport-medium1',
      status: 0xc0010019,
      reason: "selected medium index 99 is outside NDIS's array of 8",
    });
    expect(story(r.events).map((e) => e[0])).toEqual(['device-created', 'initialize', 'device-deleted']);
    expect(r.outcome).toBe('driver-entry-failed');
  });

  it("initialises each adapter its Linkage\\Bind names, configured by that adapter's Parameters key", async () => {
    const source = 'test/kernel/guest/miniport-bind.c';
    const r = await runDriver({ driver: buildGuestDriver(source, 'miniport-bind'), kernel: 'registry' });
    const printed = r.events.flatMap((e) => (e.type === 'dbgprint' ? [e.text] : []));
    const n = readFileSync(source, 'utf8').match(/^\s+CHECK\(/gm)?.length;
    expect(printed).toContain(`miniport-bind: ${n} passed, 0 failed\n`);
    expect(story(r.events)).toEqual([
      ['device-created', '\\Device\\nicA'],
      ['initialize', '\\Device\\nicA', 0, 0, null],
      ['query', '\\Device\\nicA', 0xc0010017, 0x00010101, null],
      ['query', '\\Device\\nicA', 0, 0x01010102, '02000000000a'],
      ['device-created', '\\Device\\nicB'],
      ['initialize', '\\Device\\nicB', 0, 0, null],
      ['query', '\\Device\\nicB', 0xc0010017, 0x00010101, null],
      ['query', '\\Device\\nicB', 0, 0x01010102, '02000000000b'],
      ['halt', '\\Device\\nicA', null, null, null],
      ['device-deleted', '\\Device\\nicA'],
      ['halt', '\\Device\\nicB', null, null, null],
      ['device-deleted', '\\Device\\nicB'],
    ]);
    expect(r.outcome).toBe('ok');
  });
});
