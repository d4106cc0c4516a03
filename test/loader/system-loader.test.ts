// The system loader: OS-loader boot images and MmLoadSystemImage drivers, on writer-built images.
import { describe, expect, it } from 'vitest';
import { mapImage } from '../../src/loader/map.js';
import { type ModuleFile, type ModuleSource, SystemLoader } from '../../src/loader/system-loader.js';
import { PeImage } from '../../src/pe/index.js';
import { image, namedExports } from '../helpers/imageset.js';

const KERNEL_NAMES = ['DbgPrint', 'ExAllocatePool', 'IoCreateDevice', 'KeBugCheckEx', 'RtlInitUnicodeString'];

function file(baseName: string, bytes: Uint8Array, dir = 'System32\\drivers'): ModuleFile {
  return { baseName, ntPath: `\\SystemRoot\\${dir}\\${baseName.toLowerCase()}`, bytes };
}

/** The kernel and HAL files per kernel export list: the same bytes each time, as warm boots read them. */
const bootFiles = new Map<string, { kernel: ModuleFile; hal: ModuleFile }>();

/** A kernel (with a forwarder to the HAL), a HAL, and a source holding `drivers` by name. */
function boot(
  drivers: ModuleFile[] = [],
  opts: { refuseUpOnly?: boolean; userModeDlls?: boolean; kernelNames?: string[] } = {},
) {
  const names = opts.kernelNames ?? KERNEL_NAMES;
  let files = bootFiles.get(names.join());
  if (!files) {
    const kernelExports = namedExports('ntoskrnl.exe', names, ['HAL.KfRaiseIrql']);
    kernelExports.names.push(['KeRaiseIrql', names.length]);
    kernelExports.names.sort((a, b) => (a[0] < b[0] ? -1 : 1)); // NT binary-searches the name table
    const kernelBytes = image({ exports: kernelExports, imageBase: 0x80100000 });
    const hal = file(
      'HAL.DLL',
      image({
        exports: namedExports('hal.dll', ['HalInitSystem', 'KfRaiseIrql']),
        imports: [{ dll: 'ntoskrnl.exe', imports: [{ name: 'KeBugCheckEx' }] }],
        imageBase: 0x80400000,
        characteristics: 0x2102,
      }),
      'System32',
    );
    files = { kernel: file('NTOSKRNL.EXE', kernelBytes, 'System32'), hal };
    bootFiles.set(names.join(), files);
  }
  const { kernel, hal } = files;
  const all = [kernel, hal, ...drivers];
  const source: ModuleSource = {
    findDependency: (n) => all.find((f) => f.baseName.toLowerCase() === n.toLowerCase()) ?? null,
  };
  const loader = new SystemLoader({ refuseUpOnly: opts.refuseUpOnly, userModeDlls: opts.userModeDlls });
  const k = loader.loadBootImage(kernel, source, 'kernel');
  const h = loader.loadBootImage(hal, source, 'hal');
  if (!k.ok || !h.ok) throw new Error('boot images failed to load');
  return { loader, source, kernel: k.module, hal: h.module };
}

const u32 = (bytes: Uint8Array, at: number) => new DataView(bytes.buffer).getUint32(at, true);

describe('boot images', () => {
  it('places the kernel at 0x80100000 and the HAL at 0x80400000 and snaps the HAL against the kernel', () => {
    const { kernel, hal, loader } = boot();
    expect(kernel.base).toBe(0x80100000);
    expect(hal.base).toBe(0x80400000);
    expect(loader.modules.map((m) => m.baseName)).toEqual(['NTOSKRNL.EXE', 'HAL.DLL']);
    const snap = hal.imports[0]!;
    const bugcheckRva = kernel.image.exports()!.entries.find((e) => e.name === 'KeBugCheckEx')!.rva!;
    expect(snap).toMatchObject({
      name: 'KeBugCheckEx',
      targetModule: 'NTOSKRNL.EXE',
      targetVa: 0x80100000 + bugcheckRva,
    });
    expect(u32(hal.mapped.bytes, snap.iatVa - hal.base)).toBe(snap.targetVa);
  });
});

