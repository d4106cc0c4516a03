// `nt351 boot`'s progress line (src/cli/boot-progress.ts) and the library's onProgress it draws from:
// every boot-log entry reaches the callback in order; the line shows only after the delay, at most
// every 100 ms, on one row, and is erased at the end.
import { describe, expect, it } from 'vitest';
import { boot } from '../../src/boot/index.js';
import { bootProgress, PROGRESS_AFTER_MS, PROGRESS_EVERY_MS } from '../../src/cli/boot-progress.js';
import { ImageSet } from '../../src/system/index.js';
import { haveUnicorn } from '../helpers/unicorn.js';

describe('boot progress', () => {
  it.skipIf(!haveUnicorn)('onProgress receives each boot-log entry as the boot adds it', async () => {
    const seen: { step: string; detail: string }[] = [];
    const r = await boot(ImageSet.open('fixtures/imagesets/kb138713-x86-up'), {
      onProgress: (step, detail) => seen.push({ step, detail }),
    });
    expect(seen.length).toBeGreaterThan(10);
    expect(seen).toEqual(r.timeline);
  });

  it('draws nothing before the delay, then at most every 100 ms, one row without control characters', () => {
    let t = 0;
    const out: string[] = [];
    const p = bootProgress(
      (s) => out.push(s),
      () => t,
    );
    p.onProgress('io', 'early');
    t = PROGRESS_AFTER_MS - 1;
    p.onProgress('io', 'still early');
    expect(out).toEqual([]);
    t = PROGRESS_AFTER_MS;
    p.onProgress('io', 'Elnk3: DriverEntry returned 0x00000000');
    t += PROGRESS_EVERY_MS - 1;
    p.onProgress('io', 'too soon');
    t += 1;
    p.onProgress('io', `evil\x1b[2J\nname ${'x'.repeat(200)}`);
    expect(out).toHaveLength(2);
    expect(out[0]).toBe('\r\x1b[Kboot: io Elnk3: DriverEntry returned 0x00000000');
    const line = out[1]!.slice('\r\x1b[K'.length);
    expect(line.startsWith('boot: io evil [2J name xxx')).toBe(true);
    expect(line).toHaveLength(79);
    expect([...line].some((c) => c.charCodeAt(0) < 0x20)).toBe(false);
    p.done();
    expect(out.at(-1)).toBe('\r\x1b[K');
  });

  it('erases nothing when it drew nothing', () => {
    const out: string[] = [];
    const p = bootProgress(
      (s) => out.push(s),
      () => 0,
    );
    p.onProgress('io', 'x');
    p.done();
    expect(out).toEqual([]);
  });
});
