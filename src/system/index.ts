// The installed system as data: an image set (system root + machine facts) seen through a
// copy-on-write overlay, and the installation media Setup and service packs copy from.

export { MalformedHiveError } from '../regf/index.js';
export * from './boot-ini.js';
export * from './configuration.js';
export * from './hive-tree.js';
export * from './imageset.js';
export * from './media.js';
export * from './output-files.js';
export * from './registry-paths.js';
export * from './service-model.js';
export * from './setup.js';
export * from './system-hive.js';
export * from './system-hive-writer.js';
