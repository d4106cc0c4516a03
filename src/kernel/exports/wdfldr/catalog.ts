// The KMDF library functions nt351 implements, by name: what WdfVersionBind puts in a driver's
// function table (the others become reported misses).
import type { ExportHandler } from '../../registry.js';
import { wdfDeviceExports } from './device.js';
import { wdfDriverExports } from './driver.js';
import { wdfIoExports } from './io.js';

export const wdfFunctionHandlers: readonly ExportHandler[] = [
  ...wdfDriverExports,
  ...wdfDeviceExports,
  ...wdfIoExports,
];
