// `--render FILE.png`: the SVG picture drawn by resvg with the package's fonts, compared with golden
// PNGs pixel by pixel within a tolerance (test/helpers/golden-png.ts); the same bytes on every run; no
// system font used; a visibly different picture fails the comparison.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import {
  MAX_PNG_HEIGHT,
  PictureTooLargeError,
  PNG_FONT_FILES,
  svgToPixels,
  svgToPng,
} from '../../src/cli/render-png.js';
import { renderScreensSvg } from '../../src/cli/render-screen.js';
import { checkPngGolden, expectPngGolden, GOLDEN_TOLERANCE, withinTolerance } from '../helpers/golden-png.js';
import { comparePixels, decodePng, PNG_SIGNATURE } from '../helpers/png.js';
import { haveUnicorn } from '../helpers/unicorn.js';
import { kb138713, mismatchedHal } from './screens.js';

const tmp = mkdtempSync(join(tmpdir(), 'nt351-png-render-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const STOP_GOLDEN = 'test/golden/png/mismatched-hal.png';
const BOOT_GOLDEN = 'test/golden/png/kb138713-boot.png';
/** A font this machine has that nt351 does not ship (fonts-dejavu-core, scripts/setup.sh). */
const SYSTEM_FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf';

/** The golden's pixels against a picture's (the tolerance of the golden tests). */
const against = (golden: string, png: Uint8Array) =>
  comparePixels(decodePng(png), decodePng(new Uint8Array(readFileSync(golden))), GOLDEN_TOLERANCE.channel);

describe('PNG pictures', () => {
  it('the MISMATCHED_HAL STOP screen matches its golden (80 columns of Liberation Mono in 9 px cells)', () => {
    expectPngGolden(svgToPng(renderScreensSvg(mismatchedHal)), STOP_GOLDEN);
  });

  it('are the same bytes on every run, drawn with the fonts in fonts/', () => {
    const svg = renderScreensSvg(kb138713);
    const a = svgToPng(svg);
    expect(Buffer.compare(Buffer.from(svgToPng(svg)), Buffer.from(a))).toBe(0);
    expect([...a.subarray(0, 8)]).toEqual([...PNG_SIGNATURE]);
    for (const f of PNG_FONT_FILES) expect(existsSync(f), f).toBe(true);
  });

  it.skipIf(!existsSync(SYSTEM_FONT))(
    'never use a system font: a family only the system has falls back to Liberation Sans (needs fonts-dejavu-core)',
    () => {
      const text = (family: string) =>
        `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="30"><rect width="200" height="30" fill="#fff"/><text x="4" y="20" font-size="14" font-family="${family}">Event 2508 WWiill</text></svg>`;
      const system = svgToPixels(text("'DejaVu Sans Mono'"));
      const ours = svgToPixels(text("'Liberation Sans'"));
      expect(comparePixels(system, ours, 0).differing).toBe(0);
      // …and Liberation Mono, which fonts/ has, is used: that picture differs.
      expect(comparePixels(svgToPixels(text("'Liberation Mono'")), ours, 0).differing).toBeGreaterThan(50);
    },
  );

  it('a visibly different picture fails the comparison: one character of the STOP code, or another screen', () => {
    const code = svgToPng(
      renderScreensSvg({ ...mismatchedHal, bugcheck: { ...mismatchedHal.bugcheck!, code: 0x7a } }),
    );
    const oneChar = against(STOP_GOLDEN, code);
    expect(oneChar.sameSize).toBe(true);
    expect(oneChar.differing).toBeGreaterThan(GOLDEN_TOLERANCE.pixels);
    expect(withinTolerance(oneChar)).toBe(false);
    expect(() => checkPngGolden(code, STOP_GOLDEN)).toThrow(/pixels differ by more than 16/);
    expect(withinTolerance(against(STOP_GOLDEN, svgToPng(renderScreensSvg(kb138713))))).toBe(false);
    // The unchanged picture is within the tolerance, and exactly equal on this machine.
    const same = against(STOP_GOLDEN, svgToPng(renderScreensSvg(mismatchedHal)));
    expect(withinTolerance(same)).toBe(true);
  });
});

describe('PNG limits and hostile guest text', () => {
  it('refuses a picture taller than MAX_PNG_HEIGHT before allocating it', () => {
    const tall = (h: number) =>
      `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="${h}"><rect width="900" height="${h}" fill="#fff"/></svg>`;
    expect(() => svgToPng(tall(MAX_PNG_HEIGHT + 1))).toThrow(PictureTooLargeError);
    expect(() => svgToPng(tall(MAX_PNG_HEIGHT + 1))).toThrow(/20001 px tall.*write FILE\.svg instead/);
    expect(decodePng(svgToPng(tall(100))).height).toBe(100);
  });

  it('draws markup, controls, lone surrogates, CJK and right-to-left marks in guest text', () => {
    const evil = '<script>alert("x")</script> & \u0000 \ud800 ]]> \u6f22\u5b57 \u202e RTL \ufffd ';
    const png = svgToPng(
      renderScreensSvg({
        title: evil,
        hardErrors: [{ caption: evil, text: `${evil}\r\n${'A'.repeat(600)} tail`, status: 0xc0000001 }],
        bugcheck: null,
      }),
    );
    const d = decodePng(png);
    expect(d.width).toBe(900);
    // The popup's text is drawn: many dark pixels on its white client area.
    let dark = 0;
    for (let p = 0; p < d.pixels.length; p += 4) if (d.pixels[p]! < 64 && d.pixels[p + 2]! < 64) dark++;
    expect(dark).toBeGreaterThan(5000);
  });
});

describe.skipIf(!haveUnicorn)('boot --render FILE.png', () => {
  it("the seed's boot: the SVG's picture (popup, Event Viewer with 2508 and 7023) as a PNG matching its golden", async () => {
    const file = join(tmp, 'kb.png');
    let stderr = '';
    const code = await run(
      ['node', 'nt351', 'boot', '--render', file, 'fixtures/imagesets/kb138713-x86-up'],
      {
        stdout: () => {},
        stderr: (s) => {
          stderr += s;
        },
      },
    );
    expect(stderr).toBe('');
    expect(code).toBe(1);
    const png = new Uint8Array(readFileSync(file));
    expect([...png.subarray(0, 8)]).toEqual([...PNG_SIGNATURE]);
    // The same picture as `--render FILE.svg` (whose golden test/cli/render-boot.test.ts checks).
    const svg = readFileSync('test/golden/screen/kb138713-boot.svg', 'utf8');
    const decoded = decodePng(png);
    expect(comparePixels(decoded, svgToPixels(svg), 0).differing).toBe(0);
    expect([decoded.width, decoded.height]).toEqual([900, Number(/height="(\d+)"/.exec(svg)![1])]);
    expectPngGolden(png, BOOT_GOLDEN);
  });
});
