// Reading users' input files safely: the positioned error every input mistake is reported as, and
// the YAML nesting guard run before parsing.
export * from './positioned-error.js';
export * from './read-file.js';
export * from './yaml-depth.js';
export * from './yaml-keys.js';
