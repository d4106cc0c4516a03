// Issue 20, items 5, 8 and 9: no input ends as an internal error (exit 70). Guest-written driver-object
// fields the kernel reads, odd machine.yaml keys, malformed images anywhere in a set, bad API options,
// device names, and inputs read without limits each end as a report or a typed, documented error.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BootOptionsError,
  boot,
  ImageSetError,
  imageSet,
  loadImageSet,
  replay,
} from '../../src/api/index.js';
import { INPUT_LIMITS, InputFileError, readRegularFile } from '../../src/input/index.js';
import { PeImage } from '../../src/pe/index.js';
import { runDriver } from '../../src/sandbox/index.js';
import { Media, MediaError } from '../../src/system/index.js';
import { cliInProcess } from '../helpers/cli.js';
import { haveUnicorn } from '../helpers/unicorn.js';
import { x86Driver } from '../helpers/x86-driver.js';

const tmp = mkdtempSync(join(tmpdir(), 'nt351-inputs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cli = cliInProcess;

// DriverEntry: mov eax, [esp+4] (the DRIVER_OBJECT); then `body`; xor eax, eax; ret 8.
const entry = (...body: number[]) => [0x8b, 0x44, 0x24, 0x04, ...body, 0x31, 0xc0, 0xc2, 0x08, 0x00];
const WILD = [0xef, 0xbe, 0xad, 0xde]; // 0xdeadbeef

describe.skipIf(!haveUnicorn)('(5) driver-object fields the kernel reads after DriverEntry', () => {
  const cases: [string, number[], string][] = [
    // mov dword [eax+0x18], 0xdeadbeef
    ['DriverExtension = 0xdeadbeef', entry(0xc7, 0x40, 0x18, ...WILD), 'DriverExtension'],
    // mov dword [eax+4], 0xdeadbeef; mov dword [eax+0x38], 1 (IRP_MJ_CREATE, never called)
    [
      'DeviceObject = 0xdeadbeef',
      entry(0xc7, 0x40, 0x04, ...WILD, 0xc7, 0x40, 0x38, 1, 0, 0, 0),
      'StackSize',
    ],
    // DriverExtension->AddDevice = the routine below, which sets Pdo->AttachedDevice = 0xdeadbeef.
    [
      'a wild AttachedDevice set in AddDevice',
      [
        ...[0x8b, 0x44, 0x24, 0x04], // mov eax, [esp+4]
        ...[0x8b, 0x50, 0x18], // mov edx, [eax+0x18]
        ...[0xe8, 0, 0, 0, 0, 0x59], // call $+5; pop ecx
        ...[0x83, 0xc1, 0x0c], // add ecx, 12 (AddDevice below)
        ...[0x89, 0x4a, 0x04], // mov [edx+4], ecx
        ...[0x31, 0xc0, 0xc2, 0x08, 0x00], // xor eax, eax; ret 8
        ...[0x8b, 0x44, 0x24, 0x08], // AddDevice: mov eax, [esp+8] (the PDO)
        ...[0xc7, 0x40, 0x10, ...WILD], // mov dword [eax+0x10], 0xdeadbeef
        ...[0x31, 0xc0, 0xc2, 0x08, 0x00],
      ],
      'AttachedDevice',
    ],
  ];
  for (const [what, code, routine] of cases) {
    it(`${what}: a guest fault at the kernel's read and NT's bugcheck 0x1E, not an internal error`, async () => {
      const driver = join(tmp, `${routine}.sys`);
      writeFileSync(
        driver,
        x86Driver([], (a) => a.emit(...code)),
      );
      const r = await runDriver({ driver });
      expect(r.outcome).toBe('bugcheck');
      const last = r.calls.at(-1)!;
      expect(last.routine).toContain(routine);
      expect(last.outcome.kind).toBe('stopped');
      const bug = r.events.find((e) => e.type === 'bugcheck');
      expect(bug).toMatchObject({ code: 0x1e, parameters: [0xc0000005, 0, 0, expect.any(Number)] });
      const c = await cli('run-driver', '--json', driver);
      expect(c.code).toBe(1);
    });
  }
});

const MANIFEST_HEAD = [
  'schema: nt351-imageset/1',
  'machine: {architecture: x86, cpus: 1, profile: x86-pc-up}',
  'systemRoot: WINNT35',
  'kernel: System32\\ntoskrnl.exe',
  'hal: System32\\hal.dll',
  'services:',
].join('\n');

describe('(5) machine.yaml service names that are not names', () => {
  for (const [what, yaml, col] of [
    ['a null key', '  ~: {Type: 1, Start: 1}', 3],
    ['a sequence as a key', '  [a, b]: {Type: 1, Start: 1}', 3],
    ['a mapping as a key', '  ? {a: 1}\n  : {Type: 1, Start: 1}', 5],
    ['an empty key', '  "": {Type: 1, Start: 1}', 3],
  ] as const) {
    it(`${what} is a positioned ImageSetError, exit 65`, async () => {
      const dir = mkdtempSync(join(tmp, 'set-'));
      writeFileSync(join(dir, 'machine.yaml'), `${MANIFEST_HEAD}\n${yaml}\n`);
      const c = await cli('boot', '--json', dir);
      expect(c.code).toBe(65);
      expect(JSON.parse(c.stdout).error.error).toBe('ImageSetError');
      expect(c.stderr).toContain(`machine.yaml:7:${col}: `);
      expect(c.stderr).toContain('keys must be plain names');
    });
  }
});

/** A copy of a fixture set with `file` (under WINNT35\SYSTEM32) changed by `edit`. */
function setWith(fixture: string, file: string, edit: (b: Uint8Array) => void): string {
  const dir = mkdtempSync(join(tmp, 'set-'));
  cpSync(join('fixtures/imagesets', fixture), dir, { recursive: true });
  const path = join(dir, 'WINNT35', 'SYSTEM32', file);
  const bytes = new Uint8Array(readFileSync(path));
  edit(bytes);
  writeFileSync(path, bytes);
  return dir;
}
/** The export directory's RVA pointed outside the image (the stress run's corrupt export directory). */
const corruptExports = (b: Uint8Array) => {
  const v = new DataView(b.buffer, b.byteOffset);
  const optional = v.getUint32(0x3c, true) + 24;
  v.setUint32(optional + 96, 0x7ffffff0, true);
};

describe.skipIf(!haveUnicorn)(
  "(5) a corrupt export directory anywhere in the set is NT's outcome in a report",
  () => {
    it('in the kernel: NTLDR stops with "missing or corrupt" naming NTOSKRNL.EXE; exit 2 with a report', async () => {
      const dir = setWith('rtm-x86-up', 'NTOSKRNL.EXE', corruptExports);
      const r = await boot(dir);
      expect(r.outcome).toBe('loader-stop');
      expect(r.loaderMessage![1]).toBe('\\WINNT35\\System32\\ntoskrnl.exe');
      expect(r.loaderMessage![2]).toContain('export directory of NTOSKRNL.EXE is corrupt');
      const c = await cli('boot', '--json', dir);
      expect(c.code).toBe(2); // did not boot: the OS loader stopped (before: 2 with no report)
      expect(JSON.parse(c.stdout).outcome).toBe('loader-stop');
    });
    it('in the HAL: the loader stop names HAL.DLL', async () => {
      const r = await boot(setWith('rtm-x86-up', 'HAL.DLL', corruptExports));
      expect(r.outcome).toBe('loader-stop');
      expect(r.loaderMessage![1]).toBe('\\WINNT35\\System32\\hal.dll');
    });
    it('in NDIS.SYS, which network drivers import from: they fail to load with 0xC000007B, the boot goes on', async () => {
      const r = await boot(setWith('rtm-x86-up', 'DRIVERS/NDIS.SYS', corruptExports));
      expect(r.outcome).toBe('errors');
      const failed = r.timeline.filter((t) =>
        t.detail.includes('failed to load: STATUS_INVALID_IMAGE_FORMAT'),
      );
      expect(failed.map((t) => t.detail.split(':')[0])).toEqual(['Elnk3', 'Nbf']);
      expect(r.events.find((e) => e.id === 7026)?.message).toContain('Elnk3');
    });
  },
);

describe.skipIf(!haveUnicorn)('(9) the machine check of images against the kernel (0xC000007B)', () => {
  const alphaNdis = () => new Uint8Array(readFileSync('fixtures/media/nt351-alpha-rtm/ALPHA/NDIS.SYS'));
  it('an Alpha NDIS.SYS in an x86 boot is refused at load, not run as x86 code', async () => {
    const set = imageSet('fixtures/imagesets/rtm-x86-up')
      .replace('\\SystemRoot\\System32\\drivers\\ndis.sys', alphaNdis())
      .build();
    const r = await boot(set);
    expect(r.timeline.map((t) => t.detail)).toContain(
      'Ndis: \\SystemRoot\\System32\\drivers\\ndis.sys failed to load: STATUS_INVALID_IMAGE_FORMAT',
    );
    expect(r.modules.map((m) => m.name.toUpperCase())).not.toContain('NDIS.SYS');
  });
  it('run-driver refuses an Alpha driver on the x86 kernel with the machine types in the reason', async () => {
    const driver = join(tmp, 'alpha-ndis.sys');
    writeFileSync(driver, alphaNdis());
    const r = await runDriver({ driver });
    expect(r.outcome).toBe('load-failed');
    expect(r.load).toMatchObject({ ok: false, status: '0xC000007B' });
    expect(r.load.ok === false && r.load.reason).toBe(
      'built for machine type 0x184 (Alpha AXP), but the kernel is 0x14c (x86)',
    );
  });
});

describe.skipIf(!haveUnicorn)('(5) replay: the Alpha kernel copied over an x86 one', () => {
  it('fails that scenario with the reason, not exit 70', async () => {
    const text = [
      'schema: nt351-scenario/1',
      'name: alpha kernel on x86',
      'start: { imageset: fixtures/imagesets/rtm-x86-up }',
      'steps:',
      "  - copy: { from: 'media:nt351-alpha-rtm\\ALPHA\\NTOSKRNL.EXE', to: '%SystemRoot%\\System32\\ntoskrnl.exe' }",
      '  - boot: {}',
      '  - expect: { outcome: clean }',
      '',
    ].join('\n');
    const [res] = await replay(text);
    expect(res!.passed).toBe(false);
    expect(res!.firstDifference?.actual).toContain('machine type 0x184');
    const file = join(tmp, 'alpha-on-x86.yaml');
    writeFileSync(file, text.replace('fixtures/', `${process.cwd()}/fixtures/`));
    expect((await cli('replay', file)).code).toBe(1);
  });
});

describe("(9) boot options from the library are checked like the CLI's flags", () => {
  const set = () => loadImageSet('fixtures/imagesets/rtm-x86-up');
  for (const cpus of [0, -1, 2.5, Number.NaN, 1000]) {
    it(`cpus: ${cpus} is a BootOptionsError`, async () => {
      await expect(boot(set(), { cpus })).rejects.toThrow(BootOptionsError);
      await expect(boot(set(), { cpus })).rejects.toThrow(/cpus expects a whole number from 1 to 32/);
    });
  }
  it('maxMillis: 0, maxInstructions: Infinity, traceLimit: -5 and trace: "everything" too', async () => {
    await expect(boot(set(), { maxMillis: 0 })).rejects.toThrow(BootOptionsError);
    await expect(boot(set(), { maxInstructions: Number.POSITIVE_INFINITY })).rejects.toThrow(
      BootOptionsError,
    );
    await expect(boot(set(), { traceLimit: -5 })).rejects.toThrow(BootOptionsError);
    await expect(boot(set(), { trace: 'everything' as never })).rejects.toThrow(BootOptionsError);
    await expect(boot(set(), { onProgress: 'log' as never })).rejects.toThrow(BootOptionsError);
  });
});

describe('(9) Win32 device names are not file names in an image set', () => {
  const set = loadImageSet('fixtures/imagesets/rtm-x86-up');
  for (const name of [
    'CONIN$',
    'conout$',
    'COM0',
    'LPT0',
    'NUL .txt',
    'nul....',
    'PRN   ',
    'COM\u00b9',
    'aux.tar.gz',
  ]) {
    it(`'${name}' names a device`, () => {
      expect(() => set.resolve(`\\SystemRoot\\${name}`)).toThrow(ImageSetError);
      expect(() => set.resolve(`\\SystemRoot\\${name}`)).toThrow(/names a device/);
    });
  }
  for (const name of ['CONSOLE.SYS', 'COM10', 'NULL', 'LPT', 'con_x.txt', 'COMX']) {
    it(`'${name}' is an ordinary name`, () => {
      expect(set.resolve(`\\SystemRoot\\${name}`)).toBe(`WINNT35\\${name}`);
    });
  }
});

describe('(8) inputs are checked for type and size before they are read', () => {
  /** A media tree under a fresh root: SERVICES.YAML and a driver copied from the RTM CD, then `edit`. */
  const mediaRoot = (edit: (dir: string) => void) => {
    const root = mkdtempSync(join(tmp, 'media-'));
    const dir = join(root, 'cd');
    mkdirSync(dir);
    cpSync('fixtures/media/nt351-x86-rtm/SERVICES.YAML', join(dir, 'SERVICES.YAML'));
    edit(dir);
    return root;
  };
  it('a SETUP.INF linked to /dev/zero is refused at once (it passed 4 GB in 14 s)', () => {
    const root = mediaRoot((d) => symlinkSync('/dev/zero', join(d, 'SETUP.INF')));
    expect(() => Media.open(root, 'cd')).toThrow(MediaError);
    expect(() => Media.open(root, 'cd')).toThrow('is a symbolic link');
  });
  it.skipIf(spawnSync('mkfifo', ['--version']).status !== 0)(
    'a SETUP.INF that is a FIFO is refused, not waited on',
    () => {
      const root = mediaRoot((d) => spawnSync('mkfifo', [join(d, 'SETUP.INF')]));
      expect(() => Media.open(root, 'cd')).toThrow('is not a regular file');
    },
  );
  it('a 1.5 GB sparse SERVICES.YAML is refused by its size, unread', () => {
    const root = mediaRoot((d) => {
      writeFileSync(join(d, 'SETUP.INF'), '[Version]\nSignature = x\n[Files]\n');
      truncateSync(join(d, 'SERVICES.YAML'), 1.5 * 2 ** 30);
    });
    const media = Media.open(root, 'cd');
    expect(() => media.services()).toThrow(MediaError);
    expect(() => media.services()).toThrow(
      `is ${1.5 * 2 ** 30} bytes; the limit for this kind of file is ${INPUT_LIMITS.yaml}`,
    );
  });
  it('a 1.2 GB sparse driver in an image set is refused by its size (it was read whole: 2.5 GB peak)', async () => {
    const dir = mkdtempSync(join(tmp, 'set-'));
    cpSync('fixtures/imagesets/rtm-x86-up', dir, { recursive: true });
    truncateSync(join(dir, 'WINNT35', 'SYSTEM32', 'DRIVERS', 'SRV.SYS'), Math.floor(1.2 * 2 ** 30));
    const set = loadImageSet(dir);
    expect(() => set.read('\\SystemRoot\\System32\\drivers\\srv.sys')).toThrow(
      `is ${Math.floor(1.2 * 2 ** 30)} bytes; the limit for this kind of file is ${INPUT_LIMITS.image}`,
    );
  });
  // These ended the boot with an ImageSetError (CLI exit 65); the boot goes on as NT's would.
  it.skipIf(!haveUnicorn)(
    'a driver over the image limit fails to load with STATUS_INSUFFICIENT_RESOURCES and the boot goes on',
    async () => {
      const dir = mkdtempSync(join(tmp, 'set-'));
      cpSync('fixtures/imagesets/rtm-x86-up', dir, { recursive: true });
      truncateSync(join(dir, 'WINNT35', 'SYSTEM32', 'DRIVERS', 'SRV.SYS'), INPUT_LIMITS.image + 1);
      const r = await boot(loadImageSet(dir));
      expect(r.outcome).toBe('errors');
      expect(r.timeline.map((t) => t.detail)).toContainEqual(
        expect.stringMatching(
          /srv\.sys cannot be read: is \d+ bytes; the limit for this kind of file is \d+ \(STATUS_INSUFFICIENT_RESOURCES\)$/i,
        ),
      );
      // Server's NELOG 2508 carries the NTSTATUS NtLoadDriver returned (little-endian), then 7023.
      expect(r.events.map((e) => [e.id, e.data])).toEqual([
        [6005, null],
        [2508, '9a0000c0'],
        [7023, null],
      ]);
    },
  );
  it.skipIf(!haveUnicorn)("a boot driver over the limit is NTLDR's missing-or-corrupt stop", async () => {
    const dir = mkdtempSync(join(tmp, 'set-'));
    cpSync('fixtures/imagesets/rtm-x86-up', dir, { recursive: true });
    truncateSync(join(dir, 'WINNT35', 'SYSTEM32', 'DRIVERS', 'ATDISK.SYS'), INPUT_LIMITS.image + 1);
    const r = await boot(loadImageSet(dir));
    expect(r.outcome).toBe('loader-stop');
    expect(r.loaderMessage!.slice(0, 2)).toEqual([
      'Windows NT could not start because the following file is missing or corrupt:',
      '\\WINNT35\\System32\\drivers\\atdisk.sys',
    ]);
    expect(r.loaderMessage!.join('\n')).toMatch(/is \d+ bytes; the limit for this kind of file is \d+/);
  });
  it('a FIFO (a dependency beside a driver, say) is refused by the reader without blocking', async () => {
    if (spawnSync('mkfifo', ['--version']).status !== 0) return;
    const fifo = join(tmp, 'kernel.fifo');
    spawnSync('mkfifo', [fifo]);
    expect(() => readRegularFile(fifo, 1024, true)).toThrow(InputFileError);
  });
  it.skipIf(!haveUnicorn)(
    'a file whose name is not valid UTF-8 is skipped with a warning (the set exited 66)',
    async () => {
      const dir = mkdtempSync(join(tmp, 'set-'));
      cpSync('fixtures/imagesets/rtm-x86-up', dir, { recursive: true });
      writeFileSync(
        Buffer.concat([Buffer.from(`${dir}/WINNT35/odd-`), Buffer.from([0xff, 0xfe]), Buffer.from('.txt')]),
        'x',
      );
      const set = loadImageSet(dir);
      expect(set.skipped).toHaveLength(1);
      expect(set.skipped[0]).toContain('its name is not valid UTF-8');
      const c = await cli('boot', dir);
      expect(c.code).toBe(0);
      expect(c.stderr).toContain('nt351: warning: ');
    },
  );
});

describe.skipIf(!haveUnicorn)(
  '(5) found by mutating image sets: host exceptions that were NT outcomes',
  () => {
    /** A driver importing DbgPrint, with its import descriptor changed by `edit(view, descriptorOffset)`. */
    const driverWith = (edit: (v: DataView, at: number) => void) => {
      const bytes = x86Driver(['DbgPrint'], (a) => a.emit(0x31, 0xc0, 0xc2, 0x08, 0x00));
      const v = new DataView(bytes.buffer, bytes.byteOffset);
      const dirRva = v.getUint32(v.getUint32(0x3c, true) + 24 + 104, true);
      edit(v, Number(PeImage.parse(bytes, 'x.sys').rvaToOffset(dirRva as never)));
      return bytes;
    };
    it('an import address table outside the image: 0xC000007B, not a RangeError', async () => {
      const driver = join(tmp, 'iat-outside.sys');
      // FirstThunk (descriptor + 16) far past SizeOfImage; the names still come from OriginalFirstThunk.
      writeFileSync(
        driver,
        driverWith((v, at) => v.setUint32(at + 16, 0x7ff000, true)),
      );
      const r = await runDriver({ driver });
      expect(r.load).toMatchObject({ ok: false, status: '0xC000007B' });
      expect(r.load.ok === false && r.load.reason).toContain('outside the image');
    });
    it('an import naming a DLL with a control character: not found for the driver, not an ImageSetError', async () => {
      // The fuzzer's case: NTOSKRNL.EXE's first byte changed to 0x16 in an import of RDR.SYS.
      const rdr = new Uint8Array(
        readFileSync('fixtures/imagesets/rtm-x86-up/WINNT35/SYSTEM32/DRIVERS/RDR.SYS'),
      );
      const at = Buffer.from(rdr).indexOf('ntoskrnl.exe', 0, 'latin1');
      const at2 = at >= 0 ? at : Buffer.from(rdr).indexOf('NTOSKRNL.EXE', 0, 'latin1');
      expect(at2).toBeGreaterThan(0);
      rdr[at2] = 0x16;
      const set = imageSet('fixtures/imagesets/rtm-x86-up')
        .replace('\\SystemRoot\\System32\\drivers\\rdr.sys', rdr)
        .build();
      const r = await boot(set);
      expect(r.timeline.map((t) => t.detail).join('\n')).toMatch(
        /Rdr: .*failed to load: (0xC0000034|STATUS_OBJECT_NAME_NOT_FOUND)/,
      );
    });
  },
);
