// The loader layer's public face: MmLoadSystemImage semantics (map, relocate, snap), NT's statuses
// the messages NT shows for load failures, and the /GS cookie a modern loader sets.
export * from './address-space.js';
export * from './machine.js';
export * from './messages.js';
export * from './security-cookie.js';
export * from './snap.js';
export * from './status.js';
export * from './system-loader.js';
