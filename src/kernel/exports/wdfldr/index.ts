// KMDF: the loader's exports (WDFLDR.SYS) and the library functions its function table leads to.
import type { ExportHandler } from '../../registry.js';
import { wdfFunctionHandlers } from './catalog.js';
import { wdfLoaderExports } from './loader.js';

export { WDF_FUNCTIONS_1_9 } from './function-table.js';

/** Every KMDF handler: WDFLDR.SYS's exports and the wdf01000 functions. */
export const wdfExports: readonly ExportHandler[] = [...wdfLoaderExports, ...wdfFunctionHandlers];
