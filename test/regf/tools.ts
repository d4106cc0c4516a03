// Helpers for the hive tests: the Debian tools we compare against (hivexml, hivexsh from libhivex-bin;
// regfexport from libregf-utils), parsers of their output into a common shape, and the same shape from
// our reader. A missing tool fails the test under CI=true and skips it with a reason elsewhere.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { Hive, REG, type RegValue, walkHive } from '../../src/regf/index.js';

/** The tools and the Debian package each comes from. */
export const TOOLS = {
  hivexml: 'libhivex-bin',
  hivexsh: 'libhivex-bin',
  regfexport: 'libregf-utils',
} as const;

/** True when `/usr/bin/<name>` exists. */
export const haveTool = (name: keyof typeof TOOLS): boolean => existsSync(`/usr/bin/${name}`);

/**
 * Why a test needing `names` must skip, or null when they are all installed. Under CI=true a missing tool
 * is an error (CI installs them through scripts/setup.sh), so this throws instead of skipping.
 */
export function missingTools(...names: (keyof typeof TOOLS)[]): string | null {
  const missing = names.filter((n) => !haveTool(n));
  if (missing.length === 0) return null;
  const why = `${missing.join(', ')} not installed (Debian ${[...new Set(missing.map((n) => TOOLS[n]))].join(', ')}; scripts/setup.sh installs it)`;
  if (process.env.CI === 'true') throw new Error(`CI: ${why}`);
  return why;
}

/** One value as a tool shows it: name, type number, and a comparable rendering of its data. */
export interface DumpValue {
  name: string;
  type: number;
  /** Decoded text/number, or `hex:` + the bytes. */
  data: string;
}

/** A whole hive: key paths below the root ("" is the root) with their values in list order. */
export type Dump = Map<string, DumpValue[]>;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// ---------------------------------------------------------------------------------------------------
// hivexml

const unescapeXml = (s: string): string =>
  s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) =>
    e === 'amp'
      ? '&'
      : e === 'lt'
        ? '<'
        : e === 'gt'
          ? '>'
          : e === 'quot'
            ? '"'
            : e === 'apos'
              ? "'"
              : String.fromCodePoint(
                  e.startsWith('#x') ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)),
                ),
  );

/** A value as hivexml writes it: its type word, and its text, numbers, strings or base64 bytes. */
export interface HivexmlValue {
  name: string;
  kind: string;
  value: string;
  base64: boolean;
  strings: string[];
}

/** Runs `hivexml` on `file` and returns key paths with their values. */
export function hivexmlDump(file: string): Map<string, HivexmlValue[]> {
  // hivexml's XML writer cannot open a pipe as its output ("No such device or address"): give it a file.
  const outFile = `${file}.xml`;
  const fd = openSync(outFile, 'w');
  try {
    execFileSync('/usr/bin/hivexml', [file], { stdio: ['ignore', fd, 'pipe'] });
  } finally {
    closeSync(fd);
  }
  const xml = readFileSync(outFile, 'utf8');
  rmSync(outFile);
  const out = new Map<string, HivexmlValue[]>();
  const path: string[] = [];
  let current: HivexmlValue | null = null;
  let inString = false;
  const attrs = (s: string): Record<string, string> => {
    const a: Record<string, string> = {};
    for (const m of s.matchAll(/(\w+)="([^"]*)"/g)) a[m[1]!] = unescapeXml(m[2]!);
    return a;
  };
  const keyOf = () => path.slice(1).join('\\');
  for (const m of xml.matchAll(/<(\/?)(\w+)([^>]*?)(\/?)>|([^<]+)/g)) {
    const [, close, tag, rest, selfClose, text] = m;
    if (text !== undefined) {
      if (inString && current) current.strings[current.strings.length - 1] += unescapeXml(text);
      continue;
    }
    if (tag === 'node') {
      if (close) path.pop();
      else {
        path.push(attrs(rest!).name ?? '');
        out.set(keyOf(), []);
        if (selfClose) path.pop();
      }
    } else if (tag === 'value') {
      if (close) current = null;
      else {
        const a = attrs(rest!);
        current = {
          name: a.default === '1' ? '' : (a.key ?? ''),
          kind: a.type ?? '',
          value: a.value ?? '',
          base64: a.encoding === 'base64',
          strings: [],
        };
        out.get(keyOf())!.push(current);
        if (selfClose) current = null;
      }
    } else if (tag === 'string') {
      if (close) inString = false;
      else if (current) {
        current.strings.push('');
        inString = !selfClose;
      }
    }
  }
  return out;
}

