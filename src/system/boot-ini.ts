// BOOT.INI, NTLDR's menu on x86 machines: `[boot loader]` with `default=` and `timeout=`, and
// `[operating systems]` lines `ARC-path="Description" /switches`. The ARC path's directory part names
// the system root (`multi(0)disk(0)rdisk(0)partition(1)\WINNT35`). Alpha machines keep these choices
// in ARC firmware variables instead, and have no BOOT.INI.
import { ImageSetError } from './imageset-error.js';

/** One `[operating systems]` entry. */
export interface BootEntry {
  /** The ARC path as written (`multi(0)disk(0)rdisk(0)partition(1)\WINNT35`). */
  arcPath: string;
  /** The system root directory on that partition (`WINNT35`), or null for a non-NT entry (`C:\`). */
  systemRoot: string | null;
  description: string;
  /** Switches after the description (`/NODEBUG`, `/SOS`…), as written. */
  switches: string[];
  /** 1-based line number in the file. */
  line: number;
}

export interface BootIni {
  /** `[boot loader] default=` as written, or null. */
  defaultPath: string | null;
  timeout: number | null;
  entries: BootEntry[];
  /** Index into `entries` of the default entry (the one `default=` names, else the first NT entry), or -1. */
  defaultIndex: number;
}

/** The directory part of an ARC path (after the last `)`), without leading or trailing `\`. */
function systemRootOf(arcPath: string): string | null {
  if (!/^[a-z]+\(\d+\)/i.test(arcPath)) return null; // C:\ (MS-DOS) and other non-ARC entries
  const dir = arcPath.slice(arcPath.lastIndexOf(')') + 1).replace(/^\\+|\\+$/g, '');
  return dir === '' ? null : dir;
}

/** Parses BOOT.INI text (ANSI, CRLF or LF, `;` comments); throws ImageSetError for what NTLDR could not use. */
export function parseBootIni(text: string, file: string): BootIni {
  let section = '';
  let defaultPath: string | null = null;
  let timeout: number | null = null;
  const entries: BootEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/;.*$/, '').trim();
    if (line === '') continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      section = sec[1]!.trim().toLowerCase();
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new ImageSetError(file, `expected 'name=value' in [${section}]`, i + 1, 1);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (section === 'boot loader') {
      if (key.toLowerCase() === 'default') defaultPath = value;
      else if (key.toLowerCase() === 'timeout') timeout = Number.parseInt(value, 10);
    } else if (section === 'operating systems') {
      const m = /^"([^"]*)"\s*(.*)$/.exec(value);
      const description = m ? m[1]! : value;
      const switches = m ? m[2]!.split(/\s+/).filter((s) => s.startsWith('/')) : [];
      entries.push({ arcPath: key, systemRoot: systemRootOf(key), description, switches, line: i + 1 });
    }
  }
  if (entries.length === 0)
    throw new ImageSetError(
      file,
      'no [operating systems] entries: NTLDR would have nothing to start',
      null,
      null,
    );
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  let defaultIndex = defaultPath === null ? -1 : entries.findIndex((e) => same(e.arcPath, defaultPath!));
  if (defaultIndex < 0) defaultIndex = entries.findIndex((e) => e.systemRoot !== null);
  return { defaultPath, timeout: Number.isNaN(timeout) ? null : timeout, entries, defaultIndex };
}
