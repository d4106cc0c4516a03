// The CpuEngine interface: what the loader, kernel and HAL need from a CPU, whichever runs it
// (Unicorn for x86 in unicorn.ts, our interpreter for Alpha AXP later). Guest failures come back as
// RunResult data; exceptions mean host bugs.

/** Page protection. */
export interface Perm {
  read: boolean;
  write: boolean;
  execute: boolean;
}
export const RWX: Perm = { read: true, write: true, execute: true };
export const RW: Perm = { read: true, write: true, execute: false };
export const RX: Perm = { read: true, write: false, execute: true };
export const R: Perm = { read: true, write: false, execute: false };

/** x86 registers nt351 reads and writes. */
export type X86Reg = 'eax' | 'ebx' | 'ecx' | 'edx' | 'esi' | 'edi' | 'ebp' | 'esp' | 'eip' | 'eflags';

/** How a guest memory access failed. */
export type FaultAccess = 'read' | 'write' | 'fetch';
export type FaultKind = 'unmapped' | 'protection' | 'invalid-instruction' | 'exception';

/** Why a run ended. */
export type RunResult =
  | { kind: 'returned'; pc: number }
  | { kind: 'stopped'; reason: string; pc: number }
  | { kind: 'fault'; fault: FaultKind; access: FaultAccess | null; address: number; pc: number }
  | { kind: 'budget'; which: 'instructions' | 'time'; pc: number }
  | { kind: 'host-error'; error: Error; pc: number };

export interface RunOptions {
  start: number;
  /** Address at which the run ends with `returned` (e.g. a return-address sentinel). */
  until: number;
  /** Instruction budget (Unicorn counts exactly; it slows execution, see docs/benchmarks.md). */
  maxInstructions?: number;
  /** Wall-clock budget in milliseconds. */
  maxMillis?: number;
}

/** Called when the guest executes an instruction inside a hooked range (API stubs). */
export type CodeHook = (address: number) => void;
/** Port I/O of IN/OUT instructions. */
export interface PortIo {
  in(port: number, size: 1 | 2 | 4): number;
  out(port: number, size: 1 | 2 | 4, value: number): void;
}

export interface CpuEngine {
  readonly arch: 'x86' | 'alpha';
  /** Maps [address, address+size) (page-aligned), zero-filled. */
  map(address: number, size: number, perm: Perm): void;
  unmap(address: number, size: number): void;
  protect(address: number, size: number, perm: Perm): void;
  read(address: number, size: number): Uint8Array;
  write(address: number, bytes: Uint8Array): void;
  readU32(address: number): number;
  writeU32(address: number, value: number): void;
  reg(name: X86Reg): number;
  setReg(name: X86Reg, value: number): void;
  /** Calls `hook` for every instruction executed in [begin, end]. */
  hookCode(begin: number, end: number, hook: CodeHook): void;
  /** Calls `hook` for software interrupts (int n, int3). */
  hookInterrupt(hook: (vector: number) => void): void;
  hookPortIo(io: PortIo): void;
  /** Ends the current run from inside a hook; run() returns `stopped` with `reason`. */
  stop(reason: string): void;
  run(opts: RunOptions): RunResult;
  close(): void;
}

/** Stdcall return from inside a code hook: EAX = value, pop the return address and `argBytes`. */
export function returnFromStdcall(cpu: CpuEngine, value: number, argBytes: number): void {
  const esp = cpu.reg('esp');
  const ret = cpu.readU32(esp);
  cpu.setReg('eax', value >>> 0);
  cpu.setReg('esp', (esp + 4 + argBytes) >>> 0);
  cpu.setReg('eip', ret);
}

/** The `index`-th 32-bit stack argument of a stdcall/cdecl routine entered by CALL (ESP at the return address). */
export function stackArg(cpu: CpuEngine, index: number): number {
  return cpu.readU32((cpu.reg('esp') + 4 + 4 * index) >>> 0);
}
