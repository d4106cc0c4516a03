// The installed system as data: an image set (system root + machine facts) seen through a
// copy-on-write overlay, and the installation media Setup and service packs copy from.
export * from './imageset.js';
export * from './media.js';
export * from './output-files.js';
export * from './setup.js';
