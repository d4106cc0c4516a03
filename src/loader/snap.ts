// NT's rules for resolving one import against an exporting image (ReactOS sysldr.c MiSnapThunk,
// mirroring NT): by name, the hint then a binary search; by ordinal, (ordinal - Base) checked against
// NumberOfFunctions; forwarders followed to the module they name. Pure logic: it maps and writes nothing.
import type { ExportTable, Forwarder, ImportEntry, PeImage } from '../pe/index.js';
import { NtStatus } from './status.js';

/** User-mode DLLs a kernel-mode image may not import from (facts: "A driver importing from user-mode DLLs"). */
export const USER_MODE_DLLS: ReadonlySet<string> = new Set([
  'ntdll.dll',
  'kernel32.dll',
  'user32.dll',
  'gdi32.dll',
  'advapi32.dll',
  'winsrv.dll',
]);

/** Which loader's rules apply: the kernel's (drivers) or the user-mode loader's (Dependency Walker style). */
export type SnapMode = 'kernel' | 'user';

/** An image a lookup can resolve against, named as the loader would find it. */
export interface ExportingModule {
  /** File name as found on disk or in the loaded-module list, e.g. `NTOSKRNL.EXE`. */
  baseName: string;
  image: PeImage;
}

/** Finds a module by the name an import table or forwarder uses; undefined when it is not available. */
export type ModuleLookup = (name: string, how: 'import' | 'forwarder') => ExportingModule | undefined;

/** A resolved import: the module and RVA it finally lands on (after forwarders). */
export interface Snapped {
  ok: true;
  module: ExportingModule;
  rva: number;
  ordinal: number;
  /** Forwarders followed, in order (e.g. ["HAL.KfRaiseIrql"]). */
  via: string[];
}

/** What went wrong, as data (the status depends on the mode; the kind does not). */
export type SnapMissKind =
  | 'user-mode-dll'
  | 'no-module'
  | 'no-export-directory'
  | 'name'
  | 'ordinal'
  | 'forwarder-target'
  | 'forwarder-loop'
  | 'corrupt-export-directory';

/** A failed import, with the status NT's loader returns and the module whose exports failed. */
export interface SnapMiss {
  ok: false;
  status: number;
  kind: SnapMissKind;
  /** Why, in a few words (e.g. "name not exported", "ordinal 12 is past NumberOfFunctions (10)"). */
  reason: string;
  /** Module name where the lookup failed (the import's module, or a forwarder's target). */
  failedIn: string;
  via: string[];
}

/** Forwarder chains longer than this are treated as loops. */
export const MAX_FORWARDER_DEPTH = 16;

const lower = (s: string) => s.toLowerCase();

/**
 * Resolves `entry`, imported from the module spelled `moduleName`, under `mode`'s rules;
 * `userModeDlls` lifts the kernel's refusal of user-mode DLLs (a sandbox's synthetic kernel).
 */
export function snapImport(
  moduleName: string,
  entry: Pick<ImportEntry, 'name' | 'ordinal' | 'hint'>,
  lookup: ModuleLookup,
  mode: SnapMode,
  userModeDlls = false,
): Snapped | SnapMiss {
  const notFound = mode === 'kernel' ? NtStatus.DRIVER_ENTRYPOINT_NOT_FOUND : NtStatus.ENTRYPOINT_NOT_FOUND;
  const ordinalNotFound = mode === 'kernel' ? NtStatus.DRIVER_ORDINAL_NOT_FOUND : NtStatus.ORDINAL_NOT_FOUND;
  const via: string[] = [];
  const miss = (status: number, kind: SnapMissKind, reason: string, failedIn: string): SnapMiss => ({
    ok: false,
    status,
    kind,
    reason,
    failedIn,
    via: [...via],
  });

  if (mode === 'kernel' && !userModeDlls && USER_MODE_DLLS.has(lower(moduleName))) {
    return miss(
      NtStatus.PROCEDURE_NOT_FOUND,
      'user-mode-dll',
      'kernel-mode images cannot import from user-mode DLLs',
      moduleName,
    );
  }
  let module = lookup(moduleName, 'import');
  if (!module) {
    const status = mode === 'kernel' ? NtStatus.OBJECT_NAME_NOT_FOUND : NtStatus.DLL_NOT_FOUND;
    return miss(status, 'no-module', 'module not found', moduleName);
  }
  let want: { name: string | null; ordinal: number | null; hint: number | null } = entry;
  for (;;) {
    const exports: ExportTable | null = module.image.exports();
    if (!exports)
      return miss(notFound, 'no-export-directory', 'module has no export directory', module.baseName);
    const found =
      want.name !== null
        ? exports.findByName(want.name, want.hint ?? undefined)
        : exports.findByOrdinal(want.ordinal ?? 0);
    if (found.kind === 'name-not-found') return miss(notFound, 'name', 'name not exported', module.baseName);
    if (found.kind === 'ordinal-out-of-range') {
      return miss(
        ordinalNotFound,
        'ordinal',
        want.ordinal !== null
          ? `ordinal ${want.ordinal} is outside ${exports.base}..${exports.base + exports.numberOfFunctions - 1}`
          : `name maps to function index ${found.index}, past NumberOfFunctions (${exports.numberOfFunctions})`,
        module.baseName,
      );
    }
    if (found.kind === 'rva') return { ok: true, module, rva: found.rva, ordinal: found.ordinal, via };
    const fw: Forwarder = found.forwarder;
    via.push(fw.text);
    if (via.length > MAX_FORWARDER_DEPTH)
      return miss(notFound, 'forwarder-loop', 'forwarder chain loops', module.baseName);
    const target = lookup(fw.module, 'forwarder');
    if (!target)
      return miss(notFound, 'forwarder-target', `forwarder target module ${fw.module} not found`, fw.module);
    module = target;
    want = { name: fw.name, ordinal: fw.ordinal, hint: null };
  }
}

/**
 * How the kernel matches a forwarder's module part against loaded modules: "HAL" matches a module
 * whose base name starts with "HAL." (MiSnapThunk compares the forwarder's "MODULE." prefix).
 */
export function forwarderMatches(forwarderModule: string, baseName: string): boolean {
  return lower(baseName).startsWith(`${lower(forwarderModule)}.`);
}
