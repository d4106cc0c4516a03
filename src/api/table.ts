// Compact plain-text tables of a boot report's hard errors, events, services and outcome, for the
// the matchers' failure messages (src/api/vitest.ts): what the boot actually did, at a glance.

import type { BootReport } from '../boot/index.js';
import { formatStatus } from '../loader/index.js';
import { eventWin32Error, hardErrorParts, oneLine } from './match.js';

/** Rows under a header, columns padded to their widest cell (the last column is not padded). */
export function table(header: string[], rows: string[][], indent = '  '): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    indent +
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** The report's hard errors as a table, or `(none)`. */
export function hardErrorTable(r: BootReport): string {
  if (r.hardErrors.length === 0) return '  (none)';
  return table(
    ['#', 'status', 'entry', 'module', 'caption: text'],
    r.hardErrors.map((h, i) => {
      const p = hardErrorParts(h);
      return [
        String(i + 1),
        h.status,
        String(p.entry ?? ''),
        p.module ?? '',
        `${h.caption}: ${oneLine(h.text)}`,
      ];
    }),
  );
}

/** The report's System-log events as a table (Event Viewer's columns plus the SCM's Win32 error). */
export function eventTable(r: BootReport): string {
  if (r.events.length === 0) return '  (none)';
  return table(
    ['#', 'id', 'source', 'type', 'win32Error', 'message'],
    r.events.map((e, i) => [
      String(i + 1),
      String(e.id),
      e.source,
      e.type,
      String(eventWin32Error(e) ?? ''),
      oneLine(e.message),
    ]),
  );
}

/** The report's services as a table. */
export function serviceTable(r: BootReport): string {
  if (r.services.length === 0) return '  (none)';
  return table(
    ['name', 'state', 'win32ExitCode', 'status', 'startedBy'],
    r.services.map((s) => [
      s.name,
      s.state,
      String(s.win32ExitCode),
      s.status === null ? '' : formatStatus(s.status),
      s.startedBy ?? '',
    ]),
  );
}

/** The STOP line of the report's bugcheck, or `none`. */
export function bugcheckLine(r: BootReport): string {
  const b = r.bugcheck;
  if (!b) return 'none';
  return `${formatStatus(b.code)} ${b.name} (${b.params.map(formatStatus).join(', ')})${b.module ? ` in ${b.module}` : ''}`;
}

/** One line per thing that went wrong: outcome, loader message, bugcheck, counts, guest problems. */
export function outcomeSummary(r: BootReport): string {
  const errors = r.events.filter((e) => e.type === 'error').length;
  const lines = [
    `outcome: ${r.outcome} (${plural(r.hardErrors.length, 'hard error')}, ${plural(errors, 'error event')}, bugcheck: ${bugcheckLine(r)})`,
  ];
  if (r.loaderMessage) lines.push(`loader: ${r.loaderMessage.join(' / ')}`);
  for (const g of r.guestProblems) lines.push(`guest: ${g.routine} ${g.problem}`);
  return lines.map((l) => `  ${l}`).join('\n');
}

/** Everything a failed "boots cleanly" assertion needs: outcome, hard errors and events. */
export function reportSummary(r: BootReport): string {
  return [
    `Boot of ${r.imageSet}:`,
    outcomeSummary(r),
    'Hard errors:',
    hardErrorTable(r),
    'Events:',
    eventTable(r),
  ].join('\n');
}
