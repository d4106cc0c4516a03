// Checks a scenario's `expect:` against a boot report and names the first difference, as expected
// vs actual, in the words of the report.

import type { BootReport } from '../boot/index.js';
import { LinearRegex } from './linear-regex.js';
import type { Expectation, TextMatch } from './scenario.js';

export interface Difference {
  /** What differs, e.g. `hardErrors[0].text` or `events: 7023 (Service Control Manager)`. */
  what: string;
  expected: string;
  actual: string;
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
const hex = (n: number) => `0x${(n >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;

/** Patterns compiled once (a matrix compares the same pattern against every boot). */
const patterns = new Map<string, LinearRegex>();
/** `pattern` as a linear-time matcher (src/replay/linear-regex.ts): no pattern can hang replay. */
function compiled(pattern: string): LinearRegex {
  let r = patterns.get(pattern);
  if (!r) {
    if (patterns.size > 1000) patterns.clear();
    r = new LinearRegex(pattern);
    patterns.set(pattern, r);
  }
  return r;
}

/** Exact texts compare with whitespace runs (NT's CRLFs) as one space; patterns are regular expressions. */
export function textMatches(m: TextMatch, actual: string): boolean {
  return 'exact' in m ? squash(m.exact) === squash(actual) : compiled(m.pattern).test(actual);
}
const show = (m: TextMatch) => ('exact' in m ? m.exact : `/${m.pattern}/`);

/** The differences between `e` and `r`, in the order the expectation lists them. */
export function compare(e: Expectation, r: BootReport): Difference[] {
  const out: Difference[] = [];
  if (e.outcome !== undefined && e.outcome !== r.outcome)
    out.push({ what: 'outcome', expected: e.outcome, actual: r.outcome });
  if (e.noHardErrors && r.hardErrors.length > 0)
    out.push({
      what: 'hardErrors',
      expected: 'none',
      actual: r.hardErrors.map((h) => `${h.caption}: ${h.text}`).join(' | '),
    });
  if (e.hardErrors) {
    if (e.hardErrors.length !== r.hardErrors.length)
      out.push({
        what: 'hardErrors (count)',
        expected: String(e.hardErrors.length),
        actual: `${r.hardErrors.length}${r.hardErrors.length ? `: ${r.hardErrors.map((h) => h.caption).join(' | ')}` : ''}`,
      });
    e.hardErrors.forEach((h, i) => {
      const a = r.hardErrors[i];
      if (!a) return;
      if (h.caption && !textMatches(h.caption, a.caption))
        out.push({ what: `hardErrors[${i}].caption`, expected: show(h.caption), actual: a.caption });
      if (h.text && !textMatches(h.text, a.text))
        out.push({ what: `hardErrors[${i}].text`, expected: show(h.text), actual: a.text });
      if (h.status !== undefined && hex(h.status) !== a.status)
        out.push({ what: `hardErrors[${i}].status`, expected: hex(h.status), actual: a.status });
    });
  }
  if (e.events) {
    // Each expected event must appear after the previous one matched.
    let from = 0;
    for (const ev of e.events) {
      const at = r.events.findIndex(
        (a, i) =>
          i >= from &&
          a.id === ev.id &&
          (!ev.source || textMatches(ev.source, a.source)) &&
          (!ev.type || ev.type === a.type) &&
          (!ev.message || textMatches(ev.message, a.message)),
      );
      if (at < 0) {
        const sameId = r.events.filter((a) => a.id === ev.id);
        out.push({
          what: `events: ${ev.id}${ev.source ? ` (${show(ev.source)})` : ''}`,
          expected: [ev.type, ev.message && squash(show(ev.message))].filter(Boolean).join(': ') || 'present',
          actual: sameId.length
            ? sameId.map((a) => `${a.source} ${a.type}: ${squash(a.message)}`).join(' | ')
            : `no event ${ev.id}; logged: ${r.events.map((a) => `${a.id} ${a.source}`).join(', ') || 'none'}`,
        });
      } else from = at + 1;
    }
  }
  if (e.bugcheck === null && r.bugcheck)
    out.push({ what: 'bugcheck', expected: 'none', actual: `${hex(r.bugcheck.code)} ${r.bugcheck.name}` });
  if (e.bugcheck) {
    const a = r.bugcheck;
    const want = `${hex(e.bugcheck.code)}${e.bugcheck.params ? ` (${e.bugcheck.params.map(hex).join(', ')})` : ''}`;
    const got = a
      ? `${hex(a.code)} (${a.params
          .slice(0, e.bugcheck.params?.length ?? 4)
          .map(hex)
          .join(', ')})`
      : 'none';
    const paramsOk = !e.bugcheck.params || e.bugcheck.params.every((p, i) => a?.params[i] === p >>> 0);
    if (!a || a.code !== e.bugcheck.code >>> 0 || !paramsOk)
      out.push({ what: 'bugcheck', expected: want, actual: got });
  }
  for (const [name, want] of Object.entries(e.services ?? {})) {
    const a = r.services.find((s) => s.name.toLowerCase() === name.toLowerCase());
    if (!a) {
      out.push({ what: `services.${name}`, expected: want.state ?? 'present', actual: 'no such service' });
      continue;
    }
    if (want.state !== undefined && want.state !== a.state)
      out.push({ what: `services.${name}.state`, expected: want.state, actual: a.state });
    if (want.win32ExitCode !== undefined && want.win32ExitCode !== a.win32ExitCode)
      out.push({
        what: `services.${name}.win32ExitCode`,
        expected: String(want.win32ExitCode),
        actual: String(a.win32ExitCode),
      });
  }
  return out;
}
