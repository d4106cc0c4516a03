// The PE parser fuzzer's engine, shared by bench/fuzz.ts (the long run) and
// test/pe/fuzz-regressions.test.ts (replay and a short round): seeds, PE-aware mutations, the target that
// runs every parser entry the tools use, the oracle (only MalformedPeError may escape, bounded work), a
// delta-debugging minimiser and the regression corpus format (test/pe/corpus).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { mapImage } from '../src/loader/map.js';
import { MAX_IMAGE_SIZE } from '../src/loader/system-loader.js';
import {
  applyRelocations,
  type ExportMiss,
  type ExportTable,
  type ExportTarget,
  type Forwarder,
  layout as L,
  MalformedPeError,
  PeImage,
  parseForwarder,
  rva,
  walkResources,
} from '../src/pe/index.js';
import { ByteReader } from '../src/pe/reader.js';
import { debianFiles, fixtureFiles } from '../test/diff/corpus.js';

/** Repository root. */
export const ROOT = new URL('..', import.meta.url).pathname;
/** Where crashing inputs are kept, minimised, as regression cases. */
export const CORPUS_DIR = join(ROOT, 'test/pe/corpus');
/** Longest input a mutation may produce. */
export const MAX_INPUT = 4 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------------
// Deterministic randomness.

/** A seeded PRNG (mulberry32): every run with the same seed makes the same inputs. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

// ---------------------------------------------------------------------------------------------------
// Seeds and the header fields worth aiming at.

/** A field of a seed that mutations aim at: counts, sizes, RVAs and offsets the parser trusts. */
export interface Field {
  offset: number;
  width: 2 | 4;
  what: string;
}

/** One seed image with the fields and values its mutations use. */
export interface Seed {
  /** Repository-relative path for committed fixtures, absolute path otherwise. */
  name: string;
  bytes: Uint8Array;
  /** True when the file is committed in this repository (a crash can be stored as patches over it). */
  committed: boolean;
  sha1: string;
  fields: Field[];
  /** Values near this image's section and directory edges, plus the classic boundary values. */
  values: number[];
}

export const sha1 = (b: Uint8Array): string => createHash('sha1').update(b).digest('hex');

/** A MalformedPeError becomes undefined; any other exception propagates. */
function tolerate<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof MalformedPeError) return undefined;
    throw e;
  }
}

const BOUNDARY = [
  0, 1, 2, 4, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0x1000, 0x7fff, 0x8000, 0xfffe, 0xffff, 0x10000, 0x7fffffff,
  0x80000000, 0x80000001, 0xfffffffe, 0xffffffff,
];

