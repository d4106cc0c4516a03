// `--kernel registry`: a synthetic kernel and HAL whose export tables are exactly our handler
// registry (like Speakeasy's decoy modules), written as real PE images so they load like any other.
// Each routine is a stub in a `.stub` section (mov eax, STATUS_NOT_IMPLEMENTED; ret N), each data
// export a zeroed slot in a `.hdata` section that its handler fills once mapped. Names without a
// handler (`missing`) get stubs too, so any import resolves and a call is reported when it happens.
import { AMD64_SYSTEM_WINDOW } from '../loader/machine.js';
import { MalformedPeError } from '../pe/errors.js';
import { PeImage } from '../pe/image.js';
import { DirectoryEntry } from '../pe/layout.js';
import { buildExports, SectionBuilder, writePe } from '../pe/writer.js';
import { calleeCleanup, type ExportHandler } from './registry.js';

const STUB_RVA = 0x1000;
const STUB_SIZE = 16;

function stubCode(h: ExportHandler | null, machine: SyntheticMachine): Uint8Array {
  // AMD64: the same bytes (mov eax zero-extends into RAX) and a plain ret: the x64 callee pops nothing.
  const pop = h && machine === 'x86' ? calleeCleanup(h) : 0;
  const code = new Uint8Array(STUB_SIZE).fill(0xcc);
  code.set([0xb8, 0x02, 0x00, 0x00, 0xc0]); // mov eax, 0xC0000002
  if (pop)
    code.set([0xc2, pop & 0xff, pop >>> 8], 5); // ret pop
  else code[5] = 0xc3; // ret
  return code;
}

/** The processor a synthetic image is built for. */
export type SyntheticMachine = 'x86' | 'amd64';

/**
 * A synthetic image exporting `handlers` and stubs for the `missing` names (sorted by name, as NT's
 * binary search needs). A missing routine's stub pops nothing: its arguments are not known. For
 * `amd64` it is a PE32+ image for machine 0x8664 based at `imageBase` in the AMD64 system window.
 */
export function syntheticImage(
  dllName: string,
  handlers: readonly ExportHandler[],
  imageBase: number,
  missing: readonly string[] = [],
  machine: SyntheticMachine = 'x86',
): Uint8Array {
  const known = new Set(handlers.map((h) => h.name));
  const routines: { name: string; handler: ExportHandler | null }[] = [
    ...handlers.filter((h) => !h.data).map((h) => ({ name: h.name, handler: h })),
    ...[...new Set(missing)].filter((n) => !known.has(n)).map((name) => ({ name, handler: null })),
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const data = handlers
    .filter((h) => h.data)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const text = new Uint8Array(Math.max(1, routines.length) * STUB_SIZE);
  routines.forEach((r, i) => {
    text.set(stubCode(r.handler, machine), i * STUB_SIZE);
  });
  const hdataRva = STUB_RVA + Math.ceil(text.length / 0x1000) * 0x1000;
  const offsets: number[] = [];
  let size = 0;
  for (const h of data) {
    offsets.push(size);
    size += (h.data!.size + 15) & ~15;
  }
  const hdata = new Uint8Array(Math.max(16, size));
  const edataRva = hdataRva + Math.ceil(hdata.length / 0x1000) * 0x1000;
  const sb = new SectionBuilder(edataRva);
  const entries = [
    ...routines.map((r, i) => ({ name: r.name, rva: STUB_RVA + i * STUB_SIZE })),
    ...data.map((h, i) => ({ name: h.name, rva: hdataRva + offsets[i]! })),
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const dir = buildExports(sb, {
    dllName,
    base: 1,
    slots: entries.map((e) => e.rva),
    names: entries.map((e, i) => [e.name, i] as [string, number]),
  });
  return writePe({
    ...(machine === 'amd64'
      ? // IMAGE_FILE_EXECUTABLE_IMAGE | IMAGE_FILE_LARGE_ADDRESS_AWARE
        {
          machine: 0x8664,
          characteristics: 0x0022,
          imageBase: AMD64_SYSTEM_WINDOW + BigInt(imageBase),
          is64: true,
        }
      : { machine: 0x14c, characteristics: 0x0102, imageBase }),
    entryPoint: 0,
    directories: { [DirectoryEntry.EXPORT]: dir },
    sections: [
      { name: '.stub', rva: STUB_RVA, data: text, characteristics: 0x60000020 },
      { name: '.hdata', rva: hdataRva, data: hdata, characteristics: 0xc0000040 },
      { name: '.edata', rva: edataRva, data: sb.bytes, characteristics: 0x40000040 },
    ],
  });
}

/**
 * The names `bytes` (a PE image) imports, by lower-case DLL name; ordinal-only imports are left out
 * (a synthetic image has no ordinals to offer). A malformed image imports nothing here: the loader
 * reports it when it loads the image.
 */
export function importedNames(bytes: Uint8Array): Map<string, string[]> {
  const out = new Map<string, string[]>();
  try {
    for (const m of PeImage.parse(bytes).imports()) {
      const names = out.get(m.dll.toLowerCase()) ?? [];
      for (const e of m.entries) if (e.name !== null) names.push(e.name);
      out.set(m.dll.toLowerCase(), names);
    }
  } catch (e) {
    if (!(e instanceof MalformedPeError)) throw e;
  }
  return out;
}

/** The handler module a DLL name stands for: `ndis.sys` → ndis; unknown ones keep their base name. */
export const moduleOfDll = (dll: string): string => {
  const base = dll.toLowerCase().replace(/\.[^.]*$/, '');
  return base === 'ntoskrnl' || base === 'ntkrnlmp' ? 'ntoskrnl' : base.startsWith('hal') ? 'hal' : base;
};
