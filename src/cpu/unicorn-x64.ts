// UnicornX64: the AMD64 CpuEngine, Unicorn in UC_MODE_64 (long mode) behind the same interface as
// UnicornX86, whose engine it drives with `longMode` set: all of guest memory the kernel touches lies
// in one 4 GiB window at 0xFFFFF800'00000000 (system space, as Windows x64 places it), and the
// interface's numbers are offsets in that window (engine.ts, X64Cpu).
import type {
  CodeHook,
  HookHandle,
  InterruptHook,
  Perm,
  PortIo,
  RunOptions,
  RunResult,
  TraceHook,
  X64Cpu,
  X64Reg,
} from './engine.js';
import { UnicornX86 } from './unicorn.js';
import { UC_X86_MMR, UC_X86_MSR, UcX64Reg, UcX86Reg } from './unicorn-abi.js';

/** Where the window starts: the bottom of Windows x64's system space (MM_SYSTEM_RANGE_START region). */
export const X64_WINDOW = 0xfffff80000000000n;
const WINDOW_SIZE = 0x100000000n;

/** The uc_x86_reg id of each AMD64 register name (one lookup per access: reg/setReg are per-call paths). */
const REG_IDS = new Map<string, number>([...Object.entries(UcX86Reg), ...Object.entries(UcX64Reg)]);
const regId = (name: X64Reg): number => REG_IDS.get(name)!;

export class UnicornX64 implements X64Cpu {
  readonly arch = 'amd64' as const;
  readonly pageSize = 0x1000;
  readonly window = X64_WINDOW;
  private readonly uc: UnicornX86;
  private readonly bytes = new Uint8Array(8);
  private readonly view = new DataView(this.bytes.buffer);
  private readonly ids: number[] = [];

  /** `counting` and `maxMappedBytes` as UnicornOptions has them (default: counting 'always'). */
  constructor(options: { maxMappedBytes?: number; counting?: 'always' | 'on-demand' } = {}) {
    this.uc = new UnicornX86({ ...options, longMode: { window: X64_WINDOW } });
  }

  guestAddress(a: number): bigint {
    return a === 0 ? 0n : this.window + BigInt(a >>> 0);
  }
  hostAddress(g: bigint): number | null {
    if (g === 0n) return 0;
    const off = BigInt.asUintN(64, g - this.window);
    return off < WINDOW_SIZE ? Number(off) : null;
  }

  map(address: number, size: number, perm: Perm): void {
    this.uc.map(address, size, perm);
  }
  unmap(address: number, size: number): void {
    this.uc.unmap(address, size);
  }
  protect(address: number, size: number, perm: Perm): void {
    this.uc.protect(address, size, perm);
  }
  read(address: number, size: number): Uint8Array {
    return this.uc.read(address, size);
  }
  write(address: number, bytes: Uint8Array): void {
    this.uc.write(address, bytes);
  }
  readU8(address: number): number {
    return this.uc.readU8(address);
  }
  readU16(address: number): number {
    return this.uc.readU16(address);
  }
  readU32(address: number): number {
    return this.uc.readU32(address);
  }
  writeU8(address: number, value: number): void {
    this.uc.writeU8(address, value);
  }
  writeU16(address: number, value: number): void {
    this.uc.writeU16(address, value);
  }
  writeU32(address: number, value: number): void {
    this.uc.writeU32(address, value);
  }

  reg(name: X64Reg): bigint {
    this.view.setBigUint64(0, 0n); // segment registers fill only their low bytes
    this.uc.regInto(regId(name), this.bytes);
    return this.view.getBigUint64(0, true);
  }
  setReg(name: X64Reg, value: bigint): void {
    this.view.setBigUint64(0, BigInt.asUintN(64, value), true);
    this.uc.setRegRaw(regId(name), this.bytes);
  }
  setRegs(names: readonly X64Reg[], values: readonly bigint[]): void {
    const ids = this.ids;
    ids.length = names.length;
    for (let i = 0; i < names.length; i++) ids[i] = regId(names[i]!);
    this.uc.setRegsRaw64(ids, values);
  }
  readU64(address: number): bigint {
    return this.uc.readU64(address);
  }
  setDescriptorTable(which: 'gdtr' | 'idtr', base: bigint, limit: number): void {
    const mmr = new Uint8Array(UC_X86_MMR.size);
    const v = new DataView(mmr.buffer);
    v.setBigUint64(UC_X86_MMR.base, BigInt.asUintN(64, base), true);
    v.setUint32(UC_X86_MMR.limit, limit >>> 0, true);
    this.uc.setRegRaw(UcX86Reg[which], mmr);
  }
  writeMsr(id: number, value: bigint): void {
    const msr = new Uint8Array(UC_X86_MSR.size);
    const v = new DataView(msr.buffer);
    v.setUint32(UC_X86_MSR.rid, id >>> 0, true);
    v.setBigUint64(UC_X86_MSR.value, BigInt.asUintN(64, value), true);
    this.uc.setRegRaw(UcX64Reg.msr, msr);
  }
  hookCode(begin: number, end: number, hook: CodeHook): HookHandle {
    return this.uc.hookCode(begin, end, hook);
  }
  hookTrace(unit: 'block' | 'insn', hook: TraceHook): HookHandle {
    return this.uc.hookTrace(unit, hook);
  }
  hookInterrupt(hook: InterruptHook): HookHandle {
    return this.uc.hookInterrupt(hook);
  }
  hookPortIo(io: PortIo): HookHandle {
    return this.uc.hookPortIo(io);
  }
  stop(reason: string): void {
    this.uc.stop(reason);
  }

  /** Runs as UnicornX86.run does; faults also carry the guest's 64-bit address and pc. */
  run(opts: RunOptions): RunResult {
    const r = this.uc.run(opts);
    if (r.kind !== 'fault') return r;
    const pc64 = this.reg('rip');
    const address64 =
      r.fault === 'unmapped' || r.fault === 'protection'
        ? (this.uc.faultAddress64 ?? this.guestAddress(r.address))
        : pc64;
    return { ...r, address64, pc64 };
  }
  close(): void {
    this.uc.close();
  }
}
