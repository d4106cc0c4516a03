// fwpkclnt.sys, the Windows Filtering Platform's kernel client: engine management and callouts.
import type { ExportHandler } from '../../registry.js';
import { wfpCalloutExports } from './callouts.js';
import { wfpEngineExports } from './engine.js';

export const fwpkclntExports: readonly ExportHandler[] = [...wfpEngineExports, ...wfpCalloutExports];
