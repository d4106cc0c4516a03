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

/** Runs a build tool; throws with its output when it fails. */
function run(tool: string, args: string[]): void {
  const r = spawnSync(tool, args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  if (r.status !== 0) throw new Error(`${tool} failed:\n${r.stderr}${r.stdout}`);
}

/**
 * Compiles `source` into a driver; returns its path. `flags` are extra compiler options (e.g. -D).
 * Throws with the compiler's output on failure.
 */
export function buildGuestDriver(source: string, name: string, flags: readonly string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'nt351-guest-'));
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

const CC64 = 'x86_64-w64-mingw32-gcc';
const DLLTOOL64 = 'x86_64-w64-mingw32-dlltool';

/** Whether the AMD64 cross compiler is installed (Debian's gcc-mingw-w64-x86-64). */
export const haveMingw64 = (): boolean => spawnSync(CC64, ['--version']).status === 0;

/**
 * The AMD64 import library text of one module: x64 names carry no decoration, and a routine both
 * modules export is linked from NTOSKRNL.EXE, where AMD64 Windows exports it (spin locks, the
 * performance counter), not from the HAL.
 */
function defFor64(module: 'ntoskrnl' | 'hal', header: string): string {
  const names = new Set<string>();
  for (const h of ALL_HANDLERS) {
    if (h.module !== module) continue;
    if (module === 'hal' && ALL_HANDLERS.some((x) => x.module === 'ntoskrnl' && x.name === h.name)) continue;
    names.add(h.data ? `${h.name} DATA` : h.name);
  }
  return `${[header, 'EXPORTS', ...[...names].map((n) => `  ${n}`)].join('\n')}\n`;
}

/** Compiles `source` into an AMD64 driver (PE32+, entry DriverEntry) as buildGuestDriver does for x86. */
export function buildGuestDriver64(source: string, name: string, flags: readonly string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'nt351-guest64-'));
  writeFileSync(join(dir, 'ntoskrnl.def'), defFor64('ntoskrnl', 'NAME NTOSKRNL.EXE'));
  writeFileSync(join(dir, 'hal.def'), defFor64('hal', 'LIBRARY HAL.DLL'));
  run(DLLTOOL64, ['-d', join(dir, 'ntoskrnl.def'), '-l', join(dir, 'libntoskrnl.a')]);
  run(DLLTOOL64, ['-d', join(dir, 'hal.def'), '-l', join(dir, 'libhal.a')]);
  const out = join(dir, `${name}.sys`);
  run(CC64, [
    '-O2',
    '-ffreestanding',
    '-fno-builtin',
    '-fno-tree-loop-distribute-patterns',
    '-fno-stack-protector',
    '-mno-stack-arg-probe',
    '-mno-red-zone',
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
    join(dir, 'libhal.a'),
  ]);
  return out;
}
