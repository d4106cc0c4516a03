// NT's installers as operations on an image set: Setup from a CD (SETUP.INF's [Files], the kernel
// and HAL picked by processor kind) and a service pack's UPDATE.EXE (UPDATE.INF's [Files], the
// kernel matching the installed one). Both only read the media; the image set is written in its overlay.
import { halFor } from '../hal/index.js';
import { IMAGE_FILE_UP_SYSTEM_ONLY, PeImage } from '../pe/index.js';
import { ImageSet } from './imageset.js';
import type { Media } from './media.js';
import { writeSystemHive } from './system-hive-writer.js';

/** Why an installer could not run (wrong kind of media, unknown machine, nothing installed). */
export class SetupError extends Error {
  override readonly name = 'SetupError';
}

const fileName = (p: string) => p.replace(/\//g, '\\').split('\\').pop()!.toLowerCase();

/** What Setup installed. */
export interface Installed {
  set: ImageSet;
  files: number;
  kind: 'up' | 'mp';
  cpus: number;
}

/**
 * Setup from `setup` media on machine profile `machine`: a new in-memory system root WINNT35 with
 * the files SETUP.INF lists for the machine's processor kind (NTKRNLMP.EXE on MP HALs) and a SYSTEM
 * hive holding the services key Setup writes (the media's SERVICES.YAML) and `groupOrder` as
 * ServiceGroupOrder\List. `cpus` defaults to 2 on MP machines and 1 otherwise.
 */
export function installFromMedia(
  setup: Media,
  mediaName: string,
  machine: string,
  groupOrder: readonly string[],
  cpus?: number,
): Installed {
  if (setup.kind !== 'setup') throw new SetupError(`${mediaName} is not Setup media (it has no SETUP.INF)`);
  const hal = halFor(machine);
  if (!hal) throw new SetupError(`unknown machine '${machine}'`);
  const kind = hal.variant.kind; // Setup picks the kernel by processor kind: NTKRNLMP.EXE on MP HALs
  const n = cpus ?? (kind === 'mp' ? 2 : 1);
  const files: Record<string, Uint8Array> = {};
  for (const f of setup.inf.files) {
    if (f.condition && f.condition !== kind && f.condition !== machine) continue;
    files[`WINNT35\\${f.destination}`] = setup.read(f.source);
  }
  // Setup writes the services key into the new system's SYSTEM hive (ControlSet001 and its copy).
  files['WINNT35\\System32\\config\\SYSTEM'] = writeSystemHive(setup.services(), groupOrder);
  const set = ImageSet.fromMemory(
    {
      description: `installed by nt351 replay from ${mediaName} on ${machine}`,
      machine: { architecture: hal.profile.architecture, cpus: n, profile: machine },
      systemRoot: 'WINNT35',
      kernel: 'System32\\ntoskrnl.exe',
      hal: 'System32\\hal.dll',
      services: [],
    },
    files,
  );
  return { set, files: Object.keys(files).length - 1, kind, cpus: n };
}

/**
 * A service pack's UPDATE.EXE on `target`: copies what UPDATE.INF lists, the kernel matching the
 * installed one (UP or MP) whatever its file name; files named in `skip` (a destination, its file
 * name, or a name under System32) are left as they are.
 */
export function applyServicePack(
  target: ImageSet,
  sp: Media,
  mediaName: string,
  skip: readonly string[],
): { copied: number; skipped: string[] } {
  if (sp.kind !== 'update') throw new SetupError(`${mediaName} is not a service pack (it has no UPDATE.INF)`);
  const kernelPath = `\\SystemRoot\\${target.manifest.kernel}`;
  const kernel = target.read(kernelPath);
  if (!kernel) throw new SetupError(`${kernelPath}: no kernel installed`);
  const up =
    (PeImage.parse(kernel, kernelPath).headers.fileHeader.characteristics & IMAGE_FILE_UP_SYSTEM_ONLY) !== 0;
  const skipNames = skip.map((x) => x.replace(/\//g, '\\').toLowerCase());
  let copied = 0;
  const skipped: string[] = [];
  for (const f of sp.inf.files) {
    if (f.condition && f.condition !== (up ? 'up' : 'mp')) continue;
    const dest = f.destination.toLowerCase();
    if (skipNames.some((k) => k === dest || k === fileName(dest) || `system32\\${k}` === dest)) {
      skipped.push(f.destination);
      continue;
    }
    target.write(`\\SystemRoot\\${f.destination}`, sp.read(f.source));
    copied++;
  }
  return { copied, skipped };
}
