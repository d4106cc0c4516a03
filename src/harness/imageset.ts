// An image set: an installed NT system root on disk plus its machine.yaml (fixtures/README.md), seen
// through a copy-on-write overlay. Paths use Windows rules (case-insensitive, `\` or `/`,
// `%SystemRoot%` and `\SystemRoot\` expanded) and can never leave the set; writes go to the overlay
// only, so the user's files are never modified.
import { lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type YAMLMap } from 'yaml';
import { PositionedInputError } from './input-error.js';
import { yamlDepthProblem } from './yaml-depth.js';

/** A problem with an image set (its folder, its machine.yaml or a path inside it), for the user. */
export class ImageSetError extends PositionedInputError {
  override readonly name = 'ImageSetError';
}

/** One service key (HKLM\SYSTEM\CurrentControlSet\Services\<name>) as machine.yaml gives it. */
export interface ServiceConfig {
  name: string;
  /** 1 kernel driver, 2 file system driver, 0x10 own-process and 0x20 shared-process Win32 service. */
  type: number;
  /** 0 boot, 1 system, 2 automatic, 3 demand, 4 disabled. */
  start: number;
  /** 0 ignore, 1 normal, 2 severe, 3 critical. */
  errorControl: number;
  group: string | null;
  dependOnService: string[];
  dependOnGroup: string[];
  imagePath: string | null;
  displayName: string | null;
  /** Model: the driver service a Win32 service loads with NtLoadDriver when it starts. */
  driver: string | null;
  /** Model: the device a Win32 service opens after loading its driver. */
  device: string | null;
}

export interface ImageSetManifest {
  description: string;
  machine: { architecture: 'x86' | 'alpha'; cpus: number; profile: string };
  systemRoot: string;
  kernel: string;
  hal: string;
  /** Services in the order machine.yaml lists them (NT enumerates keys alphabetically; see scm.ts). */
  services: ServiceConfig[];
}

const DEVICE_NAMES = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/i;
const MANIFEST = 'machine.yaml';
/** machine.yaml larger than this is refused (a real one is a few KiB). */
const MAX_MANIFEST_BYTES = 1024 * 1024;

/** A file of the set: its path as stored (original case) and where its bytes come from. */
interface Entry {
  path: string;
  disk: string | null;
  bytes: Uint8Array | null;
}

export class ImageSet {
  /** Lower-cased relative path (`\`-separated) → entry; a null entry is a deletion in the overlay. */
  private readonly base = new Map<string, Entry>();
  private readonly overlay = new Map<string, Entry | null>();
  /** Lower-cased relative directory path → its spelling in the set (new files take it). */
  private readonly dirs = new Map<string, string>();

  private constructor(
    /** The folder on disk, or null for a set built in memory. */
    readonly root: string | null,
    readonly manifest: ImageSetManifest,
  ) {}

