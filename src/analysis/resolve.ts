// The `resolve` report: static, Dependency-Walker-style import resolution over a set of images, with
// the NT loader's statuses for every miss (src/loader/snap.ts holds the rules).
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
  PeImage,
} from '../pe/index.js';

/** One image given to `resolve`: its path and bytes (reading files is the caller's job). */
export interface ResolveInput {
  path: string;
  bytes: Uint8Array;
}

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
  /** Inputs that are not valid images (file, offset, structure, field, reason). */
  errors: MalformedPeDetails[];
  warnings: string[];
  summary: { images: number; imports: number; resolved: number; missing: number; errors: number };
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
export function resolveImages(inputs: readonly ResolveInput[], mode: SnapMode): ResolveReport {
  const errors: MalformedPeDetails[] = [];
  const warnings: string[] = [];
  const modules: (ExportingModule & { path: string })[] = [];
  for (const input of inputs) {
    try {
      modules.push({
        path: input.path,
        baseName: basename(input.path),
        image: PeImage.parse(input.bytes, input.path),
      });
    } catch (e) {
      if (!(e instanceof MalformedPeError)) throw e;
      errors.push(e.toJSON());
    }
  }

  const byName = new Map<string, (typeof modules)[number]>();
  for (const m of [...modules].sort(
    (a, b) => searchRank(a.path) - searchRank(b.path) || (a.path < b.path ? -1 : 1),
  )) {
    const key = m.baseName.toLowerCase();
    const first = byName.get(key);
    if (first) warnings.push(`${m.path}: another image named ${m.baseName} (${first.path}) is found first`);
    else byName.set(key, m);
  }
  const lookup = (name: string, how: 'import' | 'forwarder') => {
    if (how === 'import') return byName.get(name.toLowerCase());
    for (const [, m] of byName) if (forwarderMatches(name, m.baseName)) return m;
    return undefined;
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
      const msg = snapFailureMessage(code, shown, miss.module, miss);
      missing.push({
        image: m.path,
        ntPath,
        ...miss,
        status: formatStatus(code),
        statusName: statusName(code),
        caption: msg.caption,
        message: msg.text,
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
    errors,
    warnings,
    summary: {
      images: images.length,
      imports,
      resolved: images.reduce((n, i) => n + i.resolved, 0),
      missing: missing.length,
      errors: errors.length,
    },
  };
}
