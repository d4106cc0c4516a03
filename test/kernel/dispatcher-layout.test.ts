// Guest-level checks of the dispatcher objects and synchronisation structures on x86 and AMD64:
// test/kernel/guest/dispatcher.c, built with Debian's mingw-w64 against its own <ddk/ntddk.h>, checks
// in guest code the layouts the handlers write (KEVENT, KMUTEX, KSEMAPHORE, KTIMER, KDPC,
// WORK_QUEUE_ITEM, ERESOURCE, FAST_MUTEX, RTL_BITMAP) and a wait on a system thread's object.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type RunDriverReport, runDriver } from '../../src/sandbox/index.js';
import { buildGuestDriver, buildGuestDriver64, haveMingw, haveMingw64 } from './guest-driver.js';

const SOURCE = 'test/kernel/guest/dispatcher.c';
/**
 * <ddk/ntddk.h> includes <wdm.h> by its bare name: Debian's mingw-w64 DDK folder, for both compilers.
 * AMD64's inline KeGetCurrentThread reads gs:[188h], which gcc's -Warray-bounds takes for a NULL array.
 */
const DDK = ['-isystem', '/usr/share/mingw-w64/include/ddk', '-Wno-array-bounds'];

function expectAllPassed(r: RunDriverReport) {
  const printed = r.events.flatMap((e) => (e.type === 'dbgprint' ? [e.text] : []));
  expect(printed.filter((t) => t.startsWith('FAIL'))).toEqual([]);
  expect(r.events.filter((e) => e.type === 'unimplemented-routine')).toEqual([]);
  const summary = printed.at(-1) ?? '';
  expect(summary).toMatch(/^dispatcher: \d+ passed, 0 failed\n$/);
  const checks = readFileSync(SOURCE, 'utf8').match(/^\s+CHECK\(/gm)?.length;
  expect(Number(/(\d+) passed/.exec(summary)?.[1])).toBe(checks);
  expect(r.outcome).toBe('ok');
  expect(r.events.filter((e) => e.type === 'thread-ended')).toHaveLength(1);
}

describe('dispatcher objects laid out by the handlers, checked in guest code', () => {
  it.skipIf(!haveMingw())(
    'x86 (gcc-mingw-w64-i686)',
    async () => {
      expectAllPassed(
        await runDriver({ driver: buildGuestDriver(SOURCE, 'dispatcher', DDK), kernel: 'registry' }),
      );
    },
    60_000,
  );
  it.skipIf(!haveMingw64())(
    'AMD64 (gcc-mingw-w64-x86-64)',
    async () => {
      expectAllPassed(
        await runDriver({ driver: buildGuestDriver64(SOURCE, 'dispatcher', DDK), kernel: 'registry' }),
      );
    },
    60_000,
  );
});
