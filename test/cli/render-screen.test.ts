// render-screen.ts: golden pictures of the kb138713 popup and a MISMATCHED_HAL STOP screen, the STOP
// screen's text layout, and hostile guest text (markup, entities, huge words) escaped and wrapped.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  escapeMarkup,
  POPUP_COLUMNS,
  renderScreensHtml,
  renderScreensSvg,
  type ScreenInput,
  STOP_COLUMNS,
  wrapText,
} from '../../src/cli/render-screen.js';
import { stopScreenLines } from '../../src/kernel/bugcheck.js';
import { PYTHON } from '../helpers/tools.js';
import { kb138713, mismatchedHal } from './screens.js';

const havePython =
  spawnSync(PYTHON, ['-c', 'import xml.dom.minidom, html.parser'], { stdio: 'ignore' }).status === 0;

/** Element names as Python's parsers see them: minidom (strict XML) for SVG, html.parser for HTML. */
function pythonTags(kind: 'svg' | 'html', text: string): string[] {
  const script =
    kind === 'svg'
      ? 'import sys, xml.dom.minidom as m\nd = m.parseString(sys.stdin.buffer.read())\nprint(" ".join(sorted({e.tagName for e in d.getElementsByTagName("*")})))'
      : 'import sys, html.parser as h\nclass P(h.HTMLParser):\n  tags = set()\n  def handle_starttag(self, t, a): self.tags.add(t)\np = P()\np.feed(sys.stdin.read())\nprint(" ".join(sorted(p.tags)))';
  const r = spawnSync(PYTHON, ['-c', script], { input: text, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return r.stdout.trim().split(' ');
}

describe('golden screens', () => {
  it('kb138713 popup', async () => {
    await expect(renderScreensSvg(kb138713)).toMatchFileSnapshot('../golden/screen/kb138713-popup.svg');
    await expect(renderScreensHtml(kb138713)).toMatchFileSnapshot('../golden/screen/kb138713-popup.html');
  });

  it('MISMATCHED_HAL STOP screen', async () => {
    await expect(renderScreensSvg(mismatchedHal)).toMatchFileSnapshot('../golden/screen/mismatched-hal.svg');
    await expect(renderScreensHtml(mismatchedHal)).toMatchFileSnapshot(
      '../golden/screen/mismatched-hal.html',
    );
  });
});

describe('STOP screen text', () => {
  it('follows NT 3.51 layout: STOP line, name, processor line, two module columns, closing advice', () => {
    const lines = stopScreenLines(mismatchedHal.bugcheck as NonNullable<ScreenInput['bugcheck']>);
    expect(lines.slice(0, 5)).toEqual([
      '*** STOP: 0x00000079 (0x00000002,0x00000002,0x00000000,0x00000000)',
      'MISMATCHED_HAL',
      'p4-0300 irql:1f   SYSVER 0xf0000421',
      '',
      'Dll Base  DateStmp - Name                 Dll Base  DateStmp - Name',
    ]);
    expect(lines[5]).toBe('80100000  2fc653bc - ntoskrnl.exe         80400000  2fb24f4a - hal.dll');
    expect(lines[7]).toBe('8001b000  2faae8c5 - Disk.sys             8001f000           - CLASS2.SYS');
    expect(lines[8]).toBe('8029e000  2fc15d19 - Fastfat.sys');
    expect(lines.slice(-2)).toEqual([
      'Restart and set the recovery options in the system control panel',
      'or the /CRASHDEBUG system start option.',
    ]);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(STOP_COLUMNS);
  });

  it('names the module a parameter falls in, as NT does', () => {
    const lines = stopScreenLines({
      code: 0xa,
      name: 'IRQL_NOT_LESS_OR_EQUAL',
      params: [0, 0x1a, 0, 0xfc873d6c],
      module: 'i8042prt.SYS',
      modules: [
        { name: 'ntoskrnl.exe', base: 0x80100000 },
        { name: 'Beep.SYS', base: 0xfc860000 },
        { name: 'i8042prt.SYS', base: 0xfc870000 },
        { name: 'Mouclass.SYS', base: 0xfc880000 },
      ],
      cpu: 'CPUID:GenuineIntel 5.1.5',
    });
    expect(lines[0]).toBe('*** STOP: 0x0000000A (0x00000000,0x0000001A,0x00000000,0xFC873D6C)');
    expect(lines[1]).toBe('IRQL_NOT_LESS_OR_EQUAL*** Address fc873d6c has base at fc870000 - i8042prt.SYS');
    expect(lines[2]).toBe('CPUID:GenuineIntel 5.1.5 irql:1f   SYSVER 0xf0000421');
  });
});

describe('hostile guest text', () => {
  const evil = '<script>alert("x")</script> & &amp; \u0000 \ud800 ]]> <!-- ';
  const longWord = 'A'.repeat(10_000);
  const input: ScreenInput = {
    title: `${evil}title`,
    hardErrors: [{ caption: `${evil}caption`, text: `${evil}\r\n${longWord} tail`, status: 0xc0000001 }],
    bugcheck: {
      code: 0xdeadbeef,
      name: `${evil}${longWord}`,
      params: [0x80000000, 1, 2, 3, 4],
      module: `<b>${longWord}`,
      modules: [
        { name: `<img src=x onerror=alert(1)>${longWord}`, base: 0x80000000, date: '<&>"\'zzzzzzzz' },
      ],
    },
  };

  for (const [kind, render] of [
    ['svg', renderScreensSvg],
    ['html', renderScreensHtml],
  ] as const) {
    it(`${kind}: no guest markup survives, every character is escaped, text is wrapped`, () => {
      const out = render(input);
      expect(out).not.toMatch(/<script|<img|<b>|onerror=alert\(1\)>/);
      expect([...out].some((c) => c === '\u0000' || c === '\ud800')).toBe(false);
      expect(out).not.toMatch(/&(?!amp;|lt;|gt;|quot;|#39;)/);
      expect(out).toContain(
        '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &amp;amp; \ufffd \ufffd ]]&gt;',
      );
      // All of the 10 000-character word is there, cut into lines no wider than the screen or the box.
      const runs = out.match(/A{2,}/g) ?? [];
      expect(Math.max(...runs.map((r) => r.length))).toBeLessThanOrEqual(STOP_COLUMNS);
      expect(runs.length).toBeGreaterThan(10_000 / STOP_COLUMNS);
    });
  }

  it.skipIf(!havePython)(
    'python parses the SVG as XML and both outputs with only our elements (needs python3)',
    () => {
      const svgTags = ['desc', 'g', 'path', 'polygon', 'rect', 'svg', 'text', 'title'];
      expect(pythonTags('svg', renderScreensSvg(input))).toEqual(svgTags);
      expect(pythonTags('svg', renderScreensSvg(kb138713))).toEqual(svgTags);
      expect(pythonTags('svg', renderScreensSvg(mismatchedHal))).toEqual([
        'desc',
        'g',
        'rect',
        'svg',
        'text',
        'title',
      ]);
      expect(pythonTags('html', renderScreensHtml(input))).toEqual([
        'body',
        'button',
        'div',
        'h1',
        'head',
        'html',
        'meta',
        'p',
        'pre',
        'section',
        'span',
        'style',
        'title',
      ]);
    },
  );

  it('wrapText keeps every character, breaks at spaces, cuts long words', () => {
    const text = `one two three ${'x'.repeat(25)} four\r\nfive`;
    const lines = wrapText(text, 10);
    expect(lines).toEqual(['one two', 'three', 'xxxxxxxxxx', 'xxxxxxxxxx', 'xxxxx four', 'five']);
    expect(wrapText(longWord, POPUP_COLUMNS).join('')).toBe(longWord);
    expect(escapeMarkup(`a'b"c<d>e&f`)).toBe('a&#39;b&quot;c&lt;d&gt;e&amp;f');
  });
});
