// PsLoadedModuleList in guest memory: a driver (fixtures/src/samples/modules.c) walks it from its
// DriverObject->DriverSection in DriverEntry and prints every module; what it prints must be the
// load order, bases and sizes the loader reports, on x86 and (the same source built for AMD64,
// fixtures/bin/samples/amd64/modules.sys) with the AMD64 layout and 64-bit pointers.
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

  it('is laid out for AMD64 for an AMD64 driver: 64-bit links, DllBase 0x30, names at 0x48 and 0x58', async () => {
    const r = await runDriver({ driver: 'fixtures/bin/samples/amd64/modules.sys', kernel: 'registry' });
    expect(r.outcome).toBe('ok');
    if (!r.load.ok || !r.loadedModuleList) throw new Error('load failed');
    const printed = r.events.flatMap((e) => (e.type === 'dbgprint' ? [e.text.trim()] : []));
    const names = ['ntoskrnl.exe', 'hal.dll', 'modules.sys'];
    const paths = [
      '\\SystemRoot\\System32\\ntoskrnl.exe',
      '\\SystemRoot\\System32\\hal.dll',
      '\\SystemRoot\\System32\\drivers\\modules.sys',
    ];
    // %p on AMD64: the guest's 64-bit system-space address (docs/amd64.md, the address window).
    const p64 = (n: number) => (0xfffff80000000000n + BigInt(n)).toString(16).toUpperCase();
    expect(printed).toEqual([
      `modules: PsLoadedModuleList at ${p64(r.loadedModuleList.head)}`,
      ...r.load.modules.map(
        (m, i) => `modules: ${names[i]} at ${p64(m.base)}, ${hex(m.size)} bytes, ${paths[i]}`,
      ),
      'modules: 3 loaded, this one last: yes',
    ]);
  });
});
