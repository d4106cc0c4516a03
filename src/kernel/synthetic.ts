// `--kernel registry`: a synthetic kernel and HAL whose export tables are exactly our handler
// registry (like Speakeasy's decoy modules), written as real PE images so they load like any other.
// Each export is a stub in a `.stub` section: mov eax, STATUS_NOT_IMPLEMENTED; ret N.
import { DirectoryEntry } from '../pe/layout.js';
import { buildExports, SectionBuilder, writePe } from '../pe/writer.js';
import { calleeCleanup, type ExportHandler } from './registry.js';

const STUB_RVA = 0x1000;
const STUB_SIZE = 16;

function stubCode(h: ExportHandler): Uint8Array {
  const pop = calleeCleanup(h);
  const code = new Uint8Array(STUB_SIZE).fill(0xcc);
  code.set([0xb8, 0x02, 0x00, 0x00, 0xc0]); // mov eax, 0xC0000002
  if (pop)
    code.set([0xc2, pop & 0xff, pop >>> 8], 5); // ret pop
  else code[5] = 0xc3; // ret
  return code;
}

/** A synthetic image exporting `handlers` (sorted by name, as NT's binary search needs). */
export function syntheticImage(
  dllName: string,
  handlers: readonly ExportHandler[],
  imageBase: number,
): Uint8Array {
  const sorted = [...handlers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const text = new Uint8Array(Math.max(1, sorted.length) * STUB_SIZE);
  sorted.forEach((h, i) => {
    text.set(stubCode(h), i * STUB_SIZE);
  });
  const edataRva = STUB_RVA + Math.ceil(text.length / 0x1000) * 0x1000;
  const sb = new SectionBuilder(edataRva);
  const dir = buildExports(sb, {
    dllName,
    base: 1,
    slots: sorted.map((_, i) => STUB_RVA + i * STUB_SIZE),
    names: sorted.map((h, i) => [h.name, i] as [string, number]),
  });
  return writePe({
    machine: 0x14c,
    characteristics: 0x0102,
    imageBase,
    entryPoint: 0,
    directories: { [DirectoryEntry.EXPORT]: dir },
    sections: [
      { name: '.stub', rva: STUB_RVA, data: text, characteristics: 0x60000020 },
      { name: '.edata', rva: edataRva, data: sb.bytes, characteristics: 0x40000040 },
    ],
  });
}
