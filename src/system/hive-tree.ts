// A whole hive as a tree of key specs (src/regf's writer input), read from a hive and written back:
// how nt351 changes a hive (a scenario's registry step, the API's builder) — read all, change the
// tree, write a new hive into the overlay. Hives of NT 3.51 systems are small (a SYSTEM hive of a
// few hundred KiB), so the simple way is the fast one.
import { Hive, type HiveKeySpec, type RegKey, writeHive } from '../regf/index.js';

/** The key tree of `hive` with every value's raw bytes. */
export function hiveTree(hive: Hive): HiveKeySpec {
  const walk = (key: RegKey, depth: number): HiveKeySpec => ({
    name: key.name,
    lastWritten: key.lastWritten,
    values: key.values().map((v) => ({ name: v.name, type: v.type, data: v.data() })),
    subkeys: depth > 512 ? [] : key.subkeys().map((k) => walk(k, depth + 1)),
  });
  return walk(hive.root(), 0);
}

/** The key at `path` below `root` (case-insensitive), made with its parents when `create`; else null. */
export function treeKey(root: HiveKeySpec, path: string, create = false): HiveKeySpec | null {
  let key = root;
  for (const part of path.split('\\').filter((p) => p !== '')) {
    const subkeys = (key.subkeys ?? []) as HiveKeySpec[];
    let next = subkeys.find((k) => k.name.toLowerCase() === part.toLowerCase());
    if (!next) {
      if (!create) return null;
      next = { name: part, values: [], subkeys: [] };
      key.subkeys = [...subkeys, next];
    }
    key = next;
  }
  return key;
}

/** Rewrites `bytes` (a hive) after `edit` changed its tree; the format version and name are kept. */
export function editHive(bytes: Uint8Array, file: string, edit: (root: HiveKeySpec) => void): Uint8Array {
  return rewriteHive(Hive.parse(bytes, file), edit);
}

/** As editHive, for a hive the caller has parsed already (it read something first). */
export function rewriteHive(hive: Hive, edit: (root: HiveKeySpec) => void): Uint8Array {
  const root = hiveTree(hive);
  edit(root);
  return writeHive(root, {
    minor: hive.header.minor,
    timestamp: hive.header.timestamp,
    fileName: hive.header.fileName,
  });
}
