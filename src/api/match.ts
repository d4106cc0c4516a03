// What the harness API's matchers (src/api/vitest.ts) compare: patterns for hard errors, System-log events,
// bugchecks and service states, and the field-by-field comparison of one report item with a pattern.
// Independent of vitest, so the scenario runner's `expect:` steps can use the same rules.

import type { BootBugcheck } from '../boot/index.js';
import type { EventType, HardError, ServiceState, ServiceStateName, SystemEvent } from '../kernel/index.js';
import { formatStatus } from '../loader/index.js';

/**
 * A string matches exactly, a RegExp searches. Captions, popup texts and event messages are compared
 * after collapsing whitespace runs (NT's CRLFs) to one space; file and module names ignore case.
 */
export type TextPattern = string | RegExp;

/** What a hard error (popup) must have; every field given must match. */
export interface HardErrorPattern {
  /** NTSTATUS: a number (`0xC0000263`) or a string (`'0xC0000263'`, `'STATUS_DRIVER_ENTRYPOINT_NOT_FOUND'`). */
  status?: number | string;
  /** The popup's caption, e.g. `System Process - Driver Entry Point Not Found`. */
  caption?: TextPattern;
  /** The popup's text. */
  text?: TextPattern;
  /** The entry point (or ordinal) a driver-load popup names: its ntstatus.mc insert. */
  entry?: TextPattern | number;
  /** The exporting module a driver-load popup names (`NTOSKRNL.EXE`), case-insensitive. */
  module?: TextPattern;
  /** The importing image a driver-load popup names (`\SystemRoot\System32\drivers\srv.sys`), case-insensitive. */
  image?: TextPattern;
}

/** What a System-log event must have; every field given must match. */
export interface EventPattern {
  /** The event id as Event Viewer shows it (2508, 7023), without the severity bits. */
  id: number;
  source?: TextPattern;
  type?: EventType;
  message?: TextPattern;
  /** The Win32 error an SCM event carries as its `%%N` insertion string (7000, 7001, 7023). */
  win32Error?: number;
  /** The NTSTATUS in the event's binary data (Server's 2508 carries the driver's load status). */
  status?: number;
}

/** What the bugcheck must have; `params` is a prefix: `[2, 2, 0]` matches `[2, 2, 0, 0]`. */
export interface BugCheckPattern {
  code: number;
  params?: number[];
  /** The bugcheck's name, e.g. `MISMATCHED_HAL`. */
  name?: TextPattern;
  /** The module whose code raised it, case-insensitive. */
  module?: TextPattern;
}

/** A service's state name, or the fields its state must have. */
export type ServiceStatePattern =
  | ServiceStateName
  | { state?: ServiceStateName; win32ExitCode?: number; status?: number | null };

/**
 * One report item against one pattern. `expected` repeats the pattern's fields, with those that
 * matched replaced by the actual value, so a diff of `expected` and `actual` shows only the misses.
 */
export interface Comparison {
  ok: boolean;
  misses: number;
  expected: Record<string, unknown>;
  actual: Record<string, unknown>;
}

/** A field check: name, the pattern as shown, the actual value as shown, and whether it matched. */
type Field = [name: string, expected: unknown, actual: unknown, ok: boolean];

function compare(fields: Field[]): Comparison {
  const out: Comparison = { ok: true, misses: 0, expected: {}, actual: {} };
  for (const [name, exp, act, ok] of fields) {
    out.expected[name] = ok ? act : exp;
    out.actual[name] = act;
    if (!ok) {
      out.ok = false;
      out.misses++;
    }
  }
  return out;
}

/** Whitespace runs (NT's CRLFs) as one space. */
export const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** Does `actual` match `p`? Strings exactly (whitespace runs collapsed; `ignoreCase` for file names), RegExps by search. */
export function textMatches(actual: string, p: TextPattern, ignoreCase = false): boolean {
  const a = oneLine(actual);
  if (p instanceof RegExp) {
    p.lastIndex = 0;
    return p.test(a);
  }
  return ignoreCase ? a.toLowerCase() === oneLine(p).toLowerCase() : a === oneLine(p);
}

/** `0xC0000263` for numbers, the string itself otherwise (how statuses and codes are shown). */
const hex = (v: unknown): unknown => (typeof v === 'number' ? formatStatus(v) : v);

/**
 * A driver-load hard error's parameters by meaning: ntstatus.mc's inserts are (image, entry or
 * ordinal, module) for the DRIVER_ statuses and (entry or ordinal, module) for the user-mode ones.
 */
export function hardErrorParts(h: HardError): { image?: string; entry?: string | number; module?: string } {
  const p = h.parameters;
  if (p.length >= 3) return { image: String(p[0]), entry: p[1]!, module: String(p[2]) };
  if (p.length === 2) return { entry: p[0]!, module: String(p[1]) };
  return {};
}

