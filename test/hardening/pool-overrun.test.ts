// Pool block overruns (issue 19 item 3): small ExAllocatePool blocks carry NT's POOL_HEADER and a
// neighbour's header after them, so a driver writing past its block is NT's BAD_POOL_HEADER (0x19)
// when it frees the block, or a pool-overrun event at the end of the run when it keeps it. Before:
// the per-block guard pages were gone and the overrun went unnoticed (outcome ok).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDriver } from '../../src/sandbox/index.js';
import { haveUnicorn } from '../helpers/unicorn.js';
import { buildGuestDriver, haveMingw } from '../kernel/guest-driver.js';

const SOURCE = resolve('test/hardening/guest/pool-overrun.c');
const tmp = mkdtempSync(join(tmpdir(), 'nt351-overrun-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(mode: 0 | 1 | 2) {
  const source = join(tmp, `mode${mode}.c`);
  writeFileSync(source, `#define MODE ${mode}\n#include "${SOURCE}"\n`);
  return runDriver({ driver: buildGuestDriver(source, `overrun${mode}`), kernel: 'registry' });
}

describe.skipIf(!haveMingw() || !haveUnicorn)('pool block overruns (mingw-built driver)', () => {
  it('writes inside the block, then a free: no bugcheck, no overrun event', async () => {
    const r = await run(0);
    expect(r.outcome).toBe('ok');
    expect(r.events.filter((e) => e.type === 'pool-overrun' || e.type === 'bugcheck')).toEqual([]);
  });

  it('40 bytes written into a 20-byte block, then ExFreePool: BAD_POOL_HEADER (0x19, 5, next header, 0, header)', async () => {
    const r = await run(1);
    expect(r.outcome).toBe('bugcheck');
    const alloc = r.events.find((e) => e.type === 'api-call' && e.name === 'ExAllocatePoolWithTag');
    const block = alloc?.type === 'api-call' ? alloc.result! : 0;
    // Header at block - 8; 20 + 8 bytes are one 32-byte unit, so the next header is at block + 24.
    expect(block & 0xfff).toBe(8);
    const bug = r.events.find((e) => e.type === 'bugcheck');
    expect(bug).toMatchObject({ code: 0x19, parameters: [5, block + 24, 0, block - 8] });
    expect(r.events.find((e) => e.type === 'pool-overrun')).toMatchObject({
      address: block,
      size: 20,
      tag: 'Orvn',
      header: block + 24,
    });
  });

  it('40 bytes written into a kept 20-byte block: a pool-overrun event at the end of the run', async () => {
    const r = await run(2);
    const overruns = r.events.filter((e) => e.type === 'pool-overrun');
    expect(overruns).toHaveLength(1);
    expect(overruns[0]).toMatchObject({ size: 20, tag: 'Orvn' });
    expect(overruns[0]).not.toHaveProperty('caller');
    expect(r.events.some((e) => e.type === 'bugcheck')).toBe(false);
  });
});
