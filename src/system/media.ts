// Installation media as replay uses them: a CD tree (fixtures/media/nt351-x86-rtm, -sp3, …) with its
// SETUP.INF or UPDATE.INF, whose [Files] section says what Setup or UPDATE.EXE copies where
// ("destination under %SystemRoot% = source on the disk [, condition]").
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { INPUT_LIMITS, InputFileError, readRegularFile } from '../input/index.js';
import { listFolder } from './dir-names.js';
import { parseServices, type ServiceConfig } from './imageset.js';

/** One [Files] line. `condition` is `up`, `mp`, a machine profile name, or null (always). */
export interface InfFile {
  destination: string;
  source: string;
  condition: string | null;
}

export interface Inf {
  version: Record<string, string>;
  files: InfFile[];
}

/** A problem with a media tree or its INF file, for the user. */
export class MediaError extends Error {
  override readonly name = 'MediaError';
}

/** Parses the INF subset the fixture media use: [Version] key = value, [Files] dest = source[, cond]. */
export function parseInf(text: string, file: string): Inf {
  const inf: Inf = { version: {}, files: [] };
  let section = '';
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/;.*$/, '').trim();
    if (!line) continue;
    const head = /^\[([^\]]+)\]$/.exec(line);
    if (head) {
      section = head[1]!.toLowerCase();
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new MediaError(`${file}:${i + 1}: expected 'key = value'`);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (section === 'version') inf.version[key] = value;
    else if (section === 'files') {
      const [source, condition] = value.split(',').map((s) => s.trim());
      if (!source) throw new MediaError(`${file}:${i + 1}: expected a source file after '='`);
      inf.files.push({ destination: key, source, condition: condition || null });
    }
  }
  return inf;
}

/** A file of a media tree, read as a regular file within `limit` bytes (src/input/read-file.ts). */
function readMediaFile(path: string, limit: number): Uint8Array {
  try {
    return readRegularFile(path, limit);
  } catch (e) {
    if (e instanceof InputFileError) throw new MediaError(e.message);
    throw e;
  }
}

/** A media tree: its files by upper-cased relative path, and its INF. */
export class Media {
  private readonly files = new Map<string, string>();
  /** Entries of the tree left out, one warning each (names not valid UTF-8, unreadable entries). */
  readonly skipped: string[] = [];
  private constructor(
    readonly name: string,
    readonly dir: string,
    readonly inf: Inf,
    readonly kind: 'setup' | 'update',
  ) {}

  /** Opens media `name` under `root` (e.g. fixtures/media/nt351-x86-sp3). */
  static open(root: string, name: string): Media {
    if (!/^[\w.-]+$/.test(name) || name === '.' || name === '..')
      throw new MediaError(`media name '${name}' is not a plain folder name`);
    const dir = join(root, name);
    try {
      if (!lstatSync(dir).isDirectory()) throw new Error();
    } catch {
      throw new MediaError(`no media '${name}' in ${root}`);
    }
    const top = listFolder(dir);
    const infName = top.entries.map((e) => e.name).find((e) => /^(setup|update)\.inf$/i.test(e));
    if (!infName) throw new MediaError(`${dir}: no SETUP.INF or UPDATE.INF`);
    const infPath = join(dir, infName);
    const inf = parseInf(Buffer.from(readMediaFile(infPath, INPUT_LIMITS.inf)).toString('latin1'), infPath);
    const media = new Media(name, dir, inf, /^setup/i.test(infName) ? 'setup' : 'update');
    const walk = (abs: string, rel: string, depth: number) => {
      if (depth > 16) return;
      const listed = listFolder(abs);
      media.skipped.push(...listed.skipped);
      for (const { name: e } of listed.entries) {
        const p = join(abs, e);
        let st: ReturnType<typeof lstatSync>;
        try {
          st = lstatSync(p);
        } catch (err) {
          media.skipped.push(`${p}: skipped, cannot be examined (${(err as NodeJS.ErrnoException).code})`);
          continue;
        }
        const r = rel ? `${rel}\\${e}` : e;
        if (st.isDirectory()) walk(p, r, depth + 1);
        else if (st.isFile()) media.files.set(r.toUpperCase(), p);
      }
    };
    walk(dir, '', 0);
    return media;
  }

  /** A file of the media by path (case-insensitive, `\` or `/`); throws when absent. */
  read(path: string): Uint8Array {
    const p = this.files.get(path.replace(/\//g, '\\').toUpperCase());
    if (!p) throw new MediaError(`media ${this.name} has no file ${path}`);
    return readMediaFile(p, INPUT_LIMITS.image);
  }

  /** The services key Setup writes (SERVICES.YAML on the RTM media; model of HIVESYS.INF). */
  services(): ServiceConfig[] {
    const p = this.files.get('SERVICES.YAML');
    if (!p) throw new MediaError(`media ${this.name} has no SERVICES.YAML (Setup's services key)`);
    const text = Buffer.from(readMediaFile(p, INPUT_LIMITS.yaml)).toString('utf8');
    const key = `${p}\0${text}`;
    let parsed = parsedServices.get(key);
    if (!parsed) {
      parsed = parseServices(text, p);
      parsedServices.set(key, parsed);
    }
    return structuredClone(parsed);
  }
}

/** SERVICES.YAML parsed once per content: a KB suite installs from the same media about 45 times. */
const parsedServices = new Map<string, ServiceConfig[]>();