/** hivexml's type word for a type number. */
const HIVEX_KIND: Record<number, string> = {
  0: 'none',
  1: 'string',
  2: 'expand',
  3: 'binary',
  4: 'int32',
  5: 'int32',
  6: 'link',
  7: 'string-list',
  8: 'resource-list',
  9: 'full-resource-description',
  10: 'resource-requirements-list',
  11: 'int64',
};

const dropTrailingEmpty = (xs: string[]): string[] => {
  const out = [...xs];
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
};

/** Differences between hivexml's view of a value and ours (empty when they agree). */
export function compareHivexml(path: string, ours: RegValue, theirs: HivexmlValue): string[] {
  const at = `${path}\\${JSON.stringify(ours.name)}`;
  const diffs: string[] = [];
  if (ours.name !== theirs.name) diffs.push(`${at}: name ${JSON.stringify(theirs.name)} in hivexml`);
  const kind = HIVEX_KIND[ours.type] ?? 'unknown';
  if (kind !== theirs.kind) diffs.push(`${at}: type ${kind}, hivexml ${theirs.kind}`);
  let mine: string;
  let theirsData: string;
  if (theirs.base64) {
    mine = hex(ours.data());
    theirsData = Buffer.from(theirs.value.replace(/\s+/g, ''), 'base64').toString('hex');
  } else if (kind === 'string-list') {
    mine = JSON.stringify(ours.strings());
    theirsData = JSON.stringify(dropTrailingEmpty(theirs.strings));
  } else if (kind === 'int32') {
    mine = String(ours.dword());
    theirsData = theirs.value;
  } else if (kind === 'int64') {
    mine = String(ours.qword());
    theirsData = theirs.value;
  } else {
    mine = ours.string();
    theirsData = theirs.value;
  }
  if (mine !== theirsData) diffs.push(`${at}: data ${mine.slice(0, 80)}, hivexml ${theirsData.slice(0, 80)}`);
  return diffs;
}

// ---------------------------------------------------------------------------------------------------
// regfexport

const REG_NUMBER: Record<string, number> = {
  REG_NONE: REG.NONE,
  REG_SZ: REG.SZ,
  REG_EXPAND_SZ: REG.EXPAND_SZ,
  REG_BINARY: REG.BINARY,
  REG_DWORD_LITTLE_ENDIAN: REG.DWORD,
  REG_DWORD_BIG_ENDIAN: REG.DWORD_BIG_ENDIAN,
  REG_LINK: REG.LINK,
  REG_MULTI_SZ: REG.MULTI_SZ,
  REG_RESOURCE_LIST: REG.RESOURCE_LIST,
  REG_FULL_RESOURCE_DESCRIPTOR: REG.FULL_RESOURCE_DESCRIPTOR,
  REG_RESOURCE_REQUIREMENTS_LIST: REG.RESOURCE_REQUIREMENTS_LIST,
  REG_QWORD_LITTLE_ENDIAN: REG.QWORD,
};

/** A value as regfexport prints it. */
export interface RegfexportValue {
  name: string;
  type: number;
  size: number;
  /** The one-line rendering (text or number), or `hex:` + the hexdump's bytes; null when elided. */
  data: string | null;
}

