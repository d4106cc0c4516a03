// An image set: an installed NT system root on disk plus its machine.yaml (fixtures/README.md), seen
// through a copy-on-write overlay. Paths use Windows rules (case-insensitive, `\` or `/`,
// `%SystemRoot%` and `\SystemRoot\` expanded) and can never leave the set; writes go to the overlay
// only, so the user's files are never modified.
import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type YAMLMap } from 'yaml';
import {
  compareText,
  INPUT_LIMITS,
  InputFileError,
  readRegularFile,
  yamlDepthProblem,
  yamlKeyProblem,
} from '../input/index.js';
import { deviceNameOf } from './device-names.js';
import { listFolder } from './dir-names.js';
import { detectLayout, systemRootsIn } from './disk-layout.js';
import { ImageSetError, UnreadableFileError } from './imageset-error.js';
import { inferMachine } from './machine-inference.js';
import { OutputPathError, writeOutputTree } from './output-files.js';

export { ImageSetError, UnreadableFileError };

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
  /** Order inside the group (Control\GroupOrderList); null or absent when the key has no Tag. */
  tag?: number | null;
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
  /**
   * Where facts not given by machine.yaml came from (`kernel`, `hal`, `architecture`, `profile`,
   * `cpus`, `systemRoot`), when the set was read off an installation's files. Absent otherwise.
   */
  sources?: Record<string, string>;
}

/** Options of ImageSet.open. */
export interface OpenOptions {
  /** The BOOT.INI entry to start (1-based) on a drive root; default: BOOT.INI's `default=`. */
  bootEntry?: number;
}

const MANIFEST = 'machine.yaml';
/** machine.yaml larger than this is refused (a real one is a few KiB). */
const MAX_MANIFEST_BYTES = 1024 * 1024;

/** A file of the set: its path as stored (original case) and where its bytes come from. */
interface Entry {
  path: string;
  disk: string | null;
  bytes: Uint8Array | null;
  /** Makes the bytes when they are first read (see ImageSet.write). */
  make?: () => Uint8Array;
}

/** resolve()'s answer for a path: under which system root, the set-relative path, its key in the maps. */
interface Resolved {
  root: string;
  rel: string;
  key: string;
  /** `rel` with its folders spelled as the set spells them, once a write needed it. */
  spelled?: string;
}

/** Most paths an image set and its forks remember resolving (see ImageSet.resolved). */
const MAX_RESOLVED = 4096;

export class ImageSet {
  /**
   * Lower-cased relative path (`\`-separated) → entry; a null entry is a deletion in the overlay. The
   * base and `dirs` are filled while the set is opened and never change after: forks share them (a
   * fork per warm boot copied them entry by entry, issue 19); only the overlay is each set's own.
   */
  private base = new Map<string, Entry>();
  private readonly overlay = new Map<string, Entry | null>();
  /** Lower-cased relative directory path → its spelling in the set (new files take it). */
  private dirs = new Map<string, string>();
  /** Entries of the folder left out, one warning each (names not valid UTF-8, unreadable entries). */
  readonly skipped: string[] = [];
  /**
   * resolve()'s answers (path → system root it was resolved under, result), shared with forks: a
   * warm boot resolves the same few dozen paths again, each through regular expressions and a
   * device-name check per part (issue 19: ~5% of a boot with 128 extra drivers). Bounded.
   */
  private resolved = new Map<string, Resolved>();

  private constructor(
    /** The folder on disk, or null for a set built in memory. */
    readonly root: string | null,
    readonly manifest: ImageSetManifest,
  ) {}

