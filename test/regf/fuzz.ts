// The hive reader's fuzzer engine, shared by test/regf/fuzz-regressions.test.ts (replay and a short round)
// and test/regf/fuzz-run.ts (the long run): seeds written by our writer, hive-aware mutations (aimed at the
// counts, offsets and sizes the reader trusts, with the checksum fixed up so inputs get past the base
// block), the target (every reader entry the tools use), the oracle (only MalformedHiveError may escape,
// bounded items) and the regression corpus in test/regf/corpus. The PRNG and the minimiser are the PE
// fuzzer's (scripts/fuzz.ts).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { minimise, Rng, sha1 } from '../../scripts/fuzz.js';
import {
  baseBlockChecksum,
  Hive,
  layout as L,
  MalformedHiveError,
  type RegKey,
  walkHive,
  writeHive,
} from '../../src/regf/index.js';
import { sampleSystem } from './sample.js';

export { minimise, Rng, sha1 };

/** Where minimised crashing inputs are kept. */
export const CORPUS_DIR = new URL('./corpus', import.meta.url).pathname;
/** Regression inputs that still crash, by file name: a list that may only shrink. */
export const KNOWN_FAILURES = new URL('./known-failures.json', import.meta.url).pathname;

/** A field of a seed that mutations aim at. */
export interface Field {
  offset: number;
  width: 2 | 4;
  what: string;
}

/** One seed hive with the fields and values its mutations use. */
export interface Seed {
  name: string;
  bytes: Uint8Array;
  fields: Field[];
  /** Cell offsets and sizes of this hive, plus the classic boundary values. */
  values: number[];
}

const BOUNDARY = [
  0, 1, 2, 3, 4, 7, 8, 0x20, 0x7f, 0x80, 0xff, 0x100, 0x1000, 0x3fd8, 0x3fd9, 0x7fff, 0x8000, 0xfffe, 0xffff,
  0x10000, 0x7fffffff, 0x80000000, 0x80000001, 0x80000004, 0x80000005, 0xfffffff8, 0xfffffffe, 0xffffffff,
];

/** Offsets of the fields the reader trusts, found by reading the seed with our reader. */
export function interestingFields(bytes: Uint8Array): { fields: Field[]; values: number[] } {
  const fields: Field[] = [];
  const values = new Set<number>(BOUNDARY);
  const add = (offset: number, width: 2 | 4, what: string) => {
    if (offset >= 0 && offset + width <= bytes.length) fields.push({ offset, width, what });
  };
  const B = L.BASE_BLOCK;
  for (const f of ['RootCell', 'Length', 'Minor', 'Major', 'Type', 'Format'] as const) add(B[f], 4, f);
  let hive: Hive;
  try {
    hive = Hive.parse(bytes, 'seed');
  } catch {
    return { fields, values: [...values] };
  }
  for (const b of hive.bins.slice(0, 8)) {
    add(b.start + L.HBIN.FileOffset, 4, 'hbin.FileOffset');
    add(b.start + L.HBIN.Size, 4, 'hbin.Size');
    values.add(b.start - L.HBLOCK_SIZE);
    values.add(b.end - b.start);
  }
  values.add(hive.header.hiveBinsSize);
  const u32 = (at: number) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, true);
  const cellAt = (off: number) => L.HBLOCK_SIZE + off;
  walkHive(hive, (key: RegKey) => {
    const nk = cellAt(key.offset);
    values.add(key.offset);
    add(nk, 4, 'nk.cell size');
    for (const f of ['Flags', 'NameLength'] as const) add(nk + 4 + L.NK[f], 2, `nk.${f}`);
    for (const f of ['SubKeyCount', 'SubKeyList', 'ValueCount', 'ValueList', 'Class', 'Security'] as const) {
      add(nk + 4 + L.NK[f], 4, `nk.${f}`);
    }
    if (key.subkeyCount > 0) {
      const list = u32(nk + 4 + L.NK.SubKeyList);
      values.add(list);
      add(cellAt(list), 4, 'list.cell size');
      add(cellAt(list) + 4 + L.LIST.Signature, 2, 'list.Signature');
      add(cellAt(list) + 4 + L.LIST.Count, 2, 'list.Count');
      add(cellAt(list) + 4 + L.LIST.Elements, 4, 'list.Element[0]');
    }
    for (const v of key.values().slice(0, 4)) {
      const vk = cellAt(v.offset);
      values.add(v.offset);
      for (const f of ['NameLength', 'Flags'] as const) add(vk + 4 + L.VK[f], 2, `vk.${f}`);
      for (const f of ['DataLength', 'Data', 'Type'] as const) add(vk + 4 + L.VK[f], 4, `vk.${f}`);
      values.add(v.length);
    }
  });
  return { fields, values: [...values] };
}