/** A hard error against a pattern; a bare string or RegExp is searched for in the caption and the text. */
export function compareHardError(h: HardError, p: HardErrorPattern | TextPattern): Comparison {
  if (typeof p === 'string' || p instanceof RegExp) {
    const both = `${h.caption}: ${h.text}`;
    const ok = typeof p === 'string' ? oneLine(both).includes(oneLine(p)) : textMatches(both, p);
    return compare([['captionOrText', p, both, ok]]);
  }
  const parts = hardErrorParts(h);
  const fields: Field[] = [];
  if (p.status !== undefined) {
    const ok =
      typeof p.status === 'number'
        ? formatStatus(p.status) === h.status
        : p.status.toLowerCase() === h.status.toLowerCase() || p.status === h.statusName;
    fields.push(['status', hex(p.status), h.status, ok]);
  }
  if (p.caption !== undefined)
    fields.push(['caption', p.caption, h.caption, textMatches(h.caption, p.caption)]);
  if (p.text !== undefined) fields.push(['text', p.text, h.text, textMatches(h.text, p.text)]);
  if (p.entry !== undefined) {
    const e = parts.entry;
    const ok =
      e !== undefined && (typeof p.entry === 'number' ? e === p.entry : textMatches(String(e), p.entry));
    fields.push(['entry', p.entry, e ?? null, ok]);
  }
  for (const key of ['module', 'image'] as const) {
    const want = p[key];
    if (want === undefined) continue;
    const got = parts[key];
    fields.push([key, want, got ?? null, got !== undefined && textMatches(got, want, true)]);
  }
  return compare(fields);
}

/** The Win32 error in an event's `%%N` insertion string (the last one), or null. */
export function eventWin32Error(e: SystemEvent): number | null {
  const n = e.strings
    .map((s) => /^%%(\d+)$/.exec(s)?.[1])
    .filter((x) => x !== undefined)
    .pop();
  return n === undefined ? null : Number(n);
}

/** The NTSTATUS in an event's data (its first 4 bytes, little-endian), or null. */
export function eventStatus(e: SystemEvent): number | null {
  if (!e.data || e.data.length < 8) return null;
  const b = e.data
    .slice(0, 8)
    .match(/../g)!
    .map((h) => Number.parseInt(h, 16));
  return ((b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0) as number;
}

/** A System-log event against a pattern. */
export function compareEvent(e: SystemEvent, p: EventPattern): Comparison {
  const fields: Field[] = [['id', p.id, e.id, e.id === p.id]];
  if (p.source !== undefined) fields.push(['source', p.source, e.source, textMatches(e.source, p.source)]);
  if (p.type !== undefined) fields.push(['type', p.type, e.type, e.type === p.type]);
  if (p.message !== undefined)
    fields.push(['message', p.message, oneLine(e.message), textMatches(e.message, p.message)]);
  if (p.win32Error !== undefined) {
    const w = eventWin32Error(e);
    fields.push(['win32Error', p.win32Error, w, w === p.win32Error]);
  }
  if (p.status !== undefined) {
    const s = eventStatus(e);
    fields.push(['status', hex(p.status), s === null ? null : hex(s), s === p.status >>> 0]);
  }
  return compare(fields);
}

/** A bugcheck against a pattern (a number is the code alone). */
export function compareBugCheck(b: BootBugcheck, p: BugCheckPattern | number): Comparison {
  const pat = typeof p === 'number' ? { code: p } : p;
  const fields: Field[] = [['code', hex(pat.code), hex(b.code), b.code === pat.code >>> 0]];
  if (pat.name !== undefined) fields.push(['name', pat.name, b.name, textMatches(b.name, pat.name)]);
  if (pat.params !== undefined) {
    const want = pat.params;
    const ok = want.length <= b.params.length && want.every((v, i) => v >>> 0 === b.params[i]! >>> 0);
    fields.push(['params', want.map(hex), b.params.map(hex), ok]);
  }
  if (pat.module !== undefined)
    fields.push([
      'module',
      pat.module,
      b.module,
      b.module !== null && textMatches(b.module, pat.module, true),
    ]);
  return compare(fields);
}

/** A service's state against a pattern. */
export function compareServiceState(s: ServiceState, p: ServiceStatePattern): Comparison {
  const pat = typeof p === 'string' ? { state: p } : p;
  const fields: Field[] = [];
  if (pat.state !== undefined) fields.push(['state', pat.state, s.state, s.state === pat.state]);
  if (pat.win32ExitCode !== undefined)
    fields.push(['win32ExitCode', pat.win32ExitCode, s.win32ExitCode, s.win32ExitCode === pat.win32ExitCode]);
  if (pat.status !== undefined) {
    const ok =
      pat.status === null ? s.status === null : s.status !== null && s.status >>> 0 === pat.status >>> 0;
    fields.push(['status', hex(pat.status), hex(s.status), ok]);
  }
  return compare(fields);
}

/** The item whose comparison misses fewest fields (first on ties), or null for an empty list. */
export function closest<T>(
  items: readonly T[],
  cmp: (x: T) => Comparison,
): { index: number; c: Comparison } | null {
  let best: { index: number; c: Comparison } | null = null;
  items.forEach((x, index) => {
    const c = cmp(x);
    if (!best || c.misses < best.c.misses) best = { index, c };
  });
  return best;
}
