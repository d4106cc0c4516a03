// Interprets the import directory (per module: thunks by name with hint, or by ordinal; lookup table
// and IAT) and the bound-import directory.
import { MalformedPeError } from './errors.js';
import type { DataDirectory } from './headers.js';
import type { PeImage } from './image.js';
import {
  IMAGE_BOUND_IMPORT_DESCRIPTOR as B,
  IMAGE_IMPORT_DESCRIPTOR as D,
  IMAGE_IMPORT_BY_NAME,
  IMAGE_ORDINAL_FLAG32,
  IMAGE_ORDINAL_FLAG64,
} from './layout.js';
import { NameTable } from './names.js';
import { type Rva, rva } from './types.js';

const S = 'IMAGE_IMPORT_DESCRIPTOR';
const T = 'IMAGE_THUNK_DATA';
/** Longest module or function name accepted in an import table. */
export const MAX_IMPORT_NAME = 4096;
/**
 * Most thunks read across all descriptors of one image. Real drivers import hundreds; the cap stops
 * hostile tables (many descriptors sharing one huge thunk array) from costing quadratic time.
 */
export const MAX_IMPORT_THUNKS = 1_000_000;

/**
 * The thunk cap for one image: also no more thunks than the file has thunk-sized words, since each
 * non-zero thunk of a real table is its own file bytes (only descriptors sharing a thunk array, which
 * no linker emits, read more), so the entries stay proportional to the input.
 */
export const importThunkLimit = (fileLength: number, is64: boolean): number =>
  Math.min(MAX_IMPORT_THUNKS, Math.floor(fileLength / (is64 ? 8 : 4)));

export interface ImportEntry {
  /** Null when imported by ordinal. */
  name: string | null;
  /** Null when imported by name. */
  ordinal: number | null;
  /** The hint (an index into the exporter's name table), null for ordinal imports. */
  hint: number | null;
  /** RVA of this entry's IAT slot, which the loader overwrites with the resolved address. */
  iatRva: Rva;
  /** RVA of the lookup-table slot the entry was read from. */
  thunkRva: Rva;
}

export interface ImportModule {
  /** Module name as the import table spells it (e.g. `NTOSKRNL.EXE`). */
  dll: string;
  descriptorRva: Rva;
  originalFirstThunk: Rva;
  firstThunk: Rva;
  timeDateStamp: number;
  forwarderChain: number;
  /** True when names were read from the IAT because OriginalFirstThunk is 0 (old linkers). */
  fromIat: boolean;
  entries: ImportEntry[];
}

export interface BoundImport {
  dll: string;
  timeDateStamp: number;
  forwarderRefs: { dll: string; timeDateStamp: number }[];
}

export function parseImports(img: PeImage, dir: DataDirectory | null): ImportModule[] {
  if (!dir) return [];
  const modules: ImportModule[] = [];
  const limit = importThunkLimit(img.reader.length, img.is64);
  const budget = { limit, thunks: limit, names: new NameTable(img, MAX_IMPORT_NAME) };
  const sizeOfImage = img.headers.optionalHeader.sizeOfImage;
  // The table ends with an all-zero descriptor. NT does not trust Size, so neither do we, but a table
  // cannot be longer than the image.
  for (let at = dir.rva as number; ; at += D.size) {
    if (at + D.size > sizeOfImage) {
      throw img.reader.error(-1, S, 'Name', 'import descriptor table has no terminating null descriptor');
    }
    const field = (off: number, name: string) => img.readU32(rva(at + off), S, name);
    const nameRva = field(D.Name, 'Name');
    const firstThunk = field(D.FirstThunk, 'FirstThunk');
    const originalFirstThunk = field(D.OriginalFirstThunk, 'OriginalFirstThunk');
    if (nameRva === 0 && firstThunk === 0) break;
    const timeDateStamp = field(D.TimeDateStamp, 'TimeDateStamp');
    const dll = budget.names.read(nameRva, S, 'Name');
    const fromIat = originalFirstThunk === 0;
    const lookup = fromIat ? firstThunk : originalFirstThunk;
    modules.push({
      dll,
      descriptorRva: rva(at),
      originalFirstThunk: rva(originalFirstThunk),
      firstThunk: rva(firstThunk),
      timeDateStamp,
      forwarderChain: field(D.ForwarderChain, 'ForwarderChain'),
      fromIat,
      entries: parseThunks(img, dll, lookup, firstThunk, budget),
    });
  }
  return modules;
}