/** Offsets of the fields a PE parser trusts, found by parsing the seed (each directory best-effort). */
export function interestingFields(bytes: Uint8Array): { fields: Field[]; values: number[] } {
  const fields: Field[] = [];
  const values = new Set<number>(BOUNDARY);
  const add = (offset: number | null, width: 2 | 4, what: string) => {
    if (offset !== null && offset >= 0 && offset + width <= bytes.length)
      fields.push({ offset, width, what });
  };
  add(L.IMAGE_DOS_HEADER.e_lfanew, 4, 'e_lfanew');
  const img = tolerate(() => PeImage.parse(bytes, 'seed'));
  if (!img) return { fields, values: [...values] };
  const h = img.headers;
  const fh = h.ntHeaderOffset + 4;
  add(fh + L.IMAGE_FILE_HEADER.NumberOfSections, 2, 'NumberOfSections');
  add(fh + L.IMAGE_FILE_HEADER.SizeOfOptionalHeader, 2, 'SizeOfOptionalHeader');
  const oh = fh + L.IMAGE_FILE_HEADER.size;
  const O = img.is64 ? L.IMAGE_OPTIONAL_HEADER64 : L.IMAGE_OPTIONAL_HEADER32;
  for (const f of [
    'SectionAlignment',
    'FileAlignment',
    'SizeOfImage',
    'SizeOfHeaders',
    'NumberOfRvaAndSizes',
    'AddressOfEntryPoint',
  ] as const) {
    add(oh + O[f], 4, f);
  }
  for (const d of h.dataDirectories) {
    add(oh + O.DataDirectory + 8 * d.index, 4, `${d.name}.VirtualAddress`);
    add(oh + O.DataDirectory + 8 * d.index + 4, 4, `${d.name}.Size`);
    if (d.rva !== 0) for (const v of [d.rva, d.rva + d.size, d.size]) values.add(v >>> 0);
  }
  const H = L.IMAGE_SECTION_HEADER;
  for (const s of h.sections.slice(0, 16)) {
    for (const f of ['VirtualSize', 'VirtualAddress', 'SizeOfRawData', 'PointerToRawData'] as const) {
      add(s.headerOffset + H[f], 4, `section[${s.index}].${f}`);
    }
    const vEnd = s.virtualAddress + Math.max(s.virtualSize, s.sizeOfRawData);
    for (const v of [vEnd - 8, vEnd - 4, vEnd - 1, vEnd, vEnd + 1, s.virtualAddress + s.sizeOfRawData - 4]) {
      values.add(v >>> 0);
    }
    values.add((s.pointerToRawData + s.sizeOfRawData) >>> 0);
  }
  const size = h.optionalHeader.sizeOfImage;
  for (const v of [size - 4, size - 1, size, bytes.length - 4, bytes.length, bytes.length + 1]) {
    values.add(v >>> 0);
  }
  const at = (r: number, width: 2 | 4, what: string) => add(img.rvaToOffset(rva(r >>> 0)), width, what);
  const u32 = (r: number) => tolerate(() => img.readU32(rva(r >>> 0), 'seed', 'seed')) ?? 0;

  const ex = img.directory(L.DirectoryEntry.EXPORT);
  if (ex) {
    const E = L.IMAGE_EXPORT_DIRECTORY;
    for (const f of [
      'Name',
      'Base',
      'NumberOfFunctions',
      'NumberOfNames',
      'AddressOfFunctions',
      'AddressOfNames',
      'AddressOfNameOrdinals',
    ] as const) {
      at(ex.rva + E[f], 4, `export.${f}`);
    }
    const names = u32(ex.rva + E.AddressOfNames);
    const n = u32(ex.rva + E.NumberOfNames);
    for (const i of [0, 1, n - 1]) if (i >= 0 && i < n) at(names + 4 * i, 4, `export.AddressOfNames[${i}]`);
    const ords = u32(ex.rva + E.AddressOfNameOrdinals);
    for (const i of [0, n - 1])
      if (i >= 0 && i < n) at(ords + 2 * i, 2, `export.AddressOfNameOrdinals[${i}]`);
    const fns = u32(ex.rva + E.AddressOfFunctions);
    const nf = u32(ex.rva + E.NumberOfFunctions);
    for (const i of [0, 1, nf - 1])
      if (i >= 0 && i < nf) at(fns + 4 * i, 4, `export.AddressOfFunctions[${i}]`);
  }

  const im = img.directory(L.DirectoryEntry.IMPORT);
  if (im) {
    const D = L.IMAGE_IMPORT_DESCRIPTOR;
    for (let i = 0; i < 8; i++) {
      const d = im.rva + i * D.size;
      const first = u32(d + D.FirstThunk);
      const orig = u32(d + D.OriginalFirstThunk);
      if (first === 0 && u32(d + D.Name) === 0) {
        at(d, 4, `import[${i}].terminator`);
        break;
      }
      for (const f of ['OriginalFirstThunk', 'Name', 'FirstThunk'] as const)
        at(d + D[f], 4, `import[${i}].${f}`);
      const thunks = orig || first;
      for (let t = 0; t < 3; t++) at(thunks + 4 * t, 4, `import[${i}].thunk[${t}]`);
      values.add(thunks);
    }
  }

  const rel = img.directory(L.DirectoryEntry.BASERELOC);
  if (rel) {
    let p = rel.rva as number;
    for (let i = 0; i < 8 && p + 8 <= rel.rva + rel.size; i++) {
      at(p, 4, `reloc[${i}].VirtualAddress`);
      at(p + 4, 4, `reloc[${i}].SizeOfBlock`);
      at(p + 8, 2, `reloc[${i}].TypeOffset[0]`);
      const size = u32(p + 4);
      if (size < 8) break;
      p += size;
    }
  }

  const res = img.directory(L.DirectoryEntry.RESOURCE);
  if (res) {
    // Directories and entries of the first path down the tree, and the data entry it ends in.
    let dir = res.rva as number;
    for (let depth = 0; depth < 4; depth++) {
      at(dir + L.IMAGE_RESOURCE_DIRECTORY.NumberOfNamedEntries, 2, `resource[${depth}].NumberOfNamedEntries`);
      at(dir + L.IMAGE_RESOURCE_DIRECTORY.NumberOfIdEntries, 2, `resource[${depth}].NumberOfIdEntries`);
      const e = dir + L.IMAGE_RESOURCE_DIRECTORY.size;
      at(e, 4, `resource[${depth}].entry.Name`);
      at(e + 4, 4, `resource[${depth}].entry.OffsetToData`);
      const off = u32(e + 4);
      values.add((off | 0x80000000) >>> 0);
      if ((off & 0x80000000) === 0) {
        at(res.rva + off, 4, 'resource.data.OffsetToData');
        at(res.rva + off + 4, 4, 'resource.data.Size');
        const data = u32(res.rva + off);
        at(data, 2, 'version.wLength');
        at(data + 2, 2, 'version.wValueLength');
        break;
      }
      dir = res.rva + (off & 0x7fffffff);
    }
    values.add(0x80000000);
  }

  const bound = img.directory(L.DirectoryEntry.BOUND_IMPORT);
  if (bound) {
    at(bound.rva + 4, 2, 'bound.OffsetModuleName');
    at(bound.rva + 6, 2, 'bound.NumberOfModuleForwarderRefs');
  }
  return { fields, values: [...values] };
}

