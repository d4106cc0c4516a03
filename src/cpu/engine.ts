// The CpuEngine interface: what the loader, kernel and HAL need from a CPU, whichever runs it
// (Unicorn for x86 in unicorn.ts, our Alpha AXP interpreter later). Guest failures come back from
// run() as RunResult data; exceptions thrown by an engine mean host bugs or misuse.

/** Page protection of guest memory. */
export interface Perm {
  read: boolean;
  write: boolean;
  execute: boolean;
}
export const RWX: Perm = { read: true, write: true, execute: true };
export const RW: Perm = { read: true, write: true, execute: false };
export const RX: Perm = { read: true, write: false, execute: true };
export const R: Perm = { read: true, write: false, execute: false };

/** x86 registers by name. Segment registers hold selectors. */
export type X86Reg =
  | 'eax'
  | 'ebx'
  | 'ecx'
  | 'edx'
  | 'esi'
  | 'edi'
  | 'ebp'
  | 'esp'
  | 'eip'
  | 'eflags'
  | 'cs'
  | 'ds'
  | 'es'
  | 'fs'
  | 'gs'
  | 'ss'
  | 'cr0'
  | 'cr2'
  | 'cr3'
  | 'cr4';

/** x86's general registers, pc and flags, in the order reports list them and thread switches save them. */
export const X86_GENERAL_REGS: readonly X86Reg[] = [
  'eax',
  'ebx',
  'ecx',
  'edx',
  'esi',
  'edi',
  'ebp',
  'esp',
  'eip',
  'eflags',
];

/**
 * AMD64 registers by name (long mode): the 64-bit general registers, rip, rflags, the segment
 * selectors, control registers and the FS/GS bases (IA32_FS_BASE, IA32_GS_BASE).
 */
export type X64Reg =
  | 'rax'
  | 'rbx'
  | 'rcx'
  | 'rdx'
  | 'rsi'
  | 'rdi'
  | 'rbp'
  | 'rsp'
  | 'rip'
  | 'rflags'
  | 'r8'
  | 'r9'
  | 'r10'
  | 'r11'
  | 'r12'
  | 'r13'
  | 'r14'
  | 'r15'
  | 'cs'
  | 'ds'
  | 'es'
  | 'fs'
  | 'gs'
  | 'ss'
  | 'cr0'
  | 'cr2'
  | 'cr3'
  | 'cr4'
  | 'fs_base'
  | 'gs_base';

/** AMD64's general registers, rip and rflags, in the order reports list them and thread switches save them. */
export const X64_GENERAL_REGS: readonly X64Reg[] = [
  'rax',
  'rbx',
  'rcx',
  'rdx',
  'rsi',
  'rdi',
  'rbp',
  'rsp',
  'r8',
  'r9',
  'r10',
  'r11',
  'r12',
  'r13',
  'r14',
  'r15',
  'rip',
  'rflags',
];

/** Alpha AXP registers by name: integer r0..r31, floating f0..f31, pc, fpcr. */
export type AlphaReg = `r${number}` | `f${number}` | 'pc' | 'fpcr';

/** What differs between architectures at the interface: register names and value width. */
export interface Arch {
  readonly name: 'x86' | 'alpha' | 'amd64';
  readonly reg: string;
  /** 32-bit registers are numbers; 64-bit registers (Alpha) are bigints. */
  readonly value: number | bigint;
}
export interface X86 extends Arch {
  readonly name: 'x86';
  readonly reg: X86Reg;
  readonly value: number;
}
export interface Alpha extends Arch {
  readonly name: 'alpha';
  readonly reg: AlphaReg;
  readonly value: bigint;
}

/** AMD64 in long mode: registers are 64 bits wide (bigints); see X64Cpu for addresses. */
export interface X64 extends Arch {
  readonly name: 'amd64';
  readonly reg: X64Reg;
  readonly value: bigint;
}

/** The memory access that faulted. */
export type FaultAccess = 'read' | 'write' | 'fetch';

