// Builds a guest-level test driver (test/kernel/guest/*.c) with mingw-w64 against import libraries
// made from nt351's handler registry: each import's decoration (cdecl, name@N, @name@N, DATA) comes
// from its declared prototype, so the library is what NTOSKRNL.EXE, HAL.DLL and NDIS.SYS export
// under `--kernel registry`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_HANDLERS } from '../../src/kernel/exports/index.js';
import { calleeCleanup } from '../../src/kernel/registry.js';

const CC = 'i686-w64-mingw32-gcc';
const DLLTOOL = 'i686-w64-mingw32-dlltool';

/** Whether the cross compiler is installed (./scripts/setup.sh --fixtures). */
export const haveMingw = (): boolean => spawnSync(CC, ['--version']).status === 0;

/** The .def text of one module's exports, decorated as the compiler names them. */
function defFor(module: 'ntoskrnl' | 'hal' | 'ndis', header: string): string {
  const lines = [header, 'EXPORTS'];
  const names = new Set<string>();
  for (const h of ALL_HANDLERS) {
    if (h.module !== module || names.has(h.name)) continue;
    // A routine both modules export is linked from the HAL, as x86 NT does (fast mutexes).
    if (module === 'ntoskrnl' && ALL_HANDLERS.some((x) => x.module === 'hal' && x.name === h.name)) continue;
    names.add(h.name);
    if (h.data) lines.push(`  ${h.name} DATA`);
    else if (h.conv === 'cdecl') lines.push(`  ${h.name}`);
    else if (h.conv === 'fastcall')
      lines.push(`  @${h.name}@${calleeCleanup(h) + 4 * Math.min(2, h.args.length)}`);
    else lines.push(`  ${h.name}@${calleeCleanup(h)}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Compiles `source` into a driver; returns its path. `flags` are extra compiler options (e.g. -D).
 * Throws with the compiler's output on failure.
 */
export function buildGuestDriver(source: string, name: string, flags: readonly string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'nt351-guest-'));
  const run = (tool: string, args: string[]) => {
    const r = spawnSync(tool, args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    if (r.status !== 0) throw new Error(`${tool} failed:\n${r.stderr}${r.stdout}`);
  };
  writeFileSync(join(dir, 'ntoskrnl.def'), defFor('ntoskrnl', 'NAME NTOSKRNL.EXE'));
  writeFileSync(join(dir, 'hal.def'), defFor('hal', 'LIBRARY HAL.DLL'));
  run(DLLTOOL, ['-k', '-d', join(dir, 'ntoskrnl.def'), '-l', join(dir, 'libntoskrnl.a')]);
  run(DLLTOOL, ['-k', '-d', join(dir, 'hal.def'), '-l', join(dir, 'libhal.a')]);
  writeFileSync(join(dir, 'ndis.def'), defFor('ndis', 'LIBRARY NDIS.SYS'));
  run(DLLTOOL, ['-k', '-d', join(dir, 'ndis.def'), '-l', join(dir, 'libndis.a')]);
  const out = join(dir, `${name}.sys`);
  run(CC, [
    '-O2',
    '-ffreestanding',
    '-fno-builtin',
    '-fno-tree-loop-distribute-patterns',
    '-fno-stack-protector',
    '-fno-asynchronous-unwind-tables',
    '-mno-stack-arg-probe',
    '-Wall',
    '-Werror',
    '-nostdlib',
    '-Wl,--subsystem,native',
    '-Wl,--image-base,0x10000',
    '-Wl,-e,_DriverEntry@8',
    '-Wl,--enable-stdcall-fixup',
    ...flags,
    '-o',
    out,
    source,
    join(dir, 'libntoskrnl.a'),
    join(dir, 'libhal.a'),
    join(dir, 'libndis.a'),
  ]);
  return out;
}
