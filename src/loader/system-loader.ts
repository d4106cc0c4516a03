// The NT system-image loader: the OS loader's boot images and MmLoadSystemImage's drivers. Maps and
// relocates each image into the kernel address space, loads its dependencies (System32, then
// System32\drivers), snaps every import with NT's rules and keeps the loaded-module list in load order.
// Guest problems are results (LoadFailure), not exceptions.

import {
  applyRelocations,
  IMAGE_FILE_UP_SYSTEM_ONLY,
  type ImportEntry,
  layout,
  MalformedPeError,
  type PeImage,
} from '../pe/index.js';
import { HAL_BASE, KERNEL_BASE, KernelAddressSpace } from './address-space.js';
import { parseCached } from './image-cache.js';
import { AMD64_SYSTEM_WINDOW, guestVa, machineMismatch } from './machine.js';
import { type MappedImage, mapImage } from './map.js';
import {
  type KeptResolution,
  keepSnapped,
  type ResolutionLookup,
  sameNumbers,
  snappedAt,
  writeSlots,
} from './mapped-cache.js';
import { initSecurityCookie, type SecurityCookieResult } from './security-cookie.js';
import { type ExportingModule, forwarderMatches, snapImport } from './snap.js';
import { NtStatus, snapFailureMessage, statusName } from './status.js';

/** A file the loader can read, with the name NT reports it by. */
export interface ModuleFile {
  /** File name, e.g. `SRV.SYS`. */
  baseName: string;
  /** NT path, e.g. `\SystemRoot\System32\drivers\srv.sys`. */
  ntPath: string;
  bytes: Uint8Array;
}

/** Where the loader finds dependencies by the name an import table uses. */
export interface ModuleSource {
  /** Looks `name` up in System32, then System32\drivers (case-insensitive); null when absent. */
  findDependency(name: string): ModuleFile | null;
}

/** One import slot the loader filled. */
export interface SnappedImport {
  module: string;
  name: string | null;
  ordinal: number | null;
  /** Guest address of the IAT slot. */
  iatVa: number;
  /** Guest address written into the slot. */
  targetVa: number;
  /** Module that finally exports it (after forwarders). */
  targetModule: string;
  via: string[];
}

export interface LoadedModule extends ExportingModule {
  ntPath: string;
  base: number;
  size: number;
  /**
   * The image as mapped, relocated and snapped. Its bytes may be shared with other loads of the same
   * image at the same base that snapped the same addresses (src/loader/mapped-cache.ts): read-only.
   */
  mapped: MappedImage;
  /** Guest address of the entry point (DriverEntry, KiSystemStartup, …); null when AddressOfEntryPoint is 0. */
  entryPoint: number | null;
  /** Base minus the preferred base (0 when loaded where it was linked). */
  relocationDelta: number;
  /** Guest address of an exported DllInitialize, which NT calls for a dependency it loads. */
  dllInitialize: number | null;
  imports: SnappedImport[];
  /** Who caused the load: 'boot' (OS loader), 'driver', or the importing module's name. */
  loadedBy: string;
  /** What the loader did with the image's /GS cookie; absent when it does not set cookies (NT 3.51). */
  securityCookie?: SecurityCookieResult;
}

/** One unresolved import, with NT's status and the popup text NT shows for it. */
export interface ImportMiss {
  image: string;
  module: string;
  name: string | null;
  ordinal: number | null;
  status: number;
  statusName: string;
  reason: string;
  failedIn: string;
  via: string[];
  caption: string | null;
  message: string;
}

export interface LoadFailure {
  ok: false;
  /** The status NT's loader returns (the first failure, as NT stops there). */
  status: number;
  statusName: string;
  ntPath: string;
  reason: string;
  /** Every unresolved import of the image and its dependencies, not just the first. */
  misses: ImportMiss[];
}

export interface LoadSuccess {
  ok: true;
  module: LoadedModule;
  /** Dependencies loaded for it, in load order (their DllInitialize is due). */
  dependencies: LoadedModule[];
}

