// The library API's in-memory image-set builder: start from a folder, an ImageSet or nothing, add,
// replace and remove files and change service keys, all in an overlay; the user's files are only read.
import {
  bootConfiguration,
  ImageSet,
  ImageSetError,
  type ImageSetManifest,
  parseManifest,
  type ServiceConfig,
  servicesFromHive,
} from '../system/index.js';

/** A change to one service key; `name` cannot change. */
export type ServicePatch = Partial<Omit<ServiceConfig, 'name'>>;

/**
 * Where a built set starts: an image-set folder, an ImageSet (forked, never changed), or a
 * machine.yaml for a set that starts empty (YAML text, or a manifest object).
 */
export type ImageSetBase = string | ImageSet | { manifest: string | ImageSetManifest };

/**
 * The manifest of a set started from nothing: an x86 uniprocessor PC with NT in \WINNT35, the kernel
 * and HAL at their usual paths, and no services (the SCM still starts EventLog, see scm.ts).
 */
const EMPTY_MANIFEST: ImageSetManifest = {
  description: 'built in memory',
  machine: { architecture: 'x86', cpus: 1, profile: 'x86-pc-up' },
  systemRoot: 'WINNT35',
  kernel: 'System32\\ntoskrnl.exe',
  hal: 'System32\\hal.dll',
  services: [],
};

/**
 * Builds image sets in memory for tests. Every call checks its change at once (adding a file the set
 * has, replacing or removing one it lacks, patching an unknown service throw ImageSetError), and
 * `build()` returns a fresh set each time, so one builder can feed several boots.
 */
export class ImageSetBuilder {
  /** The set being edited; never handed out (build() forks it). */
  private readonly work: ImageSet;

  constructor(base?: ImageSetBase) {
    if (base === undefined) this.work = ImageSet.fromMemory(structuredClone(EMPTY_MANIFEST), {});
    else if (typeof base === 'string') this.work = ImageSet.open(base);
    else if (base instanceof ImageSet) this.work = base.fork();
    else {
      const m =
        typeof base.manifest === 'string'
          ? parseManifest(base.manifest, '<memory>\\machine.yaml')
          : structuredClone(base.manifest);
      this.work = ImageSet.fromMemory(m, {});
    }
  }

  /** Adds a file the set does not have yet (Windows path: `\SystemRoot\System32\drivers\x.sys`). */
  add(path: string, bytes: Uint8Array): this {
    if (this.work.exists(path))
      throw new ImageSetError(
        this.work.label,
        `cannot add '${path}': the set already has ${this.work.actualPath(path)} (use replace)`,
      );
    this.work.write(path, bytes);
    return this;
  }

  /** Replaces a file the set has (keeping its spelling, as copying over a file on NTFS/FAT does). */
  replace(path: string, bytes: Uint8Array): this {
    if (!this.work.exists(path))
      throw new ImageSetError(this.work.label, `cannot replace '${path}': no such file in the set (use add)`);
    this.work.write(path, bytes);
    return this;
  }

  /** Removes a file the set has. */
  remove(path: string): this {
    if (!this.work.delete(path))
      throw new ImageSetError(this.work.label, `cannot remove '${path}': no such file in the set`);
    return this;
  }

  /**
   * Changes service key `name` (case-insensitive) with `patch`; a new service needs `type` and
   * `start`; `null` deletes the key.
   */
  service(name: string, patch: ServicePatch | null): this {
    // A set whose services live in its SYSTEM hive: the builder's table starts as a copy of the hive's
    // control set, and the boot then takes the services from the manifest.
    if (servicesFromHive(this.work))
      this.work.manifest.services = structuredClone(bootConfiguration(this.work).services);
    const services = this.work.manifest.services;
    const i = services.findIndex((s) => s.name.toLowerCase() === name.toLowerCase());
    if (patch === null) {
      if (i < 0) throw new ImageSetError(this.work.label, `cannot delete service '${name}': no such key`);
      services.splice(i, 1);
    } else if (i >= 0) {
      services[i] = { ...services[i]!, ...patch, name: services[i]!.name };
    } else {
      if (patch.type === undefined || patch.start === undefined)
        throw new ImageSetError(
          this.work.label,
          `cannot add service '${name}': a new service key needs 'type' and 'start'`,
        );
      services.push({
        errorControl: 1,
        group: null,
        dependOnService: [],
        dependOnGroup: [],
        imagePath: null,
        displayName: null,
        driver: null,
        device: null,
        ...patch,
        type: patch.type,
        start: patch.start,
        name,
      });
    }
    return this;
  }

  /** A new ImageSet with every change so far; later changes to the builder do not reach it. */
  build(): ImageSet {
    return this.work.fork();
  }
}

/** Starts an in-memory image set from `base` (see ImageSetBase); nothing is ever written to disk. */
export const imageSet = (base?: ImageSetBase): ImageSetBuilder => new ImageSetBuilder(base);
