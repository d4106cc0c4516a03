// The `resolve` report: static, Dependency-Walker-style import resolution over a set of images, with
// the NT loader's statuses for every miss (src/loader/snap.ts holds the rules). Images given as files
// are read range by range and released once their tables are parsed: the headers and imports when
// the image is read, the exports when an import first looks them up.
import { basename } from 'node:path';
import {
  type ExportingModule,
  formatStatus,
  forwarderMatches,
  NtStatus,
  type SnapMode,
  snapFailureMessage,
  snapImport,
  statusName,
} from '../loader/index.js';
import {
  IMAGE_FILE_UP_SYSTEM_ONLY,
  type MalformedPeDetails,
  MalformedPeError,
  machineName,
  PeImage,
  type RangeSource,
} from '../pe/index.js';

/**
 * One image given to `resolve`: its path and either its bytes or a way to open it for positional
 * reads (then only the headers, the export and import tables are read, and the file is closed as soon
 * as each is parsed: `open` is called again for the exports). Reading files is the caller's job.
 */
export type ResolveInput = { path: string; bytes: Uint8Array } | { path: string; open: () => RangeSource };

export interface ResolveMiss {
  /** Path of the importing image as given. */
  image: string;
  /** The importer as NT names it (`\SystemRoot\System32\drivers\srv.sys`) when it sits in a system root. */
  ntPath: string | null;
  /** Module as the import table spells it. */
  module: string;
  name: string | null;
  ordinal: number | null;
  hint: number | null;
  status: string;
  statusName: string;
  reason: string;
  /** Module where the lookup failed (differs from `module` after forwarders). */
  failedIn: string;
  /** Forwarders followed before the failure. */
  via: string[];
  /** NT's message for this failure, caption separate (kernel mode: the System process's popup). */
  caption: string | null;
  message: string;
}

/**
 * An image NT's loader would refuse before looking at its imports, with STATUS_INVALID_IMAGE_FORMAT:
 * a section whose raw data runs past the end of the file (NT maps image sections from the file and
 * rejects an image whose headers promise data the file does not hold), or a machine type other than
 * the set's (an i386 kernel maps only i386 images; MiCreateImageFileMap in NT's mm\creasect.c).
 * ReactOS answers some of these cases with other statuses (STATUS_INVALID_IMAGE_PROTECT in
 * MmLoadSystemImage for a foreign machine); nt351 gives the status the NT 3.51 loader reported.
 */
export interface ResolveRefusal {
  file: string;
  ntPath: string | null;
  machine: string;
  status: string;
  statusName: string;
  reason: string;
}

/** Options of resolveImages. */
export interface ResolveOptions {
  /** Called after each image is parsed and checked (progress for large folders). */
  onProgress?: (done: number, total: number) => void;
}

export interface ResolveReport {
  mode: SnapMode;
  images: {
    file: string;
    ntPath: string | null;
    machine: string;
    imports: number;
    resolved: number;
    missing: number;
  }[];
  missing: ResolveMiss[];
  /** Images NT's loader would refuse (STATUS_INVALID_IMAGE_FORMAT); they are neither resolved nor counted in `images`. */
  refused: ResolveRefusal[];
  /** Inputs that are not valid images (file, offset, structure, field, reason). */
  errors: MalformedPeDetails[];
  warnings: string[];
  summary: {
    images: number;
    imports: number;
    resolved: number;
    missing: number;
    refused: number;
    errors: number;
  };
}

/** Why NT's loader would refuse `image` (`length` bytes), or null: raw data past the end, a foreign machine. */
function refusalOf(image: PeImage, length: number, setMachine: number | null): string | null {
  for (const [i, s] of image.sections.entries()) {
    if (s.sizeOfRawData > 0 && s.pointerToRawData + s.sizeOfRawData > length)
      return `section ${i} (${s.name}): raw data 0x${s.pointerToRawData.toString(16)}+0x${s.sizeOfRawData.toString(16)} runs past the end of the file (0x${length.toString(16)} bytes)`;
  }
  const h = image.headers.fileHeader;
  if (setMachine !== null && h.machine !== setMachine)
    return `machine ${h.machineName}, but the set's images are ${machineName(setMachine)}`;
  return null;
}

