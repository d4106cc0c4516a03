// An in-memory model of the configuration registry for Zw*Key routines: a tree of keys with typed
// values (REG_SZ, REG_EXPAND_SZ, REG_BINARY, REG_DWORD, REG_MULTI_SZ), case-insensitive names as in
// NT. Writes change this copy only. run-driver seeds it with the driver's services key.
import { utf16z } from './guest.js';

export const REG = { SZ: 1, EXPAND_SZ: 2, BINARY: 3, DWORD: 4, MULTI_SZ: 7 } as const;

export interface RegistryValue {
  name: string;
  type: number;
  data: Uint8Array;
}

export interface RegistryKey {
  name: string;
  values: Map<string, RegistryValue>;
  subkeys: Map<string, RegistryKey>;
}

const newKey = (name: string): RegistryKey => ({ name, values: new Map(), subkeys: new Map() });
const parts = (path: string) => path.split('\\').filter((p) => p.length > 0);

/** REG_DWORD data. */
export const dword = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};
/** REG_SZ / REG_EXPAND_SZ data: UTF-16LE with its NUL. */
export const sz = (s: string): Uint8Array => utf16z(s);
/** REG_MULTI_SZ data: each string NUL-terminated, then one more NUL. */
export const multiSz = (list: string[]): Uint8Array => {
  const out = new Uint8Array(list.reduce((n, s) => n + s.length * 2 + 2, 2));
  let at = 0;
  for (const s of list) {
    out.set(utf16z(s), at);
    at += s.length * 2 + 2;
  }
  return out;
};

export class RegistryModel {
  /** The root, `\Registry`. */
  readonly root: RegistryKey = newKey('Registry');

  /** The key at an absolute path (`\Registry\Machine\…`); with `create`, missing keys are made. */
  key(path: string, create = false): { key: RegistryKey; created: boolean } | null {
    const p = parts(path);
    if (p[0]?.toLowerCase() !== 'registry') return null;
    let key = this.root;
    let created = false;
    for (const name of p.slice(1)) {
      let next = key.subkeys.get(name.toLowerCase());
      if (!next) {
        if (!create) return null;
        next = newKey(name);
        key.subkeys.set(name.toLowerCase(), next);
        created = true;
      }
      key = next;
    }
    return { key, created };
  }

  setValue(path: string, name: string, type: number, data: Uint8Array): void {
    const k = this.key(path, true)!.key;
    k.values.set(name.toLowerCase(), { name, type, data });
  }
}

/**
 * The services key NT's setup writes for a kernel driver: Type 1 (SERVICE_KERNEL_DRIVER), Start 3
 * (SERVICE_DEMAND_START), ErrorControl 1 (SERVICE_ERROR_NORMAL), ImagePath as an NT path.
 */
export function seedServiceKey(registry: RegistryModel, servicesKey: string, imagePath: string): void {
  registry.setValue(servicesKey, 'Type', REG.DWORD, dword(1));
  registry.setValue(servicesKey, 'Start', REG.DWORD, dword(3));
  registry.setValue(servicesKey, 'ErrorControl', REG.DWORD, dword(1));
  registry.setValue(servicesKey, 'ImagePath', REG.EXPAND_SZ, sz(imagePath));
}
