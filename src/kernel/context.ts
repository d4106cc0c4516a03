// What an export handler works with: the CPU and guest memory, the pool, the object namespace,
// the event log, and a way to stop the run (bugchecks).
import type { CpuEngine } from '../cpu/engine.js';
import type { EventLog } from './events.js';
import type { GuestMemory } from './guest.js';
import type { ObjectNamespace } from './objects.js';
import type { Pool } from './pool.js';

export interface KernelContext {
  cpu: CpuEngine;
  mem: GuestMemory;
  pool: Pool;
  objects: ObjectNamespace;
  log: EventLog;
  /** Return address of the call being handled. */
  caller: number;
  /** Ends the current run (e.g. KeBugCheckEx); the report shows `reason`. */
  stop(reason: string): void;
  /** Kernel-owned guest structures created on first use (e.g. CONFIGURATION_INFORMATION), by name. */
  statics: Map<string, number>;
  /** Looks up an export of the loaded kernel or HAL by name (MmGetSystemRoutineAddress). */
  systemRoutine(name: string): number | null;
  /** The version the loaded kernel answers with (PsGetVersion, IoIsWdmVersionAvailable). */
  version: KernelVersion;
}

/** What version queries answer. */
export interface KernelVersion {
  major: number;
  minor: number;
  build: number;
  /** WDM level [major, minor] for IoIsWdmVersionAvailable; [0, 0] for kernels before WDM. */
  wdm: [number, number];
}

/** NT 3.51 (build 1057), the fixture kernels' version, before WDM. */
export const NT351_VERSION: KernelVersion = { major: 3, minor: 51, build: 1057, wdm: [0, 0] };
