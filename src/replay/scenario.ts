// Scenario files (`nt351 replay`): YAML read node by node so every error names the file, line and
// column and what was expected; a `matrix` expands one file into a scenario per combination, with
// `${name}` in strings replaced by the combination's values. Schema: docs/replay.md.

import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, visit, type YAMLMap } from 'yaml';
import { profileNames } from '../hal/index.js';
import { PositionedInputError, yamlDepthProblem } from '../input/index.js';
import type { RegistryData } from '../system/index.js';
import { LinearRegex, PatternError } from './linear-regex.js';

/** A mistake in a scenario file, with its position. */
export class ScenarioError extends PositionedInputError {
  override readonly name = 'ScenarioError';
}

/** A text to match: exact (whitespace runs compare equal) or a regular expression. */
export type TextMatch = { exact: string } | { pattern: string };

export interface ExpectHardError {
  caption?: TextMatch;
  text?: TextMatch;
  status?: number;
}
export interface ExpectEvent {
  id: number;
  source?: TextMatch;
  type?: 'error' | 'warning' | 'information';
  message?: TextMatch;
}
export interface Expectation {
  outcome?: 'clean' | 'errors' | 'bugcheck' | 'loader-stop';
  /** The hard errors, all of them, in order. */
  hardErrors?: ExpectHardError[];
  /** Events that must appear, in this order (others may come between). */
  events?: ExpectEvent[];
  bugcheck?: { code: number; params?: number[] } | null;
  noHardErrors?: boolean;
  services?: Record<string, { state?: string; win32ExitCode?: number }>;
  /** Registry values after the boot (`HKLM\\SYSTEM\\…\\Name`: number, string, list, or null for absent). */
  registry?: Record<string, RegistryData | null>;
}

export type Step =
  | { kind: 'install'; media: string; machine: string; cpus: number | null; line: number }
  | { kind: 'service-pack'; media: string; skip: string[]; line: number }
  | { kind: 'copy'; from: string; to: string; line: number }
  | { kind: 'rename'; from: string; to: string; line: number }
  | { kind: 'delete'; path: string; line: number }
  | { kind: 'registry'; set: string; value: RegistryData; line: number }
  | { kind: 'registry'; delete: string; line: number }
  | { kind: 'boot'; cpus: number | null; profile: string | null; line: number }
  | { kind: 'expect'; expect: Expectation; line: number };

export interface Scenario {
  file: string;
  /** Name with the matrix combination, e.g. `symptom [sp=3, machine=x86-pc-up]`. */
  name: string;
  description: string;
  /** An image set folder (relative to the scenario file) to start from; null: an empty disk. */
  start: string | null;
  steps: Step[];
}

/** Scenario files larger than this are refused (the KB suite's largest is a few KiB). */
export const MAX_SCENARIO_BYTES = 1024 * 1024;
const MAX_MATRIX = 1000;

/** What a scenario file's names are checked against, besides the machine profiles nt351 knows. */
export interface ScenarioParseOptions {
  /** The media a run can use: the folder names under its media root. Unchecked when absent. */
  media?: { root: string; names: readonly string[] };
}

/**
 * Parses a scenario file's text into its scenarios (one, or one per matrix combination). Machine
 * profiles (`install.machine`, `boot.profile`) and, given `opts.media`, media names are checked here,
 * so a typo is a file:line:column error listing the valid names rather than a failed run.
 */
