// The SYSTEM hive (System32\config\SYSTEM) as the boot reads it: `Select` picks the control set
// (Current, or LastKnownGood when the user asks for it), whose `Services` keys, ServiceGroupOrder and
// GroupOrderList give what starts and in which order (nt351-facts.md "Services: ErrorControl and
// LastKnownGood"). The hive is read, never written, here.
import { Hive, REG, type RegKey, type RegValue } from '../regf/index.js';
import { copyService, ImageSetError, type ServiceConfig } from './imageset.js';
import { serviceModel } from './service-model.js';

/** Where NT keeps the SYSTEM hive, relative to the system root. */
export const SYSTEM_HIVE_PATH = '\\SystemRoot\\System32\\config\\SYSTEM';

/** The values of HKLM\SYSTEM\Select (numbers of control sets; 0 when absent). */
export interface ControlSetSelect {
  current: number;
  default: number;
  failed: number;
  lastKnownGood: number;
}

/** What the boot takes from the SYSTEM hive. */
export interface SystemConfiguration {
  select: ControlSetSelect;
  /** The control set this boot uses (`ControlSet001`) and why. */
  controlSet: { name: string; number: number; use: 'Current' | 'Default' | 'LastKnownGood' };
  services: ServiceConfig[];
  /**
   * Control\ServiceGroupOrder\List; null when the hive has none (the built-in order applies). Frozen
   * and shared by the copies of one reading (inGroupOrder keeps its ranks per frozen list).
   */
  groupOrder: readonly string[] | null;
  /** Control\GroupOrderList: per group (lower case), its Tag values in load order. */
  tagOrder: Map<string, number[]>;
}

const dwordOf = (v: RegValue | null): number | null =>
  v && (v.type === REG.DWORD || v.type === REG.DWORD_BIG_ENDIAN) && v.length === 4 ? v.dword() : null;
const stringOf = (v: RegValue | null): string | null =>
  v && (v.type === REG.SZ || v.type === REG.EXPAND_SZ) ? v.string() : null;
const stringsOf = (v: RegValue | null): string[] => {
  if (!v) return [];
  if (v.type === REG.MULTI_SZ) return v.strings().filter((s) => s !== '');
  const s = stringOf(v);
  return s ? [s] : [];
};

/**
 * Reads `bytes` (a SYSTEM hive) for a boot. `lastKnownGood` picks Select\LastKnownGood as the user
 * pressing the space bar at "Press spacebar NOW to invoke Hardware Profile/Last Known Good menu" would.
 * Throws MalformedHiveError for a corrupt hive and ImageSetError when it lacks what NT needs.
 */
export function readSystemHive(bytes: Uint8Array, file: string, lastKnownGood = false): SystemConfiguration {
  // Warm boots of one image set read the same hive bytes again (forks share them): each gets its own
  // copy of the configuration read the first time (issue 19: parsing it was ~5% of a warm boot).
  const key = `${lastKnownGood ? 1 : 0}${file}`;
  const seen = readHives.get(bytes) ?? new Map<string, SystemConfiguration>();
  const hit = seen.get(key);
  if (hit) return copyConfiguration(hit);
  const c = parseSystemHive(bytes, file, lastKnownGood);
  readHives.set(bytes, seen);
  seen.set(key, copyConfiguration(c));
  return c;
}

/**
 * A deep copy of `c` (every object and array its own but the frozen group order, keys in the same
 * order): what structuredClone gave, at a fraction of its cost for a hive of many services (issue 19).
 */
function copyConfiguration(c: SystemConfiguration): SystemConfiguration {
  return {
    select: { ...c.select },
    controlSet: { ...c.controlSet },
    services: c.services.map(copyService),
    groupOrder: c.groupOrder,
    tagOrder: new Map([...c.tagOrder].map(([group, tags]) => [group, [...tags]])),
  };
}

/** Configurations read from hive bytes (by the bytes' identity), by LastKnownGood and file name. */
const readHives = new WeakMap<Uint8Array, Map<string, SystemConfiguration>>();

function parseSystemHive(bytes: Uint8Array, file: string, lastKnownGood: boolean): SystemConfiguration {
  const hive = Hive.parse(bytes, file);
  const selectKey = hive.openKey('Select');
  const sel = (name: string) => dwordOf(selectKey?.value(name) ?? null) ?? 0;
  const select: ControlSetSelect = {
    current: sel('Current'),
    default: sel('Default'),
    failed: sel('Failed'),
    lastKnownGood: sel('LastKnownGood'),
  };
  // NT boots the Default set (or LastKnownGood when asked), which becomes Current.
  const use = lastKnownGood ? 'LastKnownGood' : select.default !== 0 ? 'Default' : 'Current';
  const number = lastKnownGood ? select.lastKnownGood : select.default || select.current;
  const name = `ControlSet${String(number).padStart(3, '0')}`;
  const set = number > 0 ? hive.openKey(name) : null;
  if (!set)
    throw new ImageSetError(
      file,
      `no control set to boot: Select\\${use} is ${number}, and the hive has no ${number > 0 ? name : 'such key'}`,
    );
  const control = set.subkey('Control');
  const list = control?.subkey('ServiceGroupOrder')?.value('List') ?? null;
  return {
    select,
    controlSet: { name, number, use },
    services: servicesOf(set.subkey('Services')),
    groupOrder: list ? Object.freeze(stringsOf(list)) : null,
    tagOrder: tagOrderOf(control?.subkey('GroupOrderList') ?? null),
  };
}

/** Each subkey of Services with a Type value is a service (others are parameters of no service). */
function servicesOf(services: RegKey | null): ServiceConfig[] {
  const out: ServiceConfig[] = [];
  for (const key of services?.subkeys() ?? []) {
    const type = dwordOf(key.value('Type'));
    if (type === null) continue;
    const model = serviceModel(key.name);
    out.push({
      name: key.name,
      type,
      start: dwordOf(key.value('Start')) ?? 3,
      errorControl: dwordOf(key.value('ErrorControl')) ?? 1,
      group: stringOf(key.value('Group')),
      tag: dwordOf(key.value('Tag')),
      dependOnService: stringsOf(key.value('DependOnService')),
      dependOnGroup: stringsOf(key.value('DependOnGroup')),
      imagePath: stringOf(key.value('ImagePath')),
      displayName: stringOf(key.value('DisplayName')),
      driver: model?.driver ?? null,
      device: model?.device ?? null,
    });
  }
  return out;
}

/** GroupOrderList\<group> is REG_BINARY: a count, then that many Tag values (DWORDs). */
function tagOrderOf(list: RegKey | null): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const v of list?.values() ?? []) {
    const data = v.data();
    if (data.length < 4) continue;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const count = Math.min(view.getUint32(0, true), (data.length - 4) >> 2);
    out.set(
      v.name.toLowerCase(),
      Array.from({ length: count }, (_, i) => view.getUint32(4 + 4 * i, true)),
    );
  }
  return out;
}
