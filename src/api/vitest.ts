// `import 'nt351/vitest'`: vitest matchers for boot reports (toRaiseHardError, toLogEvent, toBugCheck,
// toBootCleanly, toHaveServiceState). Failures show what was expected, the boot's actual hard errors,
// events, bugcheck or services as a compact table, and a diff against the closest item.
// The reference keeps vitest in dist/vitest.d.ts: without it the declaration file's `declare module
// 'vitest'` does not merge in a consumer project and every matcher is TS2339 there.
/// <reference types="vitest" preserve="true" />
import { expect } from 'vitest';
import type { BootReport } from '../boot/index.js';
import { formatStatus } from '../loader/index.js';
import {
  type BugCheckPattern,
  type Comparison,
  closest,
  compareBugCheck,
  compareEvent,
  compareHardError,
  compareServiceState,
  type EventPattern,
  type HardErrorPattern,
  type ServiceStatePattern,
  type TextPattern,
} from './match.js';
import {
  bugcheckLine,
  eventTable,
  hardErrorTable,
  outcomeSummary,
  reportSummary,
  serviceTable,
} from './table.js';

/** The matchers `import 'nt351/vitest'` adds to `expect(report)` (and as `expect.toBootCleanly()` etc.). */
export interface BootReportMatchers<R = unknown> {
  /**
   * The boot raised a hard error (popup) matching `expected`: every field given matches; a bare
   * string or RegExp is searched for in the caption and text. Without an argument: any hard error.
   */
  toRaiseHardError(expected?: HardErrorPattern | TextPattern): R;
  /** The System log has an event matching `expected` (id, and source, type, message, win32Error, status if given). */
  toLogEvent(expected: EventPattern): R;
  /** The boot stopped with a bugcheck matching `expected` (a code alone, or code, params prefix, name, module). Without an argument: any bugcheck. */
  toBugCheck(expected?: BugCheckPattern | number): R;
  /** The boot's outcome is `clean`: no hard error, no error event, no bugcheck, no hang. */
  toBootCleanly(): R;
  /** Service `name` (case-insensitive; it must exist) ended the boot in `state` (or with the fields given). */
  toHaveServiceState(name: string, state: ServiceStatePattern): R;
}

declare module 'vitest' {
  // biome-ignore lint/suspicious/noExplicitAny: must match vitest's own declaration to merge with it
  interface Assertion<T = any> extends BootReportMatchers<T> {}
  interface AsymmetricMatchersContaining extends BootReportMatchers {}
}

type State = ReturnType<typeof expect.getState>;

/** The received value as a BootReport; a misuse (not a report, an un-awaited promise) throws whatever `.not` says. */
function asReport(received: unknown, matcher: string): BootReport {
  if (received !== null && typeof received === 'object') {
    if (typeof (received as { then?: unknown }).then === 'function')
      throw new TypeError(
        `${matcher}: received a Promise; await boot(...) first, or use expect(...).resolves.${matcher}()`,
      );
    const r = received as Partial<BootReport>;
    if (typeof r.outcome === 'string' && Array.isArray(r.hardErrors) && Array.isArray(r.events))
      return received as BootReport;
  }
  throw new TypeError(
    `${matcher}: expected a BootReport (the result of await boot(...)), received ${typeof received}`,
  );
}

/** A pattern as shown in messages: NTSTATUS and bugcheck numbers in hex. */
function shown(p: unknown): unknown {
  if (p === null || typeof p !== 'object' || p instanceof RegExp) return p;
  const out: Record<string, unknown> = { ...(p as Record<string, unknown>) };
  for (const k of ['status', 'code']) if (typeof out[k] === 'number') out[k] = formatStatus(out[k] as number);
  if (Array.isArray(out.params)) out.params = (out.params as number[]).map(formatStatus);
  return out;
}

/** A diff of the pattern and the closest item (`index` -1: the only candidate). */
function closestDiff(state: State, what: string, best: { index: number; c: Comparison } | null): string {
  if (!best) return '';
  const d = state.utils.diff(best.c.expected, best.c.actual);
  const which = best.index < 0 ? `the ${what}` : `the closest ${what} (#${best.index + 1})`;
  return d ? `\n\nDifference from ${which}:\n${d}` : '';
}

const hint = (state: State, matcher: string, args: string) =>
  state.utils.matcherHint(matcher, 'report', args, { isNot: state.isNot });

