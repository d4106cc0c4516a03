// The Alpha AXP side of the calling-convention layer (abi.ts), NT's Alpha calling standard
// (alpha/call.ts): arguments in a0-a5 (r16-r21), then 8-byte slots at the caller's sp; the result in
// v0 (r0); the return address in ra (r26); the callee pops nothing. 32-bit values travel sign-extended.
import { type Abi, AbiAccessError, type RoutineShape } from './abi.js';
import { argQ, low32, REGISTER_ARGS, setupCall, sext32 } from './alpha/call.js';
import type { AlphaCpu } from './engine.js';

/** Bytes of stack a call with `argCount` arguments needs below sp (16-byte aligned, as setupCall makes it). */
export const alphaStackArgBytes = (argCount: number): number =>
  (8 * Math.max(0, argCount - REGISTER_ARGS) + 15) & ~15;

/** Bytes pushMarker reserves: one quadword, keeping sp 16-byte aligned. */
const MARKER = 16;

export class AlphaAbi implements Abi {
  readonly arch = 'alpha' as const;
  /** br zero, . (BR r31 with displacement -1) */
  readonly spinCode = new Uint8Array([0xff, 0xff, 0xff, 0xc3]);
  /** CALL_PAL halt (0x00000000) */
  readonly trapFill = 0x00;
  readonly sentinelCode = new Uint8Array(4);

  constructor(readonly cpu: AlphaCpu) {}

  pc(): number {
    return low32(this.cpu.reg('pc'));
  }
  setPc(address: number): void {
    this.cpu.setReg('pc', sext32(address));
  }
  sp(): number {
    return low32(this.cpu.reg('r30'));
  }
  setSp(address: number): void {
    this.cpu.setReg('r30', sext32(address));
  }
  returnAddress(): number {
    return low32(this.cpu.reg('r26'));
  }
  arg(index: number, _r?: RoutineShape): number {
    try {
      return low32(argQ(this.cpu, index));
    } catch {
      throw new AbiAccessError(this.sp() + 8 * (index - REGISTER_ARGS), 'stack argument');
    }
  }
  arg64(index: number, _r?: RoutineShape): bigint {
    try {
      return argQ(this.cpu, index);
    } catch {
      throw new AbiAccessError(this.sp() + 8 * (index - REGISTER_ARGS), 'stack argument');
    }
  }
  spAfterReturn(): number {
    return this.sp();
  }
  result(): number {
    return low32(this.cpu.reg('r0'));
  }
  setResult(value: number): void {
    this.cpu.setReg('r0', sext32(value));
  }
  setResult64(value: bigint): void {
    this.cpu.setReg('r0', BigInt.asUintN(64, value));
  }
  prepareCall(routine: number, args: readonly number[], returnAddress: number): void {
    setupCall(this.cpu, routine, args, returnAddress);
  }
  /** Only register arguments: stack slots below the caller's sp would be left there on return. */
  canTailCall(argCount: number): boolean {
    return argCount <= REGISTER_ARGS;
  }
  pushMarker(id: number): number {
    const marker = (this.sp() - MARKER) >>> 0;
    try {
      this.cpu.writeU32(marker, id >>> 0);
      this.cpu.writeU32(marker + 4, 0);
    } catch {
      throw new AbiAccessError(marker, 'continuation marker');
    }
    this.setSp(marker);
    return marker;
  }
  spAtMarkerReturn(marker: number, argCount: number): number {
    return (marker - alphaStackArgBytes(argCount)) >>> 0;
  }
}
