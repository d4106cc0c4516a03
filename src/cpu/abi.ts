// The calling-convention layer between the HLE kernel and a CPU: how a hooked routine's arguments are
// read, how it returns, and how the host calls guest code, for x86 (stack, ESP/EIP/EAX) and NT's Alpha
// AXP convention (a0-a5 then 8-byte stack slots, v0, ra, sp). The kernel's handler declarations say
// what a routine takes; an Abi says where it finds it, so no handler is written per architecture.
import { AlphaAbi } from './abi-alpha.js';
import { X64Abi } from './abi-x64.js';
import { X86Abi } from './abi-x86.js';
import type { AlphaCpu, X64Cpu, X86Cpu } from './engine.js';

/** An engine of any architecture (what the kernel holds). */
export type AnyCpu = X86Cpu | AlphaCpu | X64Cpu;

/**
 * x86 calling conventions of NT's exports. On Alpha there is one convention (the calling standard),
 * and the x86 name only says nothing there: fastcall routines take a0, a1 like every other.
 */
export type CallingConvention = 'stdcall' | 'cdecl' | 'fastcall';

/**
 * The routine shape an Abi needs: its convention, how many arguments it declares and, when any is
 * 64 bits wide (LONGLONG, LARGE_INTEGER by value), each one's width in bytes (absent: all 4).
 */
export interface RoutineShape {
  conv: CallingConvention;
  argCount: number;
  widths?: readonly (4 | 8)[];
}

/**
 * Where each argument of `r` lives on x86: a register (fastcall's first two 32-bit arguments) or a
 * stack offset past the return address, and the bytes of stack arguments in all.
 */
export function x86Layout(r: RoutineShape): {
  slots: ({ reg: 'ecx' | 'edx' } | { offset: number })[];
  stackBytes: number;
} {
  const regs: ('ecx' | 'edx')[] = r.conv === 'fastcall' ? ['ecx', 'edx'] : [];
  const slots: ({ reg: 'ecx' | 'edx' } | { offset: number })[] = [];
  let offset = 0;
  for (let i = 0; i < r.argCount; i++) {
    const width = r.widths?.[i] ?? 4;
    const reg = width === 4 ? regs.shift() : undefined;
    if (reg) slots.push({ reg });
    else {
      slots.push({ offset });
      offset += width;
    }
  }
  return { slots, stackBytes: offset };
}

/** A guest fault while the Abi read the stack (the kernel reports it as a guest fault). */
export class AbiAccessError extends Error {
  override readonly name = 'AbiAccessError';
  constructor(
    readonly address: number,
    what: string,
  ) {
    super(`${what} at 0x${(address >>> 0).toString(16)} is not readable guest memory`);
  }
}

/**
 * Calling-convention operations on one engine. "At entry" means while the routine's first instruction
 * is about to run (where export hooks fire): the caller has just transferred control.
 */
export interface Abi {
  readonly arch: 'x86' | 'alpha' | 'amd64';
  readonly cpu: AnyCpu;
  pc(): number;
  setPc(address: number): void;
  /** The stack pointer (low 32 bits). */
  sp(): number;
  setSp(address: number): void;
  /** The routine's return address at entry (x86: the word at ESP; Alpha: ra). */
  returnAddress(): number;
  /** Argument `index` (low 32 bits) at entry, for a routine of shape `r`; throws AbiAccessError. */
  arg(index: number, r: RoutineShape): number;
  /** A 64-bit argument `index` at entry (x86: two stack slots; Alpha: the whole register or slot). */
  arg64(index: number, r: RoutineShape): bigint;
  /** The stack pointer the caller has once the routine returned (x86: past what RET n pops). */
  spAfterReturn(r: RoutineShape): number;
  /** The integer result register (EAX; Alpha v0's low 32 bits). */
  result(): number;
  /** Sets the result register (Alpha: sign-extended from 32 bits, as NT keeps 32-bit values). */
  setResult(value: number): void;
  /** Sets a 64-bit result (x86: EDX:EAX; Alpha: all of v0). */
  setResult64(value: bigint): void;
  /**
   * Sets a pointer result where pointers are wider than the kernel's numbers (AMD64: the guest
   * address of host address `value`); absent where setResult serves.
   */
  setPointerResult?(value: number): void;
  /**
   * Sets up a call of `routine` with `args` from the current sp, returning to `returnAddress`: x86
   * pushes args and the return address; Alpha fills a0-a5, stack slots, ra and t12. pc is not set.
   * `scalars`: indexes of args that are integers, not pointers (where the two are passed differently).
   */
  prepareCall(
    routine: number,
    args: readonly number[],
    returnAddress: number,
    scalars?: readonly number[],
  ): void;
  /** Whether a call with `argCount` arguments can take over the caller's frame (a tail call). */
  canTailCall(argCount: number): boolean;
  /**
   * Sets up a tail call from the stack pointer the finished routine's caller has (AMD64, where the
   * callee keeps its caller's home space); absent where prepareCall serves.
   */
  prepareTailCall?(args: readonly number[], returnAddress: number): void;
  /** Reserves a stack slot holding `id` (a continuation's marker); returns the slot's address. */
  pushMarker(id: number): number;
  /**
   * The sp a routine called by prepareCall(…, args of `argCount`) right after pushMarker leaves when it
   * returns, given the marker's address (x86 stdcall: the marker's; Alpha: minus the stack-argument area).
   */
  spAtMarkerReturn(marker: number, argCount: number): number;
  /** Bytes of a "branch to self" (x86 `jmp $`, Alpha `br zero, .`), where a stopped guest waits. */
  readonly spinCode: Uint8Array;
  /** Fill for pages whose code only runs as hooks (x86 int3; Alpha CALL_PAL halt). */
  readonly trapFill: number;
  /** What the host-call sentinel holds (never executed: the run ends there; x86 hlt, Alpha CALL_PAL halt). */
  readonly sentinelCode: Uint8Array;
}

/** The Abi for `cpu`'s architecture. */
export function abiFor(cpu: AnyCpu): Abi {
  if (cpu.arch === 'amd64') return new X64Abi(cpu);
  return cpu.arch === 'x86' ? new X86Abi(cpu) : new AlphaAbi(cpu);
}
