// The loader layer's public face: MmLoadSystemImage semantics (map, relocate, snap), NT's statuses
// and the messages NT shows for load failures.
export * from './address-space.js';
export * from './machine.js';
export * from './messages.js';
export * from './snap.js';
export * from './status.js';
export * from './system-loader.js';
