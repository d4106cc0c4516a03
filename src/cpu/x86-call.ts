// x86 calling-convention helpers: reading a routine's stack arguments inside an API-stub hook,
// returning from it (stdcall pops its arguments, cdecl leaves them to the caller), and setting up a
// call from the host into guest code (DriverEntry and the like) that returns to a sentinel address.
import type { X86Cpu } from './engine.js';

/**
 * The `index`-th 32-bit argument of a routine entered by CALL, read while ESP points at the return
 * address (as it does at the routine's first instruction, where API-stub hooks run).
 */
export function stackArg(cpu: X86Cpu, index: number): number {
  return cpu.readU32((cpu.reg('esp') + 4 + 4 * index) >>> 0);
}

/** The first `count` 32-bit stack arguments (see stackArg). */
export function stackArgs(cpu: X86Cpu, count: number): number[] {
  const esp = cpu.reg('esp');
  return Array.from({ length: count }, (_, i) => cpu.readU32((esp + 4 + 4 * i) >>> 0));
}

/**
 * Returns from the routine whose first instruction is executing (an API stub), as its `RET n` would:
 * EAX = `value`, EIP = the return address, ESP past it and past `argBytes` bytes of arguments the
 * callee pops (stdcall: 4 per 32-bit argument; cdecl: 0). Callers derive `argBytes` from the
 * routine's declared arguments (src/kernel/registry.ts calleeCleanup), never by hand.
 */
export function returnFromStdcall(cpu: X86Cpu, value: number, argBytes: number): void {
  const esp = cpu.reg('esp');
  const ret = cpu.readU32(esp);
  cpu.setReg('eax', value >>> 0);
  cpu.setReg('esp', (esp + 4 + argBytes) >>> 0);
  cpu.setReg('eip', ret);
}

/**
 * Prepares a stdcall/cdecl call into guest code: pushes `args` right to left and `returnAddress`,
 * as CALL would. Run the guest from the routine's address with `until: returnAddress`.
 */
export function pushCall(cpu: X86Cpu, args: readonly number[], returnAddress: number): void {
  let esp = cpu.reg('esp');
  for (let i = args.length - 1; i >= 0; i--) {
    esp = (esp - 4) >>> 0;
    cpu.writeU32(esp, args[i]! >>> 0);
  }
  esp = (esp - 4) >>> 0;
  cpu.writeU32(esp, returnAddress >>> 0);
  cpu.setReg('esp', esp);
}
