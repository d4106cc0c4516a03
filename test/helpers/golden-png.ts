// Golden PNG pictures compared pixel by pixel with a tolerance. Updated like the text goldens: with
// `npx vitest run -u` (or UPDATE_GOLDEN=1); a missing golden is written on a local run, fails under CI.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { comparePixels, decodePng, type PixelDiff } from './png.js';

/**
 * How different a picture may be from its golden and still match: a channel may differ by up to
 * 16 of 255 anywhere (anti-aliasing of another resvg build or CPU), and at most 24 pixels may differ
 * by more. One changed digit of 12 px text changes more than that (test/cli/render-png.test.ts).
 */
export const GOLDEN_TOLERANCE = { channel: 16, pixels: 24 } as const;

/** True when the picture is within the tolerance of the golden. */
export const withinTolerance = (d: PixelDiff) => d.sameSize && d.differing <= GOLDEN_TOLERANCE.pixels;

/** vitest's snapshot mode for this run: 'all' with -u, 'new' by default, 'none' under CI. */
function updateMode(): 'all' | 'new' | 'none' {
  if (process.env.UPDATE_GOLDEN === '1') return 'all';
  const state = expect.getState().snapshotState as unknown as { _updateSnapshot?: 'all' | 'new' | 'none' };
  return state?._updateSnapshot ?? 'none';
}

/**
 * Checks a PNG against `golden` (a path from the repository root); on a mismatch the picture drawn is
 * kept in a temporary folder named in the failure, to look at beside the golden.
 */
export function expectPngGolden(png: Uint8Array, golden: string): PixelDiff {
  const actual = decodePng(png);
  const mode = updateMode();
  if (mode === 'all' || (mode === 'new' && !existsSync(golden))) {
    writeFileSync(golden, png);
    return { sameSize: true, differing: 0, maxDelta: 0, total: actual.width * actual.height };
  }
  return checkPngGolden(png, golden);
}

/** Compares a PNG with `golden` (never writes it, whatever the update mode); a mismatch fails the test. */
export function checkPngGolden(png: Uint8Array, golden: string): PixelDiff {
  const actual = decodePng(png);
  if (!existsSync(golden)) throw new Error(`${golden} is missing: run npx vitest run -u to write it`);
  const diff = comparePixels(
    actual,
    decodePng(new Uint8Array(readFileSync(golden))),
    GOLDEN_TOLERANCE.channel,
  );
  if (!withinTolerance(diff)) {
    const kept = join(mkdtempSync(join(tmpdir(), 'nt351-golden-')), 'actual.png');
    writeFileSync(kept, png);
    expect.fail(
      `${golden}: ${diff.sameSize ? `${diff.differing} of ${diff.total} pixels differ by more than ${GOLDEN_TOLERANCE.channel} (at most ${GOLDEN_TOLERANCE.pixels} may)` : 'the size differs'}; the picture drawn is ${kept} (npx vitest run -u accepts it)`,
    );
  }
  return diff;
}
