// Writes a SYSTEM hive from a service table, as Setup leaves one: Select (Current = Default = 1,
// LastKnownGood = 2), ControlSet001 and its LastKnownGood copy ControlSet002, each with
// Control\ServiceGroupOrder\List, Control\GroupOrderList and Services\<name>. Byte-reproducible
// (fixed timestamps), read back by hivexsh and regfexport in tests.
import { type HiveKeySpec, type HiveValueSpec, regValue, writeHive } from '../regf/index.js';
import type { ServiceConfig } from './imageset.js';

/** The name NT's hive-building tools gave the root key of the hives Setup copies (model). */
const ROOT_NAME = '$$$PROTO.HIV';

/** One service key's values, as NT's Setup writes them (ImagePath as REG_EXPAND_SZ). */
export function serviceValues(s: ServiceConfig): HiveValueSpec[] {
  const v: HiveValueSpec[] = [
    regValue.dword('Type', s.type),
    regValue.dword('Start', s.start),
    regValue.dword('ErrorControl', s.errorControl),
  ];
  if (s.group !== null) v.push(regValue.sz('Group', s.group));
  if (s.tag !== undefined && s.tag !== null) v.push(regValue.dword('Tag', s.tag));
  if (s.dependOnService.length > 0) v.push(regValue.multiSz('DependOnService', s.dependOnService));
  if (s.dependOnGroup.length > 0) v.push(regValue.multiSz('DependOnGroup', s.dependOnGroup));
  if (s.imagePath !== null) v.push(regValue.expandSz('ImagePath', s.imagePath));
  if (s.displayName !== null) v.push(regValue.sz('DisplayName', s.displayName));
  return v;
}

/** A control set's key: Control (group and tag order) and Services. */
function controlSet(
  name: string,
  services: readonly ServiceConfig[],
  groupOrder: readonly string[],
  tagOrder: ReadonlyMap<string, readonly number[]>,
): HiveKeySpec {
  const tagLists = [...tagOrder].map(([group, tags]) => {
    const data = new Uint8Array(4 + 4 * tags.length);
    const view = new DataView(data.buffer);
    view.setUint32(0, tags.length, true);
    for (const [i, t] of tags.entries()) view.setUint32(4 + 4 * i, t, true);
    return regValue.binary(group, data);
  });
  return {
    name,
    subkeys: [
      {
        name: 'Control',
        subkeys: [
          { name: 'ServiceGroupOrder', values: [regValue.multiSz('List', groupOrder)] },
          { name: 'GroupOrderList', values: tagLists },
        ],
      },
      { name: 'Services', subkeys: services.map((s) => ({ name: s.name, values: serviceValues(s) })) },
    ],
  };
}

/** A SYSTEM hive holding `services` in ControlSet001 and its LastKnownGood copy ControlSet002. */
export function writeSystemHive(
  services: readonly ServiceConfig[],
  groupOrder: readonly string[],
  tagOrder: ReadonlyMap<string, readonly number[]> = new Map(),
): Uint8Array {
  const root: HiveKeySpec = {
    name: ROOT_NAME,
    subkeys: [
      controlSet('ControlSet001', services, groupOrder, tagOrder),
      controlSet('ControlSet002', services, groupOrder, tagOrder),
      {
        name: 'Select',
        values: [
          regValue.dword('Current', 1),
          regValue.dword('Default', 1),
          regValue.dword('Failed', 0),
          regValue.dword('LastKnownGood', 2),
        ],
      },
    ],
  };
  return writeHive(root, { fileName: 'SYSTEM' });
}
