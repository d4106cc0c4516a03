// Library entry point of nt351 (package.json's "."): the public surface lives in src/api.
export * from './api/index.js';