describe('MmLoadSystemImage', () => {
  it('relocates a driver to a free base and fixes its pointers (checked against base + RVA)', () => {
    const { loader, source } = boot();
    const drv = file(
      'GOOD.SYS',
      image({
        imports: [{ dll: 'NTOSKRNL.EXE', imports: [{ name: 'IoCreateDevice' }, { name: 'KeRaiseIrql' }] }],
        data: { words: [0x10000 + 0x1000, 0x12345678, 0x10000 + 0x3004], pointers: [0, 2] },
      }),
    );
    const r = loader.loadSystemImage(drv, source);
    if (!r.ok) throw new Error(r.reason);
    const m = r.module;
    expect(m.base).not.toBe(0x10000);
    expect(m.base % 0x10000).toBe(0);
    expect(m.relocationDelta).toBe(m.base - 0x10000);
    expect(u32(m.mapped.bytes, 0x3000)).toBe(m.base + 0x1000);
    expect(u32(m.mapped.bytes, 0x3004)).toBe(0x12345678); // not a pointer: untouched
    expect(u32(m.mapped.bytes, 0x3008)).toBe(m.base + 0x3004);
    expect(m.entryPoint).toBe(m.base + 0x1000);
    // KeRaiseIrql is forwarded to HAL.KfRaiseIrql: the IAT holds the HAL's address.
    const raise = m.imports.find((i) => i.name === 'KeRaiseIrql')!;
    expect(raise.targetModule).toBe('HAL.DLL');
    expect(raise.via).toEqual(['HAL.KfRaiseIrql']);
    expect(u32(m.mapped.bytes, raise.iatVa - m.base)).toBe(raise.targetVa);
    expect(raise.targetVa).toBeGreaterThanOrEqual(0x80400000);
  });

  it('fails with the first status and lists every missing import (the seed: srv.sys on an RTM kernel)', () => {
    const { loader, source } = boot();
    const before = loader.space.reservations.length;
    const srv = file(
      'SRV.SYS',
      image({
        imports: [
          {
            dll: 'NTOSKRNL.EXE',
            imports: [{ name: 'RtlIsNameLegalDOS8Dot3' }, { name: 'IoCreateDevice' }, { ordinal: 40 }],
          },
        ],
      }),
    );
    const r = loader.loadSystemImage(srv, source);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.status).toBe(0xc0000263);
    expect(r.statusName).toBe('STATUS_DRIVER_ENTRYPOINT_NOT_FOUND');
    expect(r.reason).toBe(
      'The \\SystemRoot\\System32\\drivers\\srv.sys device driver could not locate the entry point RtlIsNameLegalDOS8Dot3 in driver NTOSKRNL.EXE.',
    );
    expect(r.misses.map((m) => [m.name ?? `#${m.ordinal}`, m.status])).toEqual([
      ['RtlIsNameLegalDOS8Dot3', 0xc0000263],
      ['#40', 0xc0000262],
    ]);
    expect(loader.space.reservations.length).toBe(before);
    expect(loader.find('SRV.SYS')).toBeUndefined();
  });

  it('loads dependencies from the source first, reports their DllInitialize, and fails with their misses', () => {
    const ndis = file(
      'NDIS.SYS',
      image({
        exports: namedExports('ndis.sys', ['DllInitialize', 'NdisMRegisterMiniport']),
        imports: [{ dll: 'ntoskrnl.exe', imports: [{ name: 'ExAllocatePool' }] }],
      }),
    );
    const miniport = file(
      'ELNK3.SYS',
      image({ imports: [{ dll: 'NDIS.SYS', imports: [{ name: 'NdisMRegisterMiniport' }] }] }),
    );
    const { loader, source } = boot([ndis, miniport]);
    const r = loader.loadSystemImage(miniport, source);
    if (!r.ok) throw new Error(r.reason);
    expect(r.dependencies.map((d) => d.baseName)).toEqual(['NDIS.SYS']);
    const dep = r.dependencies[0]!;
    expect(dep.loadedBy).toBe('ELNK3.SYS');
    expect(dep.dllInitialize).toBe(dep.base + 0x1000); // first sorted name, first slot
    expect(loader.modules.map((m) => m.baseName)).toEqual([
      'NTOSKRNL.EXE',
      'HAL.DLL',
      'NDIS.SYS',
      'ELNK3.SYS',
    ]);

    const brokenNdis = file(
      'NDIS.SYS',
      image({
        exports: namedExports('ndis.sys', ['X']),
        imports: [{ dll: 'ntoskrnl.exe', imports: [{ name: 'NoSuchRoutine' }] }],
      }),
    );
    const miniport2 = file(
      'ELNK3.SYS',
      image({ imports: [{ dll: 'NDIS.SYS', imports: [{ name: 'X' }, { name: 'X' }] }] }),
    );
    const b = boot([brokenNdis, miniport2]);
    const f = b.loader.loadSystemImage(miniport2, b.source);
    expect(f.ok).toBe(false);
    if (f.ok) return;
    expect(f.status).toBe(0xc0000263);
    expect(f.misses.map((m) => [m.image, m.name])).toEqual([
      ['\\SystemRoot\\System32\\drivers\\ndis.sys', 'NoSuchRoutine'],
    ]);
    expect(b.loader.modules.map((m) => m.baseName)).toEqual(['NTOSKRNL.EXE', 'HAL.DLL']);
  });

  it('forgets the dependencies of a driver that failed: they load again, for the next importer', () => {
    const ndis = file(
      'NDIS.SYS',
      image({ exports: namedExports('ndis.sys', ['DllInitialize', 'NdisMRegisterMiniport']) }),
    );
    const broken = file(
      'BROKEN.SYS',
      image({ imports: [{ dll: 'NDIS.SYS', imports: [{ name: 'NdisNoSuchRoutine' }] }] }),
    );
    const miniport = file(
      'ELNK3.SYS',
      image({ imports: [{ dll: 'ndis.sys', imports: [{ name: 'NdisMRegisterMiniport' }] }] }),
    );
    const { loader, source } = boot([ndis, broken, miniport]);
    expect(loader.loadSystemImage(broken, source)).toMatchObject({ ok: false, status: 0xc0000263 });
    expect(loader.find('ndis.sys')).toBeUndefined();
    expect(loader.loadedBy('BROKEN.SYS')).toEqual([]);
    const r = loader.loadSystemImage(miniport, source);
    if (!r.ok) throw new Error(r.reason);
    expect(loader.find('NDIS.sys')).toBe(r.dependencies[0]);
    expect(loader.loadedBy('ELNK3.SYS').map((m) => m.baseName)).toEqual(['NDIS.SYS']);
    expect(loader.loadSystemImage(ndis, source)).toMatchObject({ ok: false, status: 0xc000010e });
  });

  it('refuses a UP-only image when more than one processor runs, and loads it otherwise', () => {
    const up = file('UPONLY.SYS', image({ characteristics: 0x4102 }));
    expect(boot([], { refuseUpOnly: true }).loader.loadSystemImage(up, boot().source)).toMatchObject({
      ok: false,
      status: 0xc0000249,
    });
    expect(boot().loader.loadSystemImage(up, boot().source).ok).toBe(true);
  });

  it('refuses user-mode DLL imports, a second load, a missing dependency and a malformed file', () => {
    const { loader, source } = boot();
    const user = loader.loadSystemImage(
      file('USER.SYS', image({ imports: [{ dll: 'ntdll.dll', imports: [{ name: 'NtClose' }] }] })),
      source,
    );
    expect(user).toMatchObject({ ok: false, status: 0xc000007a });
    const missing = loader.loadSystemImage(
      file(
        'NEEDS.SYS',
        image({ imports: [{ dll: 'SCSIPORT.SYS', imports: [{ name: 'ScsiPortInitialize' }] }] }),
      ),
      source,
    );
    expect(missing).toMatchObject({ ok: false, status: 0xc0000034 });
    const good = file('ONCE.SYS', image({}));
    expect(loader.loadSystemImage(good, source).ok).toBe(true);
    expect(loader.loadSystemImage(good, source)).toMatchObject({ ok: false, status: 0xc000010e });
    const bad = loader.loadSystemImage(file('BAD.SYS', new Uint8Array([0x4d, 0x5a, 0])), source);
    expect(bad).toMatchObject({ ok: false, status: 0xc000007b });
    if (!bad.ok) expect(bad.reason).toMatch(/IMAGE_DOS_HEADER/);
  });

  it("snaps user-mode DLL imports like any other with userModeDlls (the sandbox's synthetic kernel)", () => {
    const ntdll = file('NTDLL.DLL', image({ exports: namedExports('ntdll.dll', ['NtClose']) }), 'System32');
    const user = file('USER.SYS', image({ imports: [{ dll: 'ntdll.dll', imports: [{ name: 'NtClose' }] }] }));
    expect(boot([ntdll]).loader.loadSystemImage(user, boot([ntdll]).source)).toMatchObject({
      ok: false,
      status: 0xc000007a,
    });
    const lenient = boot([ntdll], { userModeDlls: true });
    const loaded = lenient.loader.loadSystemImage(user, lenient.source);
    expect(loaded.ok).toBe(true);
    expect(lenient.loader.modules.map((m) => m.baseName)).toContain('NTDLL.DLL');
    if (loaded.ok)
      expect(loaded.module.imports[0]).toMatchObject({ name: 'NtClose', targetModule: 'NTDLL.DLL' });
  });
});

