// Library entry point of nt351: the PE parser, the loader's snap rules and the report builders.

export { type InspectReport, inspectImage } from './harness/inspect.js';
export {
  ntPathOf,
  type ResolveInput,
  type ResolveMiss,
  type ResolveReport,
  resolveImages,
} from './harness/resolve.js';
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
