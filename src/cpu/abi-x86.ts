// The x86 side of the calling-convention layer (abi.ts): stdcall, cdecl and fastcall arguments on the
// stack at ESP+4 (fastcall's first two in ECX, EDX), the result in EAX, returns that pop what RET n
// pops, and calls pushed as CALL pushes them (x86-call.ts).
import { type Abi, AbiAccessError, type CallingConvention, type RoutineShape, x86Layout } from './abi.js';
import type { X86Cpu } from './engine.js';
import { pushCall } from './x86-call.js';

/**
 * Bytes the callee pops: all stack arguments for stdcall, those past ECX/EDX for fastcall, none for
 * cdecl; 64-bit arguments (`widths` 8) take two stack slots.
 */
export function x86CalleeCleanup(
  conv: CallingConvention,
  argCount: number,
  widths?: readonly (4 | 8)[],
): number {
  if (conv === 'cdecl') return 0;
  // All 4 bytes wide (most routines): no layout to build at each return.
  if (!widths) return 4 * (conv === 'fastcall' ? Math.max(0, argCount - 2) : argCount);
  return x86Layout({ conv, argCount, widths }).stackBytes;
}

/** jmp $ and hlt: one copy for every X86Abi (a kernel per warm boot made its own, issue 19); never written to. */
const SPIN_CODE = new Uint8Array([0xeb, 0xfe]);
const SENTINEL_CODE = new Uint8Array([0xf4]);

export class X86Abi implements Abi {
  readonly arch = 'x86' as const;
  /** jmp $ */
  readonly spinCode = SPIN_CODE;
  /** int3 */
  readonly trapFill = 0xcc;
  /** hlt */
  readonly sentinelCode = SENTINEL_CODE;

  constructor(readonly cpu: X86Cpu) {}

  pc(): number {
    return this.cpu.reg('eip');
  }
  setPc(address: number): void {
    this.cpu.setReg('eip', address >>> 0);
  }
  sp(): number {
    return this.cpu.reg('esp');
  }
  setSp(address: number): void {
    this.cpu.setReg('esp', address >>> 0);
  }
  private word(address: number, what: string): number {
    try {
      return this.cpu.readU32(address >>> 0);
    } catch {
      throw new AbiAccessError(address, what);
    }
  }
  returnAddress(): number {
    return this.word(this.sp(), 'return address');
  }
  arg(index: number, r: RoutineShape): number {
    if (r.conv === 'fastcall' && index < 2 && !r.widths) return this.cpu.reg(index === 0 ? 'ecx' : 'edx');
    if (!r.widths) {
      const slot = r.conv === 'fastcall' ? index - 2 : index;
      return this.word(this.sp() + 4 + 4 * slot, 'stack argument');
    }
    const at = x86Layout(r).slots[index] ?? { offset: 4 * index };
    return 'reg' in at ? this.cpu.reg(at.reg) : this.word(this.sp() + 4 + at.offset, 'stack argument');
  }
  arg64(index: number, r: RoutineShape): bigint {
    const at = x86Layout(r).slots[index] ?? { offset: 4 * index };
    if ('reg' in at) return BigInt(this.cpu.reg(at.reg));
    const lo = this.word(this.sp() + 4 + at.offset, 'stack argument');
    const hi = this.word(this.sp() + 8 + at.offset, 'stack argument');
    return (BigInt(hi) << 32n) | BigInt(lo);
  }
  spAfterReturn(r: RoutineShape): number {
    return (this.sp() + 4 + x86CalleeCleanup(r.conv, r.argCount, r.widths)) >>> 0;
  }
  result(): number {
    return this.cpu.reg('eax');
  }
  setResult(value: number): void {
    this.cpu.setReg('eax', value >>> 0);
  }
  setResult64(value: bigint): void {
    const v = BigInt.asUintN(64, value);
    this.cpu.setReg('eax', Number(v & 0xffffffffn));
    this.cpu.setReg('edx', Number(v >> 32n));
  }
  prepareCall(_routine: number, args: readonly number[], returnAddress: number): void {
    pushCall(this.cpu, args, returnAddress);
  }
  canTailCall(): boolean {
    return true;
  }
  pushMarker(id: number): number {
    pushCall(this.cpu, [], id); // the id sits where a stdcall routine's return leaves ESP
    return this.sp();
  }
  spAtMarkerReturn(marker: number): number {
    return marker;
  }
}
