// Builds an AMD64 guest-level test driver (test/kernel/guest/*64*.c) with Debian's x86_64 mingw-w64
// against an import library made from nt351's handler registry (x64 names carry no decoration), as
// scripts/build-fixtures.sh builds the AMD64 samples. Unwind tables stay on: x64 images keep .pdata.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_HANDLERS } from '../../src/kernel/exports/index.js';

const CC = 'x86_64-w64-mingw32-gcc';
const DLLTOOL = 'x86_64-w64-mingw32-dlltool';

/** Whether the x86_64 cross compiler is installed (./scripts/setup.sh --fixtures). */
export const haveMingw64 = (): boolean => spawnSync(CC, ['--version']).status === 0;

/** Compiles `source` into an AMD64 driver; returns its path. Throws with the compiler's output on failure. */
export function buildGuestDriver64(source: string, name: string, flags: readonly string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'nt351-guest64-'));
  const run = (tool: string, args: string[]) => {
    const r = spawnSync(tool, args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    if (r.status !== 0) throw new Error(`${tool} failed:\n${r.stderr}${r.stdout}`);
  };
  const names = new Map<string, boolean>();
  for (const h of ALL_HANDLERS) if (h.module === 'ntoskrnl') names.set(h.name, h.data !== undefined);
  const def = [
    'NAME NTOSKRNL.EXE',
    'EXPORTS',
    ...[...names].map(([n, data]) => `  ${n}${data ? ' DATA' : ''}`),
  ];
  writeFileSync(join(dir, 'ntoskrnl.def'), `${def.join('\n')}\n`);
  run(DLLTOOL, ['-d', join(dir, 'ntoskrnl.def'), '-l', join(dir, 'libntoskrnl.a')]);
  const out = join(dir, `${name}.sys`);
  run(CC, [
    '-O2',
    '-ffreestanding',
    '-fno-builtin',
    '-fno-stack-protector',
    '-mno-stack-arg-probe',
    '-Wall',
    '-Werror',
    '-nostdlib',
    '-Wl,--subsystem,native',
    '-Wl,--image-base,0x140000000',
    '-Wl,-e,DriverEntry',
    ...flags,
    '-o',
    out,
    source,
    join(dir, 'libntoskrnl.a'),
  ]);
  return out;
}