function parseThunks(
  img: PeImage,
  dll: string,
  lookup: number,
  iat: number,
  budget: { limit: number; thunks: number; names: NameTable },
): ImportEntry[] {
  const entries: ImportEntry[] = [];
  const width = img.is64 ? 8 : 4;
  // Errors name the thunk (`KERNEL32.dll[3]`, `….Hint`, `….Name`); the names are built only for an
  // error, as a table has thousands of thunks.
  const fields = ['', '.Hint', '.Name'];
  let stage = 0;
  let i = 0;
  try {
    for (; ; i++) {
      stage = 0;
      if (--budget.thunks < 0) {
        throw img.reader.error(
          -1,
          T,
          `${dll}[${i}]`,
          `more than ${budget.limit} import thunks in the image (the cap for a file of this size)`,
        );
      }
      const thunkRva = rva(lookup + i * width);
      const iatRva = rva(iat + i * width);
      let byOrdinal: boolean;
      let value: number;
      if (width === 8) {
        const v = img.readU64(thunkRva, T, 'thunk');
        if (v === 0n) break;
        byOrdinal = (v & IMAGE_ORDINAL_FLAG64) !== 0n;
        value = Number(byOrdinal ? v & 0xffffn : v & 0x7fffffffn);
      } else {
        const v = img.readU32(thunkRva, T, 'thunk');
        if (v === 0) break;
        byOrdinal = (v & IMAGE_ORDINAL_FLAG32) !== 0;
        value = byOrdinal ? v & 0xffff : v;
      }
      if (byOrdinal) {
        entries.push({ name: null, ordinal: value, hint: null, iatRva, thunkRva });
      } else {
        stage = 1;
        const hint = img.readU16(rva(value + IMAGE_IMPORT_BY_NAME.Hint), 'IMAGE_IMPORT_BY_NAME', 'Hint');
        stage = 2;
        const name = budget.names.read(value + IMAGE_IMPORT_BY_NAME.Name, 'IMAGE_IMPORT_BY_NAME', 'Name');
        entries.push({ name, ordinal: null, hint, iatRva, thunkRva });
      }
    }
  } catch (e) {
    // The thunk cap's error already names its thunk.
    if (!(e instanceof MalformedPeError) || (stage === 0 && e.field !== 'thunk')) throw e;
    throw new MalformedPeError({ ...e.toJSON(), field: `${dll}[${i}]${fields[stage]}` });
  }
  return entries;
}

/** The bound-import directory lives in the headers and its name offsets are relative to its start. */
export function parseBoundImports(img: PeImage, dir: DataDirectory | null): BoundImport[] {
  if (!dir) return [];
  const r = img.reader;
  const start = img.rvaToOffset(dir.rva);
  if (start === null) {
    throw r.error(-1, 'IMAGE_BOUND_IMPORT_DESCRIPTOR', 'VirtualAddress', 'not backed by the file');
  }
  const result: BoundImport[] = [];
  const name = (off: number) =>
    r.cstring(start + off, MAX_IMPORT_NAME, 'IMAGE_BOUND_IMPORT_DESCRIPTOR', 'OffsetModuleName');
  let at: number = start;
  const end = start + dir.size;
  while (at + B.size <= end) {
    const stamp = r.u32(at + B.TimeDateStamp, 'IMAGE_BOUND_IMPORT_DESCRIPTOR', 'TimeDateStamp');
    const nameOff = r.u16(at + B.OffsetModuleName, 'IMAGE_BOUND_IMPORT_DESCRIPTOR', 'OffsetModuleName');
    const refs = r.u16(
      at + B.NumberOfModuleForwarderRefs,
      'IMAGE_BOUND_IMPORT_DESCRIPTOR',
      'NumberOfModuleForwarderRefs',
    );
    if (stamp === 0 && nameOff === 0) break;
    const forwarderRefs: BoundImport['forwarderRefs'] = [];
    for (let i = 1; i <= refs; i++) {
      const ref = at + i * B.size;
      if (ref + B.size > end) {
        throw r.error(
          ref,
          'IMAGE_BOUND_FORWARDER_REF',
          'TimeDateStamp',
          'forwarder reference past the directory',
        );
      }
      forwarderRefs.push({
        dll: name(r.u16(ref + B.OffsetModuleName, 'IMAGE_BOUND_FORWARDER_REF', 'OffsetModuleName')),
        timeDateStamp: r.u32(ref + B.TimeDateStamp, 'IMAGE_BOUND_FORWARDER_REF', 'TimeDateStamp'),
      });
    }
    result.push({ dll: name(nameOff), timeDateStamp: stamp, forwarderRefs });
    at += (refs + 1) * B.size;
  }
  return result;
}
