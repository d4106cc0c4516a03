// Pictures of what an NT 3.51 user saw: hard-error message boxes (Windows 3.1 look) and the text-mode
// STOP screen, as SVG or HTML. All guest text is escaped; the same wrapped lines feed both renderers.
//
// STOP screen layout after the Windows NT 4.0 Resource Kit, chapter 38 "Windows NT Kernel Messages",
// Figure 38.1 (an NT 3.51 build 1057 screen): `*** STOP: 0x0000000A (0x...,0x...,0x...,0x...)`, the bugcheck
// name (with `*** Address x has base at y - module` when a parameter falls in a module), a processor/
// IRQL/SYSVER line, a blank line, two columns of `Dll Base DateStmp - Name`, and the closing advice.
// Modelled, not measured: the processor line's values (defaults `p4-0300`, IRQL 0x1f, SYSVER
// 0xf0000421 = free build 1057), the exact wording and line break of the closing advice, the colours,
// the message box's icon, fonts and sizes, and the desktop behind it. Not drawn: the debug port status
// indicators and the stack dump (no data for them).

import { type StopScreen, stopScreenLines } from '../boot/index.js';

export type { StopScreen, StopScreenModule } from '../boot/index.js';

/** One hard-error popup (NtRaiseHardError as the user saw it). */
export interface HardErrorScreen {
  /** Caption, e.g. `System Process - Driver Entry Point Not Found`. */
  caption: string;
  /** Message text; `\n` or `\r\n` break lines. */
  text: string;
  /** The NTSTATUS raised (kept as data, not shown: NT's box does not show it). */
  status: number;
}

/** What to draw: popups in order, then the STOP screen if the run ended in one. */
export interface ScreenInput {
  title: string;
  hardErrors: HardErrorScreen[];
  bugcheck: null | StopScreen;
}

/** Text-mode screen size: NT's STOP screen uses the 80x50 VGA text mode. */
export const STOP_COLUMNS = 80;
export const STOP_ROWS = 50;
/** Characters per line of message box text before wrapping (Windows 3.1 boxes are about this wide). */
export const POPUP_COLUMNS = 60;

