// The driver sandbox's public face: runDriver() and its report, and the kernel events it carries.
export type { KernelEvent } from '../kernel/index.js';
export { DEFAULT_HAL, DEFAULT_KERNEL, imagesetFiles } from './kernel-files.js';
export type { CallOutcome, CallReport, RunDriverOptions, RunDriverReport } from './report.js';
export { runDriver } from './run-driver.js';
