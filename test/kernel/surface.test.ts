// Guest-level checks of the export handlers: test/kernel/guest/*.c call C runtime, Rtl, HAL,
// dispatcher, security, list, I/O, registry and data exports under `--kernel registry` and check each
// result in guest code.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runDriver } from '../../src/sandbox/index.js';
import { buildGuestDriver, haveMingw } from './guest-driver.js';

describe.skipIf(!haveMingw())('guest-level handler checks (needs gcc-mingw-w64-i686)', () => {
  it.each(['surface', 'surface2', 'registry'])('%s.c: every check in guest code passes', async (name) => {
    const source = `test/kernel/guest/${name}.c`;
    const driver = buildGuestDriver(source, name);
    const r = await runDriver({ driver, kernel: 'registry' });
    const printed = r.events.flatMap((e) => (e.type === 'dbgprint' ? [e.text] : []));
    expect(printed.filter((t) => t.startsWith('FAIL'))).toEqual([]);
    expect(r.events.filter((e) => e.type === 'unimplemented-routine')).toEqual([]);
    const summary = printed.at(-1) ?? '';
    expect(summary).toMatch(new RegExp(`^${name}: \\d+ passed, 0 failed\\n$`));
    // Every CHECK in the source ran (none skipped by an early stop).
    const checks = readFileSync(source, 'utf8').match(/^\s+CHECK\(/gm)?.length;
    expect(Number(/(\d+) passed/.exec(summary)?.[1])).toBe(checks);
    expect(r.outcome).toBe('ok');
  });
});
