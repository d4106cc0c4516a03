// Builds an AMD64 guest test driver with Debian's x86_64 mingw-w64 against an import library of the
// registry's ntoskrnl handlers (undecorated names, as x64 has no @N), as scripts/build-fixtures.sh
// builds the AMD64 samples; the x86 builder is guest-driver.ts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_HANDLERS } from '../../src/kernel/exports/index.js';

const CC64 = 'x86_64-w64-mingw32-gcc';
const DLLTOOL64 = 'x86_64-w64-mingw32-dlltool';

/** Whether the x86_64 cross compiler is installed (./scripts/setup.sh --fixtures). */
export const haveMingw64 = (): boolean => spawnSync(CC64, ['--version']).status === 0;

/** Compiles `source` into an AMD64 driver; returns its path. Throws with the compiler's output on failure. */
export function buildGuestDriver64(source: string, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'nt351-guest64-'));
  const run = (tool: string, args: string[]) => {
    const r = spawnSync(tool, args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    if (r.status !== 0) throw new Error(`${tool} failed:\n${r.stderr}${r.stdout}`);
  };
  const names = new Set(ALL_HANDLERS.filter((h) => h.module === 'ntoskrnl').map((h) => h.name));
  const lines = ['NAME NTOSKRNL.EXE', 'EXPORTS', ...[...names].map((n) => `  ${n}`)];
  writeFileSync(join(dir, 'ntoskrnl.def'), `${lines.join('\n')}\n`);
  run(DLLTOOL64, ['-d', join(dir, 'ntoskrnl.def'), '-l', join(dir, 'libntoskrnl.a')]);
  const out = join(dir, `${name}.sys`);
  run(CC64, [
    '-O2',
    '-ffreestanding',
    '-fno-builtin',
    '-fno-stack-protector',
    '-mno-stack-arg-probe',
    '-Wall',
    '-Werror',
    '-nostdlib',
    '-Wl,--subsystem,native:5.02',
    '-Wl,--image-base,0x140000000',
    '-Wl,--enable-reloc-section',
    '-Wl,--disable-dynamicbase',
    '-Wl,-e,DriverEntry',
    '-o',
    out,
    source,
    join(dir, 'libntoskrnl.a'),
  ]);
  return out;
}
