// SVG of NT 3.51's Event Viewer (the System log's list, the selected event's Event Detail dialog) and
// of the boot's timeline and outcome, drawn below the popups and STOP screen by `boot --render`.
//
// Layout after NT 3.51's Event Viewer (eventvwr.exe): a window titled "Event Viewer - System Log on
// \\COMPUTER" with the menus Log, View, Options, Help, one row per event with an icon for its type and
// the columns Date, Time, Source, Category, Event, User, Computer; double-clicking a row opened "Event
// Detail" with those fields, the Description and the event's Data (its bytes, in the Bytes view the
// dialog opened with). Modelled, not measured: sizes, fonts, colours, icons.

import { escapeMarkup, MONO_FONTS, wrapText } from './render-screen.js';

/** One row of the System log as Event Viewer lists it. */
export interface EventRow {
  date: string;
  time: string;
  source: string;
  type: 'error' | 'warning' | 'information';
  id: number;
  message: string;
  /** The record's binary data as hex (Server's 2508 carries the NTSTATUS), or null. */
  data?: string | null;
}

/** What the Event Viewer picture shows: the log's rows and which one is selected (its detail is drawn). */
export interface EventViewerInput {
  computer: string;
  rows: EventRow[];
  /** Index of the selected row, or null for none. */
  selected: number | null;
}

/** The boot as a sequence of steps, and how it ended. */
export interface TimelineInput {
  steps: { step: string; detail: string }[];
  outcome: string;
}

const t = escapeMarkup;
const MONO = MONO_FONTS;
const ROW_H = 18;
const COLUMNS: [string, number][] = [
  ['Date', 34],
  ['Time', 104],
  ['Source', 194],
  ['Category', 384],
  ['Event', 464],
  ['User', 524],
  ['Computer', 594],
];
const typeName = { error: 'Error', warning: 'Warning', information: 'Information' } as const;

/** The 16x16 icon Event Viewer shows for an event type. */
function icon(type: EventRow['type'], x: number, y: number): string {
  if (type === 'error')
    return `<g transform="translate(${x},${y})"><polygon points="4.7,0 11.3,0 16,4.7 16,11.3 11.3,16 4.7,16 0,11.3 0,4.7" fill="#e00000" stroke="#000" stroke-width="0.7"/><rect x="4" y="7" width="8" height="2.2" fill="#fff"/></g>`;
  if (type === 'warning')
    return `<g transform="translate(${x},${y})"><polygon points="8,0 16,15 0,15" fill="#ffff00" stroke="#000" stroke-width="0.7"/><text x="8" y="13" font-size="11" font-weight="bold" text-anchor="middle">!</text></g>`;
  return `<g transform="translate(${x},${y})"><circle cx="8" cy="8" r="7.5" fill="#0000c0" stroke="#000" stroke-width="0.7"/><text x="8" y="12.5" fill="#fff" font-size="11" font-weight="bold" font-family="serif" text-anchor="middle">i</text></g>`;
}

/** A raised 20x20 caption button with a black arrow (▼ minimise, ▲ maximise), as NT 3.51 drew them. */
function captionButton(x: number, down: boolean): string {
  const arrow = down ? 'M5 8 H15 L10 13 Z' : 'M5 12 H15 L10 7 Z';
  return `<g transform="translate(${x},4)"><rect width="20" height="20" fill="#c0c0c0" stroke="#000"/><path d="M1 19 V1 H19" fill="none" stroke="#fff"/><path d="M1 19 H19 V1" fill="none" stroke="#808080"/><path d="${arrow}"/></g>`;
}

/**
 * A window frame: gray sizing border, caption bar (navy when active, white when not) with the
 * control-menu box at the left and, for a main window, the minimise and maximise buttons at the right.
 */
function frame(
  x: number,
  w: number,
  h: number,
  caption: string,
  active: boolean,
  sizeBoxes = false,
): string[] {
  return [
    `<rect x="${x}" width="${w}" height="${h}" fill="#c0c0c0" stroke="#000"/>`,
    `<rect x="${x + 4}" y="4" width="${w - 8}" height="20" fill="${active ? '#000080' : '#fff'}" stroke="#000"/>`,
    `<rect x="${x + 4}" y="4" width="20" height="20" fill="#c0c0c0" stroke="#000"/>`,
    `<rect x="${x + 8}" y="12" width="12" height="3" fill="#fff" stroke="#000" stroke-width="0.5"/>`,
    ...(sizeBoxes ? [captionButton(x + w - 44, true), captionButton(x + w - 24, false)] : []),
    `<text x="${x + w / 2}" y="18.5" fill="${active ? '#fff' : '#000'}" font-size="13" font-weight="bold" text-anchor="middle" xml:space="preserve">${t(caption)}</text>`,
  ];
}