/** A seed from bytes; `name` is repository-relative when the file is committed. */
export function makeSeed(name: string, bytes: Uint8Array, committed: boolean): Seed {
  return { name, bytes, committed, sha1: sha1(bytes), ...interestingFields(bytes) };
}

/** Every PE under fixtures/ plus the Debian corpus (when installed), one seed per distinct content. */
export function loadSeeds(): Seed[] {
  const seen = new Set<string>();
  const seeds: Seed[] = [];
  for (const [files, committed] of [
    [fixtureFiles(), true],
    [debianFiles(), false],
  ] as const) {
    for (const file of files) {
      const bytes = new Uint8Array(readFileSync(file));
      const seed = makeSeed(committed ? relative(ROOT, file) : file, bytes, committed);
      if (seen.has(seed.sha1)) continue;
      seen.add(seed.sha1);
      seeds.push(seed);
    }
  }
  return seeds;
}

// ---------------------------------------------------------------------------------------------------
// Mutations.

const BYTES = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe];

function writeValue(b: Uint8Array, offset: number, width: number, value: number): void {
  for (let i = 0; i < width && offset + i < b.length; i++) b[offset + i] = (value >>> (8 * i)) & 0xff;
}
function readValue(b: Uint8Array, offset: number, width: number): number {
  let v = 0;
  for (let i = width - 1; i >= 0; i--) v = v * 256 + (b[offset + i] ?? 0);
  return v;
}

/** An offset biased to the headers and the seed's fields, where most parser decisions are made. */
function offsetIn(r: Rng, b: Uint8Array, seed: Seed): number {
  const roll = r.next();
  if (roll < 0.35 && seed.fields.length) {
    const f = r.pick(seed.fields);
    return Math.min(b.length - 1, f.offset + r.int(f.width));
  }
  if (roll < 0.7) return r.int(Math.min(b.length, 0x400));
  return r.int(b.length);
}

