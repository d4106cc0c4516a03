// Where a sandbox run's kernel, HAL and dependencies come from: a kernel image and its HAL, an
// installed image set's System32 (never through symbolic links), or the synthetic kernel made of
// nt351's handlers; and the image set's files as the guest's NT paths see them.
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INPUT_LIMITS, InputFileError, readRegularFile } from '../input/index.js';
import type { FileProvider, HandlerRegistry } from '../kernel/index.js';
import { importedNames, moduleOfDll, syntheticImage } from '../kernel/index.js';
import type { ModuleFile, ModuleSource } from '../loader/index.js';
import { PeImage } from '../pe/index.js';
import type { RunDriverOptions } from './report.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The default kernel: NT 3.51 SP5 uniprocessor and the standard PC HAL (fixtures). */
export const DEFAULT_KERNEL = join(ROOT, 'fixtures/bin/nt351/sp5/ntoskrnl.exe');
export const DEFAULT_HAL = join(ROOT, 'fixtures/bin/nt351/common/hal.dll');

/**
 * Finds a file by name, case-insensitively, in `dirs` (first match wins). With `links` false, an
 * entry that is a symbolic link is not a match (the image set's own folders: a link could lead out).
 */
function findIn(dirs: string[], name: string, links = true): string | null {
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    const hit = readdirSync(dir, { withFileTypes: true }).find(
      (f) => f.name.toLowerCase() === name.toLowerCase() && (links || !f.isSymbolicLink()),
    );
    if (hit) return join(dir, hit.name);
  }
  return null;
}

/**
 * A file from the host as the loader takes it, at `\\SystemRoot\\<ntDir>\\<name>`: a regular file of at
 * most INPUT_LIMITS.image bytes (throws InputFileError otherwise; a FIFO or /dev/zero is never read).
 */
export const fileOf = (path: string, ntDir: string): ModuleFile => ({
  baseName: basename(path),
  ntPath: `\\SystemRoot\\${ntDir}\\${basename(path).toLowerCase()}`,
  bytes: readRegularFile(path, INPUT_LIMITS.image, true),
});

/**
 * The image set's files as NT paths see them: `\SystemRoot\…` is its WINNT35 directory and
 * `\??\C:\…` (or `\DosDevices\C:\…`) its root, each component matched case-insensitively as
 * NTFS and FAT do. Reads only; anything outside the set is not found.
 */
export function imagesetFiles(root: string): FileProvider {
  return {
    read(ntPath) {
      const m = /^\\(?:SystemRoot((?:\\.*)?)|(?:\?\?|DosDevices)\\C:((?:\\.*)?))$/i.exec(ntPath);
      if (!m) return null;
      const rest = (m[1] ?? m[2] ?? '').split('\\').filter((p) => p.length > 0);
      if (rest.some((p) => p === '.' || p === '..')) return null;
      // Each component is looked up without following symbolic links (readdir's entry types are
      // lstat's), and the file itself must be a regular file: nothing outside the set is reachable.
      let at = m[1] !== undefined ? findIn([root], 'WINNT35', false) : root;
      for (const part of rest) {
        if (at === null || (at !== root && !lstatSync(at).isDirectory())) return null;
        at = findIn([at], part, false);
      }
      if (at === null || !lstatSync(at).isFile()) return null;
      // Over the limit (or gone meanwhile): not found, as far as the guest can tell.
      try {
        return readRegularFile(at, INPUT_LIMITS.image);
      } catch (e) {
        if (e instanceof InputFileError) return null;
        throw e;
      }
    },
  };
}

/** The kernel, HAL and dependency search a run uses, from its options. */
export interface KernelFiles {
  kind: 'image' | 'registry';
  kernel: ModuleFile;
  hal: ModuleFile;
  /** Where the loader finds the driver's other dependencies. */
  source: ModuleSource;
  /** With `kernel: 'registry'`: synthetic images of imported DLLs not on disk, by lower-case name. */
  synthetic: Map<string, { module: string; file: ModuleFile }>;
}

/**
 * Picks the kernel and HAL: `--imageset` (the set's System32 and drivers folders, searched first and
 * without following links), `--kernel registry` (synthetic images exporting `registry`'s handlers), or
 * a kernel image (default: the fixtures' SP5 kernel) with the HAL beside it or given.
 */
