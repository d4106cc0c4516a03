// Interprets the export directory: named, ordinal-only (NONAME) and forwarded exports, and NT's two
// lookups (by name: hint then binary search; by ordinal: index = ordinal - Base, range-checked).
import type { DataDirectory } from './headers.js';
import type { PeImage } from './image.js';
import { IMAGE_EXPORT_DIRECTORY as E } from './layout.js';
import { NameTable } from './names.js';
import { type Ordinal, ordinal, type Rva, rva } from './types.js';

const S = 'IMAGE_EXPORT_DIRECTORY';
/** Longest export or forwarder name we accept (C++ decorated names can be long). */
export const MAX_EXPORT_NAME = 4096;

/** A forwarder string `MODULE.Name` or `MODULE.#123`, split. */
export interface Forwarder {
  text: string;
  module: string;
  name: string | null;
  ordinal: number | null;
}

export interface ExportEntry {
  ordinal: Ordinal;
  /** Null for ordinal-only (NONAME) exports. */
  name: string | null;
  /** Null for forwarders. */
  rva: Rva | null;
  forwarder: Forwarder | null;
}

/** What a lookup found: the function slot's index (ordinal - Base) and where it points. */
export type ExportTarget =
  | { kind: 'rva'; index: number; ordinal: Ordinal; rva: Rva }
  | { kind: 'forwarder'; index: number; ordinal: Ordinal; forwarder: Forwarder };

/** Why a lookup failed, in the terms NT's MiSnapThunk distinguishes. */
export type ExportMiss = { kind: 'name-not-found' } | { kind: 'ordinal-out-of-range'; index: number };

export interface ExportTable {
  dllName: string;
  base: number;
  numberOfFunctions: number;
  numberOfNames: number;
  timeDateStamp: number;
  /** Entries sorted by ordinal then name; a function with several names appears once per name. */
  entries: ExportEntry[];
  /** Anomalies, e.g. unsorted names (NT's binary search would miss some). */
  warnings: string[];
  /** NT's by-name lookup: the hint index first, then a binary search of the (sorted) name table. */
  findByName(name: string, hint?: number): ExportTarget | ExportMiss;
  /** NT's by-ordinal lookup: (ordinal - Base) as a 16-bit index, checked against NumberOfFunctions. */
  findByOrdinal(ord: number): ExportTarget | ExportMiss;
}

/** Splits a forwarder string; `MODULE.#12` forwards by ordinal. */
export function parseForwarder(text: string): Forwarder {
  const dot = text.lastIndexOf('.');
  const module = dot < 0 ? text : text.slice(0, dot);
  const rest = dot < 0 ? '' : text.slice(dot + 1);
  if (rest.startsWith('#') && /^#\d+$/.test(rest)) {
    return { text, module, name: null, ordinal: Number(rest.slice(1)) };
  }
  return { text, module, name: rest, ordinal: null };
}

/**
 * The export directory of `img` (names, ordinals, forwarders), or null without one. Long because it
 * reads one directory field by field with a bounds check and a MalformedPeError naming each field.
 */
