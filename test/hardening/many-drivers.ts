// Builds an image set with N extra copies of a NIC driver: sp3-x86-up copied to a temp folder, its
// ELNK3.SYS copied as NIC0001.SYS.. with one service each (system start, group NDIS). Used by the
// 500-driver boot test and bench/boot-scale.ts (issue 19: boot cost linear in drivers).
import { copyFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BASE_SET = join(import.meta.dirname, '..', '..', 'fixtures', 'imagesets', 'sp3-x86-up');

/** A temp copy of sp3-x86-up with `n` more NIC drivers; the caller removes `root`. */
export function manyDriverSet(n: number): { root: string; names: string[] } {
  const root = mkdtempSync(join(tmpdir(), `nt351-${n}-drivers-`));
  cpSync(BASE_SET, root, { recursive: true });
  const drivers = join(root, 'WINNT35', 'SYSTEM32', 'DRIVERS');
  const names = Array.from({ length: n }, (_, i) => `Nic${String(i + 1).padStart(4, '0')}`);
  const services = names.map((name) => {
    copyFileSync(join(drivers, 'ELNK3.SYS'), join(drivers, `${name.toUpperCase()}.SYS`));
    return [
      `  ${name}:`,
      '    Type: 1',
      '    Start: 1',
      '    ErrorControl: 1',
      '    Group: NDIS',
      `    ImagePath: \\SystemRoot\\System32\\drivers\\${name.toLowerCase()}.sys`,
    ].join('\n');
  });
  const manifest = join(root, 'machine.yaml');
  writeFileSync(manifest, `${readFileSync(manifest, 'utf8').trimEnd()}\n${services.join('\n')}\n`);
  return { root, names };
}
