// Boot with hundreds of drivers (issue 19): before, drivers placed from 0x80600000 up ran into the pool
// at 0x81000000 and the 161st driver ended the boot with exit 70 (UC_ERR_MAP); the pool made one engine
// region per block. Now images and pools have NT's separate ranges.
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { boot } from '../../src/harness/boot.js';
import { haveUnicorn } from '../helpers/unicorn.js';
import { manyDriverSet } from './many-drivers.js';

describe.skipIf(!haveUnicorn)('many drivers', () => {
  it('a set with 500 copies of a NIC driver boots: every copy loads and starts', {
    timeout: 120_000,
  }, async () => {
    const { root, names } = manyDriverSet(500);
    try {
      const r = await boot(root);
      expect(r.bugcheck ?? null).toBeNull();
      expect(r.outcome).not.toBe('loader-stop');
      const loaded = new Set(r.modules.map((m) => m.name.toUpperCase()));
      for (const n of names) expect(loaded.has(`${n.toUpperCase()}.SYS`), n).toBe(true);
      // The same problems as the base set, none from the copies.
      expect(r.guestProblems.filter((p) => /nic\d{4}/i.test(p.routine))).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
