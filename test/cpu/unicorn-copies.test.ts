// Two copies of the Unicorn binding in one process (src and dist here; two installed copies of nt351
// in a user's project) must both work: koffi's prototype names are global to the process.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RWX } from '../../src/cpu/engine.js';
import { UnicornX86 } from '../../src/cpu/unicorn.js';

const DIST = new URL('../../dist/cpu/unicorn.js', import.meta.url);
const built = existsSync(DIST);

describe('two copies of src/cpu/unicorn in one process', () => {
  it.skipIf(!built)(
    `both run guest code with hooks${built ? '' : ' (skipped: dist/ not built, run npm run build)'}`,
    async () => {
      const other = (await import(DIST.href)) as { UnicornX86: typeof UnicornX86 };
      expect(other.UnicornX86).not.toBe(UnicornX86);
      for (const Engine of [UnicornX86, other.UnicornX86]) {
        const cpu = new Engine({ library: 'libunicorn.so.2' });
        cpu.map(0x1000, 0x1000, RWX);
        cpu.write(0x1000, new Uint8Array([0x90, 0x90, 0x90]));
        const seen: number[] = [];
        cpu.hookCode(0x1000, 0x1002, (pc) => seen.push(pc));
        expect(cpu.run({ start: 0x1000, until: 0x1003 })).toMatchObject({ kind: 'returned' });
        expect(seen).toEqual([0x1000, 0x1001, 0x1002]);
        cpu.close();
      }
    },
  );
});