/**
 * Parses `image`'s imports and releases its file. PeImage keeps the result, or the MalformedPeError
 * the parse threw, for the resolving pass to meet in its own order. An image whose raw data runs past
 * the end of the file is refused whatever the set, so its imports are never read.
 */
function readImports(image: PeImage): void {
  try {
    if (refusalOf(image, image.reader.length, null) === null) image.imports();
  } catch (e) {
    if (!(e instanceof MalformedPeError)) throw e;
  } finally {
    image.release();
  }
}

/** Parses `image`'s exports (kept like the imports) when a lookup first finds it, and releases the file. */
function readExports(image: PeImage): void {
  try {
    image.exports();
  } catch (e) {
    if (!(e instanceof MalformedPeError)) throw e;
  } finally {
    image.release();
  }
}

/** The set's machine: the one most of its images are built for (the first seen on a tie). */
function setMachineOf(images: readonly { image: PeImage }[]): number | null {
  const counts = new Map<number, number>();
  for (const m of images) {
    const k = m.image.headers.fileHeader.machine;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  let best: number | null = null;
  for (const [k, n] of counts) if (best === null || n > counts.get(best)!) best = k;
  return best;
}

/**
 * NT's name for an image inside a system root: `\SystemRoot\` then the path from `System32` on.
 * Model: NT names a driver by its service's ImagePath, which NT 3.51 Setup wrote as
 * `\SystemRoot\System32\drivers\<name>` in lower case; we derive the same spelling from the disk path.
 */
export function ntPathOf(path: string): string | null {
  const parts = path.split(/[\\/]+/);
  const at = parts.findIndex((p) => p.toLowerCase() === 'system32');
  if (at < 0) return null;
  const rest = parts
    .slice(at + 1)
    .map((p, i, all) => (i === all.length - 1 || p.toLowerCase() === 'drivers' ? p.toLowerCase() : p));
  return ['\\SystemRoot', 'System32', ...rest].join('\\');
}

/** Lower rank is searched first: System32 before System32\drivers, as NT looks dependencies up. */
function searchRank(path: string): number {
  const parts = path.toLowerCase().split(/[\\/]+/);
  const dir = parts[parts.length - 2];
  return dir === 'system32' ? 0 : dir === 'drivers' ? 1 : 2;
}

/**
 * Resolves every import of `inputs` against their exports with NT's snap rules in `mode`. Long because
 * it is one pass in the loader's order (index exports, pick each import's target, snap, collect the
 * miss with its status and message) over shared indexes; its parts have no meaning on their own.
 */
export function resolveImages(
  inputs: readonly ResolveInput[],
  mode: SnapMode,
  opts: ResolveOptions = {},
): ResolveReport {
  const errors: MalformedPeDetails[] = [];
  const warnings: string[] = [];
  const parsed: (ExportingModule & { path: string; length: number })[] = [];
  for (const [i, input] of inputs.entries()) {
    try {
      const image =
        'bytes' in input ? PeImage.parse(input.bytes, input.path) : PeImage.open(input.open, input.path);
      parsed.push({ path: input.path, baseName: basename(input.path), image, length: image.reader.length });
      readImports(image);
    } catch (e) {
      if (!(e instanceof MalformedPeError)) throw e;
      errors.push(e.toJSON());
    }
    opts.onProgress?.(i + 1, inputs.length);
  }
  const setMachine = parsed.length > 1 ? setMachineOf(parsed) : null;
  const refused: ResolveRefusal[] = [];
  const modules = parsed.filter((m) => {
    const reason = refusalOf(m.image, m.length, setMachine);
    if (reason === null) return true;
    refused.push({
      file: m.path,
      ntPath: ntPathOf(m.path),
      machine: m.image.headers.fileHeader.machineName,
      status: formatStatus(NtStatus.INVALID_IMAGE_FORMAT),
      statusName: statusName(NtStatus.INVALID_IMAGE_FORMAT),
      reason,
    });
    return false;
  });

  const byName = new Map<string, (typeof modules)[number]>();
  for (const m of [...modules].sort(
    (a, b) => searchRank(a.path) - searchRank(b.path) || (a.path < b.path ? -1 : 1),
  )) {
    const key = m.baseName.toLowerCase();
    const first = byName.get(key);
    if (first) warnings.push(`${m.path}: another image named ${m.baseName} (${first.path}) is found first`);
    else byName.set(key, m);
  }
  // A forwarder names a module without its extension: the first module (in search order) whose name
  // matches, remembered per name (API-set DLLs forward thousands of entries to a few modules).
  const forwarderTargets = new Map<string, (typeof modules)[number] | undefined>();
  const exportsRead = new Set<PeImage>();
  const withExports = (m: (typeof modules)[number] | undefined) => {
    if (m && !exportsRead.has(m.image)) {
      exportsRead.add(m.image);
      readExports(m.image);
    }
    return m;
  };
  const lookup = (name: string, how: 'import' | 'forwarder') => {
    if (how === 'import') return withExports(byName.get(name.toLowerCase()));
    const key = name.toLowerCase();
    if (forwarderTargets.has(key)) return withExports(forwarderTargets.get(key));
    let found: (typeof modules)[number] | undefined;
    for (const [, m] of byName) {
      if (forwarderMatches(name, m.baseName)) {
        found = m;
        break;
      }
    }
    forwarderTargets.set(key, found);
    return withExports(found);
  };

  // An image built for UP only is refused by a multiprocessor kernel (MmLoadSystemImage, 0xC0000249).
  const kernel = byName.get('ntoskrnl.exe');
  const mpKernel =
    mode === 'kernel' &&
    kernel !== undefined &&
    (kernel.image.headers.fileHeader.characteristics & IMAGE_FILE_UP_SYSTEM_ONLY) === 0;

  const missing: ResolveMiss[] = [];
  const images: ResolveReport['images'] = [];
  for (const m of modules) {
    const ntPath = ntPathOf(m.path);
    const shown = ntPath ?? m.path;
    let imports = 0;
    let resolved = 0;
    const before = missing.length;
    const fail = (
      miss: Omit<ResolveMiss, 'image' | 'ntPath' | 'caption' | 'message' | 'status' | 'statusName'>,
      code: number,
    ) => {
      // NT's message is rendered when first read: the summary shows few of thousands of misses.
      let msg: ReturnType<typeof snapFailureMessage> | undefined;
      const text = () => (msg ??= snapFailureMessage(code, shown, miss.module, miss));
      missing.push({
        image: m.path,
        ntPath,
        ...miss,
        status: formatStatus(code),
        statusName: statusName(code),
        get caption() {
          return text().caption;
        },
        get message() {
          return text().text;
        },
      });
    };
    try {
      if (
        mpKernel &&
        m !== kernel &&
        (m.image.headers.fileHeader.characteristics & IMAGE_FILE_UP_SYSTEM_ONLY) !== 0
      ) {
        fail(
          {
            module: kernel!.baseName,
            name: null,
            ordinal: null,
            hint: null,
            reason: 'UP-only image on a multiprocessor kernel',
            failedIn: kernel!.baseName,
            via: [],
          },
          NtStatus.IMAGE_MP_UP_MISMATCH,
        );
      }
      for (const imp of m.image.imports()) {
        for (const e of imp.entries) {
          imports++;
          const r = snapImport(imp.dll, e, lookup, mode);
          if (r.ok) resolved++;
          else
            fail(
              {
                module: imp.dll,
                name: e.name,
                ordinal: e.ordinal,
                hint: e.hint,
                reason: r.reason,
                failedIn: r.failedIn,
                via: r.via,
              },
              r.status,
            );
        }
      }
    } catch (e) {
      if (!(e instanceof MalformedPeError)) throw e;
      errors.push(e.toJSON());
    }
    images.push({
      file: m.path,
      ntPath,
      machine: m.image.headers.fileHeader.machineName,
      imports,
      resolved,
      missing: missing.length - before,
    });
  }
  const imports = images.reduce((n, i) => n + i.imports, 0);
  return {
    mode,
    images,
    missing,
    refused,
    errors,
    warnings,
    summary: {
      images: images.length,
      imports,
      resolved: images.reduce((n, i) => n + i.resolved, 0),
      missing: missing.length,
      refused: refused.length,
      errors: errors.length,
    },
  };
}
