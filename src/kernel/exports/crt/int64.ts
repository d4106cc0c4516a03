// The compiler's 64-bit arithmetic helpers NT's kernel exports for x86 drivers (MSVC's _alldiv,
// _allmul…, ReactOS sdk/lib/crt/math/i386): stdcall with two 64-bit operands on the stack, the result in
// EDX:EAX; the shifts take their value in EDX:EAX and the count in CL (no stack arguments).
import type { X86Cpu } from '../../../cpu/engine.js';
import type { KernelContext } from '../../context.js';
import { defineShared, type ExportHandler, type HandlerResult } from '../../registry.js';
import { CRT_MODULES } from './string.js';

const q = (lo: number, hi: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const s64 = (lo: number, hi: number) => BigInt.asIntN(64, q(lo, hi));

/** Integer division by zero: the helper's `div` raises #DE, a guest fault the run stops at. */
function divide(ctx: KernelContext, divisor: bigint, f: () => bigint): HandlerResult {
  if (divisor === 0n) {
    ctx.stop('guest fault: integer divide by zero in a 64-bit division helper');
    return undefined;
  }
  return f();
}

/** EDX:EAX and CL of an x86 register-convention helper. */
function regs(ctx: KernelContext): { value: bigint; count: number } {
  const cpu = ctx.cpu as X86Cpu;
  return { value: q(cpu.reg('eax'), cpu.reg('edx')), count: cpu.reg('ecx') & 0xff };
}

const helper = (prototype: string, impl: ExportHandler['impl']) =>
  defineShared(CRT_MODULES, { prototype, pure: true, impl });

export const crtInt64Exports: ExportHandler[] = [
  ...helper('LONGLONG NTAPI _allmul(LONGLONG Multiplicand, LONGLONG Multiplier)', (_ctx, [a, b, c, d]) =>
    BigInt.asUintN(64, q(a!, b!) * q(c!, d!)),
  ),
  ...helper('LONGLONG NTAPI _alldiv(LONGLONG Dividend, LONGLONG Divisor)', (ctx, [a, b, c, d]) =>
    divide(ctx, s64(c!, d!), () => s64(a!, b!) / s64(c!, d!)),
  ),
  ...helper('LONGLONG NTAPI _allrem(LONGLONG Dividend, LONGLONG Divisor)', (ctx, [a, b, c, d]) =>
    divide(ctx, s64(c!, d!), () => s64(a!, b!) % s64(c!, d!)),
  ),
  ...helper('ULONGLONG NTAPI _aulldiv(ULONGLONG Dividend, ULONGLONG Divisor)', (ctx, [a, b, c, d]) =>
    divide(ctx, q(c!, d!), () => q(a!, b!) / q(c!, d!)),
  ),
  ...helper('ULONGLONG NTAPI _aullrem(ULONGLONG Dividend, ULONGLONG Divisor)', (ctx, [a, b, c, d]) =>
    divide(ctx, q(c!, d!), () => q(a!, b!) % q(c!, d!)),
  ),
  // The shifts: value in EDX:EAX, count in CL; counts of 64 and more give 0 (or the sign), as MSVC's.
  ...helper('LONGLONG __cdecl _allshl(VOID)', (ctx) => {
    const { value, count } = regs(ctx);
    return count >= 64 ? 0n : BigInt.asUintN(64, value << BigInt(count));
  }),
  ...helper('LONGLONG __cdecl _allshr(VOID)', (ctx) => {
    const { value, count } = regs(ctx);
    return BigInt.asIntN(64, value) >> BigInt(Math.min(count, 63));
  }),
  ...helper('ULONGLONG __cdecl _aullshr(VOID)', (ctx) => {
    const { value, count } = regs(ctx);
    return count >= 64 ? 0n : value >> BigInt(count);
  }),
];
