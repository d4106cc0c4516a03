// Differential check of src/cpu/unicorn-abi.ts against Unicorn's own headers: compiles a C program
// printing the constants from /usr/include/unicorn (Debian libunicorn-dev). Skipped where the headers
// or a C compiler are missing (user machines have only libunicorn2).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as abi from '../../src/cpu/unicorn-abi.js';

const haveHeaders =
  existsSync('/usr/include/unicorn/unicorn.h') && spawnSync('cc', ['--version']).status === 0;

/** [C expression, value in unicorn-abi.ts] */
const pairs: [string, number][] = [
  ['UC_ARCH_X86', abi.UC_ARCH_X86],
  ['UC_MODE_32', abi.UC_MODE_32],
  ...Object.entries(abi.UcErr).map(([k, v]): [string, number] => [`UC_ERR_${k}`, v]),
  ['UC_PROT_READ', abi.UC_PROT_READ],
  ['UC_PROT_WRITE', abi.UC_PROT_WRITE],
  ['UC_PROT_EXEC', abi.UC_PROT_EXEC],
  ['UC_HOOK_INTR', abi.UC_HOOK_INTR],
  ['UC_HOOK_INSN', abi.UC_HOOK_INSN],
  ['UC_HOOK_CODE', abi.UC_HOOK_CODE],
  ['UC_HOOK_BLOCK', abi.UC_HOOK_BLOCK],
  ['UC_HOOK_MEM_READ_UNMAPPED', abi.UC_HOOK_MEM_READ_UNMAPPED],
  ['UC_HOOK_MEM_WRITE_UNMAPPED', abi.UC_HOOK_MEM_WRITE_UNMAPPED],
  ['UC_HOOK_MEM_FETCH_UNMAPPED', abi.UC_HOOK_MEM_FETCH_UNMAPPED],
  ['UC_HOOK_MEM_READ_PROT', abi.UC_HOOK_MEM_READ_PROT],
  ['UC_HOOK_MEM_WRITE_PROT', abi.UC_HOOK_MEM_WRITE_PROT],
  ['UC_HOOK_MEM_FETCH_PROT', abi.UC_HOOK_MEM_FETCH_PROT],
  ['UC_HOOK_MEM_INVALID', abi.UC_HOOK_MEM_INVALID],
  ...Object.entries(abi.UcMem).map(([k, v]): [string, number] => [`UC_MEM_${k}`, v]),
  ['UC_QUERY_TIMEOUT', abi.UC_QUERY_TIMEOUT],
  ['UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2)', abi.UC_CTL_TB_REMOVE_CACHE_WRITE],
  ...Object.entries(abi.UcX86Reg).map(([k, v]): [string, number] => [`UC_X86_REG_${k.toUpperCase()}`, v]),
  ['UC_MODE_64', abi.UC_MODE_64],
  ...Object.entries(abi.UcX64Reg).map(([k, v]): [string, number] => [`UC_X86_REG_${k.toUpperCase()}`, v]),
  ['sizeof(uc_x86_msr)', abi.UC_X86_MSR.size],
  ['offsetof(uc_x86_msr, rid)', abi.UC_X86_MSR.rid],
  ['offsetof(uc_x86_msr, value)', abi.UC_X86_MSR.value],
  ['UC_X86_INS_IN', abi.UC_X86_INS_IN],
  ['UC_X86_INS_OUT', abi.UC_X86_INS_OUT],
  ['sizeof(uc_x86_mmr)', abi.UC_X86_MMR.size],
  ['offsetof(uc_x86_mmr, selector)', abi.UC_X86_MMR.selector],
  ['offsetof(uc_x86_mmr, base)', abi.UC_X86_MMR.base],
  ['offsetof(uc_x86_mmr, limit)', abi.UC_X86_MMR.limit],
  ['offsetof(uc_x86_mmr, flags)', abi.UC_X86_MMR.flags],
  ['sizeof(uc_mem_region)', abi.UC_MEM_REGION.size],
  ['offsetof(uc_mem_region, begin)', abi.UC_MEM_REGION.begin],
  ['offsetof(uc_mem_region, end)', abi.UC_MEM_REGION.end],
  ['offsetof(uc_mem_region, perms)', abi.UC_MEM_REGION.perms],
];

describe('unicorn-abi.ts', () => {
  it.skipIf(!haveHeaders)('matches unicorn.h and x86.h', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nt351-abi-'));
    const src = join(dir, 'abi.c');
    writeFileSync(
      src,
      [
        '#include <stddef.h>',
        '#include <stdio.h>',
        '#include <unicorn/unicorn.h>',
        'int main(void) {',
        ...pairs.map(([expr]) => `  printf("%lld\\n", (long long)(${expr}));`),
        '  return 0;',
        '}',
      ].join('\n'),
    );
    const exe = join(dir, 'abi');
    const cc = spawnSync('cc', [src, '-o', exe], { encoding: 'utf8' });
    expect(cc.stderr).toBe('');
    const out = spawnSync(exe, { encoding: 'utf8' }).stdout.trim().split('\n').map(Number);
    expect(Object.fromEntries(pairs.map(([expr], i) => [expr, out[i]]))).toEqual(Object.fromEntries(pairs));
  });
});
