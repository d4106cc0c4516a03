// Human-readable rendering of the inspect and resolve reports. The JSON output is the same objects.
import type { InspectReport, ResolveMiss, ResolveReport } from '../analysis/index.js';
import { compareText } from '../input/index.js';
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

/** How many of each list a one-screen `resolve` summary shows before "… and N more". */
const SUMMARY_LIMITS = { groups: 12, names: 8, importers: 4, refused: 8 } as const;

/** `a, b, c … and 7 more` */
const some = (items: readonly string[], limit: number): string =>
  items.length <= limit
    ? items.join(', ')
    : `${items.slice(0, limit).join(', ')} … and ${items.length - limit} more`;

/** Misses grouped per missing module and status (most imports first), each importer listed once. */
export function groupMisses(misses: readonly ResolveMiss[]) {
  const groups = new Map<
    string,
    { module: string; status: string; statusName: string; misses: ResolveMiss[] }
  >();
  for (const m of misses) {
    const key = `${m.module.toLowerCase()}\0${m.status}`;
    let g = groups.get(key);
    if (!g) {
      g = { module: m.module, status: m.status, statusName: m.statusName, misses: [] };
      groups.set(key, g);
    }
    g.misses.push(m);
  }
  return [...groups.values()]
    .map((g) => ({
      ...g,
      names: [...new Set(g.misses.map((m) => m.name ?? (m.ordinal === null ? '' : `#${m.ordinal}`)))].filter(
        Boolean,
      ),
      importers: [...new Set(g.misses.map((m) => m.ntPath ?? m.image))],
      reasons: [...new Set(g.misses.map((m) => m.reason))],
    }))
    .sort((a, b) => b.misses.length - a.misses.length || compareText(a.module, b.module));
}

/**
 * `nt351 resolve`'s human output. By default a summary that fits a screen: misses grouped per missing
 * module and status with counts, names and importers each listed once (long lists cut); with
 * `verbose`, every miss on its own lines as well. Images NT's loader would refuse are counted apart.
 */
export function renderResolve(r: ResolveReport, opts: { verbose?: boolean } = {}): string {
  const out: string[] = [];
  const s = r.summary;
  const L = opts.verbose
    ? { groups: Infinity, names: Infinity, importers: Infinity, refused: Infinity }
    : SUMMARY_LIMITS;
  const rules = r.mode === 'kernel' ? 'kernel-mode (MmLoadSystemImage) rules' : 'user-mode loader rules';
  out.push(`Resolved ${s.resolved} of ${s.imports} imports across ${s.images} image(s) with ${rules}.`);
  if (s.missing === 0 && s.errors === 0 && s.refused === 0) out.push('Nothing is missing.');
  const groups = groupMisses(r.missing);
  for (const g of groups.slice(0, L.groups)) {
    const n = g.misses.length;
    const reason = g.reasons.length === 1 ? ` (${g.reasons[0]})` : '';
    out.push('', `MISSING ${g.module}: ${n} import(s), ${g.status} ${g.statusName}${reason}`);
    if (g.names.length)
      out.push(
        `  ${g.names.length === 1 ? 'entry' : `entries (${g.names.length})`}: ${some(g.names, L.names)}`,
      );
    out.push(
      `  imported by ${g.importers.length === 1 ? '' : `(${g.importers.length}) `}${some(g.importers, L.importers)}`,
    );
    if (n === 1) {
      const m = g.misses[0]!;
      const caption = m.caption && (r.mode === 'kernel' ? `System Process - ${m.caption}` : m.caption);
      out.push(`  ${caption ? `${caption}: ` : ''}${m.message}`);
    }
  }
  if (groups.length > L.groups)
    out.push(
      '',
      `… and ${groups.length - L.groups} more module(s) with misses (--verbose lists every miss).`,
    );
  if (opts.verbose && r.missing.length) {
    out.push('', 'Every miss:');
    for (const m of r.missing) {
      const what = m.name ?? `#${m.ordinal}`;
      out.push('', `MISSING ${m.ntPath ?? m.image} -> ${m.module}!${what}`);
      out.push(
        `  ${m.status} ${m.statusName}: ${m.reason}${m.via.length ? ` (via ${m.via.join(' -> ')})` : ''}`,
      );
      const caption = m.caption && (r.mode === 'kernel' ? `System Process - ${m.caption}` : m.caption);
      out.push(`  ${caption ? `${caption}: ` : ''}${m.message}`);
    }
  }
  for (const x of r.refused.slice(0, L.refused))
    out.push('', `REFUSED ${x.ntPath ?? x.file}: ${x.status} ${x.statusName}`, `  ${x.reason}`);
  if (r.refused.length > L.refused)
    out.push('', `… and ${r.refused.length - L.refused} more refused image(s) (--verbose lists them).`);
  if (r.warnings.length) {
    out.push('', `Warnings (${r.warnings.length}):`, ...r.warnings.slice(0, L.refused).map((w) => `  ${w}`));
    if (r.warnings.length > L.refused)
      out.push(`  … and ${r.warnings.length - L.refused} more (--verbose lists them)`);
  }
  const tail = [
    s.missing > 0
      ? `${s.missing} import(s) missing${groups.length > 1 ? ` from ${groups.length} module/status group(s)` : ''}`
      : '',
    s.refused > 0 ? `${s.refused} image(s) refused (STATUS_INVALID_IMAGE_FORMAT)` : '',
    s.errors > 0 ? `${s.errors} file(s) not valid PE images (each named on stderr)` : '',
  ].filter(Boolean);
  if (tail.length) out.push('', `${tail.join('; ')}.`);
  return `${out.join('\n')}\n`;
}
