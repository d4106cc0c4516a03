// NT Alpha calling-convention helpers, the counterparts of x86-call.ts: reading a routine's arguments
// inside an API-stub hook, returning from it, and setting up a call from the host into guest code.
// Convention (Alpha calling standard as NT uses it; NT's ksalpha.h / alphaops.h register names): the
// first six integer arguments in a0-a5 (r16-r21), the rest in 8-byte slots at the caller's sp
// (argument 6 at sp+0, 7 at sp+8...); the result in v0 (r0); the return address in ra (r26); the
// callee's address in t12/pv (r27). 32-bit values (NT pointers, ULONG) travel sign-extended.
import type { AlphaCpu } from '../engine.js';

const A0 = 16;
/** Integer arguments passed in registers (a0-a5). */
export const REGISTER_ARGS = 6;

/** A 32-bit value as NT keeps it in a 64-bit register: sign-extended from bit 31. */
export const sext32 = (value: number): bigint => BigInt.asUintN(64, BigInt(value | 0));

/** The low 32 bits of a 64-bit register value, unsigned (a 32-bit pointer or ULONG). */
export const low32 = (value: bigint): number => Number(value & 0xffffffffn);

/** The `index`-th 64-bit argument of a routine at its first instruction (a0-a5, then the stack). */
export function argQ(cpu: AlphaCpu, index: number): bigint {
  if (index < REGISTER_ARGS) return cpu.reg(`r${A0 + index}`);
  const sp = low32(cpu.reg('r30'));
  const lo = cpu.readU32((sp + 8 * (index - REGISTER_ARGS)) >>> 0);
  const hi = cpu.readU32((sp + 8 * (index - REGISTER_ARGS) + 4) >>> 0);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** The `index`-th argument's low 32 bits, unsigned (pointers, ULONG, NTSTATUS). */
export function arg(cpu: AlphaCpu, index: number): number {
  return low32(argQ(cpu, index));
}

/** The first `count` arguments' low 32 bits. */
export function args(cpu: AlphaCpu, count: number): number[] {
  return Array.from({ length: count }, (_, i) => arg(cpu, i));
}

/**
 * Returns from the routine whose first instruction is executing (an API stub), as its RET would:
 * v0 = `value` (a number is sign-extended from 32 bits), pc = ra. The caller pops stack arguments.
 */
export function returnFromCall(cpu: AlphaCpu, value: number | bigint): void {
  cpu.setReg('r0', typeof value === 'bigint' ? value : sext32(value));
  cpu.setReg('pc', cpu.reg('r26'));
}

/**
 * Prepares a call into guest code at `routine`: a0-a5 and then 8-byte stack slots at the new sp for
 * `args` (numbers are sign-extended), ra = `returnAddress`, t12 = `routine` (NT code finds its GP
 * from t12). Run the guest from `routine` with `until: returnAddress`. Leaves sp 16-byte aligned.
 */
export function setupCall(
  cpu: AlphaCpu,
  routine: number,
  args: readonly (number | bigint)[],
  returnAddress: number,
): void {
  const q = (v: number | bigint) => (typeof v === 'bigint' ? BigInt.asUintN(64, v) : sext32(v));
  const stackArgs = args.slice(REGISTER_ARGS);
  let sp = low32(cpu.reg('r30'));
  sp = (sp - ((8 * stackArgs.length + 15) & ~15)) >>> 0;
  stackArgs.forEach((v, i) => {
    const x = q(v);
    cpu.writeU32((sp + 8 * i) >>> 0, Number(x & 0xffffffffn));
    cpu.writeU32((sp + 8 * i + 4) >>> 0, Number(x >> 32n));
  });
  if (stackArgs.length > 0) cpu.setReg('r30', sext32(sp));
  args.slice(0, REGISTER_ARGS).forEach((v, i) => {
    cpu.setReg(`r${A0 + i}`, q(v));
  });
  cpu.setReg('r26', sext32(returnAddress));
  cpu.setReg('r27', sext32(routine));
}