/** A seed from bytes. */
export function makeSeed(name: string, bytes: Uint8Array): Seed {
  return { name, bytes, ...interestingFields(bytes) };
}

/** Seeds: small hives from our writer in each version, with index roots and big data among them. */
export function loadSeeds(): Seed[] {
  const big = Uint8Array.from({ length: 20_000 }, (_, i) => i & 0xff);
  const many = { name: 'R', subkeys: Array.from({ length: 600 }, (_, i) => ({ name: `K${i}` })) };
  const withBig = { name: 'R', values: [{ name: 'big', type: 3, data: big }], subkeys: [{ name: 'x' }] };
  return [
    makeSeed('system-1.2', writeHive(sampleSystem(12), { minor: 2, fileName: 'SYSTEM' })),
    makeSeed('system-1.3', writeHive(sampleSystem(12), { minor: 3 })),
    makeSeed('system-1.5', writeHive(sampleSystem(12), { minor: 5 })),
    makeSeed('ri-1.5', writeHive(many, { minor: 5 })),
    makeSeed('bigdata-1.5', writeHive(withBig, { minor: 5 })),
  ];
}

const BYTES = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe];

function writeValue(b: Uint8Array, offset: number, width: number, value: number): void {
  for (let i = 0; i < width && offset + i < b.length; i++) b[offset + i] = (value >>> (8 * i)) & 0xff;
}

/** One mutation of `b` (which it may replace). */
function mutateOnce(r: Rng, b: Uint8Array, seed: Seed): Uint8Array {
  if (b.length === 0) return b;
  const op = r.int(100);
  const anywhere = () => r.int(b.length);
  if (op < 15) {
    const at = anywhere();
    b[at] = b[at]! ^ (1 << r.int(8));
  } else if (op < 25) {
    b[anywhere()] = r.pick(BYTES);
  } else if (op < 75 && seed.fields.length) {
    const f = r.pick(seed.fields);
    const roll = r.next();
    const v = roll < 0.35 ? r.pick(BOUNDARY) : roll < 0.85 ? r.pick(seed.values) : r.int(0x10000);
    writeValue(b, f.offset, f.width, v >>> 0);
  } else if (op < 85) {
    writeValue(b, anywhere() & ~3, 4, r.chance(0.5) ? r.pick(BOUNDARY) : r.pick(seed.values));
  } else if (op < 93) {
    const cut = r.chance(0.5) && seed.fields.length ? r.pick(seed.fields).offset + r.int(8) : anywhere();
    return b.subarray(0, Math.min(b.length, cut)).slice();
  } else {
    // A chunk copied over another place (cells duplicated: shared lists, repeated names).
    const len = 1 + r.int(64);
    const from = r.int(Math.max(1, b.length - len));
    const to = r.int(Math.max(1, b.length - len));
    b.copyWithin(to, from, from + len);
  }
  return b;
}

/** A mutated copy of `seed`: one to five mutations, then (usually) the base block's checksum fixed. */
export function mutate(r: Rng, seed: Seed): Uint8Array {
  let b: Uint8Array = seed.bytes.slice();
  const n = 1 + r.int(5);
  for (let i = 0; i < n; i++) b = mutateOnce(r, b, seed);
  if (b.length >= L.BASE_BLOCK.CheckedBytes + 4 && r.chance(0.9)) {
    writeValue(b, L.BASE_BLOCK.CheckSum, 4, baseBlockChecksum(b));
  }
  return b;
}

