// Guest-level checks of handlers on AMD64: test/kernel/guest/amd64-io.c, built with Debian's x86_64
// mingw-w64 against its <ddk/wdm.h>, checks in guest code the IRPs, MDLs, spin locks and device
// stacks the handlers lay out at the 64-bit offsets (run under `--kernel registry`).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runDriver } from '../../src/sandbox/index.js';
import { buildGuestDriver64, haveMingw64 } from './guest-driver.js';

describe.skipIf(!haveMingw64())('AMD64 guest-level handler checks (needs gcc-mingw-w64-x86-64)', () => {
  it.each(['amd64-io'])(
    '%s.c: every check in guest code passes',
    async (name) => {
      const source = `test/kernel/guest/${name}.c`;
      const r = await runDriver({ driver: buildGuestDriver64(source, name), kernel: 'registry' });
      const printed = r.events.flatMap((e) => (e.type === 'dbgprint' ? [e.text] : []));
      expect(printed.filter((t) => t.startsWith('FAIL'))).toEqual([]);
      expect(r.events.filter((e) => e.type === 'unimplemented-routine')).toEqual([]);
      const summary = printed.at(-1) ?? '';
      expect(summary).toMatch(new RegExp(`^${name}: \\d+ passed, 0 failed\\n$`));
      const checks = readFileSync(source, 'utf8').match(/^\s+CHECK\(/gm)?.length;
      expect(Number(/(\d+) passed/.exec(summary)?.[1])).toBe(checks);
      expect(r.outcome).toBe('ok');
      expect(r.poolLeaks).toEqual([]);
    },
    60_000,
  );
});