export type LoadResult = LoadSuccess | LoadFailure;

/** Images larger than this are refused (STATUS_INVALID_IMAGE_FORMAT) rather than mapped. */
export const MAX_IMAGE_SIZE = 64 * 1024 * 1024;

export interface SystemLoaderOptions {
  space?: KernelAddressSpace;
  /**
   * Refuse images marked IMAGE_FILE_UP_SYSTEM_ONLY with 0xC0000249. NT's MmVerifyImageIsOkForMpUse
   * refuses them when more than one processor runs; callers pass that condition.
   */
  refuseUpOnly?: boolean;
  /**
   * Set each image's /GS security cookie as a modern kernel loader does (src/loader/security-cookie.ts),
   * from `counter`, the performance counter's low part at load. Absent: NT 3.51's loader, which does not.
   */
  securityCookie?: { counter: number };
  /**
   * Snap imports from user-mode DLLs (kernel32.dll, ntdll.dll…) like any other instead of refusing
   * them with 0xC000007A: `run-driver --kernel registry`, where every import resolves to a handler or
   * a stub reported when called (Wine's own drivers import its user-mode runtime). Absent: NT's rule.
   */
  userModeDlls?: boolean;
}

export class SystemLoader {
  readonly space: KernelAddressSpace;
  private readonly refuseUpOnly: boolean;
  private readonly cookieCounter: number | null;
  private readonly userModeDlls: boolean;
  private readonly list: LoadedModule[] = [];
  /**
   * The loaded modules by lower-case base name (the first in list order for a name loaded twice) and
   * by who loaded them (list order): looking them up by walking the list made loading N drivers N^2
   * (issue 19). Kept in step with `list` by add and unload, the only places it changes.
   */
  private readonly byName = new Map<string, LoadedModule>();
  private readonly byLoader = new Map<string, LoadedModule[]>();
  /** Mappings this loader made and has not handed to mapped-cache.ts yet: its own to write into. */
  private readonly ownBytes = new WeakSet<MappedImage>();

  constructor(opts: SystemLoaderOptions = {}) {
    this.space = opts.space ?? new KernelAddressSpace();
    this.refuseUpOnly = opts.refuseUpOnly ?? false;
    this.cookieCounter = opts.securityCookie?.counter ?? null;
    this.userModeDlls = opts.userModeDlls ?? false;
  }

  /** PsLoadedModuleList order. */
  get modules(): readonly LoadedModule[] {
    return this.list;
  }

  find(baseName: string): LoadedModule | undefined {
    return this.byName.get(baseName.toLowerCase());
  }

  /** The loaded modules whose `loadedBy` is `name` (the dependencies a module pulled in), in list order. */
  loadedBy(name: string): LoadedModule[] {
    return this.byLoader.get(name)?.slice() ?? [];
  }

  private add(module: LoadedModule): void {
    this.list.push(module);
    const key = module.baseName.toLowerCase();
    if (!this.byName.has(key)) this.byName.set(key, module);
    const siblings = this.byLoader.get(module.loadedBy);
    if (siblings) siblings.push(module);
    else this.byLoader.set(module.loadedBy, [module]);
  }

  /**
   * The OS loader's path (NTLDR/OSLOADER): maps every boot image first (the kernel at 0x80100000, the
   * HAL at 0x80400000, boot drivers after them), then snaps their imports, so the kernel and the HAL
   * can import from each other. Any failure stops the boot, as NTLDR did.
   */
  loadBootImages(
    images: { file: ModuleFile; role: 'kernel' | 'hal' | 'driver' }[],
    source: ModuleSource,
  ): LoadResult[] {
    const prepared: LoadedModule[] = [];
    for (const { file, role } of images) {
      const preferred = role === 'kernel' ? KERNEL_BASE : role === 'hal' ? HAL_BASE : undefined;
      const r = this.prepare(file, 'boot', preferred);
      if (!r.ok) return [r];
      prepared.push(r.module);
      this.add(r.module);
    }
    const results: LoadResult[] = [];
    for (const module of prepared) {
      const r = this.resolveImports(module, source, [module.baseName.toLowerCase()]);
      results.push(r.ok ? { ok: true, module, dependencies: r.dependencies } : r.failure);
    }
    return results;
  }

