// The machine an installation was set up for, read off its files where machine.yaml does not say:
// NT 3.51 always runs System32\ntoskrnl.exe and System32\hal.dll (Setup copies the chosen kernel and
// HAL under those names: nt351-facts.md "Versions and layout"); the kernel's PE machine type gives the
// architecture, the HAL's version resource (OriginalFilename) which HAL Setup chose, and so the machine
// profile (src/hal/profiles.ts). The number of processors is not on the disk: 1 unless told.
import { profilesForHal } from '../hal/index.js';
import { MalformedPeError, PeImage } from '../pe/index.js';
import type { ImageSet, ImageSetManifest } from './imageset.js';

const MACHINE_TYPES: Readonly<Record<number, 'x86' | 'alpha'>> = { 332: 'x86', 388: 'alpha' };

/** The version resource's OriginalFilename of `bytes`, or null (no resource, or not a PE image). */
function originalFilename(bytes: Uint8Array, file: string): string | null {
  try {
    return PeImage.parse(bytes, file).version()?.strings.OriginalFilename?.trim() || null;
  } catch (e) {
    if (e instanceof MalformedPeError) return null;
    throw e;
  }
}

/**
 * Fills what `m` (from machine.yaml, or empty for a bare installation) leaves unsaid, from `set`'s
 * files, and records in `m.sources` where each inferred fact came from. Facts that cannot be inferred
 * stay empty (an unknown HAL leaves the profile to `--profile`; the boot says so).
 */
export function inferMachine(set: ImageSet, m: ImageSetManifest): void {
  const sources: Record<string, string> = { ...(m.sources ?? {}) };
  if (!m.kernel) {
    m.kernel = 'System32\\ntoskrnl.exe';
    sources.kernel = 'NT default path';
  }
  if (!m.hal) {
    m.hal = 'System32\\hal.dll';
    sources.hal = 'NT default path';
  }
  const kernel = set.read(`\\SystemRoot\\${m.kernel}`);
  if (!m.machine.architecture && kernel && kernel.length >= 0x40) {
    try {
      const arch = MACHINE_TYPES[PeImage.parse(kernel, m.kernel).headers.fileHeader.machine];
      if (arch) {
        m.machine.architecture = arch;
        sources.architecture = 'NTOSKRNL.EXE machine type';
      }
    } catch (e) {
      if (!(e instanceof MalformedPeError)) throw e;
    }
  }
  if (!m.machine.profile) {
    const hal = set.read(`\\SystemRoot\\${m.hal}`);
    const name = hal ? originalFilename(hal, m.hal) : null;
    const fits = name
      ? profilesForHal(name).filter(
          (p) => !m.machine.architecture || p.architecture === m.machine.architecture,
        )
      : [];
    if (fits[0]) {
      m.machine.profile = fits[0].name;
      sources.profile = `HAL.DLL (OriginalFilename ${name})`;
      if (!m.machine.architecture) m.machine.architecture = fits[0].architecture;
    } else {
      sources.profile = name ? `unknown HAL ${name}` : 'unknown HAL (no version resource)';
    }
  }
  if (!m.machine.architecture) m.machine.architecture = 'x86';
  if (!m.machine.cpus) {
    m.machine.cpus = 1;
    sources.cpus = 'default (a disk does not say)';
  }
  if (Object.keys(sources).length > 0) m.sources = sources;
}
