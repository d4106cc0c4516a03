// Library entry point of nt351: the harness API (image sets, boot, replay), the PE parser, the loader's snap
// rules and the report builders. Matchers for vitest are in 'nt351/vitest' (src/vitest.ts).

export { UnicornUnavailableError } from './cpu/unicorn.js';
export {
  type BootBugcheck,
  type BootModule,
  type BootOptions,
  type BootOutcome,
  type BootReport,
  type BootTraceEntry,
  BootUnsupportedError,
  type BugCheckPattern,
  boot,
  type Difference,
  type EventPattern,
  type HardErrorPattern,
  ImageSet,
  type ImageSetBase,
  ImageSetBuilder,
  ImageSetError,
  type ImageSetManifest,
  imageSet,
  loadImageSet,
  parseManifest,
  type ReplayApiOptions,
  ReplayError,
  type ReplayOptions,
  replay,
  type Scenario,
  ScenarioError,
  type ScenarioResult,
  type ServiceConfig,
  type ServicePatch,
  type ServiceStatePattern,
  type StepResult,
  SYSEVENT_PATH,
  type TextPattern,
} from './harness/api.js';
export { type InspectReport, inspectImage } from './harness/inspect.js';
export {
  ntPathOf,
  type ResolveInput,
  type ResolveMiss,
  type ResolveOptions,
  type ResolveRefusal,
  type ResolveReport,
  resolveImages,
} from './harness/resolve.js';
export type { HardError } from './kernel/hard-error.js';
export type { ServiceState, ServiceStateName } from './kernel/scm.js';
export type { EventType, SystemEvent } from './kernel/system-log.js';
export type { TraceUnit } from './kernel/trace.js';
export {
  type ExportingModule,
  forwarderMatches,
  type ModuleLookup,
  type SnapMiss,
  type SnapMode,
  type Snapped,
  snapImport,
  USER_MODE_DLLS,
} from './loader/snap.js';
export { formatStatus, NtStatus, snapFailureMessage, statusName } from './loader/status.js';
export * from './pe/index.js';