  /** Opens the image set in folder `dir`; throws ImageSetError when it cannot be used. */
  static open(dir: string): ImageSet {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(dir);
    } catch {
      throw new ImageSetError(dir, 'no such image set (folder not found)');
    }
    if (!st.isDirectory())
      throw new ImageSetError(dir, 'is not a folder; an image set is a folder with machine.yaml');
    const manifestPath = join(dir, MANIFEST);
    let mst: ReturnType<typeof lstatSync>;
    try {
      mst = lstatSync(manifestPath);
    } catch {
      throw new ImageSetError(
        manifestPath,
        'missing: an image set needs machine.yaml (its format: fixtures/README.md in the nt351 package)',
      );
    }
    // Checked before reading: a link could lead out of the set, or to /dev/zero, which never ends.
    if (mst.isSymbolicLink())
      throw new ImageSetError(manifestPath, 'is a symbolic link; machine.yaml must be a file in the set');
    if (mst.isDirectory()) throw new ImageSetError(manifestPath, 'is a directory, expected a YAML file');
    if (!mst.isFile()) throw new ImageSetError(manifestPath, 'is not a regular file');
    if (mst.size > MAX_MANIFEST_BYTES)
      throw new ImageSetError(manifestPath, `larger than ${MAX_MANIFEST_BYTES} bytes`);
    let text: string;
    try {
      text = readFileSync(manifestPath, 'utf8');
    } catch {
      throw new ImageSetError(manifestPath, 'cannot be read');
    }
    const set = new ImageSet(dir, parseManifest(text, manifestPath));
    const realRoot = realpathSync(dir);
    const walk = (abs: string, depth: number) => {
      if (depth > 16) return;
      for (const name of readdirSync(abs)) {
        const p = join(abs, name);
        const s = lstatSync(p);
        // Symlinks are not followed: a link could lead out of the set.
        if (s.isSymbolicLink()) continue;
        if (s.isDirectory()) {
          const rel = relative(realRoot, p).split(sep).join('\\');
          set.dirs.set(rel.toLowerCase(), rel);
          walk(p, depth + 1);
        } else if (s.isFile()) {
          const rel = relative(realRoot, realpathSync(p)).split(sep).join('\\');
          if (rel === MANIFEST) continue;
          set.base.set(rel.toLowerCase(), { path: rel, disk: p, bytes: null });
        }
      }
    };
    walk(realRoot, 0);
    return set;
  }

  /** A set held only in memory (tests, the harness API): `files` maps Windows paths to bytes. */
  static fromMemory(manifest: ImageSetManifest, files: Record<string, Uint8Array>): ImageSet {
    const set = new ImageSet(null, manifest);
    for (const [p, bytes] of Object.entries(files)) {
      const rel = set.resolve(p);
      set.base.set(rel.toLowerCase(), { path: rel, disk: null, bytes });
    }
    return set;
  }

  /** Where messages should say a path is: the folder, or `<memory>`. */
  get label(): string {
    return this.root ?? '<memory>';
  }

  /**
   * Turns a Windows path into the set-relative form (`WINNT35\System32\drivers\srv.sys`).
   * `\SystemRoot\` and `%SystemRoot%` mean the system root; other paths are relative to the set's
   * root. Rejects `..`, drive letters, UNC and device names (CON, NUL, AUX…).
   */
  resolve(winPath: string): string {
    let p = winPath.replace(/\//g, '\\');
    if (/^\\systemroot(\\|$)/i.test(p)) p = `${this.manifest.systemRoot}${p.slice('\\SystemRoot'.length)}`;
    else if (/^%systemroot%/i.test(p)) p = `${this.manifest.systemRoot}${p.slice('%SystemRoot%'.length)}`;
    if (/^[a-z]:/i.test(p) || p.startsWith('\\') || p.startsWith('\\\\'))
      throw new ImageSetError(
        this.label,
        `path '${winPath}' is absolute; paths must stay inside the image set`,
      );
    const parts = p.split('\\').filter((s) => s !== '' && s !== '.');
    for (const part of parts) {
      if (part === '..') throw new ImageSetError(this.label, `path '${winPath}' leaves the image set ('..')`);
      if (DEVICE_NAMES.test(part))
        throw new ImageSetError(this.label, `path '${winPath}' names a device ('${part}')`);
      if (/[<>:"|?*]/.test(part) || [...part].some((c) => c.charCodeAt(0) < 0x20))
        throw new ImageSetError(this.label, `path '${winPath}' has a character Windows forbids in names`);
    }
    if (parts.length === 0) throw new ImageSetError(this.label, `path '${winPath}' names no file`);
    return parts.join('\\');
  }

  private entry(winPath: string): Entry | null {
    const key = this.resolve(winPath).toLowerCase();
    if (this.overlay.has(key)) return this.overlay.get(key) ?? null;
    return this.base.get(key) ?? null;
  }

  exists(winPath: string): boolean {
    return this.entry(winPath) !== null;
  }

  /** The file's path as stored in the set (original case), or null. */
  actualPath(winPath: string): string | null {
    return this.entry(winPath)?.path ?? null;
  }

  /** The file's bytes, or null when the set has no such file. */
  read(winPath: string): Uint8Array | null {
    const e = this.entry(winPath);
    if (!e) return null;
    if (e.bytes) return e.bytes;
    try {
      e.bytes = new Uint8Array(readFileSync(e.disk!));
    } catch {
      throw new ImageSetError(e.disk!, 'cannot be read');
    }
    return e.bytes;
  }

  /** Writes to the overlay (keeps an existing file's spelling, as NTFS/FAT do on overwrite). */
  write(winPath: string, bytes: Uint8Array): void {
    const rel = this.resolve(winPath);
    const existing = this.entry(winPath);
    this.overlay.set(rel.toLowerCase(), { path: existing?.path ?? this.spelled(rel), disk: null, bytes });
  }

  /** `rel` with its folders spelled as the set spells them (WINNT35\SYSTEM32\CONFIG\x). */
  private spelled(rel: string): string {
    const parts = rel.split('\\');
    for (let i = parts.length - 1; i > 0; i--) {
      const dir = this.dirs.get(parts.slice(0, i).join('\\').toLowerCase());
      if (dir) return [dir, ...parts.slice(i)].join('\\');
    }
    return rel;
  }

  delete(winPath: string): boolean {
    if (!this.exists(winPath)) return false;
    this.overlay.set(this.resolve(winPath).toLowerCase(), null);
    return true;
  }

  /** Every file of the set as seen through the overlay, set-relative, sorted. */
  list(): string[] {
    const keys = new Set([...this.base.keys(), ...this.overlay.keys()]);
    const out: string[] = [];
    for (const k of keys) {
      const e = this.overlay.has(k) ? this.overlay.get(k) : this.base.get(k);
      if (e) out.push(e.path);
    }
    return out.sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
  }

  /** Files written or deleted through the overlay (set-relative path, null for a deletion). */
  changes(): { path: string; bytes: Uint8Array | null }[] {
    return [...this.overlay.entries()].map(([k, e]) => ({ path: e?.path ?? k, bytes: e?.bytes ?? null }));
  }

  /** Writes the overlay's files under `dir` (never into the set itself). */
  saveOverlay(dir: string): string[] {
    const written: string[] = [];
    for (const { path, bytes } of this.changes()) {
      if (!bytes) continue;
      const out = join(dir, ...path.split('\\'));
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, bytes);
      written.push(out);
    }
    return written;
  }

  /** A copy sharing the base files, with its own overlay (replay runs each scenario on one). */
  fork(): ImageSet {
    const copy = new ImageSet(this.root, structuredClone(this.manifest));
    for (const [k, v] of this.base) copy.base.set(k, v);
    for (const [k, v] of this.overlay) copy.overlay.set(k, v);
    for (const [k, v] of this.dirs) copy.dirs.set(k, v);
    return copy;
  }
}

/** Parses machine.yaml, reporting problems with line and column. */
export function parseManifest(text: string, file: string): ImageSetManifest {
  return parseYamlManifest(text, file, false);
}

/** Only the `services:` mapping of a YAML file (Setup's services template on the media). */
export function parseServices(text: string, file: string): ServiceConfig[] {
  return parseYamlManifest(text, file, true).services;
}

/** The keys machine.yaml may have (fixtures/README.md); `installed` is information only, not checked. */
const TOP_KEYS = ['schema', 'description', 'machine', 'systemRoot', 'kernel', 'hal', 'installed', 'services'];
const MACHINE_KEYS = ['architecture', 'cpus', 'profile'];
/** A services template (SERVICES.YAML on the media) holds only the services mapping. */
const SERVICES_FILE_KEYS = ['services'];
const SERVICE_KEYS = [
  'Type',
  'Start',
  'ErrorControl',
  'Group',
  'DependOnService',
  'DependOnGroup',
  'ImagePath',
  'DisplayName',
  'Driver',
  'Device',
];

function parseYamlManifest(text: string, file: string, servicesOnly: boolean): ImageSetManifest {
  const deep = yamlDepthProblem(text);
  if (deep) throw new ImageSetError(file, deep.reason, deep.line, deep.column);
  const lines = new LineCounter();
  // maxAliasCount bounds alias expansion (YAML bombs); uniqueKeys rejects duplicate keys.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number | undefined) =>
    offset === undefined ? { line: null, col: null } : lines.linePos(offset);
  const fail = (reason: string, node?: { range?: [number, number, number] | null }): never => {
    const pos = at(node?.range?.[0]);
    throw new ImageSetError(file, reason, pos.line, pos.col);
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = at(e.pos[0]);
    throw new ImageSetError(file, `not valid YAML: ${e.message.split('\n')[0]}`, pos.line, pos.col);
  }
  const root = doc.contents;
  if (!isMap(root))
    return fail('expected a mapping at the top (schema: nt351-imageset/1)', root ?? undefined);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return fail(`cannot be read: ${(e as Error).message}`);
  }
  const top = value as Record<string, unknown>;
  // Unknown keys are mistakes (a typo such as `Strat: 1` would otherwise be ignored).
  const keys = (map: YAMLMap, allowed: readonly string[], where: string) => {
    for (const item of map.items) {
      const k = isScalar(item.key) ? String(item.key.value) : '';
      if (!allowed.includes(k))
        fail(
          `unknown key '${k}' in ${where} (expected one of: ${allowed.join(', ')})`,
          item.key as { range?: [number, number, number] },
        );
    }
  };
  keys(
    root,
    servicesOnly ? SERVICES_FILE_KEYS : TOP_KEYS,
    servicesOnly ? 'the services file' : 'machine.yaml',
  );
  const node = (map: YAMLMap, key: string) =>
    map.get(key, true) as { range?: [number, number, number] } | undefined;
  const str = (map: YAMLMap, obj: Record<string, unknown>, key: string, required = true): string => {
    const v = obj[key];
    if (v === undefined && !required) return '';
    if (typeof v !== 'string') fail(`'${key}': expected a string`, node(map, key) ?? map);
    return v as string;
  };
  let arch: unknown = 'x86';
  let cpus: unknown = 1;
  let profile = '';
  if (!servicesOnly) {
    if (top.schema !== 'nt351-imageset/1')
      fail(
        `'schema': expected 'nt351-imageset/1', found ${JSON.stringify(top.schema)}`,
        node(root, 'schema') ?? root,
      );
    const machineNode = root.get('machine', true);
    if (!isMap(machineNode))
      return fail("'machine': expected a mapping with architecture, cpus, profile", root);
    keys(machineNode, MACHINE_KEYS, "'machine'");
    const m = top.machine as Record<string, unknown>;
    arch = m.architecture;
    if (arch !== 'x86' && arch !== 'alpha')
      fail(
        `'machine.architecture': expected x86 or alpha, found ${JSON.stringify(arch)}`,
        node(machineNode, 'architecture'),
      );
    cpus = m.cpus ?? 1;
    if (typeof cpus !== 'number' || !Number.isInteger(cpus) || cpus < 1 || cpus > 32)
      fail("'machine.cpus': expected a whole number from 1 to 32", node(machineNode, 'cpus'));
    profile = str(machineNode, m, 'profile');
  }
  const services: ServiceConfig[] = [];
  const servicesNode = root.get('services', true);
  if (servicesNode !== undefined && !isMap(servicesNode))
    fail("'services': expected a mapping of service names", servicesNode as never);
  for (const pair of isMap(servicesNode) ? servicesNode.items : []) {
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    const v = pair.value;
    if (!isMap(v)) fail(`'services.${name}': expected a mapping`, (pair.value ?? pair.key) as never);
    const map = v as YAMLMap;
    keys(map, SERVICE_KEYS, `'services.${name}'`);
    const obj = (top.services as Record<string, Record<string, unknown>>)[name]!;
    const int = (key: string, def: number | null): number => {
      const x = obj[key] ?? def;
      if (typeof x !== 'number' || !Number.isInteger(x))
        fail(`'services.${name}.${key}': expected a number`, node(map, key) ?? map);
      return x as number;
    };
    const list = (key: string): string[] => {
      const n = map.get(key, true);
      if (n === undefined) return [];
      if (!isSeq(n) || !(obj[key] as unknown[]).every((s) => typeof s === 'string'))
        fail(`'services.${name}.${key}': expected a list of names`, n as never);
      return obj[key] as string[];
    };
    const opt = (key: string): string | null => (obj[key] === undefined ? null : str(map, obj, key));
    services.push({
      name,
      type: int('Type', null),
      start: int('Start', null),
      errorControl: int('ErrorControl', 1),
      group: opt('Group'),
      dependOnService: list('DependOnService'),
      dependOnGroup: list('DependOnGroup'),
      imagePath: opt('ImagePath'),
      displayName: opt('DisplayName'),
      driver: opt('Driver'),
      device: opt('Device'),
    });
  }
  return {
    description: str(root, top, 'description', false),
    machine: { architecture: arch as 'x86' | 'alpha', cpus: cpus as number, profile },
    systemRoot: servicesOnly ? '' : str(root, top, 'systemRoot'),
    kernel: servicesOnly ? '' : str(root, top, 'kernel'),
    hal: servicesOnly ? '' : str(root, top, 'hal'),
    services,
  };
}