/** Runs `regfexport` on `file` and returns key paths with their values. */
export function regfexportDump(file: string): Map<string, RegfexportValue[]> {
  const r = spawnSync('/usr/bin/regfexport', [file], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`regfexport ${file}: exit ${r.status}: ${r.stderr}`);
  const out = new Map<string, RegfexportValue[]>();
  let key: RegfexportValue[] | null = null;
  let value: RegfexportValue | null = null;
  let dump: number[] | null = null as number[] | null;
  let elided = false;
  const endDump = () => {
    if (value && dump) value.data = elided ? null : `hex:${Buffer.from(dump).toString('hex')}`;
    dump = null;
    elided = false;
  };
  const rules: [RegExp, (m: RegExpExecArray) => void][] = [
    [
      /^Key path: (.*)$/,
      (m) => {
        key = [];
        out.set(m[1]!.split('\\').slice(1).join('\\'), key);
        value = null;
      },
    ],
    [
      /^Value: \d+ (.*)$/,
      (m) => {
        value = { name: m[1] === '(default)' ? '' : m[1]!, type: -1, size: -1, data: null };
        key?.push(value);
      },
    ],
    [
      /^Type: .*\((REG_\w+)\)$/,
      (m) => {
        if (value) value.type = REG_NUMBER[m[1]!] ?? -1;
      },
    ],
    [
      /^Type: unknown: 0x([0-9a-f]+)$/,
      (m) => {
        if (value) value.type = Number.parseInt(m[1]!, 16);
      },
    ],
    [
      /^Data size: (\d+)$/,
      (m) => {
        if (value) value.size = Number(m[1]);
      },
    ],
    [
      /^Data:$/,
      () => {
        dump = [];
      },
    ],
    [
      /^Data: (.*)$/,
      (m) => {
        if (value) value.data = m[1]!;
      },
    ],
  ];
  for (const line of r.stdout.split('\n')) {
    if (dump) {
      const row = /^[0-9a-f]{8}: (.{0,48})/.exec(line);
      if (row) {
        for (const t of row[1]!.trim().split(/\s+/))
          if (/^[0-9a-f]{2}$/.test(t)) dump.push(Number.parseInt(t, 16));
        continue;
      }
      if (line.trim() === '...') {
        elided = true;
        continue;
      }
      endDump();
    }
    for (const [re, act] of rules) {
      const m = re.exec(line);
      if (m) {
        act(m);
        break;
      }
    }
  }
  endDump();
  return out;
}

/** Differences between regfexport's view of a value and ours (empty when they agree). */
export function compareRegfexport(path: string, ours: RegValue, theirs: RegfexportValue): string[] {
  const at = `${path}\\${JSON.stringify(ours.name)}`;
  const diffs: string[] = [];
  if (ours.name !== theirs.name) diffs.push(`${at}: name ${JSON.stringify(theirs.name)} in regfexport`);
  if (ours.type !== theirs.type) diffs.push(`${at}: type ${ours.type}, regfexport ${theirs.type}`);
  const data = ours.data();
  if (data.length !== theirs.size) diffs.push(`${at}: size ${data.length}, regfexport ${theirs.size}`);
  // libregf 20201007 misreads inline data of 1-3 bytes (shared/docs/nt351-facts.md): sizes only there.
  if (theirs.data === null || (ours.inline && data.length > 0 && data.length < 4)) return diffs;
  let mine: string;
  if (theirs.data.startsWith('hex:')) mine = `hex:${hex(data)}`;
  else if (ours.type === REG.DWORD || ours.type === REG.DWORD_BIG_ENDIAN) mine = String(ours.dword());
  else if (ours.type === REG.QWORD) mine = String(ours.qword());
  else mine = ours.string();
  if (mine !== theirs.data)
    diffs.push(`${at}: data ${mine.slice(0, 80)}, regfexport ${theirs.data.slice(0, 80)}`);
  return diffs;
}

/** Our reader's key paths (below the root) with their values, in list order. */
export function ourKeys(hive: Hive): Map<string, RegValue[]> {
  const out = new Map<string, RegValue[]>();
  walkHive(hive, (key, path) => out.set(path.join('\\'), key.values()));
  return out;
}

/** Differences between our reader and both tools on the hive file `file` (empty when all agree). */
export function differences(file: string, bytes: Uint8Array): string[] {
  const hive = Hive.parse(bytes, file);
  const ours = ourKeys(hive);
  const diffs: string[] = [];
  for (const [tool, theirs, compare] of [
    ['hivexml', hivexmlDump(file), compareHivexml],
    ['regfexport', regfexportDump(file), compareRegfexport],
  ] as const) {
    const a = [...ours.keys()].sort();
    const b = [...theirs.keys()].sort();
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      diffs.push(
        `${tool}: keys differ: ours ${a.length}, theirs ${b.length}: ${a.filter((k) => !theirs.has(k)).slice(0, 5)} / ${b.filter((k) => !ours.has(k)).slice(0, 5)}`,
      );
      continue;
    }
    for (const [path, values] of ours) {
      const t = theirs.get(path)!;
      if (t.length !== values.length) {
        diffs.push(`${tool}: ${path}: ${values.length} values, theirs ${t.length}`);
        continue;
      }
      values.forEach((v, i) => {
        // Each tool's parser matches its own comparator; TypeScript cannot pair them through the tuple.
        diffs.push(...(compare as (p: string, o: RegValue, x: unknown) => string[])(path, v, t[i]));
      });
    }
  }
  return diffs;
}
