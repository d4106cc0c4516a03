// A second, independent reference: exports and imports as GNU objdump -p prints them (pei-i386,
// pei-x86-64), parsed into the same shape as test/diff/ours.ts.
import { execFileSync } from 'node:child_process';

export interface ObjdumpView {
  exports: { ordinal: number; rva: number; forwarder: string | null; names: string[] }[] | null;
  imports: { dll: string; entries: [string | null, number | null, number | null][] }[];
}

/** objdump's view of `file`, or null when objdump cannot read it ("file format not recognized"). */
export function objdumpView(file: string): ObjdumpView | null {
  let text: string;
  try {
    text = execFileSync('objdump', ['-p', file], {
      encoding: 'latin1',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return null;
  }
  return { exports: parseExports(text), imports: parseImports(text) };
}

function parseExports(text: string): ObjdumpView['exports'] {
  const eat = text.indexOf('Export Address Table -- Ordinal Base');
  if (eat < 0) return null;
  const base = Number(/Ordinal Base\s+(\d+)/.exec(text.slice(eat))![1]);
  const byIndex = new Map<
    number,
    { ordinal: number; rva: number; forwarder: string | null; names: string[] }
  >();
  const namesAt = text.indexOf('[Ordinal/Name Pointer] Table', eat);
  for (const line of text.slice(eat, namesAt < 0 ? undefined : namesAt).split('\n')) {
    const m = /^\s+\[\s*(\d+)\] \+base\[\s*(\d+)\] ([0-9a-f]+) (Export|Forwarder) RVA(?: -- (.*))?$/.exec(
      line,
    );
    if (m)
      byIndex.set(Number(m[1]), {
        ordinal: Number(m[2]),
        rva: Number.parseInt(m[3]!, 16),
        forwarder: m[5] ?? null,
        names: [],
      });
  }
  if (namesAt >= 0) {
    for (const line of text.slice(namesAt).split('\n').slice(1)) {
      const m = /^\s+\[\s*(\d+)\](?: \+base\[\s*\d+\])? (.+)$/.exec(line);
      if (!m) break;
      const index = Number(m[1]);
      const e = byIndex.get(index) ?? { ordinal: base + index, rva: 0, forwarder: null, names: [] };
      e.names.push(m[2]!);
      byIndex.set(index, e);
    }
  }
  return [...byIndex.values()]
    .filter((e) => e.rva !== 0 || e.names.length)
    .sort((a, b) => a.ordinal - b.ordinal);
}

function parseImports(text: string): ObjdumpView['imports'] {
  const out: ObjdumpView['imports'] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const dll = /^\s+DLL Name: (.+)$/.exec(lines[i]!);
    if (!dll) continue;
    const entries: [string | null, number | null, number | null][] = [];
    for (i += 2; i < lines.length; i++) {
      const byName = /^\s+[0-9a-f]+\s+(\d+)\s+(\S.*?)(?:\s+<none>)?$/.exec(lines[i]!);
      if (!byName) break;
      const [, num, name] = byName;
      entries.push(name === '<none>' ? [null, Number(num), null] : [name!, null, Number(num)]);
    }
    out.push({ dll: dll[1]!, entries });
  }
  return out;
}