/** One mutation applied to `b` (which it may replace); `other` is a second seed for splices. */
function mutateOnce(r: Rng, b: Uint8Array, seed: Seed, other: Seed): Uint8Array {
  if (b.length === 0) return b;
  const op = r.int(100);
  if (op < 14) {
    // Bit flip.
    const at = offsetIn(r, b, seed);
    b[at]! ^= 1 << r.int(8);
  } else if (op < 26) {
    // Byte set to an interesting value.
    b[offsetIn(r, b, seed)] = r.pick(BYTES);
  } else if (op < 60 && seed.fields.length) {
    // A header/directory field overwritten with a boundary value, an edge of this image, another
    // field's value, or nudged by a little.
    const f = r.pick(seed.fields);
    const roll = r.next();
    let v: number;
    if (roll < 0.3) v = r.pick(BOUNDARY);
    else if (roll < 0.65) v = r.pick(seed.values);
    else if (roll < 0.8) {
      const g = r.pick(seed.fields);
      v = readValue(b, g.offset, g.width);
    } else v = readValue(b, f.offset, f.width) + (r.int(33) - 16) * (r.chance(0.5) ? 1 : 4);
    writeValue(b, f.offset, f.width, v >>> 0);
  } else if (op < 68) {
    // Dword overwrite anywhere, aligned, with a boundary value.
    const at = offsetIn(r, b, seed) & ~3;
    writeValue(b, at, 4, r.chance(0.5) ? r.pick(BOUNDARY) : r.pick(seed.values));
  } else if (op < 78) {
    // Truncation, often just after a field or section edge.
    const cut = r.chance(0.5) && seed.fields.length ? r.pick(seed.fields).offset + r.int(8) : r.int(b.length);
    return b.subarray(0, Math.min(b.length, cut)).slice();
  } else if (op < 86) {
    // Splice: the head of this input with the tail of another seed.
    const cut = r.int(b.length);
    const from = r.chance(0.5) ? cut : r.int(other.bytes.length);
    const tail = other.bytes.subarray(from, from + Math.max(0, MAX_INPUT - cut));
    const out = new Uint8Array(cut + tail.length);
    out.set(b.subarray(0, cut));
    out.set(tail, cut);
    return out;
  } else if (op < 94) {
    // Chunk duplication, overwriting in place.
    const size = 1 + r.int(Math.min(256, b.length));
    const src = r.int(b.length - size + 1);
    const dst = offsetIn(r, b, seed);
    b.set(b.subarray(src, src + Math.min(size, b.length - dst)).slice(), dst);
  } else {
    // Chunk duplication, inserted (shifts everything after it).
    const size = 1 + r.int(Math.min(512, b.length));
    const src = r.int(b.length - size + 1);
    const dst = offsetIn(r, b, seed);
    if (b.length + size > MAX_INPUT) return b;
    const out = new Uint8Array(b.length + size);
    out.set(b.subarray(0, dst));
    out.set(b.subarray(src, src + size), dst);
    out.set(b.subarray(dst), dst + size);
    return out;
  }
  return b;
}

/** A mutated copy of `seed`: one to five stacked mutations. */
export function mutate(r: Rng, seeds: readonly Seed[], seed: Seed): Uint8Array {
  let b: Uint8Array = seed.bytes.slice();
  const n = 1 + Math.floor(-Math.log(1 - r.next()) * 1.2);
  for (let i = 0; i < Math.min(n, 5); i++) b = mutateOnce(r, b, seed, r.pick(seeds));
  return b;
}

// ---------------------------------------------------------------------------------------------------
// Target and oracle.

/** Reads (bounds checks) made by the parser, counted by the step guard below. */
let steps = 0;
let stepLimit = Number.POSITIVE_INFINITY;

/** Thrown by the step guard when one input makes the parser do unbounded work. */
export class StepLimitError extends Error {
  override readonly name = 'StepLimitError';
}

