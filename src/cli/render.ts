// Human-readable rendering of the inspect and resolve reports. The JSON output is the same objects.
import type { InspectReport, ResolveReport } from '../analysis/index.js';
import type { MalformedPeDetails } from '../pe/index.js';

/** `0x` and `width` hex digits (8: a 32-bit address or status). */
export const hex = (n: number, width = 8) => `0x${(n >>> 0).toString(16).padStart(width, '0')}`;
const pad = (s: string, n: number) => (s.length >= n ? `${s} ` : s.padEnd(n));
const shortFlag = (f: string) => f.replace(/^IMAGE_(SCN_|FILE_|DLLCHARACTERISTICS_)/, '');

export function renderInspect(r: InspectReport): string {
  const out: string[] = [];
  const base = typeof r.imageBase === 'number' ? hex(r.imageBase) : r.imageBase;
  out.push(`${r.file}: ${r.format} ${r.machine} ${r.subsystem} ${r.subsystemVersion}, ${r.size} bytes`);
  out.push(`  image base ${base}, entry point RVA ${hex(r.entryPoint)}, size of image ${hex(r.sizeOfImage)}`);
  out.push(
    `  characteristics ${hex(r.characteristicsValue, 4)}: ${r.characteristics.map(shortFlag).join(' ') || '-'}`,
  );
  if (r.dllCharacteristics.length)
    out.push(`  DLL characteristics: ${r.dllCharacteristics.map(shortFlag).join(' ')}`);
  out.push(
    `  alignment: section ${hex(r.sectionAlignment, 0)}, file ${hex(r.fileAlignment, 0)}; linker ${r.linkerVersion}`,
  );
  const ck = r.checksum;
  out.push(
    `  checksum: header ${hex(ck.header)}, computed ${hex(ck.computed)}${ck.header === 0 ? ' (header not set)' : ck.matches ? ' (matches)' : ' (MISMATCH)'}`,
  );
  if (r.version) {
    const v = r.version;
    const extra = [
      v.originalFilename && `OriginalFilename "${v.originalFilename}"`,
      v.fileVersionString && `FileVersion "${v.fileVersionString}"`,
      v.companyName && `CompanyName "${v.companyName}"`,
    ].filter(Boolean);
    out.push(
      `  version ${v.fileVersion} (product ${v.productVersion})${extra.length ? `: ${extra.join(', ')}` : ''}`,
    );
  } else {
    out.push('  version: none');
  }

  out.push(
    '',
    `Sections (${r.sections.length}):`,
    '  name      RVA         virt size   raw ptr     raw size    flags',
  );
  for (const s of r.sections) {
    out.push(
      `  ${pad(s.name, 9)} ${hex(s.virtualAddress)}  ${hex(s.virtualSize)}  ${hex(s.rawPointer)}  ${hex(s.rawSize)}  ${s.characteristics.map(shortFlag).join(' ')}`,
    );
  }

  if (r.exports) {
    const e = r.exports;
    out.push(
      '',
      `Exports of ${e.dllName || '(no name)'}: base ${e.base}, ${e.numberOfFunctions} functions, ${e.numberOfNames} names`,
    );
    for (const x of e.entries) {
      const where = x.forwarder ? `-> ${x.forwarder}` : hex(x.rva ?? 0);
      out.push(`  ${pad(String(x.ordinal), 6)} ${pad(where, 24)} ${x.name ?? '(no name)'}`);
    }
  } else {
    out.push('', 'Exports: none');
  }

  const total = r.imports.reduce((n, m) => n + m.entries.length, 0);
  out.push('', `Imports: ${r.imports.length} module(s), ${total} entr${total === 1 ? 'y' : 'ies'}`);
  for (const m of r.imports) {
    out.push(`  ${m.dll}`);
    for (const e of m.entries) {
      out.push(
        e.name !== null
          ? `    ${e.name}${e.hint ? ` (hint ${e.hint})` : ''}`
          : `    #${e.ordinal} (by ordinal)`,
      );
    }
  }
  for (const b of r.boundImports) out.push(`  bound: ${b.dll} ${hex(b.timeDateStamp)}`);

  const rel = r.relocations;
  out.push(
    '',
    rel
      ? `Relocations: ${rel.blocks} block(s), ${rel.entries} entries (${Object.entries(rel.byType)
          .map(([t, n]) => `${t} ${n}`)
          .join(', ')})`
      : 'Relocations: none',
  );
  if (r.warnings.length) out.push('', 'Warnings:', ...r.warnings.map((w) => `  ${w}`));
  if (r.errors.length) {
    out.push('', 'Errors:');
    for (const e of r.errors) {
      out.push(
        `  ${e.directory}: offset ${e.offset >= 0 ? hex(e.offset, 0) : 'unknown'}: ${e.structure}.${e.field}: ${e.reason}`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}

/** One line for a malformed image: file, offset, structure.field and reason. */
export function malformedLine(e: MalformedPeDetails): string {
  return `${e.file}: offset ${e.offset >= 0 ? hex(e.offset, 0) : 'unknown'}: ${e.structure}.${e.field}: ${e.reason}`;
}

export function renderResolve(r: ResolveReport): string {
  const out: string[] = [];
  const s = r.summary;
  const rules = r.mode === 'kernel' ? 'kernel-mode (MmLoadSystemImage) rules' : 'user-mode loader rules';
  out.push(`Resolved ${s.resolved} of ${s.imports} imports across ${s.images} image(s) with ${rules}.`);
  if (s.missing === 0 && s.errors === 0) out.push('Nothing is missing.');
  for (const m of r.missing) {
    const what = m.name ?? `#${m.ordinal}`;
    out.push('', `MISSING ${m.ntPath ?? m.image} -> ${m.module}!${what}`);
    out.push(
      `  ${m.status} ${m.statusName}: ${m.reason}${m.via.length ? ` (via ${m.via.join(' -> ')})` : ''}`,
    );
    const caption = m.caption && (r.mode === 'kernel' ? `System Process - ${m.caption}` : m.caption);
    out.push(`  ${caption ? `${caption}: ` : ''}${m.message}`);
  }
  for (const e of r.errors) out.push('', `ERROR ${malformedLine(e)}`);
  if (r.warnings.length) out.push('', 'Warnings:', ...r.warnings.map((w) => `  ${w}`));
  if (s.missing > 0) out.push('', `${s.missing} import(s) missing.`);
  return `${out.join('\n')}\n`;
}