/** Escapes text for XML and HTML content and attributes; characters XML 1.0 forbids become U+FFFD. */
export function escapeMarkup(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * Splits text into lines of at most `width` characters: at line breaks, then between words, cutting
 * words longer than a line (as the text-mode screen and a message box both would). Tabs become spaces.
 */
export function wrapText(text: string, width: number): string[] {
  const out: string[] = [];
  for (const para of text.replace(/\t/g, ' ').split(/\r\n|\r|\n/)) {
    let line = '';
    for (const word of para.split(' ')) {
      let w = word;
      if (line && line.length + 1 + w.length > width) {
        out.push(line);
        line = '';
      } else if (line) line += ' ';
      while (line.length + w.length > width) {
        const room = width - line.length;
        out.push(line + w.slice(0, room));
        line = '';
        w = w.slice(room);
      }
      line += w;
    }
    out.push(line);
  }
  return out;
}

/**
 * Fixed-pitch faces, first found wins: NT's own, then Liberation Mono (the font `--render FILE.png`
 * ships and draws with, src/cli/render-png.ts), then common ones. No space after the commas: resvg
 * 2.6 skips a quoted name that follows `, ` (it found Liberation Mono only as `,'Liberation Mono'`).
 */
export const MONO_FONTS = "'Lucida Console','Liberation Mono','DejaVu Sans Mono','Courier New',monospace";

/** The proportional faces of the pictures (Liberation Sans has Arial's metrics; PNGs are drawn with it). */
const SANS_FONTS = "'MS Sans Serif',Arial,'Liberation Sans','DejaVu Sans',sans-serif";

const HEX8 = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0').toUpperCase()}`;

// ---- SVG ----------------------------------------------------------------------------------------------

const SVG_WIDTH = 900;
const CELL_W = 9;
const CELL_H = 14;
const POPUP_FONT_PX = 13;

/** Advance of a character in em for a bold Arial-like face (rough classes), to size a message box. */
function emWidth(c: string): number {
  if (/[ijl.,:;'!|]/.test(c)) return 0.28;
  if (/[ftrI()[\]/\\ -]/.test(c)) return 0.36;
  if (/[mwMW@%]/.test(c)) return 0.95;
  if (/[A-Z&]/.test(c)) return 0.74;
  if (/[a-z0-9_$#?*+=<>"~^{}]/.test(c)) return 0.61;
  return 1; // anything else (CJK, symbols): assume a full em
}
const textPx = (s: string) => [...s].reduce((n, c) => n + emWidth(c), 0) * POPUP_FONT_PX;
const POPUP_LINE_H = 17;

function svgPopup(e: HardErrorScreen, y: number): { svg: string; height: number } {
  const lines = wrapText(e.text, POPUP_COLUMNS);
  const caption = wrapText(e.caption, 70)[0] ?? '';
  const textW = Math.max(...lines.map(textPx));
  const w = Math.round(Math.min(SVG_WIDTH - 20, Math.max(300, 72 + textW + 24, textPx(caption) + 60)));
  const h = 22 + 20 + Math.max(32, lines.length * POPUP_LINE_H) + 20 + 26 + 16;
  const x = Math.round((SVG_WIDTH - w) / 2);
  const desktopH = h + 40;
  const t = (s: string) => escapeMarkup(s);
  const out = [
    `<g transform="translate(0,${y})" data-status="${HEX8(e.status)}">`,
    `<rect width="${SVG_WIDTH}" height="${desktopH}" fill="#c0c0c0"/>`,
    `<g transform="translate(${x},20)">`,
    // frame: black outline, gray sizing border, then the caption bar and the white client area
    `<rect width="${w}" height="${h}" fill="#c0c0c0" stroke="#000"/>`,
    `<rect x="4" y="4" width="${w - 8}" height="20" fill="#000080" stroke="#000"/>`,
    `<rect x="4" y="4" width="20" height="20" fill="#c0c0c0" stroke="#000"/>`,
    `<rect x="8" y="12" width="12" height="3" fill="#fff" stroke="#000" stroke-width="0.5"/>`,
    `<text x="${(w + 24) / 2}" y="18.5" fill="#fff" font-size="13" font-weight="bold" text-anchor="middle" xml:space="preserve">${t(caption)}</text>`,
    `<rect x="4" y="24" width="${w - 8}" height="${h - 28}" fill="#fff" stroke="#000"/>`,
    // stop-sign icon (Windows 3.1 MB_ICONSTOP look)
    `<g transform="translate(24,44)"><polygon points="9,0 23,0 32,9 32,23 23,32 9,32 0,23 0,9" fill="#e00000" stroke="#000"/><text x="16" y="20" fill="#fff" font-size="8.5" font-weight="bold" text-anchor="middle">STOP</text></g>`,
  ];
  lines.forEach((l, i) => {
    out.push(
      `<text x="72" y="${56 + i * POPUP_LINE_H}" font-size="13" font-weight="bold" xml:space="preserve">${t(l)}</text>`,
    );
  });
  const bx = Math.round(w / 2 - 38);
  const by = h - 42;
  out.push(
    `<g transform="translate(${bx},${by})"><rect width="76" height="26" rx="3" fill="#c0c0c0" stroke="#000" stroke-width="2"/>`,
    '<path d="M3 23 V3 H73" fill="none" stroke="#fff" stroke-width="2"/><path d="M3 23 H73 V3" fill="none" stroke="#808080" stroke-width="2"/>',
    '<text x="38" y="18" font-size="13" font-weight="bold" text-anchor="middle">OK</text></g>',
    '</g></g>',
  );
  return { svg: out.join('\n'), height: desktopH };
}

function svgStop(b: StopScreen, y: number): { svg: string; height: number } {
  const lines = stopScreenLines(b);
  const rows = Math.max(STOP_ROWS, lines.length);
  const w = STOP_COLUMNS * CELL_W;
  const x = (SVG_WIDTH - w) / 2;
  const out = [
    `<g transform="translate(${x},${y})">`,
    `<rect width="${w}" height="${rows * CELL_H + 8}" fill="#0000aa"/>`,
    `<g fill="#fff" font-family="${MONO_FONTS}" font-size="14">`,
  ];
  lines.forEach((l, i) => {
    if (l.length === 0) return;
    out.push(
      // Spaces as U+00A0: renderers collapse runs of spaces in SVG text despite xml:space.
      `<text x="0" y="${(i + 1) * CELL_H}" textLength="${l.length * CELL_W}" lengthAdjust="spacingAndGlyphs" xml:space="preserve">${escapeMarkup(l).replace(/ /g, '\u00a0')}</text>`,
    );
  });
  out.push('</g></g>');
  return { svg: out.join('\n'), height: rows * CELL_H + 8 };
}

/** A further part of a picture, drawn at `y` across `width`; returns its markup and height. */
export type SvgPart = (y: number, width: number) => { svg: string; height: number };

/**
 * One SVG picture: the title, then each hard-error popup on a desktop, then the STOP screen, then
 * the `after` parts (boot --render adds the Event Viewer and the timeline).
 */
export function renderScreensSvg(input: ScreenInput, after: readonly SvgPart[] = []): string {
  const parts: string[] = [];
  let y = 44;
  for (const e of input.hardErrors) {
    const p = svgPopup(e, y);
    parts.push(p.svg);
    y += p.height + 16;
  }
  if (input.bugcheck) {
    const s = svgStop(input.bugcheck, y);
    parts.push(s.svg);
    y += s.height + 16;
  }
  for (const part of after) {
    const p = part(y, SVG_WIDTH);
    parts.push(p.svg);
    y += p.height + 16;
  }
  const height = Math.round(y);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SVG_WIDTH}" height="${height}" viewBox="0 0 ${SVG_WIDTH} ${height}" font-family="${SANS_FONTS}">`,
    `<title>${escapeMarkup(input.title)}</title>`,
    '<desc>NT 3.51 screens drawn by nt351. Modelled: colours, fonts, icon, desktop, the STOP screen processor line defaults and closing advice wording.</desc>',
    `<rect width="${SVG_WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="16" y="28" font-size="18" font-weight="bold" xml:space="preserve">${escapeMarkup(input.title)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

// ---- HTML ---------------------------------------------------------------------------------------------

const CSS = `body{font-family:Arial,'Liberation Sans','DejaVu Sans',sans-serif;margin:16px;background:#fff}
h1{font-size:18px}
.desktop{background:#c0c0c0;padding:20px;margin-bottom:16px}
.msgbox{margin:0 auto;width:max-content;max-width:820px;background:#c0c0c0;border:1px solid #000;padding:3px}
.caption{display:flex;align-items:center;background:#000080;color:#fff;font-weight:bold;font-size:13px;border:1px solid #000;height:20px}
.sysmenu{width:20px;height:20px;background:#c0c0c0;border-right:1px solid #000;position:relative}
.sysmenu::after{content:'';position:absolute;left:4px;top:8px;width:12px;height:3px;background:#fff;border:1px solid #000}
.caption span.text{flex:1;text-align:center;padding:0 8px;white-space:pre}
.client{background:#fff;border:1px solid #000;border-top:0;padding:16px 20px 14px;display:grid;grid-template-columns:48px auto;row-gap:18px}
.icon{width:32px;height:32px;background:#e00000;clip-path:polygon(28% 0,72% 0,100% 28%,100% 72%,72% 100%,28% 100%,0 72%,0 28%);color:#fff;font:bold 8.5px Arial,sans-serif;display:flex;align-items:center;justify-content:center}
.msg{font-weight:bold;font-size:13px;line-height:17px;white-space:pre;font-family:Arial,'Liberation Sans','DejaVu Sans',sans-serif;margin:0}
.ok{grid-column:1/3;justify-self:center;width:76px;height:26px;font-weight:bold;font-size:13px;background:#c0c0c0;border:2px solid #000;border-radius:3px;box-shadow:inset 2px 2px #fff,inset -2px -2px #808080}
.windows{display:block;margin:0 auto 16px}
.bsod{background:#0000aa;color:#fff;font:14px/14px 'Lucida Console','Liberation Mono','DejaVu Sans Mono','Courier New',monospace;width:80ch;min-height:700px;padding:4px 0;margin:0 auto;white-space:pre}`;

/**
 * An HTML page of the same screens: message boxes as styled boxes, the STOP screen as preformatted
 * text, then the `after` parts (boot --render's Event Viewer and timeline) as the very SVG markup the
 * SVG picture has, inline, so both files show the same windows.
 */
export function renderScreensHtml(input: ScreenInput, after: readonly SvgPart[] = []): string {
  const t = escapeMarkup;
  const body: string[] = [`<h1>${t(input.title)}</h1>`];
  for (const e of input.hardErrors) {
    const text = wrapText(e.text, POPUP_COLUMNS).map(t).join('\n');
    body.push(
      `<section class="desktop"><div class="msgbox" role="alertdialog" data-status="${HEX8(e.status)}">`,
      `<div class="caption"><span class="sysmenu"></span><span class="text">${t(wrapText(e.caption, 70)[0] ?? '')}</span></div>`,
      `<div class="client"><div class="icon">STOP</div><p class="msg">${text}</p><button class="ok" type="button">OK</button></div>`,
      '</div></section>',
    );
  }
  if (input.bugcheck)
    body.push(`<pre class="bsod">${stopScreenLines(input.bugcheck).map(t).join('\n')}</pre>`);
  if (after.length > 0) {
    const parts: string[] = [];
    let y = 0;
    for (const part of after) {
      const p = part(y, SVG_WIDTH);
      parts.push(p.svg);
      y += p.height + 16;
    }
    const height = Math.round(y - 16);
    body.push(
      `<svg class="windows" xmlns="http://www.w3.org/2000/svg" width="${SVG_WIDTH}" height="${height}" viewBox="0 0 ${SVG_WIDTH} ${height}" font-family="${SANS_FONTS}">`,
      ...parts,
      '</svg>',
    );
  }
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>${t(input.title)}</title>`,
    '<!-- NT 3.51 screens drawn by nt351. Modelled: colours, fonts, icon, desktop, the STOP screen processor line defaults and closing advice wording. -->',
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
