// Registry paths as users write them (`HKLM\SYSTEM\CurrentControlSet\Services\LanmanServer\Start`)
// against the image set's SYSTEM hive, for scenario steps and expectations: read, set and delete
// values and keys in the overlay. CurrentControlSet is the link NT makes to the control set in use
// (Select\Current; Default before a first boot). Only HKLM\SYSTEM is on disk in an image set.
import { Hive, REG, type RegValue, regValue } from '../regf/index.js';
import { rewriteHive, treeKey } from './hive-tree.js';
import type { ImageSet } from './imageset.js';
import { ImageSetError } from './imageset-error.js';
import { SYSTEM_HIVE_PATH } from './system-hive.js';

/** Registry data as scenarios write it: a number is REG_DWORD, a string REG_SZ, a list REG_MULTI_SZ. */
export type RegistryData = number | string | string[];

/** `HKLM\SYSTEM\<rest>` → `<rest>` below the SYSTEM hive's root; throws for other hives. */
export function systemHivePath(path: string): string {
  const m = /^(?:HKLM|HKEY_LOCAL_MACHINE)\\SYSTEM(?:\\(.*))?$/i.exec(
    path.replace(/\//g, '\\').replace(/\\+$/, ''),
  );
  if (!m) throw new ImageSetError(path, 'only HKLM\\SYSTEM (the SYSTEM hive) is on disk in an image set');
  return m[1] ?? '';
}

function hiveOf(set: ImageSet): Uint8Array {
  const bytes = set.read(SYSTEM_HIVE_PATH);
  if (!bytes)
    throw new ImageSetError(set.label, 'the image set has no SYSTEM hive (System32\\config\\SYSTEM)');
  return bytes;
}

/** `rest` with CurrentControlSet replaced by ControlSetNNN of Select\Current (or Default). */
function linked(hive: Hive, rest: string): string {
  const parts = rest.split('\\').filter((p) => p !== '');
  if (parts[0]?.toLowerCase() !== 'currentcontrolset') return parts.join('\\');
  const select = hive.openKey('Select');
  const dword = (name: string) => {
    const v = select?.value(name);
    return v && v.type === REG.DWORD ? v.dword() : 0;
  };
  const n = dword('Current') || dword('Default');
  if (!n) throw new ImageSetError(hive.file, 'Select has neither Current nor Default: no CurrentControlSet');
  return [`ControlSet${String(n).padStart(3, '0')}`, ...parts.slice(1)].join('\\');
}

const decode = (v: RegValue): RegistryData | Uint8Array =>
  v.type === REG.DWORD
    ? v.dword()
    : v.type === REG.SZ || v.type === REG.EXPAND_SZ
      ? v.string()
      : v.type === REG.MULTI_SZ
        ? v.strings().filter((s) => s !== '')
        : v.data();

/** The value at `path` (its last component names the value), or null when the key or value is absent. */
export function readRegistryValue(set: ImageSet, path: string): RegistryData | Uint8Array | null {
  const hive = Hive.parse(hiveOf(set), SYSTEM_HIVE_PATH);
  const rest = linked(hive, systemHivePath(path));
  const cut = rest.lastIndexOf('\\');
  const key = hive.openKey(cut < 0 ? '' : rest.slice(0, cut));
  const v = key?.value(rest.slice(cut + 1)) ?? null;
  return v ? decode(v) : null;
}

/** Sets the value at `path`, making missing keys (as RegCreateKey and RegSetValue would). */
export function setRegistryValue(set: ImageSet, path: string, data: RegistryData, expand = false): void {
  const hive = Hive.parse(hiveOf(set), SYSTEM_HIVE_PATH);
  const rest = linked(hive, systemHivePath(path));
  const cut = rest.lastIndexOf('\\');
  if (cut < 0) throw new ImageSetError(path, 'names no value below a key');
  const name = rest.slice(cut + 1);
  const spec =
    typeof data === 'number'
      ? regValue.dword(name, data)
      : typeof data === 'string'
        ? expand
          ? regValue.expandSz(name, data)
          : regValue.sz(name, data)
        : regValue.multiSz(name, data);
  set.write(
    SYSTEM_HIVE_PATH,
    rewriteHive(hive, (root) => {
      const key = treeKey(root, rest.slice(0, cut), true)!;
      key.values = [...(key.values ?? []).filter((v) => v.name.toLowerCase() !== name.toLowerCase()), spec];
    }),
  );
}

/** Deletes the key or value at `path` (a key when one has that name); false when there is neither. */
export function deleteRegistryPath(set: ImageSet, path: string): boolean {
  const hive = Hive.parse(hiveOf(set), SYSTEM_HIVE_PATH);
  const rest = linked(hive, systemHivePath(path));
  const cut = rest.lastIndexOf('\\');
  const parentPath = cut < 0 ? '' : rest.slice(0, cut);
  const name = rest.slice(cut + 1).toLowerCase();
  let found = false;
  const edited = rewriteHive(hive, (root) => {
    const parent = treeKey(root, parentPath);
    if (!parent) return;
    const keys = parent.subkeys ?? [];
    if (keys.some((k) => k.name.toLowerCase() === name)) {
      parent.subkeys = keys.filter((k) => k.name.toLowerCase() !== name);
      found = true;
    } else if ((parent.values ?? []).some((v) => v.name.toLowerCase() === name)) {
      parent.values = (parent.values ?? []).filter((v) => v.name.toLowerCase() !== name);
      found = true;
    }
  });
  if (found) set.write(SYSTEM_HIVE_PATH, edited);
  return found;
}
