// Every export handler nt351 has, one file per kernel area.
import type { ExportHandler } from '../registry.js';
import { dbgExports } from './dbg.js';
import { exExports } from './ex.js';
import { fsrtlExports } from './fsrtl.js';
import { ioExports } from './io.js';
import { keExports } from './ke.js';
import { mmExports } from './mm.js';
import { rtlExports } from './rtl.js';

export const ALL_HANDLERS: readonly ExportHandler[] = [
  ...rtlExports,
  ...ioExports,
  ...exExports,
  ...keExports,
  ...dbgExports,
  ...mmExports,
  ...fsrtlExports,
];