  /**
   * Opens the installed system in folder `dir`: an image set (machine.yaml), a drive root (BOOT.INI
   * picks the system root) or a system root itself (src/system/disk-layout.ts). What machine.yaml does
   * not say is read off the files (src/system/machine-inference.ts). Throws ImageSetError.
   */
  static open(dir: string, opts: OpenOptions = {}): ImageSet {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(dir);
    } catch {
      throw new ImageSetError(dir, 'no such image set (folder not found)');
    }
    if (!st.isDirectory())
      throw new ImageSetError(
        dir,
        'is not a folder; boot a folder with machine.yaml, a drive root with BOOT.INI, or a system root',
      );
    const layout = detectLayout(dir, opts.bootEntry);
    const manifest = layout.manifest ? readManifest(layout.manifest) : bareManifest();
    if (!manifest.systemRoot) {
      const roots = layout.systemRoot !== null ? [layout.systemRoot] : systemRootsIn(dir);
      if (roots.length !== 1)
        throw new ImageSetError(
          layout.manifest ?? dir,
          "'systemRoot' is not given and the folder does not hold exactly one system root",
        );
      manifest.systemRoot = roots[0]!;
      manifest.sources = {
        ...manifest.sources,
        systemRoot: layout.bootEntry
          ? `BOOT.INI entry ${layout.bootEntry.number} (${layout.bootEntry.arcPath})`
          : layout.kind === 'system-root'
            ? 'the folder itself'
            : 'the one folder with System32\\config\\SYSTEM',
      };
    }
    const set = new ImageSet(dir, manifest);
    // A drive root is only read under its system root: the rest of a disk is none of the boot's business.
    set.walk(layout.kind === 'drive-root' ? join(dir, ...manifest.systemRoot.split('\\')) : dir);
    inferMachine(set, manifest);
    return set;
  }

  /** Indexes the files under `from` (within the set's root) without reading them; links are skipped. */
  private walk(from: string): void {
    const realRoot = realpathSync(this.root!);
    const walk = (abs: string, depth: number) => {
      if (depth > 16) return;
      const listed = listFolder(abs);
      this.skipped.push(...listed.skipped);
      for (const { name } of listed.entries) {
        const p = join(abs, name);
        let s: ReturnType<typeof lstatSync>;
        try {
          s = lstatSync(p);
        } catch (e) {
          this.skipped.push(`${p}: skipped, cannot be examined (${(e as NodeJS.ErrnoException).code})`);
          continue;
        }
        // Symlinks are not followed: a link could lead out of the set.
        if (s.isSymbolicLink()) continue;
        if (s.isDirectory()) {
          const rel = relative(realRoot, p).split(sep).join('\\');
          this.dirs.set(rel.toLowerCase(), rel);
          walk(p, depth + 1);
        } else if (s.isFile()) {
          // p is a real path already (no realpathSync, ~0.1 ms a file): the walk starts at a real
          // path and descends only into folders that are not links, and p is a file, not a link.
          const rel = relative(realRoot, p).split(sep).join('\\');
          if (rel === MANIFEST) continue;
          this.base.set(rel.toLowerCase(), { path: rel, disk: p, bytes: null });
        }
      }
    };
    walk(realpathSync(from), 0);
  }

  /** A set held only in memory (tests, the library API): `files` maps Windows paths to bytes. */
  static fromMemory(manifest: ImageSetManifest, files: Record<string, Uint8Array>): ImageSet {
    if (!manifest.systemRoot) {
      // The folder holding System32\config\SYSTEM among the files, else Setup's default, WINNT35.
      const hive = Object.keys(files)
        .map((p) => /^([^\\/]+)[\\/]System32[\\/]config[\\/]SYSTEM$/i.exec(p)?.[1])
        .find((x) => x !== undefined);
      manifest.systemRoot = hive ?? 'WINNT35';
      manifest.sources = {
        ...manifest.sources,
        systemRoot: hive ? 'the folder with System32\\config\\SYSTEM' : 'NT 3.51 Setup default',
      };
    }
    const set = new ImageSet(null, manifest);
    for (const [p, bytes] of Object.entries(files)) {
      const rel = set.resolve(p);
      set.base.set(rel.toLowerCase(), { path: rel, disk: null, bytes });
    }
    inferMachine(set, manifest);
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
    return this.lookup(winPath).rel;
  }

  /** resolve()'s answer for `winPath`, with its key in the file maps. */
  private lookup(winPath: string): Resolved {
    const known = this.resolved.get(winPath);
    if (known && known.root === this.manifest.systemRoot) return known;
    const rel = this.resolveNew(winPath);
    if (this.resolved.size >= MAX_RESOLVED) this.resolved.clear();
    const r = { root: this.manifest.systemRoot, rel, key: rel.toLowerCase() };
    this.resolved.set(winPath, r);
    return r;
  }

  private resolveNew(winPath: string): string {
    let p = winPath.replace(/\//g, '\\');
    // A set opened at its system root has systemRoot '': \SystemRoot\X is then X.
    const under = (rest: string) =>
      this.manifest.systemRoot ? `${this.manifest.systemRoot}${rest}` : rest.replace(/^\\+/, '');
    if (/^\\systemroot(\\|$)/i.test(p)) p = under(p.slice('\\SystemRoot'.length));
    else if (/^%systemroot%/i.test(p)) p = under(p.slice('%SystemRoot%'.length));
    if (/^[a-z]:/i.test(p) || p.startsWith('\\') || p.startsWith('\\\\'))
      throw new ImageSetError(
        this.label,
        `path '${winPath}' is absolute; paths must stay inside the image set`,
      );
    const parts = p.split('\\').filter((s) => s !== '' && s !== '.');
    for (const part of parts) {
      if (part === '..') throw new ImageSetError(this.label, `path '${winPath}' leaves the image set ('..')`);
      if (deviceNameOf(part) !== null)
        throw new ImageSetError(this.label, `path '${winPath}' names a device ('${part}')`);
      if (/[<>:"|?*]/.test(part) || [...part].some((c) => c.charCodeAt(0) < 0x20))
        throw new ImageSetError(this.label, `path '${winPath}' has a character Windows forbids in names`);
    }
    if (parts.length === 0) throw new ImageSetError(this.label, `path '${winPath}' names no file`);
    return parts.join('\\');
  }

  private entry(winPath: string): Entry | null {
    const { key } = this.lookup(winPath);
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
    return e ? this.content(e) : null;
  }

  private content(e: Entry): Uint8Array {
    if (e.bytes) return e.bytes;
    if (e.make) {
      e.bytes = e.make();
      return e.bytes;
    }
    try {
      e.bytes = readRegularFile(e.disk!, INPUT_LIMITS.image);
    } catch (err) {
      if (!(err instanceof InputFileError)) throw err;
      throw new UnreadableFileError(e.disk!, err.reason, err.code === 'EFBIG');
    }
    return e.bytes;
  }

  /**
   * Writes to the overlay (keeps an existing file's spelling, as NTFS/FAT do on overwrite). `bytes` may
   * be a function that makes them, called once, when the file is first read: a boot writes SysEvent.Evt
   * (64 KiB) every time, and most boots' callers never read it.
   */
  write(winPath: string, bytes: Uint8Array | (() => Uint8Array)): void {
    const r = this.lookup(winPath);
    // A new file's folders as the set spells them, remembered with the path (the folders stay).
    r.spelled ??= this.spelled(r.rel);
    const path = this.entry(winPath)?.path ?? r.spelled;
    this.overlay.set(
      r.key,
      typeof bytes === 'function'
        ? { path, disk: null, bytes: null, make: bytes }
        : { path, disk: null, bytes },
    );
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
    this.overlay.set(this.lookup(winPath).key, null);
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
    return out.sort((a, b) => compareText(a.toLowerCase(), b.toLowerCase()));
  }

  /** Files written or deleted through the overlay (set-relative path, null for a deletion). */
  changes(): { path: string; bytes: Uint8Array | null }[] {
    return [...this.overlay.entries()].map(([k, e]) => ({
      path: e?.path ?? k,
      bytes: e ? this.content(e) : null,
    }));
  }

  /**
   * Writes the overlay's files under `dir`: never inside the set, never through a symbolic link,
   * only regular files (src/system/output-files.ts). Throws ImageSetError naming the path.
   */
  saveOverlay(dir: string): string[] {
    const files = this.changes().flatMap((c) => (c.bytes ? [{ path: c.path, bytes: c.bytes }] : []));
    try {
      return writeOutputTree(dir, files, [this.root]);
    } catch (e) {
      if (e instanceof OutputPathError) throw new ImageSetError(e.path, e.reason);
      throw e;
    }
  }

  /** A copy sharing the base files, with its own overlay (replay runs each scenario on one). */
  fork(): ImageSet {
    const copy = new ImageSet(this.root, copyManifest(this.manifest));
    copy.base = this.base;
    for (const [k, v] of this.overlay) copy.overlay.set(k, v);
    copy.dirs = this.dirs;
    copy.resolved = this.resolved;
    return copy;
  }
}

/** A deep copy of a service's configuration (its own lists). */
export function copyService(s: ServiceConfig): ServiceConfig {
  return { ...s, dependOnService: [...s.dependOnService], dependOnGroup: [...s.dependOnGroup] };
}

/**
 * A deep copy of `m`, as structuredClone gave at a fraction of its cost (a warm boot forks its set:
 * issue 19).
 */
function copyManifest(m: ImageSetManifest): ImageSetManifest {
  return {
    ...m,
    machine: { ...m.machine },
    services: m.services.map(copyService),
    ...(m.sources ? { sources: { ...m.sources } } : {}),
  };
}

/** machine.yaml at `manifestPath`, checked before reading (a link could lead out; /dev/zero never ends). */
function readManifest(manifestPath: string): ImageSetManifest {
  let mst: ReturnType<typeof lstatSync>;
  try {
    mst = lstatSync(manifestPath);
  } catch {
    throw new ImageSetError(
      manifestPath,
      'missing: an image set needs machine.yaml (its format: fixtures/README.md in the nt351 package)',
    );
  }
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
  return parseManifest(text, manifestPath);
}

/** The manifest of an installation without machine.yaml: everything is read off its files. */
function bareManifest(): ImageSetManifest {
  return {
    description: '',
    // Filled by inferMachine before the set is handed out.
    machine: { architecture: '' as 'x86', cpus: 0, profile: '' },
    systemRoot: '',
    kernel: '',
    hal: '',
    services: [],
  };
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
  'Tag',
  'DependOnService',
  'DependOnGroup',
  'ImagePath',
  'DisplayName',
  'Driver',
  'Device',
];

/**
 * machine.yaml (or a media SERVICES.YAML with `servicesOnly`) node by node, every mistake a positioned
 * ImageSetError. Long because each key's check names its own line and column; see the schema in
 * fixtures/README.md.
 */
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
  const badKey = yamlKeyProblem(doc);
  if (badKey) {
    const pos = at(badKey.offset ?? undefined);
    throw new ImageSetError(file, badKey.reason, pos.line, pos.col);
  }
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
    // Everything but the schema is optional: what machine.yaml does not say is read off the files.
    const machineNode = root.get('machine', true);
    if (machineNode !== undefined && !isMap(machineNode))
      return fail("'machine': expected a mapping with architecture, cpus, profile", root);
    if (isMap(machineNode)) {
      keys(machineNode, MACHINE_KEYS, "'machine'");
      const m = top.machine as Record<string, unknown>;
      arch = m.architecture ?? '';
      if (arch !== 'x86' && arch !== 'alpha' && arch !== '')
        fail(
          `'machine.architecture': expected x86 or alpha, found ${JSON.stringify(arch)}`,
          node(machineNode, 'architecture'),
        );
      cpus = m.cpus ?? 0;
      if (cpus !== 0 && (typeof cpus !== 'number' || !Number.isInteger(cpus) || cpus < 1 || cpus > 32))
        fail("'machine.cpus': expected a whole number from 1 to 32", node(machineNode, 'cpus'));
      profile = str(machineNode, m, 'profile', false);
    } else {
      arch = '';
      cpus = 0;
    }
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
      ...(obj.Tag !== undefined ? { tag: int('Tag', null) } : {}),
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
    systemRoot: servicesOnly ? '' : str(root, top, 'systemRoot', false),
    kernel: servicesOnly ? '' : str(root, top, 'kernel', false),
    hal: servicesOnly ? '' : str(root, top, 'hal', false),
    services,
  };
}