  /** One boot image (see loadBootImages). */
  loadBootImage(file: ModuleFile, source: ModuleSource, role: 'kernel' | 'hal' | 'driver'): LoadResult {
    return this.loadBootImages([{ file, role }], source)[0]!;
  }

  /** MmLoadSystemImage: loads a driver (and what it imports); an already loaded name fails with 0xC000010E. */
  loadSystemImage(file: ModuleFile, source: ModuleSource): LoadResult {
    if (this.find(file.baseName)) {
      return this.failure(
        file.ntPath,
        NtStatus.IMAGE_ALREADY_LOADED,
        `${file.baseName} is already loaded`,
        [],
      );
    }
    return this.load(file, source, 'driver', undefined, []);
  }

  private failure(ntPath: string, status: number, reason: string, misses: ImportMiss[]): LoadFailure {
    return { ok: false, status, statusName: statusName(status), ntPath, reason, misses };
  }

  private load(
    file: ModuleFile,
    source: ModuleSource,
    loadedBy: string,
    preferredOverride: number | undefined,
    loading: string[],
  ): LoadResult {
    const module = this.prepare(file, loadedBy, preferredOverride);
    if (!module.ok) return module;
    const resolved = this.resolveImports(module.module, source, [...loading, file.baseName.toLowerCase()]);
    if (!resolved.ok) {
      for (const dep of resolved.dependencies) this.unload(dep);
      this.space.release(module.module.base);
      return resolved.failure;
    }
    this.add(module.module);
    return { ok: true, module: module.module, dependencies: resolved.dependencies };
  }

