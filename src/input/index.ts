// Reading users' inputs safely: the positioned error every input mistake is reported as, the YAML
// nesting guard run before parsing, bounded file reads, the library options' whole-number check, and the
// order names are listed in.
export * from './positioned-error.js';
export * from './read-file.js';
export * from './text-order.js';
export * from './whole-numbers.js';
export * from './yaml-depth.js';
export * from './yaml-keys.js';
