// nt351's public library surface (`import … from 'nt351'`, docs/api.md): open an image set, build one
// in memory, boot it, read the report, replay scenarios; inspect and resolve images; the PE parser and
// the loader's snap rules. A thin layer over the layers below. Matchers: 'nt351/vitest' (./vitest.ts).
import { ImageSet } from '../system/index.js';

export {
  type InspectReport,
  inspectImage,
  ntPathOf,
  type ResolveInput,
  type ResolveMiss,
  type ResolveOptions,
  type ResolveRefusal,
  type ResolveReport,
  resolveImages,
} from '../analysis/index.js';
export {
  type BootBugcheck,
  type BootModule,
  type BootOptions,
  BootOptionsError,
  type BootOutcome,
  type BootReport,
  type BootTraceEntry,
  BootUnsupportedError,
  boot,
  SYSEVENT_PATH,
} from '../boot/index.js';
export { UnicornUnavailableError } from '../cpu/index.js';
export type {
  EventType,
  HardError,
  ServiceState,
  ServiceStateName,
  SystemEvent,
  TraceUnit,
} from '../kernel/index.js';
export {
  type ExportingModule,
  formatStatus,
  forwarderMatches,
  type ModuleLookup,
  NtStatus,
  type SnapMiss,
  type SnapMode,
  type Snapped,
  snapFailureMessage,
  snapImport,
  statusName,
  USER_MODE_DLLS,
} from '../loader/index.js';
export * from '../pe/index.js';
export {
  type Difference,
  type ReplayOptions,
  type Scenario,
  ScenarioError,
  type ScenarioResult,
  type StepResult,
} from '../replay/index.js';
export {
  type BootConfiguration,
  bootConfiguration,
  ImageSet,
  ImageSetError,
  type ImageSetManifest,
  parseManifest,
  type ServiceConfig,
} from '../system/index.js';
export { type ImageSetBase, ImageSetBuilder, imageSet, type ServicePatch } from './builder.js';
export type {
  BugCheckPattern,
  EventPattern,
  HardErrorPattern,
  ServiceStatePattern,
  TextPattern,
} from './match.js';
export { type ReplayApiOptions, ReplayError, replay } from './replay.js';
export { ReplayOptionsError } from './replay-options.js';

/**
 * Opens the image set in folder `dir` (an installed system root plus machine.yaml, see
 * fixtures/README.md). The files are read, never written: boots and edits go to an in-memory overlay.
 * Throws ImageSetError (with machine.yaml's line and column) when the set cannot be used.
 */
export const loadImageSet = (dir: string): ImageSet => ImageSet.open(dir);
