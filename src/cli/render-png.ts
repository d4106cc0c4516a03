// `--render FILE.png`: the same SVG picture rasterised by resvg (@resvg/resvg-js, a Rust renderer whose
// binary ships in its npm package) with the package's own fonts (fonts/) and never the system's.
//
// Why resvg: docs/render.md compares it with sharp (librsvg) and @napi-rs/canvas (Skia) on package size,
// speed and fidelity. Text is the only input that varies between machines, so system fonts stay off.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';
import { PACKAGE_ROOT } from './files.js';

/** The fonts every PNG is drawn with (Liberation 2.1.5, SIL OFL 1.1; fonts/README.md). */
export const PNG_FONT_FILES: readonly string[] = [
  'LiberationSans-Regular.ttf',
  'LiberationSans-Bold.ttf',
  'LiberationMono-Regular.ttf',
].map((f) => join(PACKAGE_ROOT, 'fonts', f));

/**
 * resvg's options: only our fonts; every family the SVG names that is not among them (MS Sans Serif,
 * Arial, Lucida Console…) falls back to Liberation Sans, so the pictures name Liberation Mono where
 * they want a fixed pitch (resvg 2.6 does not map the generic `monospace` to `monospaceFamily`).
 */
const OPTIONS: ResvgRenderOptions = {
  font: {
    loadSystemFonts: false,
    fontFiles: [...PNG_FONT_FILES],
    defaultFontFamily: 'Liberation Sans',
    sansSerifFamily: 'Liberation Sans',
    serifFamily: 'Liberation Sans',
    monospaceFamily: 'Liberation Mono',
  },
  // Pixel-exact output at the SVG's own size (900 px wide), on its own white background.
  fitTo: { mode: 'original' },
  logLevel: 'off',
};

/** An SVG drawn as RGBA pixels (8 bits a channel, rows top to bottom, no padding). */
export interface RasterImage {
  width: number;
  height: number;
  /** width × height × 4 bytes. */
  pixels: Uint8Array;
}

/**
 * The tallest PNG drawn: 900 × 20 000 RGBA is 72 MB of pixels. Guest text (a huge hard-error message,
 * thousands of events) could make the SVG far taller; its PNG is refused rather than allocated.
 */
export const MAX_PNG_HEIGHT = 20_000;

/** A picture too large to draw as PNG (the SVG has no such limit). */
export class PictureTooLargeError extends Error {
  override readonly name = 'PictureTooLargeError';
  constructor(readonly height: number) {
    super(`the picture is ${height} px tall, more than a PNG's ${MAX_PNG_HEIGHT}; write FILE.svg instead`);
  }
}

/** resvg for one SVG; the fonts must be there (resvg would silently draw no text without them). */
function resvg(svg: string): Resvg {
  const absent = PNG_FONT_FILES.filter((f) => !existsSync(f));
  if (absent.length > 0)
    throw new Error(`nt351's fonts are missing (the package is incomplete): ${absent.join(', ')}`);
  const r = new Resvg(svg, OPTIONS);
  if (r.height > MAX_PNG_HEIGHT) throw new PictureTooLargeError(r.height);
  return r;
}

/** Draws an SVG and returns its pixels (the tests compare these with golden images); see MAX_PNG_HEIGHT. */
export function svgToPixels(svg: string): RasterImage {
  const image = resvg(svg).render();
  return { width: image.width, height: image.height, pixels: new Uint8Array(image.pixels) };
}

/**
 * Draws an SVG as a PNG file's bytes: 8-bit RGBA, non-interlaced. The same SVG gives the same bytes
 * (resvg draws in software with fixed fonts; its PNG encoder writes no time or host data). Throws
 * PictureTooLargeError for a picture taller than MAX_PNG_HEIGHT.
 */
export function svgToPng(svg: string): Uint8Array {
  return new Uint8Array(resvg(svg).render().asPng());
}