  /**
   * Parses, checks, maps and relocates one image into a reserved range; imports are not snapped yet.
   * Long because it follows MmLoadSystemImage's checks in NT's order, each with its own status.
   */
  private prepare(
    file: ModuleFile,
    loadedBy: string,
    preferredOverride: number | undefined,
  ): { ok: true; module: LoadedModule } | LoadFailure {
    let image: PeImage;
    try {
      image = parseCached(file.bytes, file.ntPath);
    } catch (e) {
      if (!(e instanceof MalformedPeError)) throw e;
      return this.failure(file.ntPath, NtStatus.INVALID_IMAGE_FORMAT, e.message, []);
    }
    const { fileHeader, optionalHeader } = image.headers;
    if (optionalHeader.sizeOfImage === 0 || optionalHeader.sizeOfImage > MAX_IMAGE_SIZE) {
      return this.failure(
        file.ntPath,
        NtStatus.INVALID_IMAGE_FORMAT,
        `SizeOfImage 0x${optionalHeader.sizeOfImage.toString(16)} is not loadable`,
        [],
      );
    }
    // The first module is the kernel; everything loaded after it must be built for its processor.
    const kernel = this.list[0];
    const foreign = kernel
      ? machineMismatch(fileHeader.machine, kernel.image.headers.fileHeader.machine)
      : null;
    if (foreign) return this.failure(file.ntPath, NtStatus.INVALID_IMAGE_FORMAT, foreign, []);
    if (this.refuseUpOnly && (fileHeader.characteristics & IMAGE_FILE_UP_SYSTEM_ONLY) !== 0) {
      const kernelName = this.list[0]?.baseName ?? 'NTOSKRNL.EXE';
      const msg = snapFailureMessage(NtStatus.IMAGE_MP_UP_MISMATCH, file.ntPath, kernelName, {
        name: null,
        ordinal: null,
      });
      return this.failure(file.ntPath, NtStatus.IMAGE_MP_UP_MISMATCH, msg.text, []);
    }

    // PE32+: a preferred base in the AMD64 system window is its offset there; others are relocated.
    const preferred =
      preferredOverride ??
      (image.is64 ? amd64Preferred(optionalHeader.imageBase) : Number(optionalHeader.imageBase));
    const reservation = this.space.reserve(optionalHeader.sizeOfImage, file.baseName, preferred);
    if (!reservation) {
      return this.failure(
        file.ntPath,
        NtStatus.CONFLICTING_ADDRESSES,
        'no room in the kernel address space',
        [],
      );
    }
    const release = (r: LoadResult & { ok: false }) => {
      this.space.release(reservation.base);
      return r;
    };

    // A warm boot maps the same image at the same base again: an earlier load's bytes are taken as
    // they are (mapped-cache.ts; writeImports copies them when its IAT writes differ). A loader that
    // sets /GS cookies writes into every image: it maps each afresh.
    const kept = this.cookieCounter === null ? snappedAt(image, reservation.base) : undefined;
    let mapped: MappedImage;
    if (kept) mapped = kept.mapped;
    else {
      const fresh = this.mapAndRelocate(image, file.ntPath, reservation.base);
      if (!('bytes' in fresh)) return release(fresh);
      mapped = fresh;
      this.ownBytes.add(mapped);
    }

    const module: LoadedModule = {
      baseName: file.baseName,
      ntPath: file.ntPath,
      image,
      base: reservation.base,
      size: reservation.size,
      mapped,
      entryPoint: optionalHeader.addressOfEntryPoint
        ? reservation.base + optionalHeader.addressOfEntryPoint
        : null,
      relocationDelta: reservation.base - Number(optionalHeader.imageBase),
      dllInitialize: null,
      imports: [],
      loadedBy,
    };
    if (this.cookieCounter !== null)
      module.securityCookie = initSecurityCookie(image, mapped, reservation.base, this.cookieCounter);
    const rva = dllInitializeRva(image);
    if (rva !== null) module.dllInitialize = module.base + rva;
    return { ok: true, module };
  }

  /** `image` laid out and relocated to `base` in a new buffer, or why it cannot be (a LoadFailure). */
  private mapAndRelocate(image: PeImage, ntPath: string, base: number): MappedImage | LoadFailure {
    const { fileHeader, optionalHeader } = image.headers;
    try {
      const mapped = mapImage(image);
      const delta = guestVa(image.is64, base) - optionalHeader.imageBase;
      if (delta === 0n) return mapped;
      if ((fileHeader.characteristics & layout.IMAGE_FILE_RELOCS_STRIPPED) !== 0)
        return this.failure(
          ntPath,
          NtStatus.CONFLICTING_ADDRESSES,
          `relocations are stripped and 0x${optionalHeader.imageBase.toString(16)} is taken`,
          [],
        );
      const failures = applyRelocations(mapped.bytes, image.relocations(), delta, fileHeader.machine);
      if (failures.length === 0) return mapped;
      const f = failures[0]!;
      return this.failure(
        ntPath,
        NtStatus.INVALID_IMAGE_FORMAT,
        `relocation at RVA 0x${f.rva.toString(16)}: ${f.reason}`,
        [],
      );
    } catch (e) {
      if (!(e instanceof MalformedPeError)) throw e;
      return this.failure(ntPath, NtStatus.INVALID_IMAGE_FORMAT, e.message, []);
    }
  }

