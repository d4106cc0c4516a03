// The PNG decoder of the golden-image tests (test/helpers/png.ts) against encoders we did not write:
// resvg's own pixels, and optipng re-encoding the same picture with each of PNG's five row filters.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { svgToPixels, svgToPng } from '../../src/cli/render-png.js';
import { renderScreensSvg } from '../../src/cli/render-screen.js';
import { crc32, decodePng, PNG_SIGNATURE } from '../helpers/png.js';
import { mismatchedHal } from './screens.js';

const haveOptipng = spawnSync('optipng', ['-v'], { stdio: 'ignore' }).status === 0;
const tmp = mkdtempSync(join(tmpdir(), 'nt351-png-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const svg = renderScreensSvg(mismatchedHal);
const png = svgToPng(svg);

/** A PNG file made of the given chunks (type, data), with lengths and CRCs. */
function pngOf(chunks: [string, Uint8Array][]): Uint8Array {
  const parts: Uint8Array[] = [PNG_SIGNATURE];
  for (const [type, data] of chunks) {
    const body = new Uint8Array([...Buffer.from(type, 'latin1'), ...data]);
    const out = new Uint8Array(body.length + 8);
    const v = new DataView(out.buffer);
    v.setUint32(0, data.length);
    out.set(body, 4);
    v.setUint32(body.length + 4, crc32(body));
    parts.push(out);
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** IHDR data: width, height, bit depth, colour type, compression 0, filter 0, interlace. */
function ihdr(width: number, height: number, depth: number, colour: number, interlace = 0): Uint8Array {
  const d = new Uint8Array(13);
  const v = new DataView(d.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  d.set([depth, colour, 0, 0, interlace], 8);
  return d;
}

describe('decodePng', () => {
  it("gives resvg's own pixels for resvg's PNG of the STOP screen", () => {
    const d = decodePng(png);
    const r = svgToPixels(svg);
    expect([d.width, d.height, d.colourType]).toEqual([r.width, r.height, 6]);
    expect(Buffer.compare(Buffer.from(d.pixels), Buffer.from(r.pixels))).toBe(0);
    // No text or time chunks: nothing in the file depends on when or where it was drawn.
    expect(new Set(d.chunks)).toEqual(new Set(['IHDR', 'IDAT', 'IEND']));
  });

  it.skipIf(!haveOptipng)(
    'decodes the same pixels from optipng re-encodings with filters None, Sub, Up, Average, Paeth and mixed (needs optipng)',
    () => {
      const source = join(tmp, 'in.png');
      writeFileSync(source, png);
      const expected = decodePng(png).pixels;
      for (const filter of [0, 1, 2, 3, 4, 5]) {
        const out = join(tmp, `f${filter}.png`);
        const r = spawnSync(
          'optipng',
          ['-quiet', '-force', '-nx', `-f${filter}`, '-zc1', '-zm8', '-zs0', '-out', out, source],
          { encoding: 'utf8' },
        );
        expect(r.status, r.stderr).toBe(0);
        const d = decodePng(new Uint8Array(readFileSync(out)));
        const used = d.filters.flatMap((n, f) => (n > 0 ? [f] : []));
        // -f0..-f4 use that filter on every row; -f5 chooses per row (several kinds).
        if (filter < 5) expect(used).toEqual([filter]);
        else expect(used.length).toBeGreaterThan(2);
        expect(Buffer.compare(Buffer.from(d.pixels), Buffer.from(expected)), `-f${filter}`).toBe(0);
      }
    },
  );

  it('decodes 8-bit RGB as opaque RGBA', () => {
    // 2x2 RGB: red, green / blue, white. Row 1 filter None; row 2 filter Up, stored as differences
    // from the bytes above, modulo 256: blue = red + (1, 0, 255), white = green + (255, 0, 255).
    const raw = Uint8Array.of(0, 255, 0, 0, 0, 255, 0, 2, 1, 0, 255, 255, 0, 255);
    const file = pngOf([
      ['IHDR', ihdr(2, 2, 8, 2)],
      ['IDAT', deflateSync(raw)],
      ['IEND', new Uint8Array()],
    ]);
    const d = decodePng(file);
    expect([...d.pixels]).toEqual([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255]);
  });

  it('refuses what it does not decode: bad signature, bad CRC, 16-bit, palette, interlaced', () => {
    expect(() => decodePng(new Uint8Array(10))).toThrow(/signature/);
    const broken = png.slice();
    broken[20] = broken[20]! ^ 1; // a byte of IHDR's width: the CRC no longer matches
    expect(() => decodePng(broken)).toThrow(/IHDR at 8: bad CRC/);
    const idat = deflateSync(new Uint8Array(5));
    for (const [depth, colour, interlace] of [
      [16, 6, 0],
      [8, 3, 0],
      [8, 6, 1],
    ] as const)
      expect(() =>
        decodePng(
          pngOf([
            ['IHDR', ihdr(1, 1, depth, colour, interlace)],
            ['IDAT', idat],
            ['IEND', new Uint8Array()],
          ]),
        ),
      ).toThrow(/unsupported PNG/);
  });
});