describe('loads of the same image (src/loader/mapped-cache.ts)', () => {
  const driver = image({
    imports: [{ dll: 'NTOSKRNL.EXE', imports: [{ name: 'IoCreateDevice' }] }],
    data: { words: [0x10000 + 0x1000, 0x10000 + 0x3004], pointers: [0, 1] },
  });
  /** GOOD.SYS (always the same bytes) loaded after the boot images; `before` bytes reserved first. */
  const load = (kernelNames?: string[], before = 0) => {
    const b = boot([], { kernelNames });
    if (before) b.loader.space.reserve(before, 'taken');
    const r = b.loader.loadSystemImage(file('GOOD.SYS', driver), b.source);
    if (!r.ok) throw new Error(r.reason);
    const rva = b.kernel.image.exports()!.entries.find((e) => e.name === 'IoCreateDevice')!.rva!;
    return { m: r.module, ioCreateDevice: b.kernel.base + rva };
  };
  const check = ({ m, ioCreateDevice }: ReturnType<typeof load>) => {
    expect(u32(m.mapped.bytes, 0x3000)).toBe(m.base + 0x1000);
    expect(u32(m.mapped.bytes, 0x3004)).toBe(m.base + 0x3004);
    expect(u32(m.mapped.bytes, m.imports[0]!.iatVa - m.base)).toBe(ioCreateDevice);
  };

  it('shares the bytes of equal loads, and maps anew for another base or other import addresses', () => {
    const first = load();
    check(first);
    const again = load();
    expect(again.m.base).toBe(first.m.base);
    expect(again.m.mapped.bytes).toBe(first.m.mapped.bytes);
    // Another base: relocated for it.
    const moved = load(undefined, 0x10000);
    expect(moved.m.base).not.toBe(first.m.base);
    check(moved);
    // Same base, but the kernel exports IoCreateDevice elsewhere: the IAT holds the new address.
    const other = load(['AAAFirst', ...KERNEL_NAMES]);
    expect(other.m.base).toBe(first.m.base);
    expect(other.ioCreateDevice).not.toBe(first.ioCreateDevice);
    check(other);
    // Nothing written for later loads reached the earlier ones.
    check(first);
    check(moved);
  });

  it('reuses snapped imports only while every exporter is the same image at the same base', () => {
    // LIB.SYS is linked at 0x10000 and relocated (first fit); USER.SYS keeps its base 0x90000000.
    const lib = image({ exports: namedExports('lib.sys', ['LibRoutine']) });
    const user = image({
      imports: [
        { dll: 'NTOSKRNL.EXE', imports: [{ name: 'IoCreateDevice' }] },
        { dll: 'LIB.SYS', imports: [{ name: 'LibRoutine' }] },
      ],
      imageBase: 0x90000000,
    });
    const run = (libBytes: Uint8Array, gapBeforeLib = 0) => {
      const b = boot();
      if (gapBeforeLib) b.loader.space.reserve(gapBeforeLib, 'taken');
      const l = b.loader.loadSystemImage(file('LIB.SYS', libBytes), b.source);
      const u = b.loader.loadSystemImage(file('USER.SYS', user), b.source);
      if (!l.ok || !u.ok) throw new Error('load failed');
      const routine =
        l.module.base + (l.module.image.exports()!.findByName('LibRoutine') as { rva: number }).rva;
      const slot = u.module.imports.find((i) => i.name === 'LibRoutine')!;
      expect(slot.targetVa).toBe(routine);
      expect(u32(u.module.mapped.bytes, slot.iatVa - u.module.base)).toBe(routine);
      return { lib: l.module, user: u.module };
    };
    const first = run(lib);
    const again = run(lib);
    expect(again.user.base).toBe(first.user.base);
    expect(again.user.imports).toEqual(first.user.imports);
    expect(again.user.imports[0]).toBe(first.user.imports[0]); // taken, not snapped again
    // The exporter moved: snapped again for its new base.
    const moved = run(lib, 0x10000);
    expect(moved.lib.base).not.toBe(first.lib.base);
    expect(moved.user.base).toBe(first.user.base);
    // Another image under the same name at the same base (its routine elsewhere): snapped against it.
    const other = run(image({ exports: namedExports('lib.sys', ['AAAFirst', 'LibRoutine']) }));
    expect(other.lib.base).toBe(first.lib.base);
    expect(other.user.imports[1]!.targetVa).not.toBe(first.user.imports[1]!.targetVa);
    // And back: the first exporter's addresses again, not the other's.
    run(lib);
  });

  it('loads a dependency again when reusing snapped imports, and snaps afresh past a changed exporter', () => {
    const dep = file(
      'LIBDEP.DLL',
      image({ exports: namedExports('libdep.dll', ['DepRoutine']) }),
      'System32',
    );
    const user = image({
      imports: [
        { dll: 'LIBDEP.DLL', imports: [{ name: 'DepRoutine' }] },
        { dll: 'NTOSKRNL.EXE', imports: [{ name: 'IoCreateDevice' }] },
      ],
    });
    const run = (kernelNames?: string[]) => {
      const b = boot([dep], { kernelNames });
      const r = b.loader.loadSystemImage(file('USER2.SYS', user), b.source);
      if (!r.ok) throw new Error(r.reason);
      const [d] = r.dependencies;
      expect(r.dependencies.map((m) => m.baseName)).toEqual(['LIBDEP.DLL']);
      const want = [
        d!.base + (d!.image.exports()!.findByName('DepRoutine') as { rva: number }).rva,
        b.kernel.base + (b.kernel.image.exports()!.findByName('IoCreateDevice') as { rva: number }).rva,
      ];
      expect(r.module.imports.map((i) => i.targetVa)).toEqual(want);
      expect(r.module.imports.map((i) => u32(r.module.mapped.bytes, i.iatVa - r.module.base))).toEqual(want);
      expect(b.loader.modules.map((m) => m.baseName)).toEqual([
        'NTOSKRNL.EXE',
        'HAL.DLL',
        'LIBDEP.DLL',
        'USER2.SYS',
      ]);
      return r.module;
    };
    const first = run();
    expect(run().imports[0]).toBe(first.imports[0]); // taken, with LIBDEP.DLL loaded again
    // LIBDEP.DLL is looked up (and loaded) before the kernel, which now exports IoCreateDevice elsewhere.
    const changed = run(['AAAFirst', ...KERNEL_NAMES]);
    expect(changed.imports[1]!.targetVa).not.toBe(first.imports[1]!.targetVa);
    run();
  });

  it('fails a load again as the first time, and loads it once the exporter has the name', () => {
    const wants = image({
      imports: [{ dll: 'NTOSKRNL.EXE', imports: [{ name: 'IoCreateDevice' }, { name: 'NewRoutine' }] }],
    });
    const load = (kernelNames?: string[]) => {
      const b = boot([], { kernelNames });
      return b.loader.loadSystemImage(file('WANTS.SYS', wants), b.source);
    };
    const first = load();
    expect(first).toMatchObject({ ok: false, status: 0xc0000263 });
    expect(load()).toEqual(first);
    const fixed = load([...KERNEL_NAMES, 'NewRoutine']);
    expect(fixed.ok).toBe(true);
    expect(load()).toEqual(first);
  });

  it('does not let an earlier load show through in an IAT slot this load leaves unsnapped', () => {
    const twoImports = image({
      imports: [{ dll: 'NTOSKRNL.EXE', imports: [{ name: 'IoCreateDevice' }, { name: 'DbgPrint' }] }],
    });
    const bootDriver = () => file('BOOTDRV.SYS', twoImports);
    const all = boot();
    const ok = all.loader.loadBootImage(bootDriver(), all.source, 'driver');
    if (!ok.ok) throw new Error(ok.reason);
    const slot = ok.module.imports.find((i) => i.name === 'DbgPrint')!.iatVa - ok.module.base;
    expect(u32(ok.module.mapped.bytes, slot)).toBe(ok.module.imports[1]!.targetVa);
    // A kernel without DbgPrint: the boot image fails but stays mapped (NTLDR stops the boot).
    const without = boot([], { kernelNames: KERNEL_NAMES.filter((n) => n !== 'DbgPrint') });
    expect(without.loader.loadBootImage(bootDriver(), without.source, 'driver')).toMatchObject({
      ok: false,
      status: 0xc0000263,
    });
    const failed = without.loader.find('BOOTDRV.SYS')!;
    expect(failed.base).toBe(ok.module.base);
    const fromFile = mapImage(PeImage.parse(twoImports));
    expect(u32(failed.mapped.bytes, slot)).toBe(u32(fromFile.bytes, slot));
    expect(u32(ok.module.mapped.bytes, slot)).toBe(ok.module.imports[1]!.targetVa);
  });
});
