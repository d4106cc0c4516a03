// The harness API: nt351's typed public surface for tests and scripts (docs/api.md). A thin layer
// over boot(), ImageSet and the scenario runner: open an image set, build one in memory, boot it, read
// the report, replay scenarios.
import { ImageSet } from './imageset.js';

export { type ImageSetBase, ImageSetBuilder, imageSet, type ServicePatch } from './api-builder.js';
export type {
  BugCheckPattern,
  EventPattern,
  HardErrorPattern,
  ServiceStatePattern,
  TextPattern,
} from './api-match.js';
export { type ReplayApiOptions, ReplayError, replay } from './api-replay.js';
export {
  type BootBugcheck,
  type BootModule,
  type BootOptions,
  type BootOutcome,
  type BootReport,
  type BootTraceEntry,
  BootUnsupportedError,
  boot,
  SYSEVENT_PATH,
} from './boot.js';
export {
  ImageSet,
  ImageSetError,
  type ImageSetManifest,
  parseManifest,
  type ServiceConfig,
} from './imageset.js';
export {
  type Difference,
  type ReplayOptions,
  type Scenario,
  ScenarioError,
  type ScenarioResult,
  type StepResult,
} from './replay/index.js';

/**
 * Opens the image set in folder `dir` (an installed system root plus machine.yaml, see
 * fixtures/README.md). The files are read, never written: boots and edits go to an in-memory overlay.
 * Throws ImageSetError (with machine.yaml's line and column) when the set cannot be used.
 */
export const loadImageSet = (dir: string): ImageSet => ImageSet.open(dir);