export function kernelFiles(opts: RunDriverOptions, registry: HandlerRegistry): KernelFiles {
  const driverPath = opts.driver;
  let kernel: ModuleFile;
  let hal: ModuleFile;
  let searchDirs: string[];
  let setDirs: string[] = [];
  let kind: 'image' | 'registry' = 'image';
  const synthetic: KernelFiles['synthetic'] = new Map();
  if (opts.imageset) {
    // The set's own folders and files are never symbolic links (as ImageSet sees a set).
    const sys32 =
      findIn([join(opts.imageset, 'WINNT35')], 'SYSTEM32', false) ??
      join(opts.imageset, 'WINNT35', 'SYSTEM32');
    const drivers = findIn([sys32], 'DRIVERS', false) ?? join(sys32, 'DRIVERS');
    setDirs = [sys32, drivers];
    searchDirs = [dirname(driverPath)];
    kernel = fileOf(findIn([sys32], 'ntoskrnl.exe', false) ?? join(sys32, 'NTOSKRNL.EXE'), 'System32');
    hal = fileOf(findIn([sys32], 'hal.dll', false) ?? join(sys32, 'HAL.DLL'), 'System32');
  } else if (opts.kernel === 'registry') {
    kind = 'registry';
    searchDirs = [dirname(driverPath)];
    ({ kernel, hal } = registryKernel(driverPath, registry, searchDirs, synthetic));
  } else {
    const kernelPath = opts.kernel ?? DEFAULT_KERNEL;
    const halPath =
      opts.hal ?? (opts.kernel ? (findIn([dirname(kernelPath)], 'hal.dll') ?? DEFAULT_HAL) : DEFAULT_HAL);
    kernel = { ...fileOf(kernelPath, 'System32'), baseName: 'NTOSKRNL.EXE' };
    hal = { ...fileOf(halPath, 'System32'), baseName: 'HAL.DLL' };
    searchDirs = [dirname(driverPath), dirname(kernelPath)];
  }
  const source: ModuleSource = {
    findDependency(name) {
      if (name.toLowerCase() === 'ntoskrnl.exe') return kernel;
      if (name.toLowerCase() === 'hal.dll') return hal;
      const made = synthetic.get(name.toLowerCase());
      if (made) return made.file;
      const p = findIn(setDirs, name, false) ?? findIn(searchDirs, name);
      return p ? fileOf(p, /drivers/i.test(p) ? 'System32\\drivers' : 'System32') : null;
    },
  };
  return { kind, kernel, hal, source, synthetic };
}

/**
 * The synthetic kernel and HAL exporting `registry`'s handlers, with call-time misses: every name the
 * driver (or a dependency beside it) imports resolves, to a handler or to a stub whose call is
 * reported when it happens; imported DLLs not on disk become synthetic images in `synthetic`.
 */
function registryKernel(
  driverPath: string,
  registry: HandlerRegistry,
  searchDirs: string[],
  synthetic: KernelFiles['synthetic'],
): { kernel: ModuleFile; hal: ModuleFile } {
  const wanted = new Map<string, string[]>();
  const visit = (bytes: Uint8Array, depth: number) => {
    for (const [dll, names] of importedNames(bytes)) {
      const known = wanted.get(dll);
      wanted.set(dll, [...(known ?? []), ...names]);
      const onDisk =
        moduleOfDll(dll) === 'ntoskrnl' || moduleOfDll(dll) === 'hal' ? null : findIn(searchDirs, dll);
      if (!known && onDisk && depth < 8) visit(readRegularFile(onDisk, INPUT_LIMITS.image, true), depth + 1);
    }
  };
  const driverBytes = readRegularFile(driverPath, INPUT_LIMITS.image, true);
  visit(driverBytes, 0);
  // The synthetic kernel is built for the driver's processor (x86, or AMD64 for a PE32+ driver).
  const machine = machineOf(driverBytes);
  const byModule = (m: string) => registry.all().filter((h) => h.module === m);
  const missingOf = (m: string) =>
    [...wanted].filter(([dll]) => moduleOfDll(dll) === m).flatMap(([, n]) => n);
  for (const dll of wanted.keys()) {
    const m = moduleOfDll(dll);
    if (m === 'ntoskrnl' || m === 'hal' || findIn(searchDirs, dll)) continue;
    synthetic.set(dll, {
      module: m,
      file: {
        baseName: dll.toUpperCase(),
        ntPath: `\\SystemRoot\\System32\\drivers\\${dll}`,
        bytes: syntheticImage(
          dll,
          byModule(m),
          0x80600000 + 0x100000 * synthetic.size,
          missingOf(m),
          machine,
        ),
      },
    });
  }
  return {
    kernel: {
      baseName: 'NTOSKRNL.EXE',
      ntPath: '\\SystemRoot\\System32\\ntoskrnl.exe',
      bytes: syntheticImage('ntoskrnl.exe', byModule('ntoskrnl'), 0x80100000, missingOf('ntoskrnl'), machine),
    },
    hal: {
      baseName: 'HAL.DLL',
      ntPath: '\\SystemRoot\\System32\\hal.dll',
      bytes: syntheticImage('hal.dll', byModule('hal'), 0x80400000, missingOf('hal'), machine),
    },
  };
}

/** 'amd64' for an AMD64 image (machine 0x8664), else 'x86' (what the loader then checks and reports). */
function machineOf(bytes: Uint8Array): 'x86' | 'amd64' {
  try {
    return PeImage.parse(bytes).headers.fileHeader.machine === 0x8664 ? 'amd64' : 'x86';
  } catch {
    return 'x86'; // malformed: the loader reports it
  }
}