/** Items (keys, values, characters of names and text) allowed for an input of `length` bytes. */
export const itemBudget = (length: number): number => 100_000 + 8 * length;

/** A MalformedHiveError becomes undefined; any other exception propagates. */
function tolerate<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof MalformedHiveError) return undefined;
    throw e;
  }
}

/**
 * Runs every reader entry the tools use on `bytes`: parse, the whole walk (each value decoded on its own),
 * lookups by path, class names. MalformedHiveError is expected; anything else propagates. Returns the
 * number of items produced (keys, values, and characters of names and decoded text).
 */
export function exercise(bytes: Uint8Array): number {
  // As the tools open it; then past a bad checksum too, so inputs with one still reach the cells.
  const hive =
    tolerate(() => Hive.parse(bytes, 'fuzz')) ??
    tolerate(() => Hive.parse(bytes, 'fuzz', { ignoreChecksum: true }));
  if (!hive) return 0;
  let items = 0;
  tolerate(() =>
    walkHive(hive, (key, path) => {
      items += 1 + key.name.length + path.length;
      tolerate(() => key.className());
      const values = tolerate(() => key.values()) ?? [];
      if (values.length > 0) tolerate(() => key.value(values[values.length - 1]!.name));
      for (const v of values) {
        items += 1 + v.name.length;
        const d = tolerate(() => v.decoded());
        if (typeof d === 'string') items += d.length;
        else if (Array.isArray(d)) items += d.reduce((n, s) => n + s.length, 0);
      }
    }),
  );
  for (const p of ['ControlSet001\\Services\\LanmanServer', 'select', 'K500', 'x'])
    tolerate(() => hive.openKey(p));
  return items;
}

/** What made an input a crash. */
export interface Crash {
  kind: 'exception' | 'items';
  signature: string;
  message: string;
}

/** The first frame of an error in our sources, as `path:line`. */
function topFrame(e: unknown): string {
  const stack = e instanceof Error ? (e.stack ?? '') : '';
  const m = /(src\/regf\/[\w.-]+\.ts):(\d+)/.exec(stack);
  return m ? `${m[1]}:${m[2]}` : 'unknown';
}

/** The oracle: a crash when an exception other than MalformedHiveError escapes, or items exceed the budget. */
export function check(bytes: Uint8Array): Crash | null {
  try {
    const items = exercise(bytes);
    if (items > itemBudget(bytes.length)) {
      return { kind: 'items', signature: 'items', message: `${items} items from ${bytes.length} bytes` };
    }
    return null;
  } catch (e) {
    const name = e instanceof Error ? e.name : typeof e;
    return {
      kind: 'exception',
      signature: `exception ${name} ${topFrame(e)}`,
      message: e instanceof Error ? (e.stack ?? e.message) : String(e),
    };
  }
}

/** A crash found by a fuzz loop, minimised. */
export interface Found {
  crash: Crash;
  input: Uint8Array;
  seed: Seed;
  exec: number;
}

/** Runs `execs` mutated inputs with PRNG seed `seed`; `onCrash` sees each crash, minimised. */
export function fuzzLoop(
  seeds: readonly Seed[],
  seed: number,
  execs: number,
  onCrash: (f: Found) => void,
  tick?: (done: number) => void,
): void {
  const r = new Rng(seed);
  for (let i = 0; i < execs; i++) {
    if (tick && (i & 1023) === 0) tick(i);
    const s = seeds[r.int(seeds.length)]!;
    const input = mutate(r, s);
    const crash = check(input);
    if (!crash) continue;
    const small = minimise(input, s.bytes, (b) => check(b)?.signature === crash.signature);
    onCrash({ crash: check(small) ?? crash, input: small, seed: s, exec: i });
  }
}

/** A regression case on disk: `crash-<sha1>.bin`, the minimised input. */
export interface RegressionCase {
  file: string;
  bytes: Uint8Array;
}

/** Every case in test/regf/corpus. */
export function loadRegressions(dir = CORPUS_DIR): RegressionCase[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((file) => ({ file, bytes: new Uint8Array(readFileSync(join(dir, file))) }));
}
