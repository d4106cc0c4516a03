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
  const functions = new Uint32Array(numberOfFunctions);
  for (let i = 0; i < numberOfFunctions; i++) {
    functions[i] = img.readU32(rva(functionsRva + 4 * i), S, `AddressOfFunctions[${i}]`);
  }
  const names: string[] = new Array(numberOfNames);
  const nameIndex = new Uint16Array(numberOfNames);
  for (let i = 0; i < numberOfNames; i++) {
    const p = img.readU32(rva(namesRva + 4 * i), S, `AddressOfNames[${i}]`);
    names[i] = text.read(p, S, `AddressOfNames[${i}]`);
    nameIndex[i] = img.readU16(rva(ordinalsRva + 2 * i), S, `AddressOfNameOrdinals[${i}]`);
  }

  const warnings: string[] = [];
  const forwarders = new Map<number, Forwarder>();
  const target = (index: number): Omit<ExportEntry, 'name' | 'ordinal'> => {
    const f = functions[index]!;
    if (f >= at && f < at + dir.size) {
      let fw = forwarders.get(index);
      if (!fw) {
        fw = parseForwarder(text.read(f, S, `forwarder[${index}]`));
        forwarders.set(index, fw);
      }
      return { rva: null, forwarder: fw };
    }
    return { rva: rva(f), forwarder: null };
  };

  const entries: ExportEntry[] = [];
  const named = new Set<number>();
  for (let i = 0; i < numberOfNames; i++) {
    const index = nameIndex[i]!;
    if (index >= numberOfFunctions) {
      warnings.push(`name "${names[i]}" refers to function index ${index}, past NumberOfFunctions`);
      continue;
    }
    named.add(index);
    entries.push({ ordinal: ordinal(base + index), name: names[i]!, ...target(index) });
  }
  for (let index = 0; index < numberOfFunctions; index++) {
    if (!named.has(index) && functions[index] !== 0) {
      entries.push({ ordinal: ordinal(base + index), name: null, ...target(index) });
    }
  }
  entries.sort((a, b) => a.ordinal - b.ordinal || ((a.name ?? '') < (b.name ?? '') ? -1 : 1));
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
    entries,
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
