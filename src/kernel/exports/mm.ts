// Memory manager exports (ntoskrnl!Mm*).
import { defineExport } from '../registry.js';

/** PVOID MmGetSystemRoutineAddress(PUNICODE_STRING SystemRoutineName); (Windows 2000 and later kernels) */
export const MmGetSystemRoutineAddress = defineExport({
  module: 'ntoskrnl',
  name: 'MmGetSystemRoutineAddress',
  prototype: 'PVOID MmGetSystemRoutineAddress(PUNICODE_STRING SystemRoutineName)',
  conv: 'stdcall',
  args: [{ name: 'SystemRoutineName', type: 'PUNICODE_STRING' }],
  returns: 'PVOID',
  impl(ctx, [name]) {
    const routine = ctx.mem.unicodeString(name!);
    return routine ? (ctx.systemRoutine(routine) ?? 0) : 0;
  },
});

/** BOOLEAN MmIsAddressValid(PVOID VirtualAddress); */
export const MmIsAddressValid = defineExport({
  module: 'ntoskrnl',
  name: 'MmIsAddressValid',
  prototype: 'BOOLEAN MmIsAddressValid(PVOID VirtualAddress)',
  conv: 'stdcall',
  args: [{ name: 'VirtualAddress', type: 'PVOID' }],
  returns: 'BOOLEAN',
  impl(ctx, [address]) {
    try {
      ctx.cpu.read(address!, 1);
      return 1;
    } catch {
      return 0;
    }
  },
});

export const mmExports = [MmGetSystemRoutineAddress, MmIsAddressValid];
