// PsLoadedModuleList in guest memory: a driver (fixtures/src/samples/modules.c) walks it from its
// DriverObject->DriverSection in DriverEntry and prints every module; what it prints must be the
// load order, bases and sizes the loader reports.
import { describe, expect, it } from 'vitest';
import { runDriver } from '../../src/sandbox/index.js';

const MODULES = 'fixtures/bin/samples/modules.sys';
const hex = (n: number) => n.toString(16);

describe('the loaded-module list', () => {
  it('is walked by guest code: one LDR_DATA_TABLE_ENTRY per module, in load order', async () => {
    const r = await runDriver({ driver: MODULES });
    expect(r.outcome).toBe('ok');
    if (!r.load.ok || !r.loadedModuleList) throw new Error('load failed');
    const printed = r.events.flatMap((e) => (e.type === 'dbgprint' ? [e.text.trim()] : []));
    const names = ['ntoskrnl.exe', 'hal.dll', 'modules.sys'];
    const paths = [
      '\\SystemRoot\\System32\\ntoskrnl.exe',
      '\\SystemRoot\\System32\\hal.dll',
      '\\SystemRoot\\System32\\drivers\\modules.sys',
    ];
    expect(printed).toEqual([
      `modules: PsLoadedModuleList at ${hex(r.loadedModuleList.head).padStart(8, '0').toUpperCase()}`,
      ...r.load.modules.map(
        (m, i) => `modules: ${names[i]} at ${hex(m.base)}, ${hex(m.size)} bytes, ${paths[i]}`,
      ),
      'modules: 3 loaded, this one last: yes',
    ]);
    expect(r.loadedModuleList.exported).toBe(false); // NT 3.51 kernels do not export it
  });
});
