// `boot --render FILE.svg` draws the whole boot: the popups and STOP screen, NT 3.51's Event Viewer
// with the System log (the selected event's Event Detail), the timeline and the outcome. A clean boot
// shows its Event Viewer too, not an empty picture. Golden SVG of the seed's boot; FILE.html has the
// same windows.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { haveUnicorn } from '../helpers/unicorn.js';

const tmp = mkdtempSync(join(tmpdir(), 'nt351-render-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function render(set: string, ext = 'svg'): Promise<{ code: number; svg: string }> {
  const file = join(tmp, `${set}.${ext}`);
  const code = await run(['node', 'nt351', 'boot', '--render', file, `fixtures/imagesets/${set}`], {
    stdout: () => {},
    stderr: () => {},
  });
  return { code, svg: readFileSync(file, 'utf8') };
}

/** The text of the SVG's <text> elements inside the element marked `marker`, in order. */
function textsIn(svg: string, marker: string): string[] {
  const at = svg.indexOf(marker);
  if (at < 0) return [];
  const end = svg.indexOf('data-window=', at + marker.length);
  const part = svg.slice(at, end < 0 ? undefined : end);
  return [...part.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/\u00a0/g, ' '));
}

describe.skipIf(!haveUnicorn)('boot --render', () => {
  it("the seed's boot: the popup, then Event Viewer with 6005, 2508 and 7023, 2508 selected with its detail", async () => {
    const { code, svg } = await render('kb138713-x86-up');
    expect(code).toBe(1);
    expect(svg.indexOf('System Process - Driver Entry Point Not Found')).toBeLessThan(
      svg.indexOf('data-window="event-viewer"'),
    );
    expect([...svg.matchAll(/data-event="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([6005, 2508, 7023]);
    const list = textsIn(svg, 'data-window="event-viewer"');
    expect(list).toContain('Event Viewer - System Log on \\\\NT351');
    expect(list.join(' ')).toContain('9/19/96 12:00:02 PM Server None 2508 N/A NT351');
    // The selected row is drawn highlighted; its detail is the Event Detail dialog.
    expect(svg).toMatch(
      /<rect [^>]*fill="#000080"\/>\n[^\n]*\n<g font-size="12" fill="#fff" data-event="2508">/,
    );
    const detail = textsIn(svg, 'data-window="event-detail"');
    expect(detail).toEqual(expect.arrayContaining(['Event Detail', '2508', 'Server', 'Error']));
    expect(detail.join('\n')).toContain('The server service was unable to load the server driver.');
    // Its Data, in the Bytes view: the NTSTATUS NtLoadDriver returned (STATUS_DRIVER_ENTRYPOINT_NOT_FOUND).
    expect(detail).toContain('0000: 63 02 00 c0');
    expect(svg).toContain('Outcome: booted with errors (1 hard error, 2 error events)');
    expect(svg).toContain('Boot timeline');
    await expect(svg).toMatchFileSnapshot('../golden/screen/kb138713-boot.svg');
  });

  it('FILE.html shows the same Event Viewer, Event Detail and timeline as the SVG, after the popup', async () => {
    const svg = (await render('kb138713-x86-up')).svg;
    const { code, svg: html } = await render('kb138713-x86-up', 'html');
    expect(code).toBe(1);
    const at = svg.lastIndexOf('<g ', svg.indexOf('data-window="event-viewer"'));
    const windows = svg.slice(at, svg.lastIndexOf('</svg>'));
    // The same markup, only moved up: the HTML's inline <svg> starts with the Event Viewer.
    const moved = (m: string) => m.replace(/translate\(0,\d+\)/g, 'translate(0,y)');
    expect(windows.length).toBeGreaterThan(3000);
    expect(moved(html)).toContain(moved(windows));
    expect(html.indexOf('class="msgbox"')).toBeLessThan(html.indexOf('data-window="event-viewer"'));
    expect([...html.matchAll(/data-event="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([6005, 2508, 7023]);
    expect(html).toContain('Outcome: booted with errors (1 hard error, 2 error events)');
  });

  it('a clean boot shows its Event Viewer (6005 selected), its timeline and outcome', async () => {
    const { code, svg } = await render('sp3-x86-up');
    expect(code).toBe(0);
    expect([...svg.matchAll(/data-event="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([6005]);
    expect(textsIn(svg, 'data-window="event-detail"').join('\n')).toContain(
      'The Event log service was started.',
    );
    expect(svg).toContain('Outcome: booted cleanly');
  });

  it('a STOP screen comes before the Event Viewer of a boot that did not finish', async () => {
    const r = await render('mismatched-hal-x86');
    expect(r.code).toBe(2);
    const svg = r.svg.replace(/\u00a0/g, ' '); // the STOP screen's spaces are no-break spaces
    expect(svg.indexOf('*** STOP: 0x00000079')).toBeGreaterThan(0);
    expect(svg.indexOf('*** STOP: 0x00000079')).toBeLessThan(svg.indexOf('data-window="event-viewer"'));
    expect(svg).toContain('Outcome: STOP 0x00000079 MISMATCHED_HAL');
  });
});