export function parseScenarios(text: string, file: string, opts: ScenarioParseOptions = {}): Scenario[] {
  if (text.length > MAX_SCENARIO_BYTES)
    throw new ScenarioError(file, `larger than ${MAX_SCENARIO_BYTES} bytes`);
  const deep = yamlDepthProblem(text);
  if (deep) throw new ScenarioError(file, deep.reason, deep.line, deep.column);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const pos = (n: Node | null | undefined) => (n?.range ? lines.linePos(n.range[0]) : { line: 1, col: 1 });
  const fail = (n: Node | null | undefined, reason: string): never => {
    const p = pos(n);
    throw new ScenarioError(file, reason, p.line, p.col);
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const p = lines.linePos(e.pos[0]);
    throw new ScenarioError(file, `not valid YAML: ${e.message.split('\n')[0]}`, p.line, p.col);
  }
  // Aliases are not part of the scenario language: refusing them rules out alias bombs.
  let alias: Node | null = null;
  visit(doc, {
    Alias(_, n) {
      alias = n as Node;
      return visit.BREAK;
    },
  });
  if (alias) fail(alias, 'YAML aliases (*name) are not allowed in scenario files');
  const root = doc.contents;
  if (!isMap(root)) return fail(root, 'expected a mapping with schema, name and steps');

  const keys = (m: YAMLMap, allowed: string[], where: string) => {
    for (const item of m.items) {
      const k = isScalar(item.key) ? String(item.key.value) : '';
      if (!allowed.includes(k))
        fail(item.key as Node, `unknown key '${k}' in ${where} (expected one of: ${allowed.join(', ')})`);
    }
  };
  const get = (m: YAMLMap, key: string) => m.get(key, true) as Node | undefined;
  keys(root, ['schema', 'name', 'description', 'matrix', 'start', 'steps'], 'the scenario');
  const schema = get(root, 'schema');
  if (!isScalar(schema) || schema.value !== 'nt351-scenario/1')
    fail(schema ?? root, "'schema': expected 'nt351-scenario/1'");

  // The matrix: name → list of scalar values.
  const matrixNode = get(root, 'matrix');
  const axes: [string, unknown[]][] = [];
  if (matrixNode !== undefined) {
    if (!isMap(matrixNode)) fail(matrixNode, "'matrix': expected a mapping of names to lists of values");
    for (const item of (matrixNode as YAMLMap).items) {
      const k = isScalar(item.key) ? String(item.key.value) : '';
      if (!/^\w+$/.test(k)) fail(item.key as Node, `matrix name '${k}': expected letters, digits or _`);
      const v = item.value as Node;
      if (!isSeq(v) || v.items.length === 0 || !v.items.every((x) => isScalar(x)))
        fail(v, `'matrix.${k}': expected a non-empty list of values`);
      axes.push([k, (v as { items: { value: unknown }[] }).items.map((x) => x.value)]);
    }
  }
  const combos: Record<string, unknown>[] = [{}];
  for (const [k, values] of axes) {
    const next = combos.flatMap((c) => values.map((v) => ({ ...c, [k]: v })));
    if (next.length > MAX_MATRIX) fail(matrixNode, `'matrix' expands to more than ${MAX_MATRIX} scenarios`);
    combos.splice(0, combos.length, ...next);
  }

  return combos.map((vars) => {
    /** A scalar with ${var} replaced; a string that is exactly `${var}` takes the value's own type. */
    const value = (n: Node | undefined): unknown => {
      if (!isScalar(n)) return undefined;
      const v = n.value;
      if (typeof v !== 'string') return v;
      const whole = /^\$\{(\w+)\}$/.exec(v);
      if (whole) {
        if (!(whole[1]! in vars)) fail(n, `'\${${whole[1]}}' is not a matrix name`);
        return vars[whole[1]!];
      }
      return v.replace(/\$\{(\w+)\}/g, (_, name: string) => {
        if (!(name in vars)) fail(n, `'\${${name}}' is not a matrix name`);
        return String(vars[name]);
      });
    };
    const str = (n: Node | undefined, what: string): string => {
      const v = value(n);
      if (typeof v !== 'string' || v === '') return fail(n, `${what}: expected a text`);
      return v;
    };
    const int = (n: Node | undefined, what: string, min = 0, max = 0xffffffff): number => {
      let v = value(n);
      if (typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v)) v = Number(v);
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
        return fail(n, `${what}: expected a whole number from ${min} to ${max}`);
      return v;
    };
    const match = (n: Node | undefined, what: string): TextMatch => {
      if (isMap(n)) {
        keys(n, ['pattern'], what);
        const p = str(get(n, 'pattern'), `${what}.pattern`);
        try {
          new RegExp(p);
          new LinearRegex(p);
        } catch (e) {
          fail(
            get(n, 'pattern'),
            e instanceof PatternError
              ? `${what}.pattern: ${e.message} (at offset ${e.index} of the pattern; docs/replay.md lists the supported syntax)`
              : `${what}.pattern: not a valid regular expression (${(e as Error).message})`,
          );
        }
        return { pattern: p };
      }
      return { exact: str(n, what) };
    };
    const profile = (n: Node | undefined, what: string): string => {
      const v = str(n, what);
      if (!profileNames().includes(v))
        fail(n, `${what}: unknown machine profile '${v}' (known: ${profileNames().join(', ')})`);
      return v;
    };
    const media = (n: Node | undefined, what: string): string => {
      const v = str(n, what);
      const known = opts.media;
      if (known && !known.names.includes(v))
        fail(
          n,
          `${what}: no media '${v}' in ${known.root} (${known.names.length ? `known: ${known.names.join(', ')}` : 'it holds no media'})`,
        );
      return v;
    };
    const list = (n: Node | undefined, what: string): Node[] => {
      if (!isSeq(n)) return fail(n, `${what}: expected a list`);
      return n.items as Node[];
    };
    const mapOf = (n: Node | undefined, what: string, allowed: string[]): YAMLMap => {
      if (!isMap(n)) return fail(n, `${what}: expected a mapping with ${allowed.join(', ')}`);
      keys(n, allowed, what);
      return n;
    };

    const expectation = (n: Node | undefined): Expectation => {
      const m = mapOf(n, 'expect', [
        'outcome',
        'hardErrors',
        'events',
        'bugcheck',
        'noHardErrors',
        'services',
        'registry',
      ]);
      const e: Expectation = {};
      const outcome = get(m, 'outcome');
      if (outcome !== undefined) {
        const o = str(outcome, 'expect.outcome');
        if (!['clean', 'errors', 'bugcheck', 'loader-stop'].includes(o))
          fail(outcome, "'expect.outcome': expected clean, errors, bugcheck or loader-stop");
        e.outcome = o as Expectation['outcome'];
      }
      const he = get(m, 'hardErrors');
      if (he !== undefined)
        e.hardErrors = list(he, 'expect.hardErrors').map((x, i) => {
          const w = `expect.hardErrors[${i}]`;
          const hm = mapOf(x, w, ['caption', 'text', 'status']);
          const h: ExpectHardError = {};
          if (get(hm, 'caption') !== undefined) h.caption = match(get(hm, 'caption'), `${w}.caption`);
          if (get(hm, 'text') !== undefined) h.text = match(get(hm, 'text'), `${w}.text`);
          if (get(hm, 'status') !== undefined) h.status = int(get(hm, 'status'), `${w}.status`);
          return h;
        });
      const ev = get(m, 'events');
      if (ev !== undefined)
        e.events = list(ev, 'expect.events').map((x, i) => {
          const w = `expect.events[${i}]`;
          const em = mapOf(x, w, ['id', 'source', 'type', 'message']);
          const out: ExpectEvent = { id: int(get(em, 'id'), `${w}.id`, 0, 0xffff) };
          if (get(em, 'source') !== undefined) out.source = match(get(em, 'source'), `${w}.source`);
          if (get(em, 'message') !== undefined) out.message = match(get(em, 'message'), `${w}.message`);
          const t = get(em, 'type');
          if (t !== undefined) {
            const tv = str(t, `${w}.type`);
            if (!['error', 'warning', 'information'].includes(tv))
              fail(t, `${w}.type: expected error, warning or information`);
            out.type = tv as ExpectEvent['type'];
          }
          return out;
        });
      const bc = get(m, 'bugcheck');
      if (bc !== undefined) {
        if (isScalar(bc) && bc.value === null) e.bugcheck = null;
        else {
          const bm = mapOf(bc, 'expect.bugcheck', ['code', 'params']);
          e.bugcheck = { code: int(get(bm, 'code'), 'expect.bugcheck.code') };
          if (get(bm, 'params') !== undefined)
            e.bugcheck.params = list(get(bm, 'params'), 'expect.bugcheck.params').map((p, i) =>
              int(p, `expect.bugcheck.params[${i}]`),
            );
        }
      }
      const nh = get(m, 'noHardErrors');
      if (nh !== undefined) {
        if (!isScalar(nh) || typeof nh.value !== 'boolean')
          fail(nh, "'expect.noHardErrors': expected true or false");
        e.noHardErrors = (nh as { value: boolean }).value;
      }
      const sv = get(m, 'services');
      if (sv !== undefined) {
        if (!isMap(sv)) fail(sv, "'expect.services': expected a mapping of service names");
        e.services = {};
        for (const item of (sv as YAMLMap).items) {
          const name = isScalar(item.key) ? String(item.key.value) : '';
          const w = `expect.services.${name}`;
          const v = item.value as Node;
          if (isScalar(v)) e.services[name] = { state: str(v, w) };
          else {
            const sm = mapOf(v, w, ['state', 'win32ExitCode']);
            const s: { state?: string; win32ExitCode?: number } = {};
            if (get(sm, 'state') !== undefined) s.state = str(get(sm, 'state'), `${w}.state`);
            if (get(sm, 'win32ExitCode') !== undefined)
              s.win32ExitCode = int(get(sm, 'win32ExitCode'), `${w}.win32ExitCode`);
            e.services[name] = s;
          }
        }
      }
      const rg = get(m, 'registry');
      if (rg !== undefined) {
        if (!isMap(rg)) fail(rg, "'expect.registry': expected a mapping of registry paths to values");
        e.registry = {};
        for (const item of (rg as YAMLMap).items) {
          const path = isScalar(item.key) ? String(item.key.value) : '';
          const v = item.value as Node;
          e.registry[path] =
            isScalar(v) && v.value === null ? null : registryData(v, `expect.registry.${path}`);
        }
      }
      return e;
    };
    /** Registry data in a scenario: a number (REG_DWORD), a string (REG_SZ) or a list of strings (REG_MULTI_SZ). */
    const registryData = (n: Node | undefined, what: string): RegistryData => {
      if (isScalar(n) && typeof n.value === 'number') return int(n, what);
      if (isScalar(n) && typeof n.value === 'string') return n.value;
      if (isSeq(n)) return list(n, what).map((x, j) => str(x, `${what}[${j}]`));
      return fail(
        n ?? root,
        `'${what}': expected a number (REG_DWORD), a string (REG_SZ) or a list (REG_MULTI_SZ)`,
      );
    };

    /** A registry path of the SYSTEM hive (HKLM\\SYSTEM\\…), checked here so a typo fails at parse time. */
    const registryPath = (n: Node | undefined, what: string): string => {
      const p = str(n, what);
      if (!/^(HKLM|HKEY_LOCAL_MACHINE)\\SYSTEM\\./i.test(p))
        fail(n!, `'${what}': expected a path under HKLM\\SYSTEM (the SYSTEM hive), found '${p}'`);
      return p;
    };

    const STEP_KINDS = ['install', 'service-pack', 'copy', 'rename', 'delete', 'registry', 'boot', 'expect'];
    const steps: Step[] = list(get(root, 'steps'), 'steps').map((sn, i) => {
      const w = `steps[${i}]`;
      if (!isMap(sn) || sn.items.length !== 1)
        return fail(sn, `${w}: expected one of ${STEP_KINDS.join(', ')} (a mapping with one key)`);
      const item = sn.items[0]!;
      const kind = isScalar(item.key) ? String(item.key.value) : '';
      const body = item.value as Node | undefined;
      const line = pos(sn).line;
      const at = `${w}.${kind}`;
      switch (kind) {
        case 'install': {
          const m = mapOf(body, at, ['media', 'machine', 'cpus']);
          const cpus = get(m, 'cpus');
          return {
            kind,
            media: media(get(m, 'media'), `${at}.media`),
            machine: profile(get(m, 'machine'), `${at}.machine`),
            cpus: cpus === undefined ? null : int(cpus, `${at}.cpus`, 1, 32),
            line,
          };
        }
        case 'service-pack': {
          const m = mapOf(body, at, ['media', 'skip']);
          const skip = get(m, 'skip');
          return {
            kind,
            media: media(get(m, 'media'), `${at}.media`),
            skip:
              skip === undefined ? [] : list(skip, `${at}.skip`).map((x, j) => str(x, `${at}.skip[${j}]`)),
            line,
          };
        }
        case 'copy':
        case 'rename': {
          const m = mapOf(body, at, ['from', 'to']);
          return { kind, from: str(get(m, 'from'), `${at}.from`), to: str(get(m, 'to'), `${at}.to`), line };
        }
        case 'delete':
          return { kind, path: str(body, at), line };
        case 'registry': {
          const m = mapOf(body, at, ['set', 'value', 'delete']);
          const del = get(m, 'delete');
          if (del !== undefined) {
            if (get(m, 'set') !== undefined || get(m, 'value') !== undefined)
              return fail(body!, `'${at}': either 'set' with 'value', or 'delete'`);
            return { kind, delete: registryPath(del, `${at}.delete`), line };
          }
          return {
            kind,
            set: registryPath(get(m, 'set'), `${at}.set`),
            value: registryData(get(m, 'value'), `${at}.value`),
            line,
          };
        }
        case 'boot': {
          if (body === undefined || (isScalar(body) && body.value === null))
            return { kind, cpus: null, profile: null, line };
          const m = mapOf(body, at, ['cpus', 'profile']);
          const cpus = get(m, 'cpus');
          const profileNode = get(m, 'profile');
          return {
            kind,
            cpus: cpus === undefined ? null : int(cpus, `${at}.cpus`, 1, 32),
            profile: profileNode === undefined ? null : profile(profileNode, `${at}.profile`),
            line,
          };
        }
        case 'expect':
          return { kind, expect: expectation(body), line };
        default:
          return fail(
            item.key as Node,
            `${w}: unknown step '${kind}' (expected one of: ${STEP_KINDS.join(', ')})`,
          );
      }
    });
    if (steps.length === 0) fail(get(root, 'steps'), "'steps': expected at least one step");
    const startNode = get(root, 'start');
    let start: string | null = null;
    if (startNode !== undefined && !(isScalar(startNode) && startNode.value === 'empty')) {
      const sm = mapOf(startNode, 'start', ['imageset']);
      start = str(get(sm, 'imageset'), 'start.imageset');
    }
    const base = str(get(root, 'name'), 'name');
    const combo = Object.entries(vars)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(', ');
    const descNode = get(root, 'description');
    return {
      file,
      name: combo ? `${base} [${combo}]` : base,
      description: descNode === undefined ? '' : str(descNode, 'description'),
      start,
      steps,
    };
  });
}