// The step guard: every read of file bytes goes through ByteReader.check and every RVA read through
// PeImage's span lookup (private, hence the cast; renaming it must fail here, not silently stop
// counting), so counting calls there measures the parser's work per input without clocks, and stops
// runaway loops before they exhaust memory.
function counted<T extends object>(proto: T, method: string): void {
  const target = proto as Record<string, unknown>;
  const original = target[method];
  if (typeof original !== 'function') throw new Error(`step guard: ${method} is not a method any more`);
  // Fixed parameters rather than a rest array: this runs on every read.
  target[method] = function (this: unknown, a: unknown, b: unknown, c: unknown, d: unknown) {
    if (++steps > stepLimit) throw new StepLimitError(`more than ${stepLimit} reads for one input`);
    return original.call(this, a, b, c, d);
  };
}
counted(ByteReader.prototype, 'check');
counted(PeImage.prototype, 'span');

/** Work allowed for one input: reads, and items the parse returns, both in proportion to its size. */
export const stepBudget = (length: number): number => 2_000_000 + 64 * length;
export const itemBudget = (length: number): number => 100_000 + 4 * length;
/** Characters of distinct export, import and resource names allowed for one input. */
export const textBudget = (length: number): number => 65_536 + 8 * length;

/** Characters of distinct names an exercise returned (a Set, since equal strings may be shared). */
let distinctText = new Set<string>();

/** Follows a forwarder inside the same table (as if the image forwarded to itself), a few hops. */
function follow(ex: ExportTable, fw: Forwarder): void {
  let f: Forwarder | null = fw;
  for (let hop = 0; f && hop < 4; hop++) {
    parseForwarder(f.text);
    const t: ExportTarget | ExportMiss =
      f.name !== null ? ex.findByName(f.name) : ex.findByOrdinal(f.ordinal ?? 0);
    f = t.kind === 'forwarder' ? t.forwarder : null;
  }
}

/**
 * Runs every parser entry the tools use on `bytes`: headers, sections, layout, exports with lookups by
 * name, hint and ordinal and forwarders, imports with thunks, bound imports, relocations applied to a
 * mapped copy (as the loader maps it), resources, version, checksum. Each directory is tried on its
 * own, as the tools do; MalformedPeError is expected, anything else propagates. Returns the number of
 * items (sections, exports, imports, relocations, resources) the parse produced.
 */
export function exercise(bytes: Uint8Array): number {
  const img = tolerate(() => PeImage.parse(bytes, 'fuzz'));
  if (!img) return 0;
  const h = img.headers;
  let items = h.sections.length;
  for (const span of img.layout()) {
    img.rvaToOffset(rva(span.rva));
    img.sectionOf(rva(span.rva + span.mappedSize - 1));
  }
  for (const d of h.dataDirectories) {
    img.directory(d.index);
    img.isMapped(d.rva, d.size);
  }
  img.rvaToOffset(h.optionalHeader.addressOfEntryPoint);

  const ex = tolerate(() => img.exports());
  if (ex) {
    items += ex.entries.length;
    distinctText.add(ex.dllName);
    ex.entries.forEach((e, i) => {
      if (e.name !== null) distinctText.add(e.name);
      if (e.forwarder) distinctText.add(e.forwarder.text);
      if (e.name !== null) ex.findByName(e.name, i);
      ex.findByOrdinal(e.ordinal);
      if (e.forwarder) follow(ex, e.forwarder);
    });
    for (const o of [0, ex.base - 1, ex.base + ex.numberOfFunctions, 0xffff, 0x10000]) ex.findByOrdinal(o);
    ex.findByName('');
    ex.findByName('DllInitialize', 0);
  }
  const imports = tolerate(() => img.imports());
  for (const m of imports ?? []) {
    items += m.entries.length;
    distinctText.add(m.dll);
    for (const e of m.entries) {
      img.rvaToOffset(e.iatRva);
      if (e.name !== null) distinctText.add(e.name);
    }
  }
  items += tolerate(() => img.boundImports())?.length ?? 0;

  const blocks = tolerate(() => img.relocations());
  const size = h.optionalHeader.sizeOfImage;
  if (size > 0 && size <= MAX_IMAGE_SIZE) {
    // The loader's own mapping (it refuses larger images before mapping).
    const mapped = mapImage(img);
    if (blocks) {
      for (const b of blocks) items += b.entries.length;
      applyRelocations(mapped.bytes, blocks, 0x10000n, h.fileHeader.machine);
      applyRelocations(mapped.bytes, blocks, -0x10000n, h.fileHeader.machine);
      if (img.is64) applyRelocations(mapped.bytes, blocks, 1n << 32n, h.fileHeader.machine);
    }
  }
  const leaves = tolerate(() => walkResources(img, img.directory(L.DirectoryEntry.RESOURCE))) ?? [];
  items += leaves.length;
  for (const leaf of leaves) for (const k of leaf.path) if (typeof k === 'string') distinctText.add(k);
  tolerate(() => img.version());
  tolerate(() => img.checksum());
  return items;
}

