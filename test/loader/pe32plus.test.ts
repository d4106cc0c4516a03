// PE32+ (AMD64) images in the system loader: placed in the AMD64 system window, DIR64 relocations
// applied for the guest's 64-bit base, import slots 8 bytes wide holding 64-bit guest addresses,
// .pdata kept in the mapping, and the machine check against the kernel (0xC000007B).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { X64_WINDOW } from '../../src/cpu/index.js';
import { ALL_HANDLERS } from '../../src/kernel/exports/index.js';
import { syntheticImage } from '../../src/kernel/synthetic.js';
import { AMD64_SYSTEM_WINDOW, type ModuleFile, SystemLoader } from '../../src/loader/index.js';
import { DirectoryEntry } from '../../src/pe/layout.js';
import { buildRelocations, SectionBuilder, writePe } from '../../src/pe/writer.js';

const handlers = (m: string) => ALL_HANDLERS.filter((h) => h.module === m);
const file = (baseName: string, bytes: Uint8Array): ModuleFile => ({
  baseName,
  ntPath: `\\SystemRoot\\System32\\${baseName.toLowerCase()}`,
  bytes,
});
const kernel64 = file(
  'NTOSKRNL.EXE',
  syntheticImage('ntoskrnl.exe', handlers('ntoskrnl'), 0x80100000, [], 'amd64'),
);
const hal64 = file('HAL.DLL', syntheticImage('hal.dll', handlers('hal'), 0x80400000, [], 'amd64'));

function bootedAmd64(): SystemLoader {
  const loader = new SystemLoader();
  const boot = loader.loadBootImages(
    [
      { file: kernel64, role: 'kernel' },
      { file: hal64, role: 'hal' },
    ],
    { findDependency: (n) => (n.toLowerCase() === 'hal.dll' ? hal64 : null) },
  );
  expect(boot.every((r) => r.ok)).toBe(true);
  return loader;
}
const source = { findDependency: (n: string) => (n.toLowerCase() === 'ntoskrnl.exe' ? kernel64 : null) };
const qword = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getBigUint64(at, true);

describe('PE32+ loading', () => {
  it('uses the window the AMD64 engine shows the guest', () => {
    expect(AMD64_SYSTEM_WINDOW).toBe(X64_WINDOW);
  });

  it('applies DIR64 relocations for the 64-bit guest base', () => {
    const data = new Uint8Array(0x200);
    new DataView(data.buffer).setBigUint64(0x10, 0x140001234n, true); // a pointer into .data
    const sb = new SectionBuilder(0x2000);
    const relocs = buildRelocations(sb, [[10, 0x1010]]);
    const image = writePe({
      machine: 0x8664,
      characteristics: 0x0022,
      imageBase: 0x140000000n,
      is64: true,
      entryPoint: 0,
      directories: { [DirectoryEntry.BASERELOC]: relocs },
      sections: [
        { name: '.data', rva: 0x1000, data, characteristics: 0xc0000040 },
        { name: '.reloc', rva: 0x2000, data: sb.bytes, characteristics: 0x42000040 },
      ],
    });
    const r = bootedAmd64().loadSystemImage(file('RELOC64.SYS', image), source);
    if (!r.ok) throw new Error(r.reason);
    expect(qword(r.module.mapped.bytes, 0x1010)).toBe(X64_WINDOW + BigInt(r.module.base) + 0x1234n);
  });

  it('snaps imports into 8-byte slots holding guest addresses, and keeps .pdata', () => {
    const r = bootedAmd64().loadSystemImage(
      file('ioctl.sys', readFileSync('fixtures/bin/samples/amd64/ioctl.sys')),
      source,
    );
    if (!r.ok) throw new Error(r.reason);
    expect(r.module.imports.map((i) => i.name)).toContain('IoCreateDevice');
    for (const i of r.module.imports)
      expect(qword(r.module.mapped.bytes, i.iatVa - r.module.base)).toBe(X64_WINDOW + BigInt(i.targetVa));
    expect(r.module.mapped.ranges.map((s) => s.name)).toContain('.pdata');
    const pdata = r.module.image.headers.dataDirectories[DirectoryEntry.EXCEPTION];
    expect(pdata?.size).toBeGreaterThan(0);
  });

  it('refuses a PE32+ driver in an x86 kernel and a PE32 driver in an AMD64 one (0xC000007B)', () => {
    const amd64Driver = file('ioctl.sys', readFileSync('fixtures/bin/samples/amd64/ioctl.sys'));
    const x86Driver = file('ioctl.sys', readFileSync('fixtures/bin/samples/ioctl.sys'));
    const x86 = new SystemLoader();
    x86.loadBootImages(
      [
        {
          file: file('NTOSKRNL.EXE', syntheticImage('ntoskrnl.exe', handlers('ntoskrnl'), 0x80100000)),
          role: 'kernel',
        },
      ],
      { findDependency: () => null },
    );
    expect(x86.loadSystemImage(amd64Driver, source)).toMatchObject({ ok: false, status: 0xc000007b });
    expect(bootedAmd64().loadSystemImage(x86Driver, source)).toMatchObject({ ok: false, status: 0xc000007b });
  });
});
