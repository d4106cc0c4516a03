// What a folder given to `nt351 boot` holds: an image set (machine.yaml, as the fixtures have), a
// drive root with BOOT.INI (NTLDR's menu picks the system root), a drive root without one (Alpha
// machines keep the choice in firmware: the one folder holding System32\config\SYSTEM), or a system
// root itself (WINNT35, WINNT: any folder with System32\config\SYSTEM).
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { type BootEntry, parseBootIni } from './boot-ini.js';
import { ImageSetError } from './imageset-error.js';

/** BOOT.INI is a few hundred bytes; larger is not a boot menu. */
const MAX_BOOT_INI_BYTES = 64 * 1024;

export interface DiskLayout {
  kind: 'image-set' | 'drive-root' | 'system-root';
  /** machine.yaml's path, when the folder has one. */
  manifest: string | null;
  /** The system root folder relative to `dir` ('' when `dir` is the system root); null: machine.yaml says. */
  systemRoot: string | null;
  /** The BOOT.INI entry that chose the system root, with its 1-based number. */
  bootEntry: (BootEntry & { number: number; file: string }) | null;
}

/** The entry of `dir` named `name` case-insensitively (as FAT and NTFS match), if it is of `kind`. */
function entry(dir: string, name: string, kind: 'file' | 'dir'): string | null {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return null;
  }
  const hit = names.find((n) => n.toLowerCase() === name.toLowerCase());
  if (!hit) return null;
  const st = lstatSync(join(dir, hit));
  return (kind === 'file' ? st.isFile() : st.isDirectory()) ? hit : null;
}

/** Whether `dir` is a system root: it has System32\config\SYSTEM. */
export function isSystemRoot(dir: string): boolean {
  const sys32 = entry(dir, 'System32', 'dir');
  const config = sys32 && entry(join(dir, sys32), 'config', 'dir');
  return config !== null && entry(join(dir, sys32!, config), 'SYSTEM', 'file') !== null;
}

/** Reads what `dir` holds; `bootEntry` (1-based) picks another BOOT.INI entry than the default. */
export function detectLayout(dir: string, bootEntry?: number): DiskLayout {
  const manifest = entry(dir, 'machine.yaml', 'file');
  if (manifest || lstatOrNull(join(dir, 'machine.yaml')))
    return { kind: 'image-set', manifest: join(dir, 'machine.yaml'), systemRoot: null, bootEntry: null };
  const ini = entry(dir, 'boot.ini', 'file');
  if (ini) {
    const file = join(dir, ini);
    const size = lstatSync(file).size;
    if (size > MAX_BOOT_INI_BYTES) throw new ImageSetError(file, `larger than ${MAX_BOOT_INI_BYTES} bytes`);
    const parsed = parseBootIni(readFileSync(file, 'latin1'), file);
    const index = bootEntry !== undefined ? bootEntry - 1 : parsed.defaultIndex;
    const chosen = parsed.entries[index];
    if (!chosen)
      throw new ImageSetError(
        file,
        `no boot entry ${bootEntry ?? 'to start'} (it has ${parsed.entries.length}: ${parsed.entries.map((e, i) => `${i + 1} ${e.arcPath}`).join(', ')})`,
      );
    if (chosen.systemRoot === null)
      throw new ImageSetError(
        file,
        `boot entry ${index + 1} (${chosen.arcPath}) does not start Windows NT`,
        chosen.line,
      );
    let folder: string | null = '';
    for (const part of chosen.systemRoot.split('\\')) {
      const hit = entry(join(dir, folder), part, 'dir');
      if (!hit) {
        folder = null;
        break;
      }
      folder = folder === '' ? hit : join(folder, hit);
    }
    if (folder === null || !isSystemRoot(join(dir, folder)))
      throw new ImageSetError(
        file,
        `boot entry ${index + 1} names \\${chosen.systemRoot}, but ${join(dir, chosen.systemRoot)} has no System32\\config\\SYSTEM`,
        chosen.line,
      );
    return {
      kind: 'drive-root',
      manifest: null,
      systemRoot: folder.split(sep).join('\\'),
      bootEntry: { ...chosen, number: index + 1, file },
    };
  }
  if (isSystemRoot(dir)) return { kind: 'system-root', manifest: null, systemRoot: '', bootEntry: null };
  const roots = systemRootsIn(dir);
  if (roots.length === 1)
    return { kind: 'drive-root', manifest: null, systemRoot: roots[0]!, bootEntry: null };
  throw new ImageSetError(
    dir,
    roots.length > 1
      ? `holds several system roots (${roots.join(', ')}) and no BOOT.INI to choose: boot one of them`
      : 'not an NT installation: machine.yaml, BOOT.INI and a folder with System32\\config\\SYSTEM are all missing',
  );
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/** The folders of `dir` that are system roots. */
export function systemRootsIn(dir: string): string[] {
  return safeDirs(dir).filter((d) => isSystemRoot(join(dir, d)));
}

function safeDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return [];
  }
}