/** Event Viewer's window with the System log, and the Event Detail dialog of the selected row. */
export function svgEventViewer(
  ev: EventViewerInput,
  y: number,
  width: number,
): { svg: string; height: number } {
  const w = width - 40;
  const x = 20;
  const listTop = 24 + 20 + 22;
  const rows = ev.rows.length === 0 ? 1 : ev.rows.length;
  const winH = listTop + rows * ROW_H + 12;
  const out = [`<g transform="translate(0,${y})" data-window="event-viewer">`];
  out.push(
    `<rect width="${width}" height="${winH + 40}" fill="#008080"/>`,
    '<g transform="translate(0,20)">',
  );
  out.push(
    ...frame(x, w, winH, `Event Viewer - System Log on \\\\${ev.computer}`, ev.selected === null, true),
  );
  // menu bar, column titles, list
  out.push(
    `<rect x="${x + 4}" y="24" width="${w - 8}" height="20" fill="#fff" stroke="#000"/>`,
    ...['Log', 'View', 'Options', 'Help'].map(
      (m, i) => `<text x="${x + 12 + i * 64}" y="38.5" font-size="13">${m}</text>`,
    ),
    `<rect x="${x + 4}" y="44" width="${w - 8}" height="${winH - 48}" fill="#fff" stroke="#000"/>`,
    ...COLUMNS.map(
      ([name, cx]) => `<text x="${x + cx}" y="59" font-size="12" font-weight="bold">${name}</text>`,
    ),
    `<line x1="${x + 4}" y1="${listTop - 1}" x2="${x + w - 4}" y2="${listTop - 1}" stroke="#808080"/>`,
  );
  if (ev.rows.length === 0)
    out.push(`<text x="${x + 34}" y="${listTop + 13}" font-size="12" font-style="italic">(no events)</text>`);
  ev.rows.forEach((r, i) => {
    const ry = listTop + i * ROW_H;
    const selected = i === ev.selected;
    if (selected)
      out.push(`<rect x="${x + 30}" y="${ry}" width="${w - 38}" height="${ROW_H}" fill="#000080"/>`);
    out.push(icon(r.type, x + 10, ry + 1));
    const cells = [r.date, r.time, r.source, 'None', String(r.id), 'N/A', ev.computer];
    out.push(
      `<g font-size="12" fill="${selected ? '#fff' : '#000'}" data-event="${r.id}">`,
      ...cells.map(
        (c, j) => `<text x="${x + COLUMNS[j]![1]}" y="${ry + 13}" xml:space="preserve">${t(c)}</text>`,
      ),
      '</g>',
    );
  });
  out.push('</g>');
  let height = winH + 40;
  const sel = ev.selected === null ? undefined : ev.rows[ev.selected];
  if (sel) {
    const d = svgEventDetail(sel, ev.computer, height, width);
    out.push(d.svg);
    height += d.height;
  }
  out.push('</g>');
  return { svg: out.join('\n'), height };
}