  /**
   * MiResolveImageReferences: loads missing dependencies and snaps every thunk, collecting every miss.
   * Long because it is NT's routine step for step (descriptor, dependency load, DllInitialize order, thunks).
   */
  private resolveImports(
    module: LoadedModule,
    source: ModuleSource,
    loading: string[],
  ):
    | { ok: true; dependencies: LoadedModule[] }
    | { ok: false; failure: LoadFailure; dependencies: LoadedModule[] } {
    const dependencies: LoadedModule[] = [];
    const misses: ImportMiss[] = [];
    let first: { status: number; reason: string } | null = null;
    // IAT writes, made once every thunk is snapped (snapped bytes are shared between equal loads).
    const slots: number[] = [];
    const values: number[] = [];
    // Dependencies that failed to load, by lower-case name: tried once, their misses reported once.
    const failedDeps = new Map<string, { failure: LoadFailure; reported: boolean }>();

    // What each module name first found, in the order first looked up (kept for reuseResolution).
    const found = new Map<string, ResolutionLookup | null>();
    const lookup = (name: string, how: 'import' | 'forwarder'): ExportingModule | undefined => {
      const m = lookupModule(name, how) as LoadedModule | undefined;
      const key = `${how}:${name}`;
      if (!found.has(key))
        found.set(key, m ? { name, how, image: m.image, base: m.base, baseName: m.baseName } : null);
      return m;
    };
    const lookupModule = (name: string, how: 'import' | 'forwarder'): ExportingModule | undefined => {
      if (how === 'forwarder')
        return (
          this.list.find((m) => forwarderMatches(name, m.baseName)) ??
          dependencies.find((m) => forwarderMatches(name, m.baseName))
        );
      const loaded = this.find(name);
      if (loaded) return loaded;
      // An import cycle: the module being loaded resolves against itself as mapped so far (model).
      if (loading.includes(name.toLowerCase()))
        return name.toLowerCase() === module.baseName.toLowerCase() ? module : undefined;
      if (failedDeps.has(name.toLowerCase())) return undefined;
      const file = source.findDependency(name);
      if (!file) return undefined;
      const r = this.load(file, source, module.baseName, undefined, loading);
      if (!r.ok) {
        failedDeps.set(name.toLowerCase(), { failure: r, reported: false });
        return undefined;
      }
      dependencies.push(...r.dependencies, r.module);
      return r.module;
    };

    const reused = this.reuseResolution(module, lookup);
    if (reused) {
      const { failure: f } = reused;
      return f
        ? {
            ok: false,
            failure: this.failure(module.ntPath, f.status, f.reason, f.misses.slice()),
            dependencies,
          }
        : { ok: true, dependencies };
    }
    let importModules: ReturnType<PeImage['imports']>;
    try {
      importModules = module.image.imports();
    } catch (e) {
      if (!(e instanceof MalformedPeError)) throw e;
      return {
        ok: false,
        failure: this.failure(module.ntPath, NtStatus.INVALID_IMAGE_FORMAT, e.message, []),
        dependencies,
      };
    }
    // An IAT slot outside the mapped image: the file is corrupt (NT would write over other memory).
    const slotEnd = module.mapped.bytes.length - (module.image.is64 ? 8 : 4);
    const badSlot = firstEntry(importModules, (e) => e.iatRva < 0 || e.iatRva > slotEnd);
    if (badSlot)
      return {
        ok: false,
        failure: this.failure(
          module.ntPath,
          NtStatus.INVALID_IMAGE_FORMAT,
          `import address table slot at RVA 0x${badSlot.iatRva.toString(16)} is outside the image`,
          [],
        ),
        dependencies,
      };
    for (const imp of importModules) {
      for (const entry of imp.entries) {
        const r = snapOrCorrupt(imp.dll, entry, lookup, this.userModeDlls);
        if (r.ok) {
          const target = r.module as LoadedModule;
          const targetVa = (target.base + r.rva) >>> 0;
          slots.push(entry.iatRva);
          values.push(targetVa);
          module.imports.push({
            module: imp.dll,
            name: entry.name,
            ordinal: entry.ordinal,
            iatVa: module.base + entry.iatRva,
            targetVa,
            targetModule: target.baseName,
            via: r.via,
          });
          continue;
        }
        // A dependency that failed to load fails the import with the dependency's own status and misses.
        const dep = r.failedIn === imp.dll ? failedDeps.get(imp.dll.toLowerCase()) : undefined;
        if (dep) {
          if (!dep.reported) misses.push(...dep.failure.misses);
          dep.reported = true;
          first ??= {
            status: dep.failure.status,
            reason: `dependency ${dep.failure.ntPath}: ${dep.failure.reason}`,
          };
          continue;
        }
        const msg =
          r.kind === 'corrupt-export-directory'
            ? { caption: null, text: `${module.ntPath} imports from ${imp.dll}: ${r.reason}` }
            : snapFailureMessage(r.status, module.ntPath, imp.dll, entry);
        misses.push({
          image: module.ntPath,
          module: imp.dll,
          name: entry.name,
          ordinal: entry.ordinal,
          status: r.status,
          statusName: statusName(r.status),
          reason: r.reason,
          failedIn: r.failedIn,
          via: r.via,
          caption: msg.caption,
          message: msg.text,
        });
        first ??= { status: r.status, reason: msg.text };
      }
    }
    this.writeImports(module, slots, values);
    if (failedDeps.size === 0) this.keepResolution(module, found, first && { ...first, misses });
    if (first)
      return {
        ok: false,
        failure: this.failure(module.ntPath, first.status, first.reason, misses),
        dependencies,
      };
    return { ok: true, dependencies };
  }

