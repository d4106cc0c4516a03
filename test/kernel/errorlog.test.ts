// IoWriteErrorLogEntry under run-driver: a mingw-built driver (test/kernel/guest/errorlog.c) writes a
// packet; the report lists it with the fields NT's I/O manager and EventLog service store.
import { describe, expect, it } from 'vitest';
import { renderRunDriver } from '../../src/cli/render-run.js';
import { runDriver } from '../../src/sandbox/index.js';
import { buildGuestDriver, haveMingw } from './guest-driver.js';

describe.skipIf(!haveMingw())('the I/O error log in run-driver (needs gcc-mingw-w64-i686)', () => {
  it('errorlog.c: the packet is listed with its driver, device, codes, dump data and strings', async () => {
    const r = await runDriver({
      driver: buildGuestDriver('test/kernel/guest/errorlog.c', 'errorlog'),
      kernel: 'registry',
    });
    expect(r.outcome).toBe('ok');
    const e = r.events.find((x) => x.type === 'io-error-log');
    expect(e).toMatchObject({
      driver: 'errorlog',
      device: '\\Device\\ErrLog0',
      errorCode: 0xc0040006,
      uniqueErrorValue: 0x77,
      finalStatus: 0xc0000185,
      eventCategory: 2,
      majorFunction: 3,
      dumpData: [0x11111111, 0x22222222],
      strings: ['COM3'],
    });
    if (e?.type === 'io-error-log') expect(e.data.length).toBe(2 * (0x28 + 8));
    expect(renderRunDriver(r)).toContain(
      'error log entry from errorlog (\\Device\\ErrLog0): ErrorCode 0xc0040006',
    );
    // The entry went back to the pool: no kernel block is left from it.
    expect(r.poolLeaks).toEqual([]);
  });
});
