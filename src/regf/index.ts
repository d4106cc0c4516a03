// Public surface of the registry hive (regf) reader and writer.
export { baseBlockChecksum } from './checksum.js';
export { type MalformedHiveDetails, MalformedHiveError } from './errors.js';
export { type BaseBlock, type Cell, Hive, type HiveBin, type HiveOptions, MAX_KEY_DEPTH } from './hive.js';
export { MAX_INDEX_DEPTH, RegKey } from './key.js';
export * as layout from './layout.js';
export { REG, REG_TYPE_NAMES } from './layout.js';
export { sameName } from './names.js';
export { type RegData, RegValue } from './value.js';
export { walkHive } from './walk.js';
export {
  defaultSecurityDescriptor,
  type HiveKeySpec,
  type HiveValueSpec,
  lhHash,
  NT351_RELEASE_FILETIME,
  regValue,
  type WriteHiveOptions,
  writeHive,
} from './writer.js';
