// The kernel layer's public face for the application layers (boot, sandbox, api): the emulated kernel
// and its handler registry, kernel objects and the I/O manager's helpers, the Service Control Manager,
// the System log and event-log files, bugchecks and hard errors, traces.
export * from './bugcheck.js';
export * from './context.js';
export * from './eventlog/index.js';
export * from './events.js';
export { ALL_HANDLERS } from './exports/index.js';
export { GuestAccessError } from './guest.js';
export * from './hard-error.js';
export * from './hive.js';
export * from './io-manager.js';
export { attachedTop } from './irp.js';
export * from './kernel.js';
export * from './loaded-modules.js';
export * from './objects.js';
export * from './pnp.js';
export * from './registry.js';
export * from './scm.js';
export { type ExceptionSpec, fatalTrap, faultException } from './seh/dispatch.js';
export * from './synthetic.js';
export * from './system-log.js';
export * from './trace.js';