export function parseExports(img: PeImage, dir: DataDirectory | null): ExportTable | null {
  if (!dir) return null;
  const at = dir.rva;
  const u32 = (off: number, field: string) => img.readU32(rva(at + off), S, field);
  const nameRva = u32(E.Name, 'Name');
  const base = u32(E.Base, 'Base');
  const numberOfFunctions = u32(E.NumberOfFunctions, 'NumberOfFunctions');
  const numberOfNames = u32(E.NumberOfNames, 'NumberOfNames');
  const functionsRva = u32(E.AddressOfFunctions, 'AddressOfFunctions');
  const namesRva = u32(E.AddressOfNames, 'AddressOfNames');
  const ordinalsRva = u32(E.AddressOfNameOrdinals, 'AddressOfNameOrdinals');
  const sizeOfImage = img.headers.optionalHeader.sizeOfImage;
  // A table must fit in the mapped image and its bytes must come from the file (a huge count over
  // zero-filled memory would otherwise drive an unbounded loop and allocation).
  const bound = (count: number, width: number, table: number, field: string) => {
    if (count === 0) return;
    const bytes = count * width;
    if (bytes > img.reader.length || bytes > sizeOfImage || !img.isMapped(rva(table), bytes)) {
      throw img.reader.error(
        img.rvaToOffset(rva(at + E.NumberOfFunctions)) ?? -1,
        S,
        field,
        `${count} entries of ${width} bytes at RVA 0x${table.toString(16)} do not fit in the mapped image and the file`,
      );
    }
  };
  bound(numberOfFunctions, 4, functionsRva, 'NumberOfFunctions');
  bound(numberOfNames, 4, namesRva, 'NumberOfNames');
  bound(numberOfNames, 2, ordinalsRva, 'NumberOfNames');

  const text = new NameTable(img, MAX_EXPORT_NAME);
  const dllName = nameRva === 0 ? '' : text.read(nameRva, S, 'Name');
  // Tables wholly in the file (every real one) are read at their file offsets, where a read cannot
  // fail; others (partly zero fill) element by element through the image's mapping.
  const r = img.reader;
  const functions = new Uint32Array(numberOfFunctions);
  const functionsAt = img.fileRange(rva(functionsRva), 4 * numberOfFunctions);
  for (let i = 0; i < numberOfFunctions; i++) {
    functions[i] =
      functionsAt !== null
        ? r.u32(functionsAt + 4 * i, S, 'AddressOfFunctions')
        : img.readU32(rva(functionsRva + 4 * i), S, `AddressOfFunctions[${i}]`);
  }
  const names: string[] = new Array(numberOfNames);
  const nameIndex = new Uint16Array(numberOfNames);
  const namesAt = img.fileRange(rva(namesRva), 4 * numberOfNames);
  const ordinalsAt = img.fileRange(rva(ordinalsRva), 2 * numberOfNames);
  if (namesAt !== null) {
    const pointers = new Uint32Array(numberOfNames);
    for (let i = 0; i < numberOfNames; i++) pointers[i] = r.u32(namesAt + 4 * i, S, 'AddressOfNames');
    text.readRunOf(pointers);
  }
  for (let i = 0; i < numberOfNames; i++) {
    const p =
      namesAt !== null
        ? r.u32(namesAt + 4 * i, S, 'AddressOfNames')
        : img.readU32(rva(namesRva + 4 * i), S, `AddressOfNames[${i}]`);
    names[i] = text.read(p, S, 'AddressOfNames', i);
    nameIndex[i] =
      ordinalsAt !== null
        ? r.u16(ordinalsAt + 2 * i, S, 'AddressOfNameOrdinals')
        : img.readU16(rva(ordinalsRva + 2 * i), S, `AddressOfNameOrdinals[${i}]`);
  }

  const warnings: string[] = [];
  // Every entry's forwarder text is read now, in the entries' order (named entries in name-table
  // order, then the unnamed by index), so the first malformed one fails the parse; the entry objects
  // are built only when first asked for (resolving only looks names and ordinals up).
  const end = at + dir.size;
  const forwarders = new Map<number, Forwarder>();
  const named = new Uint8Array(numberOfFunctions);
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < (pass === 0 ? numberOfNames : numberOfFunctions); i++) {
      const index = pass === 0 ? nameIndex[i]! : i;
      if (pass === 0) {
        if (index >= numberOfFunctions) {
          warnings.push(`name "${names[i]}" refers to function index ${index}, past NumberOfFunctions`);
          continue;
        }
        named[index] = 1;
      } else if (named[index] === 1) continue;
      const f = functions[index]!;
      if (f >= at && f < end && !forwarders.has(index))
        forwarders.set(index, parseForwarder(text.read(f, S, `forwarder[${index}]`)));
    }
  }
  const target = (index: number): Omit<ExportEntry, 'name' | 'ordinal'> => {
    const fw = forwarders.get(index);
    return fw ? { rva: null, forwarder: fw } : { rva: rva(functions[index]!), forwarder: null };
  };

  let entries: ExportEntry[] | undefined;
  const listEntries = (): ExportEntry[] => {
    const list: ExportEntry[] = [];
    for (let i = 0; i < numberOfNames; i++) {
      const index = nameIndex[i]!;
      if (index < numberOfFunctions)
        list.push({ ordinal: ordinal(base + index), name: names[i]!, ...target(index) });
    }
    for (let index = 0; index < numberOfFunctions; index++) {
      if (named[index] === 0 && functions[index] !== 0) {
        list.push({ ordinal: ordinal(base + index), name: null, ...target(index) });
      }
    }
    return list.sort((a, b) => a.ordinal - b.ordinal || ((a.name ?? '') < (b.name ?? '') ? -1 : 1));
  };
  for (let i = 1; i < numberOfNames; i++) {
    if (names[i - 1]! > names[i]!) {
      warnings.push(`export names are not sorted at "${names[i]}"; NT's binary search may not find some`);
      break;
    }
  }

  const hit = (index: number): ExportTarget | ExportMiss => {
    if (index >= numberOfFunctions) return { kind: 'ordinal-out-of-range', index };
    const t = target(index);
    const ord = ordinal(base + index);
    return t.forwarder
      ? { kind: 'forwarder', index, ordinal: ord, forwarder: t.forwarder }
      : { kind: 'rva', index, ordinal: ord, rva: t.rva! };
  };

  return {
    dllName,
    base,
    numberOfFunctions,
    numberOfNames,
    timeDateStamp: u32(E.TimeDateStamp, 'TimeDateStamp'),
    get entries() {
      entries ??= listEntries();
      return entries;
    },
    warnings,
    findByName(name, hint) {
      if (hint !== undefined && hint < numberOfNames && names[hint] === name) return hit(nameIndex[hint]!);
      let lo = 0;
      let hi = numberOfNames - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const n = names[mid]!;
        if (n === name) return hit(nameIndex[mid]!);
        if (n < name) lo = mid + 1;
        else hi = mid - 1;
      }
      return { kind: 'name-not-found' };
    },
    findByOrdinal(ord) {
      // NT computes the index as a USHORT, so an ordinal below Base wraps to a large index.
      return hit((ord - base) & 0xffff);
    },
  };
}
