// Memory manager exports (ntoskrnl!Mm*).
import { defineExport } from '../../registry.js';

/** (Windows 2000 and later kernels) */
export const MmGetSystemRoutineAddress = defineExport({
  module: 'ntoskrnl',
  prototype: 'PVOID MmGetSystemRoutineAddress(PUNICODE_STRING SystemRoutineName)',
  impl(ctx, [name]) {
    const routine = ctx.mem.unicodeString(name!);
    return routine ? (ctx.systemRoutine(routine) ?? 0) : 0;
  },
});

export const MmIsAddressValid = defineExport({
  module: 'ntoskrnl',
  prototype: 'BOOLEAN MmIsAddressValid(PVOID VirtualAddress)',
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
