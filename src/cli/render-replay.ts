// Human output and JUnit XML of `nt351 replay`, rendered from the ReplayReport.
import type { ReplayReport, ScenarioResult } from '../replay/index.js';
import { escapeMarkup } from './render-screen.js';

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/** One progress line per finished scenario (for non-terminals and logs). */
export const progressLine = (r: ScenarioResult, done: number, total: number): string =>
  `[${String(done).padStart(String(total).length)}/${total}] ${r.passed ? 'pass' : 'FAIL'} ${r.name}`;

/** A terminal progress bar, redrawn in place. */
export function progressBar(done: number, total: number, width = 30): string {
  const filled = Math.round((done / Math.max(1, total)) * width);
  return `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

export function renderReplay(report: ReplayReport): string {
  const out: string[] = [];
  const rows = report.results.map((r) => [
    r.name,
    String(r.steps.length),
    r.outcome ?? '-',
    r.passed ? 'pass' : 'FAIL',
    r.file,
  ]);
  const head = ['scenario', 'steps', 'outcome', 'result', 'file'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  out.push(line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line));
  for (const r of report.results.filter((x) => !x.passed)) {
    const d = r.firstDifference;
    out.push('', `FAIL ${r.name} (${r.file}${d ? `:${d.line}` : ''})`);
    if (d)
      out.push(`  ${d.what}`, `    expected: ${squash(d.expected)}`, `    actual:   ${squash(d.actual)}`);
  }
  const s = report.summary;
  out.push(
    '',
    `${s.scenarios} scenario(s): ${s.passed} passed, ${s.failed} failed${s.errors ? `, ${s.errors} file(s) with errors` : ''}; ${s.boots} boot(s)`,
  );
  return `${out.join('\n')}\n`;
}

/** JUnit XML: one testsuite per scenario file, one testcase per scenario. */
export function renderJunit(report: ReplayReport): string {
  const byFile = new Map<string, ScenarioResult[]>();
  for (const r of report.results) byFile.set(r.file, [...(byFile.get(r.file) ?? []), r]);
  const x = escapeMarkup;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="nt351 replay" tests="${report.summary.scenarios + report.errors.length}" failures="${report.summary.failed}" errors="${report.errors.length}">`,
  ];
  for (const [file, results] of byFile) {
    const failures = results.filter((r) => !r.passed).length;
    const seconds = results.reduce((t, r) => t + r.millis, 0) / 1000;
    out.push(
      `  <testsuite name="${x(file)}" tests="${results.length}" failures="${failures}" time="${seconds.toFixed(3)}">`,
    );
    for (const r of results) {
      out.push(
        `    <testcase classname="${x(file)}" name="${x(r.name)}" time="${(r.millis / 1000).toFixed(3)}">`,
      );
      if (!r.passed) {
        const d = r.firstDifference;
        const msg = d ? `${d.what}: expected ${squash(d.expected)}, actual ${squash(d.actual)}` : 'failed';
        out.push(
          `      <failure message="${x(msg)}">${x(r.steps.map((s) => `line ${s.line} ${s.step}: ${s.detail}`).join('\n'))}</failure>`,
        );
      }
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  for (const e of report.errors) {
    out.push(`  <testsuite name="${x(e.file)}" tests="1" errors="1">`);
    out.push(
      `    <testcase classname="${x(e.file)}" name="scenario file"><error message="${x(e.message)}"/></testcase>`,
    );
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
