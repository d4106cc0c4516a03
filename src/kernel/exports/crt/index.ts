// The C runtime as NT's kernel exports it: memory and strings, 64-bit helpers, formatted output.
import type { ExportHandler } from '../../registry.js';
import { crtInt64Exports } from './int64.js';
import { crtPrintfExports } from './printf.js';
import { crtStringExports } from './string.js';

export const crtExports: readonly ExportHandler[] = [
  ...crtStringExports,
  ...crtInt64Exports,
  ...crtPrintfExports,
];
