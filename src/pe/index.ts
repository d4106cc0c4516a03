// Public surface of the PE parser.
export { alignUp } from './align.js';
export { computeChecksum } from './checksum.js';
export { type MalformedPeDetails, MalformedPeError } from './errors.js';
export {
  type ExportEntry,
  type ExportMiss,
  type ExportTable,
  type ExportTarget,
  type Forwarder,
  parseForwarder,
} from './exports.js';
export type { RangeSource } from './file-reader.js';
export {
  type DataDirectory,
  dllCharacteristicNames,
  type FileHeader,
  fileCharacteristicNames,
  type Headers,
  machineName,
  type OptionalHeader,
  type SectionHeader,
  sectionCharacteristicNames,
  subsystemName,
} from './headers.js';
export { PeImage, type Span } from './image.js';
export type { BoundImport, ImportEntry, ImportModule } from './imports.js';
export * as layout from './layout.js';
export { DIRECTORY_NAMES, IMAGE_FILE_UP_SYSTEM_ONLY } from './layout.js';
export {
  applyRelocations,
  type Relocation,
  type RelocationBlock,
  type RelocationFailure,
  relocTypeName,
} from './relocs.js';
export { type ResourceLeaf, type VersionInfo, walkResources } from './resources.js';
export * from './types.js';
