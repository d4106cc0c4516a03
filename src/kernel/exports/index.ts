// Every export handler nt351 has, one file per kernel area.
import type { ExportHandler } from '../registry.js';
import { dbgExports } from './dbg.js';
import { exExports } from './ex.js';
import { fsrtlExports } from './fsrtl.js';
import { ioExports } from './io.js';
import { keExports } from './ke.js';
import { mmExports } from './mm.js';
import { obExports } from './ob.js';
import { poExports } from './po.js';
import { psExports } from './ps.js';
import { rtlExports } from './rtl.js';
import { zwExports } from './zw.js';

export const ALL_HANDLERS: readonly ExportHandler[] = [
  ...rtlExports,
  ...ioExports,
  ...exExports,
  ...keExports,
  ...dbgExports,
  ...mmExports,
  ...fsrtlExports,
  ...obExports,
  ...psExports,
  ...poExports,
  ...zwExports,
];