/** NT 3.51's Event Detail dialog for one event. */
function svgEventDetail(
  r: EventRow,
  computer: string,
  y: number,
  width: number,
): { svg: string; height: number } {
  const w = 560;
  const x = Math.round((width - w) / 2);
  const lines = wrapText(r.message, 66).filter((l, i, all) => l !== '' || i < all.length - 1);
  const descH = Math.max(4, lines.length) * 16 + 12;
  const dataH = 66; // "Data: (•) Bytes ( ) Words" and its box
  const h = 24 + 12 + 4 * 18 + 24 + descH + dataH + 46;
  const field = (label: string, value: string, fx: number, fy: number) =>
    `<text x="${fx}" y="${fy}" font-size="12">${label}</text><text x="${fx + 70}" y="${fy}" font-size="12" font-weight="bold" xml:space="preserve">${t(value)}</text>`;
  const out = [
    `<g transform="translate(0,${y})" data-window="event-detail">`,
    `<rect width="${width}" height="${h + 20}" fill="#008080"/>`,
    '<g>',
    ...frame(x, w, h, 'Event Detail', true),
    `<rect x="${x + 4}" y="24" width="${w - 8}" height="${h - 28}" fill="#c0c0c0"/>`,
    field('Date:', r.date, x + 16, 50),
    field('Event ID:', String(r.id), x + 290, 50),
    field('Time:', r.time, x + 16, 68),
    field('Source:', r.source, x + 290, 68),
    field('User:', 'N/A', x + 16, 86),
    field('Type:', typeName[r.type], x + 290, 86),
    field('Computer:', computer, x + 16, 104),
    field('Category:', 'None', x + 290, 104),
    `<text x="${x + 16}" y="126" font-size="12">Description:</text>`,
    `<rect x="${x + 16}" y="132" width="${w - 32}" height="${descH}" fill="#fff" stroke="#000"/>`,
    ...lines.map(
      (l, i) =>
        `<text x="${x + 22}" y="${148 + i * 16}" font-size="12" font-family="${MONO}" xml:space="preserve">${t(l).replace(/ /g, '\u00a0')}</text>`,
    ),
  ];
  // The event's binary data under the description, in the Bytes view the dialog opened with: an
  // offset, then eight bytes a line (two lines fit; NT's box scrolled for more).
  const dy = 132 + descH + 20;
  const radio = (cx: number, on: boolean) =>
    `<circle cx="${cx}" cy="${dy - 4}" r="5" fill="#fff" stroke="#000"/>${on ? `<circle cx="${cx}" cy="${dy - 4}" r="2.2"/>` : ''}`;
  out.push(
    `<text x="${x + 16}" y="${dy}" font-size="12">Data:</text>`,
    radio(x + 80, true),
    `<text x="${x + 90}" y="${dy}" font-size="12">Bytes</text>`,
    radio(x + 148, false),
    `<text x="${x + 158}" y="${dy}" font-size="12">Words</text>`,
    `<rect x="${x + 16}" y="${dy + 8}" width="${w - 32}" height="36" fill="#fff" stroke="#000"/>`,
    ...dataLines(r.data ?? null).map(
      (l, i) =>
        `<text x="${x + 22}" y="${dy + 22 + i * 14}" font-size="12" font-family="${MONO}" xml:space="preserve" data-event-data="">${t(l).replace(/ /g, '\u00a0')}</text>`,
    ),
  );
  const by = dy + 8 + 36 + 14;
  ['Close', 'Previous', 'Next', 'Help'].forEach((b, i) => {
    const bx = x + w / 2 - 2 * 84 + i * 84 + 4;
    out.push(
      `<g transform="translate(${bx},${by})"><rect width="76" height="24" rx="3" fill="#c0c0c0" stroke="#000" stroke-width="${i === 0 ? 2 : 1}"/><text x="38" y="16.5" font-size="12" font-weight="bold" text-anchor="middle">${b}</text></g>`,
    );
  });
  out.push('</g></g>');
  return { svg: out.join('\n'), height: h + 20 };
}

/** Event Detail's Bytes view of hex `data`: `0000: 63 02 00 c0`, eight bytes a line, two lines. */
export function dataLines(data: string | null): string[] {
  const bytes = (data ?? '').match(/[0-9a-f]{2}/gi) ?? [];
  const lines: string[] = [];
  for (let at = 0; at < bytes.length && lines.length < 2; at += 8)
    lines.push(
      `${at.toString(16).padStart(4, '0')}: ${bytes
        .slice(at, at + 8)
        .join(' ')
        .toLowerCase()}`,
    );
  return lines;
}

/** The boot's timeline (one line per step) and its outcome, as a plain panel. */
export function svgTimeline(
  tl: TimelineInput,
  y: number,
  width: number,
  maxSteps = 40,
): { svg: string; height: number } {
  const shown = tl.steps.slice(0, maxSteps);
  const more = tl.steps.length - shown.length;
  const lineH = 15;
  const h = 30 + (shown.length + (more > 0 ? 1 : 0)) * lineH + 36;
  const out = [
    `<g transform="translate(0,${y})" data-panel="timeline">`,
    `<rect x="20" width="${width - 40}" height="${h}" fill="#f4f4f4" stroke="#808080"/>`,
    '<text x="32" y="22" font-size="14" font-weight="bold">Boot timeline</text>',
    `<g font-family="${MONO}" font-size="12">`,
  ];
  shown.forEach((s, i) => {
    const text = `${s.step.padEnd(11)} ${s.detail}`;
    const cut = text.length > 110 ? `${text.slice(0, 109)}…` : text;
    out.push(
      `<text x="32" y="${40 + i * lineH}" xml:space="preserve">${t(cut).replace(/ /g, '\u00a0')}</text>`,
    );
  });
  if (more > 0) out.push(`<text x="32" y="${40 + shown.length * lineH}">… and ${more} more steps</text>`);
  out.push(
    '</g>',
    `<text x="32" y="${h - 14}" font-size="14" font-weight="bold" xml:space="preserve" data-outcome="">Outcome: ${t(tl.outcome)}</text>`,
    '</g>',
  );
  return { svg: out.join('\n'), height: h };
}
