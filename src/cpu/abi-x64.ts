// The AMD64 side of the calling-convention layer (abi.ts), the Microsoft x64 convention: the first
// four arguments in RCX, RDX, R8, R9, the caller's 32-byte home space above the return address, the
// fifth argument on at [RSP+0x28] at entry, the result in RAX, the callee pops nothing; RSP is 16-byte
// aligned before the CALL ("x64 calling convention", Microsoft Learn: Parameter passing, Stack
// allocation). Addresses the kernel passes are host addresses of the engine's window (engine.ts
// X64Cpu): pointers going into the guest become 64-bit guest addresses, values coming out their offsets.
import { type Abi, AbiAccessError, type RoutineShape } from './abi.js';
import type { X64Cpu, X64Reg } from './engine.js';

const REGISTER_ARGS: readonly X64Reg[] = ['rcx', 'rdx', 'r8', 'r9'];
/** The home space: four register-argument slots the caller reserves above the return address. */
export const HOME_SPACE = 0x20;

/** Bytes a call with `argCount` arguments reserves below the caller's sp (home space at least, 16-aligned). */
const argumentArea = (argCount: number): number => (8 * Math.max(4, argCount) + 15) & ~15;

export class X64Abi implements Abi {
  readonly arch = 'amd64' as const;
  /** jmp $ */
  readonly spinCode = new Uint8Array([0xeb, 0xfe]);
  /** int3 */
  readonly trapFill = 0xcc;
  /** hlt */
  readonly sentinelCode = new Uint8Array([0xf4]);

  constructor(readonly cpu: X64Cpu) {}

  /** A guest value as the kernel sees it: a window address's offset, else the low 32 bits. */
  private host(v: bigint): number {
    return this.cpu.hostAddress(v) ?? Number(v & 0xffffffffn);
  }
  private qword(address: number, what: string): bigint {
    try {
      const b = this.cpu.read(address >>> 0, 8);
      return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
    } catch {
      throw new AbiAccessError(address, what);
    }
  }
  private setQword(address: number, value: bigint, what: string): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
    try {
      this.cpu.write(address >>> 0, b);
    } catch {
      throw new AbiAccessError(address, what);
    }
  }

  pc(): number {
    return this.host(this.cpu.reg('rip'));
  }
  setPc(address: number): void {
    this.cpu.setReg('rip', this.cpu.guestAddress(address));
  }
  sp(): number {
    return this.host(this.cpu.reg('rsp'));
  }
  setSp(address: number): void {
    this.cpu.setReg('rsp', this.cpu.guestAddress(address));
  }
  returnAddress(): number {
    return this.host(this.qword(this.sp(), 'return address'));
  }
  /** The whole 64-bit argument `index` at entry: a register, or the stack past the home space. */
  arg64(index: number, _r?: RoutineShape): bigint {
    const reg = REGISTER_ARGS[index];
    if (reg) return this.cpu.reg(reg);
    return this.qword(this.sp() + 8 + 8 * index, 'stack argument');
  }
  /** Argument `index`'s low 32 bits (a pointer into the window: its host address). */
  arg(index: number, r?: RoutineShape): number {
    return this.host(this.arg64(index, r));
  }
  spAfterReturn(): number {
    return (this.sp() + 8) >>> 0;
  }
  result(): number {
    return Number(this.cpu.reg('rax') & 0xffffffffn);
  }
  setResult(value: number): void {
    this.cpu.setReg('rax', BigInt(value >>> 0));
  }
  /** A pointer result: the guest gets the 64-bit address of host address `value`. */
  setPointerResult(value: number): void {
    this.cpu.setReg('rax', this.cpu.guestAddress(value));
  }
  setResult64(value: bigint): void {
    this.cpu.setReg('rax', BigInt.asUintN(64, value));
  }
  /**
   * A call from the current sp: the argument area (home space and stack arguments, 16-byte aligned),
   * then the return address. An argument is passed as a pointer would be (0 stays NULL; the routines
   * the kernel calls mostly take pointers: DriverEntry, dispatch, completion, DPC routines, and a
   * 32-bit value read from the low half of its register is unchanged) unless `scalars` names it: an
   * integer (a size_t length) is passed zero-extended.
   */
  prepareCall(
    _routine: number,
    args: readonly number[],
    returnAddress: number,
    scalars?: readonly number[],
  ): void {
    const base = (this.sp() - argumentArea(args.length)) & ~15;
    args.forEach((a, i) => {
      const v = scalars?.includes(i) ? BigInt(a >>> 0) : this.cpu.guestAddress(a);
      const reg = REGISTER_ARGS[i];
      if (reg) this.cpu.setReg(reg, v);
      else this.setQword(base + 8 * i, v, 'stack argument');
    });
    const sp = (base - 8) >>> 0;
    this.setQword(sp, this.cpu.guestAddress(returnAddress), 'return address');
    this.setSp(sp);
  }
  /** With register arguments only: the routine reuses the home space its caller reserved (prepareTailCall). */
  canTailCall(argCount: number): boolean {
    return argCount <= REGISTER_ARGS.length;
  }
  /**
   * A tail call from a routine that has returned (sp past its return address): the return address
   * goes back where the CALL left it, above it the caller's own home space, and the arguments into
   * registers, as a `jmp` at the end of an x64 routine leaves them (IofCallDriver's transfer).
   */
  prepareTailCall(args: readonly number[], returnAddress: number): void {
    args.forEach((a, i) => {
      this.cpu.setReg(REGISTER_ARGS[i]!, this.cpu.guestAddress(a));
    });
    const sp = (this.sp() - 8) >>> 0;
    this.setQword(sp, this.cpu.guestAddress(returnAddress), 'return address');
    this.setSp(sp);
  }
  pushMarker(id: number): number {
    const marker = ((this.sp() - 16) & ~15) >>> 0;
    this.setQword(marker, BigInt(id >>> 0), 'continuation marker');
    this.setSp(marker);
    return marker;
  }
  spAtMarkerReturn(marker: number, argCount: number): number {
    return ((marker - argumentArea(argCount)) & ~15) >>> 0;
  }
}

/** What returnFromCall64 writes, in one engine call. */
const RETURN_REGS: readonly X64Reg[] = ['rax', 'rsp', 'rip'];
const returnValues: bigint[] = [0n, 0n, 0n];

/**
 * Returns at once from a routine entered by CALL (an x64 routine pops nothing): RAX = `result`, RSP
 * past the return address, RIP = the return address. Three engine calls: RSP read, the return
 * address read, and RAX, RSP and RIP written together (bench/cpu-x64.ts measures it).
 */
export function returnFromCall64(cpu: X64Cpu, result: bigint): void {
  const rsp = cpu.reg('rsp');
  const at = cpu.hostAddress(rsp);
  if (at === null) throw new AbiAccessError(Number(rsp & 0xffffffffn), 'return address');
  returnValues[0] = result;
  returnValues[1] = rsp + 8n;
  returnValues[2] = cpu.readU64(at);
  cpu.setRegs(RETURN_REGS, returnValues);
}