/** What made an input a crash. `signature` groups crashes of one bug (kind and the throwing frame). */
export interface Crash {
  kind: 'exception' | 'steps' | 'items' | 'slow';
  signature: string;
  message: string;
}

/**
 * Where an error came from, as `path:line`: the first frame in our sources outside the shared readers
 * (reader.ts, image.ts, errors.ts), so one signature names one interpreting site; else the first frame.
 */
function topFrame(e: unknown): string {
  const stack = e instanceof Error ? (e.stack ?? '') : '';
  const frames: string[] = [];
  for (const line of stack.split('\n').slice(1)) {
    const m = /(src\/[\w/.-]+\.ts):(\d+)/.exec(line);
    if (m) frames.push(`${m[1]}:${m[2]}`);
  }
  return frames.find((f) => !/src\/pe\/(reader|image|errors)\.ts/.test(f)) ?? frames[0] ?? 'unknown';
}

/**
 * The oracle, without clocks: `bytes` crashes the parser when an exception other than MalformedPeError
 * escapes, when it makes more reads than its step budget, or returns more items or more characters of
 * distinct names than its budgets (memory far beyond the input's size).
 */
export function check(bytes: Uint8Array): Crash | null {
  steps = 0;
  stepLimit = stepBudget(bytes.length);
  distinctText = new Set();
  try {
    const items = exercise(bytes);
    let text = 0;
    for (const t of distinctText) text += t.length;
    if (text > textBudget(bytes.length)) {
      return {
        kind: 'items',
        signature: 'text',
        message: `${text} characters of distinct names from ${bytes.length} bytes (budget ${textBudget(bytes.length)})`,
      };
    }
    if (items > itemBudget(bytes.length)) {
      return {
        kind: 'items',
        signature: 'items',
        message: `${items} items from ${bytes.length} bytes (budget ${itemBudget(bytes.length)})`,
      };
    }
    return null;
  } catch (e) {
    if (e instanceof StepLimitError) {
      return { kind: 'steps', signature: `steps ${topFrame(e)}`, message: e.message };
    }
    const name = e instanceof Error ? e.name : typeof e;
    return {
      kind: 'exception',
      signature: `exception ${name} ${topFrame(e)}`,
      message: e instanceof Error ? (e.stack ?? e.message) : String(e),
    };
  } finally {
    stepLimit = Number.POSITIVE_INFINITY;
    distinctText = new Set();
  }
}

// ---------------------------------------------------------------------------------------------------
// Minimiser.

/**
 * Shrinks a crashing input while `crashes` still holds: first the length (cut from the end), then
 * delta debugging (ddmin) over the bytes that differ from the seed, reverting as many as it can.
 */
