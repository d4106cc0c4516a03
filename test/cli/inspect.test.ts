// `nt351 inspect`: the JSON fields the issue names, golden human output, and one-line errors with the
// documented exit codes (also through the real bin/nt351.js, to see no stack trace reaches the user).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InspectReport } from '../../src/analysis/inspect.js';
import { cliInProcess } from '../helpers/cli.js';
import { image, kbLikeSet } from '../helpers/imageset.js';

const set = kbLikeSet();
const tmp = mkdtempSync(join(tmpdir(), 'nt351-inspect-'));
afterAll(() => {
  rmSync(set.root, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});
const kernel = join(set.system32, 'NTOSKRNL.EXE');

const cli = async (...args: string[]) => {
  const r = await cliInProcess(...args);
  const clean = (s: string) => s.split(set.root).join('<set>').split(tmp).join('<tmp>');
  return { code: r.code, stdout: clean(r.stdout), stderr: clean(r.stderr) };
};

describe('nt351 inspect --json', () => {
  let r: Awaited<ReturnType<typeof cli>>;
  let report: InspectReport;
  beforeAll(async () => {
    r = await cli('inspect', '--json', kernel);
    report = JSON.parse(r.stdout) as InspectReport;
  });

  it('exits 0 and reports the header fields', () => {
    expect(r.code).toBe(0);
    expect(report).toMatchObject({
      machine: 'i386',
      imageBase: 0x80100000,
      entryPoint: 0x1000,
      subsystem: 'native',
      subsystemVersion: '3.51',
      format: 'PE32',
    });
    expect(report.characteristics).toEqual(['IMAGE_FILE_EXECUTABLE_IMAGE', 'IMAGE_FILE_32BIT_MACHINE']);
    expect(report.sections.map((s) => s.name)).toEqual(['.text', '.rdata']);
    expect(report.checksum.matches).toBe(true);
    expect(report.version).toBeNull();
  });

  it('lists exports with forwarders and imports with hints', async () => {
    expect(report.exports?.dllName).toBe('ntoskrnl.exe');
    expect(report.exports?.entries.find((e) => e.name === 'KeRaiseIrql')).toEqual({
      ordinal: 5,
      name: 'KeRaiseIrql',
      rva: null,
      forwarder: 'HAL.KfRaiseIrql',
    });
    const hal = JSON.parse(
      (await cli('inspect', '--json', join(set.system32, 'HAL.DLL'))).stdout,
    ) as InspectReport;
    expect(hal.imports).toEqual([
      { dll: 'ntoskrnl.exe', entries: [{ name: 'KeBugCheckEx', ordinal: null, hint: 0 }] },
    ]);
    expect(hal.characteristics).toContain('IMAGE_FILE_DLL');
  });

  it('matches the golden human report', async () => {
    await expect((await cli('inspect', kernel)).stdout).toMatchFileSnapshot('../golden/inspect-kernel.txt');
  });
});

describe('nt351 inspect on bad input', () => {
  const cases: [string, () => string, number, RegExp][] = [
    [
      'a missing file',
      () => join(tmp, 'nope.sys'),
      3,
      /^nt351: <tmp>\/nope\.sys: no such file or directory\n$/,
    ],
    ['a directory', () => tmp, 3, /^nt351: <tmp>: is a directory, expected a PE file\n$/],
    [
      'an empty file',
      () => write('empty.sys', new Uint8Array()),
      2,
      /IMAGE_DOS_HEADER\.e_magic: needs 64 byte/,
    ],
    [
      'a text file',
      () => write('text.sys', new TextEncoder().encode('hello, world\n'.repeat(10))),
      2,
      /e_magic: expected "MZ"/,
    ],
    [
      'a truncated image',
      () => write('trunc.sys', image({}).subarray(0, 0x90)),
      2,
      /offset 0x84: IMAGE_FILE_HEADER|IMAGE_DOS_HEADER\.e_lfanew/,
    ],
  ];
  for (const [what, make, code, pattern] of cases) {
    it(`${what}: exit ${code}, one line`, async () => {
      const r = await cli('inspect', make());
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    });
  }

  it('gives a JSON error object with --json', async () => {
    const r = await cli(
      'inspect',
      '--json',
      write('text2.sys', new TextEncoder().encode('MZ but nothing else')),
    );
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({
      error: { error: 'MalformedPeError', structure: 'IMAGE_DOS_HEADER' },
    });
  });

  // Needs dist/ (npm test builds before running vitest).
  it('through bin/nt351.js: no stack trace, documented exit code', () => {
    const p = spawnSync(
      process.execPath,
      ['bin/nt351.js', 'inspect', write('bin.sys', new Uint8Array([0x4d, 0x5a]))],
      {
        encoding: 'utf8',
      },
    );
    expect(p.status).toBe(2);
    expect(p.stderr).not.toMatch(/\n\s+at /);
    expect(p.stderr.trim().split('\n')).toHaveLength(1);
  });
});

function write(name: string, bytes: Uint8Array): string {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  expect(readFileSync(p).length).toBe(bytes.length);
  return p;
}