  /**
   * Writes the snapped IAT slots (RVAs) into `module`'s bytes. Bytes it mapped itself are written in
   * place and, without a /GS cookie, kept for later loads; bytes an earlier load kept stay shared when
   * that load wrote the same, are copied when it wrote other values into the same slots, and are mapped
   * afresh when it wrote other slots (its values there must not show through).
   */
  private writeImports(module: LoadedModule, slots: number[], values: number[]): void {
    const { image, base } = module;
    let { mapped } = module;
    if (!this.ownBytes.has(mapped)) {
      const kept = snappedAt(image, base);
      const same = kept?.mapped === mapped && sameNumbers(kept.slots, slots);
      if (same && sameNumbers(kept!.values, values)) return;
      const fresh = same
        ? { bytes: mapped.bytes.slice(), ranges: mapped.ranges }
        : this.mapAndRelocate(image, module.ntPath, base);
      // The same image was mapped at this base before without error, so it maps again.
      if (!('bytes' in fresh)) throw new Error(`${module.ntPath} no longer maps at 0x${base.toString(16)}`);
      mapped = fresh;
      module.mapped = mapped;
    }
    writeSlots(mapped.bytes, image.is64, slots, values);
    this.ownBytes.delete(mapped);
    if (this.cookieCounter === null) keepSnapped(image, base, { mapped, slots, values });
  }

  /**
   * Takes the snapped imports of an earlier load of the same image at the same base (mapped-cache.ts)
   * when this load took that load's bytes and the module names that load looked up, looked up again in
   * the same order through resolveImports' own `lookup` (which loads a missing dependency as snapping
   * would, first use first), find the same images at the same bases under the same names: snapping is a
   * pure function of those, so the entries and the IAT bytes are what snapping again would give. At the
   * first difference (a module missing, moved or replaced) it stops, and resolveImports snaps every
   * entry with the same `lookup`: up to there snapping would have looked up the same names in the same
   * order, so what the look-ups loaded is what it would have loaded. Returns the resolution taken, or null.
   */
  private reuseResolution(
    module: LoadedModule,
    lookup: (name: string, how: 'import' | 'forwarder') => ExportingModule | undefined,
  ): KeptResolution | null {
    if (this.ownBytes.has(module.mapped)) return null;
    const kept = snappedAt(module.image, module.base);
    const r = kept?.mapped === module.mapped ? kept.resolution : undefined;
    if (!r || r.userModeDlls !== this.userModeDlls) return null;
    for (const l of r.lookups) {
      const m = lookup(l.name, l.how) as LoadedModule | undefined;
      if (!m || m.image !== l.image || m.base !== l.base || m.baseName !== l.baseName) return null;
    }
    module.imports = r.imports.slice();
    return r;
  }

