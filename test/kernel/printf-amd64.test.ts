// DbgPrint and the CRT's printf family called from AMD64 code (test/kernel/guest64/printf.c, built
// here with Debian's x86_64 mingw-w64): variadic arguments are 64-bit slots, so %p is the guest's
// 64-bit address, %I64x, %llx and %Ix take one slot, and the arguments after them are not shifted.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runDriver } from '../../src/sandbox/index.js';

const CC = 'x86_64-w64-mingw32-gcc';
const DLLTOOL = 'x86_64-w64-mingw32-dlltool';
const haveCc = spawnSync(CC, ['--version']).status === 0;
const SOURCE = fileURLToPath(new URL('guest64/printf.c', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'nt351-printf64-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function build(): string {
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  };
  writeFileSync(join(dir, 'n.def'), 'LIBRARY ntoskrnl.exe\nEXPORTS\n  DbgPrint\n  _snprintf\n  _vsnprintf\n');
  run(DLLTOOL, ['-d', join(dir, 'n.def'), '-l', join(dir, 'libn.a')]);
  const flags = ['-O2', '-ffreestanding', '-fno-builtin', '-fno-stack-protector', '-mno-stack-arg-probe'];
  run(CC, [...flags, '-Wall', '-Werror', '-c', SOURCE, '-o', join(dir, 'p.o')]);
  const sys = join(dir, 'printf64.sys');
  run(CC, [
    '-nostdlib',
    '-s',
    '-Wl,--subsystem,native',
    '-Wl,--image-base,0x140000000',
    '-Wl,-e,DriverEntry',
    '-o',
    sys,
    join(dir, 'p.o'),
    join(dir, 'libn.a'),
  ]);
  return sys;
}

describe.skipIf(!haveCc)('printf formatting on AMD64', () => {
  it('%p, %I64x, %llx, %Ix and %I64d take one 64-bit slot each (DbgPrint, _snprintf, _vsnprintf)', async () => {
    const r = await runDriver({ driver: build(), kernel: 'registry' });
    expect(r.outcome).toBe('ok');
    const printed = r.events.flatMap((e) => (e.type === 'dbgprint' ? [e.text] : []));
    // The DRIVER_OBJECT as the guest sees it: a system-space address, 16 digits.
    const address = /^p=(FFFFF800[0-9A-F]{8}) /.exec(printed[0] ?? '')?.[1];
    expect(address).toBeDefined();
    expect(printed).toEqual([
      `p=${address} q=1122334455667788 r=8877665544332211 s=-5 t=aabbccdd11223344 u=ok`,
      `${address}|-2|1234|z|18446744073709551615`,
      `${address}|fedcba9876543210|7|va`,
    ]);
  }, 60_000);
});