expect.extend({
  toRaiseHardError(received: unknown, expected?: HardErrorPattern | TextPattern) {
    const r = asReport(received, 'toRaiseHardError');
    const cmp = (i: number) => (expected === undefined ? null : compareHardError(r.hardErrors[i]!, expected));
    const hit = r.hardErrors.findIndex((_, i) => cmp(i)?.ok ?? true);
    const what =
      expected === undefined
        ? 'a hard error'
        : `a hard error matching ${this.utils.printExpected(shown(expected))}`;
    return {
      pass: hit >= 0,
      message: () =>
        hit >= 0
          ? `${hint(this, 'toRaiseHardError', 'expected')}\n\nExpected no hard error${expected === undefined ? '' : ` matching ${this.utils.printExpected(shown(expected))}`}, but #${hit + 1} is one:\n${hardErrorTable(r)}`
          : `${hint(this, 'toRaiseHardError', 'expected')}\n\nExpected ${what}\n\n${outcomeSummary(r)}\nHard errors of the boot:\n${hardErrorTable(r)}${
              expected === undefined
                ? ''
                : closestDiff(
                    this,
                    'hard error',
                    closest(r.hardErrors, (h) => compareHardError(h, expected)),
                  )
            }`,
    };
  },

  toLogEvent(received: unknown, expected: EventPattern) {
    const r = asReport(received, 'toLogEvent');
    if (expected === null || typeof expected !== 'object' || typeof expected.id !== 'number')
      throw new TypeError('toLogEvent: expected a pattern with a numeric id, e.g. { id: 7023 }');
    const hit = r.events.findIndex((e) => compareEvent(e, expected).ok);
    const pattern = this.utils.printExpected(shown(expected));
    return {
      pass: hit >= 0,
      message: () =>
        hit >= 0
          ? `${hint(this, 'toLogEvent', 'expected')}\n\nExpected no event matching ${pattern}, but #${hit + 1} is one:\n${eventTable(r)}`
          : `${hint(this, 'toLogEvent', 'expected')}\n\nExpected an event matching ${pattern}\n\nSystem log of the boot:\n${eventTable(r)}${closestDiff(
              this,
              'event',
              closest(r.events, (e) => compareEvent(e, expected)),
            )}`,
    };
  },

  toBugCheck(received: unknown, expected?: BugCheckPattern | number) {
    const r = asReport(received, 'toBugCheck');
    const c = r.bugcheck && expected !== undefined ? compareBugCheck(r.bugcheck, expected) : null;
    const pass = r.bugcheck !== null && (c?.ok ?? true);
    const what =
      expected === undefined
        ? 'a bugcheck'
        : `a bugcheck matching ${this.utils.printExpected(shown(expected))}`;
    return {
      pass,
      message: () =>
        pass
          ? `${hint(this, 'toBugCheck', 'expected')}\n\nExpected no ${what.slice(2)}, but the boot stopped with ${this.utils.printReceived(bugcheckLine(r))}`
          : r.bugcheck === null
            ? `${hint(this, 'toBugCheck', 'expected')}\n\nExpected ${what}, but the boot did not bugcheck.\n\n${reportSummary(r)}`
            : `${hint(this, 'toBugCheck', 'expected')}\n\nExpected ${what}\nReceived ${this.utils.printReceived(bugcheckLine(r))}${closestDiff(this, 'bugcheck', c && { index: -1, c })}`,
    };
  },

  toBootCleanly(received: unknown) {
    const r = asReport(received, 'toBootCleanly');
    const pass = r.outcome === 'clean';
    return {
      pass,
      message: () =>
        pass
          ? `${hint(this, 'toBootCleanly', '')}\n\nExpected the boot not to be clean, but it was.\n\n${reportSummary(r)}`
          : `${hint(this, 'toBootCleanly', '')}\n\nExpected outcome ${this.utils.printExpected('clean')}, received ${this.utils.printReceived(r.outcome)}\n\n${reportSummary(r)}`,
    };
  },

  toHaveServiceState(received: unknown, name: string, expected: ServiceStatePattern) {
    const r = asReport(received, 'toHaveServiceState');
    const s = r.services.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!s)
      throw new TypeError(
        `toHaveServiceState: the boot has no service '${name}'; its services:\n${serviceTable(r)}`,
      );
    const c = compareServiceState(s, expected);
    const pattern = this.utils.printExpected(shown(expected));
    return {
      pass: c.ok,
      message: () =>
        c.ok
          ? `${hint(this, 'toHaveServiceState', 'name, state')}\n\nExpected service ${s.name} not to be ${pattern}, but it is.\n\nServices of the boot:\n${serviceTable(r)}`
          : `${hint(this, 'toHaveServiceState', 'name, state')}\n\nExpected service ${s.name} to be ${pattern}\n\nServices of the boot:\n${serviceTable(r)}${closestDiff(this, `state of ${s.name}`, { index: -1, c })}`,
    };
  },
});
