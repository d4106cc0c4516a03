// Fixture step of build-fixtures.sh: each image set under ROOT/imagesets gets a real SYSTEM hive
// (WINNT35\SYSTEM32\CONFIG\SYSTEM) written from the services its machine.yaml lists, and machine.yaml
// keeps only what a disk cannot tell (the machine: architecture, processors, profile).
// Byte-reproducible: the hive writer uses fixed times.
//   tsx scripts/build-hives.ts ROOT
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICE_GROUP_ORDER } from '../src/kernel/index.js';
import { parseManifest, writeSystemHive } from '../src/system/index.js';

/** The folder `name` inside `dir`, in the spelling the disk has (fixtures spell folders in capitals). */
function folder(dir: string, name: string): string {
  return join(dir, readdirSync(dir).find((f) => f.toLowerCase() === name.toLowerCase()) ?? name);
}

/** Moves the services of every image set under `root`/imagesets into a SYSTEM hive. */
export function buildHives(root: string): void {
  const sets = join(root, 'imagesets');
  for (const name of existsSync(sets) ? readdirSync(sets).sort() : []) moveServicesToHive(join(sets, name));
}

function moveServicesToHive(set: string): void {
  const yamlPath = join(set, 'machine.yaml');
  if (!existsSync(yamlPath)) return;
  const text = readFileSync(yamlPath, 'utf8');
  const manifest = parseManifest(text, yamlPath);
  if (manifest.services.length === 0) return;
  const config = folder(folder(folder(set, manifest.systemRoot), 'System32'), 'config');
  writeFileSync(join(config, 'SYSTEM'), writeSystemHive(manifest.services, SERVICE_GROUP_ORDER));
  // The services now live in the hive: machine.yaml ends before its services section. The system
  // root, kernel and HAL paths go too: they are NT's defaults, which the boot reads off the disk.
  const lines = text.split('\n');
  const cut = lines.findIndex((l) => /^# Services\b/.test(l) || /^services:/.test(l));
  const kept = lines
    .slice(0, cut)
    .filter((l) => !/^(systemRoot|kernel|hal):/.test(l))
    .join('\n')
    .replace(/\n*$/, '\n');
  writeFileSync(
    yamlPath,
    `${kept}# Services: in the SYSTEM hive (WINNT35\\SYSTEM32\\CONFIG\\SYSTEM, ControlSet001 and its\n# LastKnownGood copy ControlSet002), written by scripts/build-hives.ts.\n`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = process.argv[2];
  if (!root) {
    process.stderr.write('usage: tsx scripts/build-hives.ts ROOT (the folder holding imagesets/)\n');
    process.exit(64);
  }
  buildHives(root);
}