export function minimise(
  input: Uint8Array,
  base: Uint8Array | null,
  crashes: (b: Uint8Array) => boolean,
  maxTries = 4000,
): Uint8Array {
  let tries = 0;
  const test = (b: Uint8Array) => tries++ < maxTries && crashes(b);
  let best = input;
  // Length: largest cuts first.
  for (let step = best.length >> 1; step >= 1; ) {
    const cand = best.subarray(0, best.length - step);
    if (best.length - step > 0 && test(cand)) best = cand.slice();
    else step >>= 1;
  }
  if (!base) return best;
  // ddmin over the differing positions: revert chunks of them to the seed's bytes.
  let diff: number[] = [];
  for (let i = 0; i < best.length; i++) if (i >= base.length || best[i] !== base[i]) diff.push(i);
  const without = (drop: Set<number>) => {
    const b = best.slice();
    for (const i of drop) if (i < base.length) b[i] = base[i]!;
    return b;
  };
  let n = 2;
  while (diff.length >= 1 && tries < maxTries) {
    const chunk = Math.ceil(diff.length / n);
    let reduced = false;
    for (let s = 0; s < diff.length; s += chunk) {
      const drop = new Set(diff.slice(s, s + chunk).filter((i) => i < base.length));
      if (drop.size === 0) continue;
      const cand = without(drop);
      if (test(cand)) {
        best = cand;
        diff = diff.filter((i) => !drop.has(i));
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (chunk <= 1) break;
      n = Math.min(diff.length, n * 2);
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------------
// Regression corpus: crash-<hash>.json (a committed seed plus byte patches) or crash-<hash>.bin.

/** A crashing input stored as a committed fixture plus byte patches. */
export interface PatchCase {
  /** Repository-relative path of the base fixture. */
  base: string;
  /** SHA-1 of the base, so a changed fixture is noticed rather than silently replayed differently. */
  baseSha1: string;
  /** Length of the input (the base is cut or zero-extended to it before patching). */
  length: number;
  /** [offset, hex bytes] runs written over the base. */
  patches: [number, string][];
  /** Crash signature when it was found, and what it was. */
  signature: string;
  note: string;
}

/** Byte runs where `input` differs from `base` (cut or zero-extended to the input's length). */
export function patchesFrom(input: Uint8Array, base: Uint8Array): [number, string][] {
  const runs: [number, string][] = [];
  for (let i = 0; i < input.length; ) {
    const was = i < base.length ? base[i]! : 0;
    if (input[i] === was) {
      i++;
      continue;
    }
    const start = i;
    while (i < input.length && input[i] !== (i < base.length ? base[i]! : 0)) i++;
    runs.push([start, Buffer.from(input.subarray(start, i)).toString('hex')]);
  }
  return runs;
}

/** The input a PatchCase describes. */
export function applyPatchCase(c: PatchCase): Uint8Array {
  const base = new Uint8Array(readFileSync(join(ROOT, c.base)));
  if (sha1(base) !== c.baseSha1) throw new Error(`${c.base} changed since the case was recorded`);
  const out = new Uint8Array(c.length);
  out.set(base.subarray(0, c.length));
  for (const [at, hex] of c.patches) out.set(Buffer.from(hex, 'hex'), at);
  return out;
}

/** A regression case on disk. */
export interface RegressionCase {
  file: string;
  bytes: Uint8Array;
  note: string;
}

/** Every case in test/pe/corpus. */
export function loadRegressions(dir = CORPUS_DIR): RegressionCase[] {
  if (!existsSync(dir)) return [];
  const cases: RegressionCase[] = [];
  for (const file of readdirSync(dir).sort()) {
    const path = join(dir, file);
    if (file.endsWith('.bin')) cases.push({ file, bytes: new Uint8Array(readFileSync(path)), note: '' });
    else if (file.endsWith('.json')) {
      const c = JSON.parse(readFileSync(path, 'utf8')) as PatchCase;
      cases.push({ file, bytes: applyPatchCase(c), note: c.note });
    }
  }
  return cases;
}

/** Patches smaller than this are stored as JSON over the committed seed; larger inputs as .bin. */
const MAX_PATCH_BYTES = 2048;

/** A PatchCase as JSON laid out as biome formats it (short arrays on one line). */
export function formatCase(c: PatchCase): string {
  const runs = c.patches.map(([at, hex]) => `[${at}, ${JSON.stringify(hex)}]`);
  const oneLine = `  "patches": [${runs.join(', ')}],`;
  const patches =
    oneLine.length <= 110 ? oneLine : `  "patches": [\n${runs.map((r) => `    ${r}`).join(',\n')}\n  ],`;
  const field = (k: keyof PatchCase) => `  ${JSON.stringify(k)}: ${JSON.stringify(c[k])},`;
  return `{\n${field('base')}\n${field('baseSha1')}\n${field('length')}\n${patches}\n${field('signature')}\n  "note": ${JSON.stringify(c.note)}\n}\n`;
}

/** File name and contents for a minimised crash (JSON over a committed seed when that is smaller). */
export function encodeCase(
  input: Uint8Array,
  seed: Seed | null,
  signature: string,
): { file: string; data: string | Uint8Array } {
  const hash = sha1(input).slice(0, 12);
  if (seed?.committed) {
    const patches = patchesFrom(input, seed.bytes);
    const patchBytes = patches.reduce((n, [, hex]) => n + hex.length / 2, 0);
    if (patchBytes <= MAX_PATCH_BYTES) {
      const c: PatchCase = {
        base: seed.name,
        baseSha1: seed.sha1,
        length: input.length,
        patches,
        signature,
        note: '',
      };
      return { file: `crash-${hash}.json`, data: formatCase(c) };
    }
  }
  return { file: `crash-${hash}.bin`, data: input };
}

// ---------------------------------------------------------------------------------------------------
// A fuzz loop (used whole by the unit test; bench/fuzz.ts runs it in workers with progress).

/** A crash found by a fuzz loop, minimised. */
export interface Found {
  crash: Crash;
  input: Uint8Array;
  seed: Seed;
  exec: number;
}

/** Hooks for a fuzz loop's driver. */
export interface LoopHooks {
  /**
   * Called with each input before it runs, minimiser candidates included (bench/fuzz.ts publishes it
   * for its hang watchdog); `exec` is the index of the fuzz execution it belongs to.
   */
  before?: (input: Uint8Array, seedIndex: number, exec: number) => void;
  /** Called every 256 executions with the count done; returning false stops the loop. */
  tick?: (done: number) => boolean;
  /** Wall-clock bound per input in ms (the long run only; tests use the step guard alone). */
  slowMs?: number;
}

/** Candidates tried when minimising a slow input (each costs several slow runs). */
const SLOW_MINIMISE_TRIES = 24;

/** Wall time of one check of `b`, in ms. */
function timed(b: Uint8Array): { crash: Crash | null; ms: number } {
  const t = performance.now();
  const crash = check(b);
  return { crash, ms: performance.now() - t };
}

/** Runs `execs` mutated inputs from `seeds` with PRNG seed `seed`; `onCrash` sees each crash minimised. */
export function fuzzLoop(
  seeds: readonly Seed[],
  seed: number,
  execs: number,
  onCrash: (f: Found) => void,
  hooks: LoopHooks = {},
): void {
  const r = new Rng(seed);
  const slowMs = hooks.slowMs ?? Number.POSITIVE_INFINITY;
  for (let i = 0; i < execs; i++) {
    if (hooks.tick && (i & 255) === 0 && !hooks.tick(i)) return;
    const si = r.int(seeds.length);
    const s = seeds[si]!;
    // Every input run, minimiser candidates included, is published first: a hang names its input.
    const run = (b: Uint8Array) => {
      hooks.before?.(b, si, i);
      return timed(b);
    };
    // Slow only when it stays slow: the best of three runs (a shared machine has pauses).
    const isSlow = (b: Uint8Array) => {
      let best = Number.POSITIVE_INFINITY;
      for (let k = 0; k < 3 && best > slowMs; k++) best = Math.min(best, run(b).ms);
      return best > slowMs;
    };
    const input = mutate(r, seeds, s);
    const first = run(input);
    let crash = first.crash;
    if (!crash && first.ms > slowMs && isSlow(input)) {
      crash = { kind: 'slow', signature: 'slow', message: `over ${slowMs} ms for one input` };
    }
    if (!crash) continue;
    const sig = crash.signature;
    const small =
      crash.kind === 'slow'
        ? minimise(input, s.bytes, (b) => run(b).crash === null && isSlow(b), SLOW_MINIMISE_TRIES)
        : minimise(input, s.bytes, (b) => run(b).crash?.signature === sig);
    onCrash({
      crash: crash.kind === 'slow' ? crash : (check(small) ?? crash),
      input: small,
      seed: s,
      exec: i,
    });
  }
}
