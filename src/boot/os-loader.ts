// Phase 1, the OS loader (NTLDR): maps NTOSKRNL.EXE, HAL.DLL and the boot-start drivers in group order
// and snaps them against each other before any of them runs. A file it cannot load stops the boot
// with NTLDR's "missing or corrupt" screen (outcome `loader-stop`).

import { inGroupOrder } from '../kernel/index.js';
import type { LoadedModule, ModuleFile, ModuleSource } from '../loader/index.js';
import { NtStatus, SystemLoader } from '../loader/index.js';
import { IMAGE_FILE_UP_SYSTEM_ONLY } from '../pe/index.js';
import {
  bootConfiguration,
  ImageSetError,
  MalformedHiveError,
  type ServiceConfig,
  SYSTEM_HIVE_PATH,
  UnreadableFileError,
} from '../system/index.js';
import type { BootContext } from './context.js';
import { type BootModule, BootUnsupportedError } from './report.js';

const IMAGE_FILE_MACHINE_I386 = 0x14c;
const IMAGE_FILE_MACHINE_ALPHA = 0x184;

/** What the OS loader hands the kernel: the loaded images and where further drivers come from. */
export interface LoadedSystem {
  loader: SystemLoader;
  /** Where the loader finds dependencies (System32, then System32\drivers). */
  source: ModuleSource;
  kernel: LoadedModule;
  hal: LoadedModule;
  kernelIsUp: boolean;
  /** Boot-start drivers in group order, each with its loaded image. */
  bootDrivers: { service: ServiceConfig; module: LoadedModule }[];
}

/** Kernel-mode or file-system drivers (service Type 1 or 2). */
export const isDriver = (s: ServiceConfig) => s.type === 1 || s.type === 2;

/** Where a service's image is: its ImagePath, or System32\drivers\<name>.sys as NT defaults it. */
export const imagePathOf = (s: ServiceConfig) =>
  s.imagePath ?? `\\SystemRoot\\System32\\drivers\\${s.name}.sys`;

/** The report's entry for a loaded module. */
export const moduleEntry = (mod: LoadedModule, loadedBy: string): BootModule => ({
  name: mod.baseName,
  ntPath: mod.ntPath,
  base: mod.base,
  size: mod.size,
  loadedBy,
});

const expectedMachine = (m: { machine: { architecture: string } }) =>
  m.machine.architecture === 'alpha' ? IMAGE_FILE_MACHINE_ALPHA : IMAGE_FILE_MACHINE_I386;

/** NTLDR's fatal-error screen for an unloadable boot file; always null (the boot is over). */
function stopLoader(ctx: BootContext, what: string, reason: string): null {
  const { report } = ctx;
  report.outcome = 'loader-stop';
  // Model of NTLDR's fatal-error screen for an unloadable boot file (nt351-facts.md: the boot loader
  // loads NTOSKRNL.EXE, HAL.DLL and boot-start drivers).
  report.loaderMessage = [
    'Windows NT could not start because the following file is missing or corrupt:',
    `\\${ctx.set.manifest.systemRoot}\\${what.replace(/^\\SystemRoot\\/i, '')}`,
    reason,
  ];
  ctx.note('loader', `stopped: ${what}: ${reason}`);
  return null;
}

/**
 * NTLDR loads the SYSTEM hive to find the boot drivers: the configuration of the boot (src/system),
 * in `ctx.config` and the report. Returns why the hive cannot be used (a corrupt one stops NTLDR like a
 * missing file), or null.
 */
function readConfiguration(ctx: BootContext): string | null {
  try {
    ctx.config = bootConfiguration(ctx.set, ctx.opts.lastKnownGood === true);
  } catch (e) {
    if (!(e instanceof MalformedHiveError || e instanceof ImageSetError)) throw e;
    return e.message;
  }
  const { config } = ctx;
  ctx.report.configuration = {
    source: config.source,
    controlSet: config.controlSet?.name ?? null,
    use: config.controlSet?.use ?? null,
  };
  if (config.controlSet)
    ctx.note(
      'loader',
      `SYSTEM hive: ${config.controlSet.name} (${config.controlSet.use}), ${config.services.length} service keys`,
    );
  return null;
}

