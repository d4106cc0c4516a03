// The simulated HAL for a machine profile: the common core plus the profile's UP or MP component.

import type { HalVariant } from './common.js';
import { mpHal } from './mp.js';
import { findProfile, type MachineProfile, PROFILES } from './profiles.js';
import { upHal } from './up.js';

export { type HalVariant, initProcessorBlock, pcrAddress, switchToProcessor } from './common.js';
export { type Processors, setupProcessors } from './processors.js';
export { BuildType, findProfile, type MachineProfile, PROFILES, profilesForHal } from './profiles.js';

export interface Hal {
  profile: MachineProfile;
  variant: HalVariant;
}

/** The HAL for `profile`; null when no such profile exists. */
export function halFor(profile: string): Hal | null {
  const p = findProfile(profile);
  if (!p) return null;
  return { profile: p, variant: p.hal === 'mp' ? mpHal : upHal };
}

/** Profile names, for messages. */
export const profileNames = (): string[] => PROFILES.map((p) => p.name);
