// Structured exception handling on AMD64 (src/kernel/seh/dispatch64.ts, unwind64.ts, c-specific.ts):
// guest drivers built with x86_64 mingw-w64, whose functions carry real .pdata/.xdata, check faults and
// raised statuses reaching __C_specific_handler scopes and their own language handlers, __finally
// blocks during unwinding, nonvolatile registers restored by the unwind, and RtlVirtualUnwind called
// by the driver (test/kernel/guest/seh64.c); unhandled exceptions end as NT's bugcheck or the fault.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runDriver } from '../../src/sandbox/index.js';
import { buildGuestDriver64, haveMingw64 } from './guest-driver.js';

describe.skipIf(!haveMingw64())(
  'AMD64 structured exception handling in guest code (needs gcc-mingw-w64-x86-64)',
  () => {
    it('seh64.c: every check in guest code passes', async () => {
      const source = 'test/kernel/guest/seh64.c';
      const r = await runDriver({ driver: buildGuestDriver64(source, 'seh64'), kernel: 'registry' });
      const printed = r.events.flatMap((e) => (e.type === 'dbgprint' ? [e.text] : []));
      expect(printed.filter((t) => t.startsWith('FAIL'))).toEqual([]);
      const summary = printed.at(-1) ?? '';
      expect(summary).toMatch(/^seh64: \d+ passed, 0 failed\n$/);
      const checks = readFileSync(source, 'utf8').match(/^\s+CHECK\(/gm)?.length;
      expect(Number(/(\d+) passed/.exec(summary)?.[1])).toBe(checks);
      expect(r.outcome).toBe('ok');
      const codes = r.events.flatMap((e) => (e.type === 'exception' ? [e.code] : []));
      expect(codes).toContain(0xc0000005);
      expect(codes).toContain(0xc0000123);
      expect(codes).toContain(0xe0000001);
    });

    const run = (mode: number) =>
      runDriver({
        driver: buildGuestDriver64('test/kernel/guest/seh64-unhandled.c', `seh64-unhandled-${mode}`, [
          `-DMODE=${mode}`,
        ]),
        kernel: 'registry',
      });

    it('an unhandled ExRaiseStatus is bugcheck 0x1E with the status and its address', async () => {
      const r = await run(1);
      const bugcheck = r.events.find((e) => e.type === 'bugcheck');
      expect(bugcheck).toMatchObject({ code: 0x1e, parameters: [0xc0000123, expect.any(Number), 0, 0] });
      // The address is the driver's: the return address of its ExRaiseStatus call.
      const driver = (r.load.ok ? r.load.modules : []).find((m) => m.name.toLowerCase().includes('seh64'));
      const address = bugcheck?.type === 'bugcheck' ? bugcheck.parameters[1]! : 0;
      expect(driver).toBeDefined();
      expect(address).toBeGreaterThan(driver!.base);
      expect(address).toBeLessThan(driver!.base + driver!.size);
    });

    it('an unhandled access violation ends the run as that fault', async () => {
      const r = await run(2);
      expect(r.events.some((e) => e.type === 'exception' && e.code === 0xc0000005)).toBe(true);
      expect(r.events.some((e) => e.type === 'bugcheck')).toBe(false);
      expect(r.outcome).toBe('fault');
    });

    it('a filter that continues the search leaves the exception unhandled', async () => {
      const r = await run(3);
      expect(r.events.find((e) => e.type === 'bugcheck')).toMatchObject({
        code: 0x1e,
        parameters: [0xc0000456, expect.any(Number), 0, 0],
      });
    });
  },
);
