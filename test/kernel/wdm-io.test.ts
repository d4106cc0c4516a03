// Guest-level checks of the handlers that lay out WDM structures, on both x86 and AMD64:
// test/kernel/guest/wdm-io.c, built with Debian's mingw-w64 against its own <ddk/wdm.h>, checks in
// guest code the IRPs, MDLs, spin locks, device stacks, cancellation, string conversions and device
// interfaces the handlers give it (run under `--kernel registry`, AddDevice with the model's PDO).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type RunDriverReport, runDriver } from '../../src/sandbox/index.js';
import { buildGuestDriver, buildGuestDriver64, haveMingw, haveMingw64 } from './guest-driver.js';

const SOURCE = 'test/kernel/guest/wdm-io.c';
/** <ddk/ntifs.h> includes <ntddk.h> by its bare name: Debian's mingw-w64 DDK folder, for both compilers. */
const DDK = ['-isystem', '/usr/share/mingw-w64/include/ddk'];
const LINK = '\\??\\ROOT#NT351BUS#0000#{4d1e55b2-f16f-11cf-88cb-001111000030}';

function expectAllPassed(r: RunDriverReport) {
  const printed = r.events.flatMap((e) => (e.type === 'dbgprint' ? [e.text] : []));
  expect(printed.filter((t) => t.startsWith('FAIL'))).toEqual([]);
  expect(r.events.filter((e) => e.type === 'unimplemented-routine')).toEqual([]);
  const summary = printed.at(-1) ?? '';
  expect(summary).toMatch(/^wdm-io: \d+ passed, 0 failed\n$/);
  // Every CHECK in the source ran (DriverEntry's, then AddDevice's).
  const checks = readFileSync(SOURCE, 'utf8').match(/^\s+CHECK\(/gm)?.length;
  expect(Number(/(\d+) passed/.exec(summary)?.[1])).toBe(checks);
  expect(r.outcome).toBe('ok');
  expect(r.poolLeaks).toEqual([]);
  // The error log entry names the driver (through DEVICE_OBJECT.DriverObject) and the device.
  expect(r.events.find((e) => e.type === 'io-error-log')).toMatchObject({
    driver: 'wdm-io',
    device: '\\Device\\WdmIo',
    errorCode: 0xc0040006,
    uniqueErrorValue: 0x64,
  });
  // IoSetDeviceInterfaceState made and removed the interface's link to the PDO.
  expect(r.events.filter((e) => e.type === 'symlink-created' || e.type === 'symlink-deleted')).toEqual([
    { type: 'symlink-created', link: LINK, target: '\\Device\\00000001' },
    { type: 'symlink-deleted', link: LINK },
  ]);
}

describe('WDM structures laid out by the handlers, checked in guest code', () => {
  it.skipIf(!haveMingw())(
    'x86 (gcc-mingw-w64-i686)',
    async () => {
      expectAllPassed(
        await runDriver({ driver: buildGuestDriver(SOURCE, 'wdm-io', DDK), kernel: 'registry' }),
      );
    },
    60_000,
  );
  it.skipIf(!haveMingw64())(
    'AMD64 (gcc-mingw-w64-x86-64)',
    async () => {
      expectAllPassed(
        await runDriver({ driver: buildGuestDriver64(SOURCE, 'wdm-io', DDK), kernel: 'registry' }),
      );
    },
    60_000,
  );
});