  /**
   * Keeps `module`'s resolution with the mapping writeImports kept, when every look-up found a module
   * (a dependency that failed to load is reported once per load: such resolutions are not kept).
   */
  private keepResolution(
    module: LoadedModule,
    found: Map<string, ResolutionLookup | null>,
    failure: KeptResolution['failure'],
  ): void {
    const kept = snappedAt(module.image, module.base);
    if (kept?.mapped !== module.mapped) return;
    const lookups: ResolutionLookup[] = [];
    for (const l of found.values()) {
      if (l === null) return;
      lookups.push(l);
    }
    const resolution: KeptResolution = {
      lookups,
      imports: module.imports.slice(),
      failure: failure && { ...failure, misses: failure.misses.slice() },
      userModeDlls: this.userModeDlls,
    };
    kept.resolution = resolution;
  }

  private unload(module: LoadedModule): void {
    const i = this.list.indexOf(module);
    if (i >= 0) {
      this.list.splice(i, 1);
      const key = module.baseName.toLowerCase();
      if (this.byName.get(key) === module) {
        this.byName.delete(key);
        const next = this.list.find((m) => m.baseName.toLowerCase() === key);
        if (next) this.byName.set(key, next);
      }
      const siblings = this.byLoader.get(module.loadedBy)!;
      siblings.splice(siblings.indexOf(module), 1);
    }
    this.space.release(module.base);
  }
}

/** Each image's exported DllInitialize RVA (null: none, or an unreadable export directory), found once. */
const dllInitializeRvas = new WeakMap<PeImage, number | null>();
function dllInitializeRva(image: PeImage): number | null {
  const kept = dllInitializeRvas.get(image);
  if (kept !== undefined) return kept;
  let rva: number | null = null;
  try {
    const exp = image.exports()?.findByName('DllInitialize');
    if (exp?.kind === 'rva') rva = exp.rva;
  } catch {
    rva = null;
  }
  dllInitializeRvas.set(image, rva);
  return rva;
}

/** A PE32+ image's preferred base as its offset in the AMD64 system window; undefined outside it. */
function amd64Preferred(imageBase: bigint): number | undefined {
  const offset = imageBase - AMD64_SYSTEM_WINDOW;
  return offset >= 0n && offset < 0x100000000n ? Number(offset) : undefined;
}

/** The first import entry of `modules` that `test` accepts, in table order. */
function firstEntry(
  modules: ReturnType<PeImage['imports']>,
  test: (e: ImportEntry) => boolean,
): ImportEntry | undefined {
  for (const imp of modules) for (const e of imp.entries) if (test(e)) return e;
  return undefined;
}

/**
 * snapImport, with an exporter whose export directory cannot be read (an RVA outside the image, a
 * table past its end) as a failed snap with STATUS_INVALID_IMAGE_FORMAT naming that exporter. NT's
 * loader would read wild memory there; the model is "the file is corrupt", so NTLDR stops with its
 * "missing or corrupt" screen and MmLoadSystemImage fails the driver that imports from it.
 */
function snapOrCorrupt(
  dll: string,
  entry: Parameters<typeof snapImport>[1],
  lookup: Parameters<typeof snapImport>[2],
  userModeDlls: boolean,
): ReturnType<typeof snapImport> {
  let exporter: string = dll;
  const watch: typeof lookup = (name, how) => {
    const m = lookup(name, how);
    if (m) exporter = m.baseName;
    return m;
  };
  try {
    return snapImport(dll, entry, watch, 'kernel', userModeDlls);
  } catch (e) {
    if (!(e instanceof MalformedPeError)) throw e;
    return {
      ok: false,
      status: NtStatus.INVALID_IMAGE_FORMAT,
      kind: 'corrupt-export-directory',
      reason: `the export directory of ${exporter} is corrupt: ${e.message}`,
      failedIn: exporter,
      via: [],
    };
  }
}