/**
 * Why the guest faulted: `unmapped` and `protection` come with the access and the faulting data
 * address; `invalid-instruction` has address = pc; `exception` is a CPU exception or software
 * interrupt that no hook handled (divide error, int3 without hookInterrupt), with its vector.
 */
export type FaultKind = 'unmapped' | 'protection' | 'invalid-instruction' | 'exception';

/** How a run ended. `instructions` is the number executed, where the engine knows it. */
export type RunResult =
  /** The guest reached `until`. */
  | { kind: 'returned'; pc: number; instructions?: number }
  /** A hook called stop(reason), or the guest halted (reason 'hlt'). */
  | { kind: 'stopped'; reason: string; pc: number; instructions?: number }
  | {
      kind: 'fault';
      fault: FaultKind;
      access: FaultAccess | null;
      /** Faulting data address, or pc for instruction and exception faults. */
      address: number;
      /** Interrupt vector of an `exception`, when known. */
      vector?: number;
      pc: number;
      /** false when the engine could only give an approximate pc (see UnicornOptions.counting). */
      pcExact?: false;
      /** AMD64: the faulting address and pc as the guest sees them (64 bits; see X64Cpu.window). */
      address64?: bigint;
      pc64?: bigint;
      instructions?: number;
    }
  /** The run used up its instruction or wall-clock budget. */
  | { kind: 'budget'; which: 'instructions' | 'time'; pc: number; instructions?: number }
  /** A host callback threw: `error` is the original exception. */
  | { kind: 'host-error'; error: Error; pc: number };

export interface RunOptions {
  start: number;
  /** Address at which the run ends with `returned` (e.g. a return-address sentinel). */
  until: number;
  /** Instruction budget. On Unicorn it costs speed, see unicorn.ts. */
  maxInstructions?: number;
  /** Wall-clock budget in milliseconds. */
  maxMillis?: number;
}

/** Called before the guest executes an instruction inside a hooked range (API stub pages). */
export type CodeHook = (address: number) => void;
/** Called as the guest starts a basic block or an instruction of `size` bytes at `address` (tracing). */
export type TraceHook = (address: number, size: number) => void;
/** Called for a software interrupt or CPU exception (x86: int n, int3, divide error). */
export type InterruptHook = (vector: number) => void;

/** A registered hook; remove() detaches it. */
export interface HookHandle {
  remove(): void;
}

/** The architecture-neutral engine: what the loader, kernel and HAL use. */
export interface CpuCore<A extends Arch> {
  readonly arch: A['name'];
  /** Granularity of map/unmap/protect; addresses and sizes must be multiples of it. */
  readonly pageSize: number;

  /** Maps [address, address + size), zero-filled. */
  map(address: number, size: number, perm: Perm): void;
  unmap(address: number, size: number): void;
  protect(address: number, size: number, perm: Perm): void;

  read(address: number, size: number): Uint8Array;
  /** Copies `bytes` into guest memory: callers may pass shared, constant arrays (kernel pages, GDT). */
  write(address: number, bytes: Uint8Array): void;
  readU8(address: number): number;
  readU16(address: number): number;
  readU32(address: number): number;
  writeU8(address: number, value: number): void;
  writeU16(address: number, value: number): void;
  writeU32(address: number, value: number): void;

  reg(name: A['reg']): A['value'];
  setReg(name: A['reg'], value: A['value']): void;

  /** Calls `hook` before each instruction executed in [begin, end] (both inclusive). */
  hookCode(begin: number, end: number, hook: CodeHook): HookHandle;
  /**
   * Optional, for tracing: calls `hook` for every basic block (or every instruction) the guest
   * executes anywhere. Costs a host round trip per block; engines install nothing until asked.
   */
  hookTrace?(unit: 'block' | 'insn', hook: TraceHook): HookHandle;
  /** Calls `hook` for interrupts and exceptions; without one they end the run as a fault. */
  hookInterrupt(hook: InterruptHook): HookHandle;

