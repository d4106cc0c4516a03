// `nt351 resolve` on a large folder: 650 user-mode images, 600 of them importing from an absent
// zlib1.dll, plus a truncated driver and an Alpha image among i386 ones. The default output is a
// summary that fits a screen (misses grouped per module and status, importers once); --verbose has
// every miss; --json keeps every miss; images NT's loader would refuse are counted, not resolved.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolveReport } from '../../src/analysis/index.js';
import { run } from '../../src/cli/main.js';
import { cliInProcess } from '../helpers/cli.js';
import { image, namedExports } from '../helpers/imageset.js';

const dir = mkdtempSync(join(tmpdir(), 'nt351-resolve-scale-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = async (...args: string[]) => {
  const r = await cliInProcess('resolve', ...args);
  return { ...r, stdout: r.stdout.split(dir).join('<dir>') };
};

const ZLIB = [
  'deflate',
  'inflate',
  'crc32',
  'adler32',
  'compress2',
  'uncompress',
  'deflateInit_',
  'inflateInit_',
  'deflateEnd',
  'inflateEnd',
];

beforeAll(() => {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'kernel32.dll'),
    image({ exports: namedExports('kernel32.dll', ['ExitProcess', 'GetLastError']) }),
  );
  for (let i = 0; i < 650; i++) {
    const imports = [{ dll: 'kernel32.dll', imports: [{ name: 'ExitProcess' }, { name: 'GetLastError' }] }];
    if (i < 600)
      imports.push({
        dll: 'zlib1.dll',
        imports: ZLIB.slice(0, 1 + (i % ZLIB.length)).map((name) => ({ name })),
      });
    if (i % 100 === 7) imports.push({ dll: 'kernel32.dll', imports: [{ name: 'GetTickCount64' }] });
    writeFileSync(join(bin, `app${String(i).padStart(3, '0')}.dll`), image({ imports }));
  }
  // A driver cut short, as `head -c 2000 srv.sys` leaves it: its sections' raw data lies past the end.
  const whole = image({ imports: [{ dll: 'kernel32.dll', imports: [{ name: 'ExitProcess' }] }] });
  writeFileSync(join(bin, 'cut.dll'), whole.subarray(0, 0x300));
  // An image for another processor (Alpha AXP, 0x184) among i386 ones.
  const alpha = image({ imports: [{ dll: 'kernel32.dll', imports: [{ name: 'ExitProcess' }] }] });
  new DataView(alpha.buffer).setUint16(new DataView(alpha.buffer).getUint32(0x3c, true) + 4, 0x184, true);
  writeFileSync(join(bin, 'alpha.dll'), alpha);
});

describe('nt351 resolve on 653 images', () => {
  let r: Awaited<ReturnType<typeof cli>>;
  beforeAll(async () => {
    r = await cli(dir);
  });

  it('prints a summary that fits a screen, exit 1', () => {
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n').length).toBeLessThanOrEqual(40);
  });

  it('groups the misses per missing module and status with counts, importers listed once', () => {
    const zlib = 600 * 5.5; // 1..10 imports each, 60 images per count
    expect(r.stdout).toContain(
      `MISSING zlib1.dll: ${zlib} import(s), 0xC0000135 STATUS_DLL_NOT_FOUND (module not found)`,
    );
    expect(r.stdout).toContain(`  entries (10): ${ZLIB.slice(0, 8).join(', ')} … and 2 more`);
    expect(r.stdout).toContain('  imported by (600) <dir>/bin/app000.dll, <dir>/bin/app001.dll,');
    expect(r.stdout).toContain(
      'MISSING kernel32.dll: 7 import(s), 0xC0000139 STATUS_ENTRYPOINT_NOT_FOUND (name not exported)',
    );
    expect(r.stdout).toContain('  entry: GetTickCount64');
    expect(r.stdout.match(/app007\.dll/g)).toHaveLength(1);
  });

  it('refuses the truncated and the foreign image with STATUS_INVALID_IMAGE_FORMAT and counts them', () => {
    expect(r.stdout).toContain('REFUSED <dir>/bin/cut.dll: 0xC000007B STATUS_INVALID_IMAGE_FORMAT');
    expect(r.stdout).toMatch(
      / {2}section \d \(\.\w+\): raw data 0x[0-9a-f]+\+0x[0-9a-f]+ runs past the end of the file \(0x300 bytes\)/,
    );
    expect(r.stdout).toContain('REFUSED <dir>/bin/alpha.dll: 0xC000007B STATUS_INVALID_IMAGE_FORMAT');
    expect(r.stdout).toContain("  machine alpha, but the set's images are i386");
    expect(r.stdout).toContain(
      '3307 import(s) missing from 2 module/status group(s); 2 image(s) refused (STATUS_INVALID_IMAGE_FORMAT).',
    );
    expect(r.stdout).toMatch(/^Resolved 1300 of 4607 imports across 651 image\(s\)/);
  });

  it('--verbose prints every miss on its own lines', async () => {
    const v = await cli('--verbose', dir);
    expect(v.stdout.match(/^MISSING <dir>\/bin\/app\d+\.dll -> /gm)).toHaveLength(3307);
  });

  it('--json keeps every miss and names the refused images', async () => {
    const report = JSON.parse((await cli('--json', dir)).stdout) as ResolveReport;
    expect(report.missing).toHaveLength(3307);
    expect(report.refused.map((x) => [x.file.split('/').pop(), x.status])).toEqual([
      ['alpha.dll', '0xC000007B'],
      ['cut.dll', '0xC000007B'],
    ]);
    expect(report.summary).toEqual({
      images: 651,
      imports: 4607,
      resolved: 1300,
      missing: 3307,
      refused: 2,
      errors: 0,
    });
  });
});

describe('progress', () => {
  it('draws a progress line on a terminal for more than 100 images, then erases it', async () => {
    let stderr = '';
    let stdout = '';
    const code = await run(['node', 'nt351', 'resolve', dir], {
      stdout: (s) => (stdout += s),
      stderr: (s) => (stderr += s),
      stderrIsTTY: true,
    });
    expect(code).toBe(1);
    expect(stderr).toContain('\rresolve: 25/653 images');
    expect(stderr).toContain('\rresolve: 653/653 images');
    expect(stderr.endsWith('\r\x1b[K')).toBe(true);
    expect(stdout).not.toContain('resolve: ');
  });

  it('draws none off a terminal or for a small set', async () => {
    expect((await cli(dir)).stderr).toBe('');
    let stderr = '';
    await run(['node', 'nt351', 'resolve', join(dir, 'bin', 'app000.dll')], {
      stdout: () => {},
      stderr: (s) => (stderr += s),
      stderrIsTTY: true,
    });
    expect(stderr).toBe('');
  });
});

describe('a truncated driver alone (head -c 2000 srv.sys)', () => {
  it('is refused, exit 1, not "Nothing is missing."', async () => {
    const srv = join(dir, 'srv.sys');
    writeFileSync(srv, readFileSync('fixtures/bin/nt351/sp3/srv.sys').subarray(0, 2000));
    const t = await cli('--kernel-mode', srv);
    expect(t.stdout).not.toContain('Nothing is missing.');
    expect(t.stdout).toContain('REFUSED <dir>/srv.sys: 0xC000007B STATUS_INVALID_IMAGE_FORMAT');
    expect(t.code).toBe(1);
  });
});
