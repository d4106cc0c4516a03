// Builds an image set with N extra copies of a NIC driver: sp3-x86-up copied to a temp folder, its
// ELNK3.SYS copied as NIC0001.SYS.. with one service key each in the SYSTEM hive (system start, group
// NDIS). Used by the many-drivers boot test and bench/boot-scale.ts (issue 19: boot cost linear in drivers).
import { copyFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { regValue } from '../../src/regf/index.js';
import { editHive, treeKey } from '../../src/system/index.js';

const BASE_SET = join(import.meta.dirname, '..', '..', 'fixtures', 'imagesets', 'sp3-x86-up');

/** A temp copy of sp3-x86-up with `n` more NIC drivers; the caller removes `root`. */
export function manyDriverSet(n: number): { root: string; names: string[] } {
  const root = mkdtempSync(join(tmpdir(), `nt351-${n}-drivers-`));
  cpSync(BASE_SET, root, { recursive: true });
  const drivers = join(root, 'WINNT35', 'SYSTEM32', 'DRIVERS');
  const names = Array.from({ length: n }, (_, i) => `Nic${String(i + 1).padStart(4, '0')}`);
  for (const name of names)
    copyFileSync(join(drivers, 'ELNK3.SYS'), join(drivers, `${name.toUpperCase()}.SYS`));
  const hivePath = join(root, 'WINNT35', 'SYSTEM32', 'CONFIG', 'SYSTEM');
  const hive = editHive(new Uint8Array(readFileSync(hivePath)), hivePath, (tree) => {
    for (const cs of ['ControlSet001', 'ControlSet002'])
      for (const name of names)
        treeKey(tree, `${cs}\\Services\\${name}`, true)!.values = [
          regValue.dword('Type', 1),
          regValue.dword('Start', 1),
          regValue.dword('ErrorControl', 1),
          regValue.sz('Group', 'NDIS'),
          regValue.expandSz('ImagePath', `\\SystemRoot\\System32\\drivers\\${name.toLowerCase()}.sys`),
        ];
  });
  writeFileSync(hivePath, hive);
  return { root, names };
}