/** Runs the OS loader; null when it stopped the boot (the report says why). */
export function runOsLoader(ctx: BootContext): LoadedSystem | null {
  const m = ctx.set.manifest;
  const { report } = ctx;
  const source: ModuleSource = {
    findDependency(name) {
      // Asked only once both were read (the strings are the stops returned before).
      if (name.toLowerCase() === 'ntoskrnl.exe') return kernelFile as ModuleFile;
      if (name.toLowerCase() === 'hal.dll') return halFile as ModuleFile;
      try {
        return (
          ctx.fileAt(`\\SystemRoot\\System32\\${name}`) ??
          ctx.fileAt(`\\SystemRoot\\System32\\drivers\\${name.toLowerCase()}`)
        );
      } catch (e) {
        // An import naming no possible file (a device, a forbidden character): not found, as for NT.
        if (e instanceof ImageSetError && /^path '/.test(e.reason)) return null;
        throw e;
      }
    },
  };
  const loaderStop = (what: string, reason: string) => stopLoader(ctx, what, reason);
  // A file NTLDR cannot read (over nt351's image limit, refused by the host): its "missing or
  // corrupt" stop naming the file, as for a file that is not there.
  const read = (ntPath: string, baseName?: string): ModuleFile | string => {
    try {
      return ctx.fileAt(ntPath, baseName) ?? 'the file is not in the image set';
    } catch (e) {
      if (e instanceof UnreadableFileError) return e.reason;
      throw e;
    }
  };
  const kernelFile = read(ctx.ntPathOf(m.kernel), 'NTOSKRNL.EXE');
  if (typeof kernelFile === 'string') return loaderStop(ctx.ntPathOf(m.kernel), kernelFile);
  const halFile = read(ctx.ntPathOf(m.hal), 'HAL.DLL');
  if (typeof halFile === 'string') return loaderStop(ctx.ntPathOf(m.hal), halFile);

  const hiveProblem = readConfiguration(ctx);
  if (hiveProblem !== null) return loaderStop(SYSTEM_HIVE_PATH, hiveProblem);
  const { config } = ctx;
  const bootDrivers = inGroupOrder(
    config.services.filter((s) => isDriver(s) && s.start === 0),
    ctx.loadOrder,
  );
  const bootFiles: { file: ModuleFile; role: 'kernel' | 'hal' | 'driver' }[] = [
    { file: kernelFile, role: 'kernel' },
    { file: halFile, role: 'hal' },
  ];
  for (const s of bootDrivers) {
    const f = read(imagePathOf(s));
    if (typeof f === 'string')
      return loaderStop(
        imagePathOf(s),
        ctx.set.exists(imagePathOf(s)) ? f : `boot driver of service ${s.name} is not in the image set`,
      );
    bootFiles.push({ file: f, role: 'driver' });
  }
  const loader = new SystemLoader();
  const loaded = loader.loadBootImages(bootFiles, source);
  // Checked before the other images' results: the HAL and drivers fail the machine check against a
  // foreign kernel, and it is the kernel the emulator cannot run.
  const machineType = loader.modules[0]?.image.headers.fileHeader.machine ?? expectedMachine(m);
  const expectedType = expectedMachine(m);
  if (machineType !== expectedType)
    throw new BootUnsupportedError(
      `${m.kernel} is built for machine type 0x${machineType.toString(16)}, but the machine is ${m.machine.architecture} (0x${expectedType.toString(16)}): nt351 runs kernel images only on their own processor`,
    );
  const modules: LoadedModule[] = [];
  for (const [i, r] of loaded.entries()) {
    if (!r.ok) {
      // A corrupt export directory is the exporter's fault: NTLDR names that file.
      const corrupt = r.misses
        .find((x) => x.status === NtStatus.INVALID_IMAGE_FORMAT)
        ?.failedIn.toLowerCase();
      const file = bootFiles.find((b) => b.file.baseName.toLowerCase() === corrupt) ?? bootFiles[i]!;
      return loaderStop(file.file.ntPath, r.misses[0]?.message ?? r.reason);
    }
    modules.push(r.module);
  }
  const [kernel, hal] = modules as [LoadedModule, LoadedModule];
  const kernelIsUp = (kernel.image.headers.fileHeader.characteristics & IMAGE_FILE_UP_SYSTEM_ONLY) !== 0;
  report.machine.kernel.build = kernelIsUp ? 'up' : 'mp';
  try {
    const v = kernel.image.version();
    report.machine.kernel.version = v ? `${v.fileVersion} ${v.strings.OriginalFilename ?? ''}`.trim() : null;
  } catch {
    report.machine.kernel.version = null;
  }
  for (const mod of loader.modules) report.modules.push(moduleEntry(mod, 'boot-loader'));
  ctx.note('loader', `loaded ${loader.modules.map((x) => x.baseName).join(', ')}`);
  return {
    loader,
    source,
    kernel,
    hal,
    kernelIsUp,
    bootDrivers: bootDrivers.map((service, i) => ({ service, module: modules[2 + i]! })),
  };
}