  /**
   * From inside a hook: ends the current run, which returns `stopped` with `reason` and the pc the
   * guest had when stop was called.
   */
  stop(reason: string): void;
  run(opts: RunOptions): RunResult;
  /** Releases the engine; it must not be used afterwards. */
  close(): void;
}

/** Guest memory alone, whichever CPU holds it: what the kernel's memory accessors and pool use. */
export type GuestMemoryEngine = Pick<
  CpuCore<Arch>,
  | 'pageSize'
  | 'map'
  | 'unmap'
  | 'protect'
  | 'read'
  | 'write'
  | 'readU8'
  | 'readU16'
  | 'readU32'
  | 'writeU8'
  | 'writeU16'
  | 'writeU32'
>;

/** x86 port I/O handlers (IN/OUT instructions). */
export interface PortIo {
  in(port: number, size: 1 | 2 | 4): number;
  out(port: number, size: 1 | 2 | 4, value: number): void;
}

/** An x86 CPU: the core plus what only x86 has (descriptor tables, port I/O). */
export interface X86Cpu extends CpuCore<X86> {
  /** Loads GDTR or IDTR. */
  setDescriptorTable(which: 'gdtr' | 'idtr', base: number, limit: number): void;
  hookPortIo(io: PortIo): HookHandle;
}

/**
 * An AMD64 CPU in long mode. Its guest addresses are 64 bits, but the interface's addresses stay
 * numbers: the engine shows the kernel a 4 GiB window of the guest's address space, host address `a`
 * being guest address `window + a` (window 0xFFFFF800'00000000, where Windows x64 puts system space),
 * so the loader, kernel and pool work with the same numbers as on x86 while the guest sees canonical
 * kernel addresses. Registers are read whole (bigints); guestAddress/hostAddress convert.
 */
export interface X64Cpu extends CpuCore<X64> {
  /** Guest address of host address 0. */
  readonly window: bigint;
  /** The guest's 64-bit address for host address `a` (0 stays 0: NULL). */
  guestAddress(a: number): bigint;
  /** The host address of guest address `g`, or null when it lies outside the window. */
  hostAddress(g: bigint): number | null;
  /** Loads GDTR or IDTR with a 64-bit base. */
  setDescriptorTable(which: 'gdtr' | 'idtr', base: bigint, limit: number): void;
  /** Writes a model-specific register (WRMSR): IA32_GS_BASE, IA32_KERNEL_GS_BASE, IA32_EFER… */
  writeMsr(id: number, value: bigint): void;
  hookPortIo(io: PortIo): HookHandle;
  /** Writes several registers at once (one engine call; at most 8), `values[i]` to `names[i]`. */
  setRegs(names: readonly X64Reg[], values: readonly bigint[]): void;
  /** The 64-bit little-endian value at host address `address`. */
  readU64(address: number): bigint;
}

/** An Alpha AXP CPU (AlphaInterpreter, src/cpu/alpha/interpreter.ts); nothing beyond the core. */
export interface AlphaCpu extends CpuCore<Alpha> {}

/**
 * The engine for an architecture. Defaults to x86, the one implemented (UnicornX86); code that is
 * architecture-neutral should take CpuCore<A>.
 */
export type CpuEngine<A extends Arch = X86> = A extends X86
  ? X86Cpu
  : A extends Alpha
    ? AlphaCpu
    : A extends X64
      ? X64Cpu
      : CpuCore<A>;

/**
 * A mapping request would take the engine's guest memory past its cap: refused before the engine
 * maps anything, so guest-driven mappings can never grow host memory without bound.
 */
export class GuestMemoryLimitError extends Error {
  override readonly name = 'GuestMemoryLimitError';
  constructor(
    /** Bytes asked for. */
    readonly requested: number,
    /** Bytes mapped before the request. */
    readonly mapped: number,
    /** The cap. */
    readonly limit: number,
  ) {
    super(
      `guest memory limit: mapping 0x${requested.toString(16)} bytes would exceed the cap of ${limit} bytes (${mapped} mapped)`,
    );
  }
}
