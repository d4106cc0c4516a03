// The boot's public face: boot() and its report, and the STOP screen model the CLI renders.

/** Errors of the engine a boot runs on: libunicorn missing, the guest memory cap reached. */
export { GuestMemoryLimitError, UnicornUnavailableError } from '../cpu/index.js';
/** Machine profile names (src/hal/profiles.ts), for messages and option checks. */
export { profileNames } from '../hal/index.js';
export type {
  EventType,
  HardError,
  ServiceState,
  ServiceStateName,
  SystemEvent,
  TraceUnit,
} from '../kernel/index.js';
/** The ServiceGroupOrder a boot uses when the registry gives none (NT's list; src/kernel/scm.ts). */
export {
  SERVICE_GROUP_ORDER,
  type StopScreen,
  type StopScreenModule,
  stopScreenLines,
} from '../kernel/index.js';
export { boot } from './boot.js';
export { BootOptionsError } from './options.js';
export {
  type BootBugcheck,
  type BootModule,
  type BootOptions,
  type BootOutcome,
  type BootReport,
  type BootTraceEntry,
  BootUnsupportedError,
  SYSEVENT_PATH,
} from './report.js';
