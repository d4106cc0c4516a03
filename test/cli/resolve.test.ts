// `nt351 resolve`: NT's statuses for every kind of miss, exit codes, and golden human/JSON output.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolveReport } from '../../src/analysis/resolve.js';
import { cliInProcess } from '../helpers/cli.js';
import { kbLikeSet } from '../helpers/imageset.js';

const set = kbLikeSet();
afterAll(() => rmSync(set.root, { recursive: true, force: true }));

const cli = async (...args: string[]) => {
  const r = await cliInProcess(...args);
  const clean = (s: string) => s.split(set.root).join('<set>');
  return { code: r.code, stdout: clean(r.stdout), stderr: clean(r.stderr) };
};

describe('nt351 resolve --kernel-mode on a KB Q138713-like set', () => {
  let r: Awaited<ReturnType<typeof cli>>;
  let report: ResolveReport;
  let misses: unknown[][];
  beforeAll(async () => {
    r = await cli('resolve', '--kernel-mode', '--json', set.root);
    report = JSON.parse(r.stdout) as ResolveReport;
    misses = report.missing.map((m) => [
      m.image.split('/').pop(),
      m.module,
      m.name ?? `#${m.ordinal}`,
      m.status,
    ]);
  });

  it('exits 1 because imports are missing', () => {
    expect(r.code).toBe(1);
  });

  it('gives each miss the status NT would', () => {
    expect(misses).toEqual([
      ['ODD.SYS', 'NTOSKRNL.EXE', '#99', '0xC0000262'], // ordinal past NumberOfFunctions
      ['ODD.SYS', 'NTOSKRNL.EXE', 'KiMissingTarget', '0xC0000263'], // forwarder to a module not in the set
      ['ODD.SYS', 'ntdll.dll', 'NtClose', '0xC000007A'], // user-mode DLL
      ['ODD.SYS', 'MISSING.SYS', 'Anything', '0xC0000034'], // dependency file not found
      ['SRV.SYS', 'NTOSKRNL.EXE', 'RtlIsNameLegalDOS8Dot3', '0xC0000263'], // the seed
    ]);
  });

  it('words the srv.sys miss as the seed popup does', () => {
    const srv = report.missing.find((m) => m.name === 'RtlIsNameLegalDOS8Dot3')!;
    expect(srv.ntPath).toBe('\\SystemRoot\\System32\\drivers\\srv.sys');
    expect(srv.caption).toBe('Driver Entry Point Not Found');
    expect(srv.message).toBe(
      'The \\SystemRoot\\System32\\drivers\\srv.sys device driver could not locate the entry point RtlIsNameLegalDOS8Dot3 in driver NTOSKRNL.EXE.',
    );
  });

  it('follows forwarders across modules and resolves ordinals in range', () => {
    const good = report.images.find((i) => i.file.endsWith('GOOD.SYS'))!;
    expect(good).toMatchObject({ imports: 3, resolved: 3, missing: 0 });
    const hal = report.images.find((i) => i.file.endsWith('HAL.DLL'))!;
    expect(hal).toMatchObject({ imports: 1, resolved: 1 });
  });

  it('matches the golden JSON and human reports', async () => {
    await expect(r.stdout).toMatchFileSnapshot('../golden/resolve-kb-like.json');
    const human = await cli('resolve', '--kernel-mode', set.root);
    await expect(human.stdout).toMatchFileSnapshot('../golden/resolve-kb-like.txt');
  });
});

describe('nt351 resolve in user mode', () => {
  it('uses the user-mode statuses and accepts ntdll', async () => {
    const report = JSON.parse((await cli('resolve', '--json', set.root)).stdout) as ResolveReport;
    const odd = report.missing.filter((m) => m.image.endsWith('ODD.SYS')).map((m) => m.status);
    expect(odd).toEqual(['0xC0000138', '0xC0000139', '0xC0000135', '0xC0000135']);
  });
});

describe('nt351 resolve with bad input', () => {
  it('exits 3 with one line for a missing path', async () => {
    const r = await cli('resolve', '/nonexistent/dir');
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('nt351: /nonexistent/dir: no such file or directory\n');
  });
  it('exits 64 for a bad option', async () => {
    expect((await cli('resolve', '--bogus', set.root)).code).toBe(64);
  });
  it('refuses --kernel-mode with --user-mode', async () => {
    expect((await cli('resolve', '--kernel-mode', '--user-mode', set.root)).code).toBe(64);
  });
});
