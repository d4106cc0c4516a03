// The configuration a boot uses: the SYSTEM hive's control set when the image set has a hive and
// machine.yaml lists no services, else machine.yaml's services (image sets made before hives, and sets
// the API builds in memory). Read at boot time through the overlay, so a scenario's registry steps count.
import type { ImageSet, ServiceConfig } from './imageset.js';
import { type ControlSetSelect, readSystemHive, SYSTEM_HIVE_PATH } from './system-hive.js';

/** The services a boot starts, their order, and where they came from. */
export interface BootConfiguration {
  source: 'hive' | 'manifest';
  services: ServiceConfig[];
  /** ServiceGroupOrder\List from the hive; null for the built-in list. */
  groupOrder: readonly string[] | null;
  /** GroupOrderList (group in lower case → tags in order). */
  tagOrder: Map<string, number[]>;
  /** The control set booted, with Select's values; null without a hive. */
  controlSet: { name: string; number: number; use: 'Current' | 'Default' | 'LastKnownGood' } | null;
  select: ControlSetSelect | null;
}

/** Whether `set`'s services come from its SYSTEM hive. */
export function servicesFromHive(set: ImageSet): boolean {
  return set.manifest.services.length === 0 && set.exists(SYSTEM_HIVE_PATH);
}

/** The configuration of `set` for a boot (with the LastKnownGood control set when asked). */
export function bootConfiguration(set: ImageSet, lastKnownGood = false): BootConfiguration {
  if (!servicesFromHive(set))
    return {
      source: 'manifest',
      services: set.manifest.services,
      groupOrder: null,
      tagOrder: new Map(),
      controlSet: null,
      select: null,
    };
  const file = `${set.label}\\${set.actualPath(SYSTEM_HIVE_PATH)}`;
  const c = readSystemHive(set.read(SYSTEM_HIVE_PATH)!, file, lastKnownGood);
  return { source: 'hive', ...c };
}
