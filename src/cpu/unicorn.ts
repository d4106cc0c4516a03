// UnicornX86: the CpuEngine for x86 over Debian's libunicorn.so.2 through koffi. The only module
// that imports koffi or knows libunicorn's C API. Exceptions thrown in hooks are caught (koffi would
// swallow them), the run is stopped, and run() reports them as `host-error`.
import koffi from 'koffi';
import type {
  CodeHook,
  CpuEngine,
  FaultAccess,
  FaultKind,
  Perm,
  PortIo,
  RunOptions,
  RunResult,
  X86Reg,
} from './engine.js';
import {
  UC_ARCH_X86,
  UC_HOOK_CODE,
  UC_HOOK_INSN,
  UC_HOOK_INTR,
  UC_HOOK_MEM_INVALID,
  UC_MODE_32,
  UC_PROT_EXEC,
  UC_PROT_READ,
  UC_PROT_WRITE,
  UC_QUERY_TIMEOUT,
  UC_X86_INS_IN,
  UC_X86_INS_OUT,
  UC_X86_MMR,
  UcErr,
  UcMem,
  UcX86Reg,
} from './unicorn-abi.js';

/** libunicorn.so.2 could not be loaded: the one line tells the user what to do. */
export class UnicornUnavailableError extends Error {
  override readonly name = 'UnicornUnavailableError';
}

/** A libunicorn call failed where it must not (a host bug or a misuse of the engine). */
export class UnicornError extends Error {
  override readonly name = 'UnicornError';
}

interface Api {
  open: (arch: number, mode: number, out: unknown[]) => number;
  close: (uc: unknown) => number;
  strerror: (err: number) => string;
  memMap: (uc: unknown, address: number, size: number, perms: number) => number;
  memUnmap: (uc: unknown, address: number, size: number) => number;
  memProtect: (uc: unknown, address: number, size: number, perms: number) => number;
  memRead: (uc: unknown, address: number, bytes: Uint8Array, size: number) => number;
  memWrite: (uc: unknown, address: number, bytes: Uint8Array, size: number) => number;
  regRead: (uc: unknown, reg: number, value: Uint8Array) => number;
  regWrite: (uc: unknown, reg: number, value: Uint8Array) => number;
  emuStart: (uc: unknown, begin: number, until: number, timeout: number, count: number) => number;
  emuStop: (uc: unknown) => number;
  hookAdd: (
    uc: unknown,
    hh: unknown[],
    type: number,
    cb: unknown,
    user: unknown,
    begin: number,
    end: number,
    ...extra: unknown[]
  ) => number;
  query: (uc: unknown, type: number, result: unknown[]) => number;
  protos: {
    code: koffi.IKoffiCType;
    mem: koffi.IKoffiCType;
    intr: koffi.IKoffiCType;
    in: koffi.IKoffiCType;
    out: koffi.IKoffiCType;
  };
}

let api: Api | undefined;

/** Binds libunicorn once per process. */
function bind(): Api {
  if (api) return api;
  let lib: koffi.IKoffiLib;
  try {
    lib = koffi.load('libunicorn.so.2');
  } catch {
    throw new UnicornUnavailableError(
      "nt351: libunicorn.so.2 not found; run ./scripts/setup.sh (it installs Debian's libunicorn2)",
    );
  }
  api = {
    open: lib.func('int uc_open(int arch, int mode, _Out_ void **uc)'),
    close: lib.func('int uc_close(void *uc)'),
    strerror: lib.func('const char *uc_strerror(int code)'),
    memMap: lib.func('int uc_mem_map(void *uc, uint64_t address, size_t size, uint32_t perms)'),
    memUnmap: lib.func('int uc_mem_unmap(void *uc, uint64_t address, size_t size)'),
    memProtect: lib.func('int uc_mem_protect(void *uc, uint64_t address, size_t size, uint32_t perms)'),
    memRead: lib.func('int uc_mem_read(void *uc, uint64_t address, _Out_ void *bytes, size_t size)'),
    memWrite: lib.func('int uc_mem_write(void *uc, uint64_t address, const void *bytes, size_t size)'),
    regRead: lib.func('int uc_reg_read(void *uc, int regid, _Out_ void *value)'),
    regWrite: lib.func('int uc_reg_write(void *uc, int regid, const void *value)'),
    emuStart: lib.func(
      'int uc_emu_start(void *uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count)',
    ),
    emuStop: lib.func('int uc_emu_stop(void *uc)'),
    hookAdd: lib.func(
      'int uc_hook_add(void *uc, _Out_ size_t *hh, int type, void *callback, void *user_data, uint64_t begin, uint64_t end, ...)',
    ),
    query: lib.func('int uc_query(void *uc, int type, _Out_ size_t *result)'),
    protos: {
      code: koffi.proto('void UcHookCode(void *uc, uint64_t address, uint32_t size, void *user)'),
      mem: koffi.proto(
        'bool UcHookMem(void *uc, int type, uint64_t address, int size, int64_t value, void *user)',
      ),
      intr: koffi.proto('void UcHookIntr(void *uc, uint32_t intno, void *user)'),
      in: koffi.proto('uint32_t UcHookIn(void *uc, uint32_t port, int size, void *user)'),
      out: koffi.proto('void UcHookOut(void *uc, uint32_t port, int size, uint32_t value, void *user)'),
    },
  };
  return api;
}

/** A count no run reaches (2^52 instructions), for engines that have used a count once. */
const COUNT_UNLIMITED = 2 ** 52;

const perms = (p: Perm) =>
  (p.read ? UC_PROT_READ : 0) | (p.write ? UC_PROT_WRITE : 0) | (p.execute ? UC_PROT_EXEC : 0);

const MEM_FAULTS: Record<number, { fault: FaultKind; access: FaultAccess }> = {
  [UcMem.READ_UNMAPPED]: { fault: 'unmapped', access: 'read' },
  [UcMem.WRITE_UNMAPPED]: { fault: 'unmapped', access: 'write' },
  [UcMem.FETCH_UNMAPPED]: { fault: 'unmapped', access: 'fetch' },
  [UcMem.READ_PROT]: { fault: 'protection', access: 'read' },
  [UcMem.WRITE_PROT]: { fault: 'protection', access: 'write' },
  [UcMem.FETCH_PROT]: { fault: 'protection', access: 'fetch' },
};

/** An x86 32-bit CPU in protected mode; see x86-setup.ts for NT's GDT, IDT and PCR. */
export class UnicornX86 implements CpuEngine {
  readonly arch = 'x86' as const;
  private readonly api: Api;
  private uc: unknown;
  private readonly scratch = new Uint8Array(8);
  private readonly scratchView = new DataView(this.scratch.buffer);
  /** Registered callbacks stay referenced here for the engine's life (koffi requires it). */
  private readonly callbacks: unknown[] = [];
  private hostError: Error | null = null;
  private stopReason: string | null = null;
  private lastFault: { fault: FaultKind; access: FaultAccess; address: number } | null = null;
  /**
   * Unicorn 2.0.1 installs a counting hook for uc_emu_start's `count`; after one counted run, a later
   * run with count 0 no longer honours its timeout (measured: 931 ms for a 20 ms budget, and a hang).
   * Once counted, every run passes a count (COUNT_UNLIMITED when the caller set no budget).
   */
  private counted = false;

  constructor() {
    this.api = bind();
    const out: unknown[] = [null];
    this.check(this.api.open(UC_ARCH_X86, UC_MODE_32, out), 'uc_open');
    this.uc = out[0];
    // Invalid memory accesses are recorded and end the run (returning false makes Unicorn stop).
    this.addHook(
      UC_HOOK_MEM_INVALID,
      this.api.protos.mem,
      (_uc: unknown, type: number, address: number | bigint) => {
        const f = MEM_FAULTS[type];
        this.lastFault = {
          fault: f?.fault ?? 'unmapped',
          access: f?.access ?? 'read',
          address: Number(address),
        };
        return false;
      },
    );
  }

  private check(err: number, what: string): void {
    if (err !== UcErr.OK) throw new UnicornError(`${what}: ${this.api.strerror(err)} (uc_err ${err})`);
  }

  /** Wraps a hook so an exception ends the run as a host error instead of vanishing inside koffi. */
  private guarded<A extends unknown[], R>(fn: (...args: A) => R, fallback: R): (...args: A) => R {
    return (...args: A) => {
      if (this.hostError) return fallback;
      try {
        return fn(...args);
      } catch (e) {
        this.hostError = e instanceof Error ? e : new Error(String(e));
        this.api.emuStop(this.uc);
        return fallback;
      }
    };
  }

  private addHook(
    type: number,
    proto: koffi.IKoffiCType,
    fn: (...args: never[]) => unknown,
    begin = 1,
    end = 0,
    ...extra: unknown[]
  ): void {
    const cb = koffi.register(
      this.guarded(fn as (...a: unknown[]) => unknown, type === UC_HOOK_MEM_INVALID ? false : 0),
      koffi.pointer(proto),
    );
    this.callbacks.push(cb);
    const hh: unknown[] = [0];
    this.check(this.api.hookAdd(this.uc, hh, type, cb, null, begin, end, ...extra), 'uc_hook_add');
  }

  map(address: number, size: number, perm: Perm): void {
    this.check(
      this.api.memMap(this.uc, address, size, perms(perm)),
      `uc_mem_map 0x${address.toString(16)}+0x${size.toString(16)}`,
    );
  }
  unmap(address: number, size: number): void {
    this.check(this.api.memUnmap(this.uc, address, size), 'uc_mem_unmap');
  }
  protect(address: number, size: number, perm: Perm): void {
    this.check(this.api.memProtect(this.uc, address, size, perms(perm)), 'uc_mem_protect');
  }
  read(address: number, size: number): Uint8Array {
    const out = new Uint8Array(size);
    this.check(this.api.memRead(this.uc, address, out, size), `uc_mem_read 0x${address.toString(16)}`);
    return out;
  }
  write(address: number, bytes: Uint8Array): void {
    this.check(
      this.api.memWrite(this.uc, address, bytes, bytes.length),
      `uc_mem_write 0x${address.toString(16)}`,
    );
  }
  readU32(address: number): number {
    this.check(this.api.memRead(this.uc, address, this.scratch, 4), `uc_mem_read 0x${address.toString(16)}`);
    return this.scratchView.getUint32(0, true);
  }
  writeU32(address: number, value: number): void {
    this.scratchView.setUint32(0, value >>> 0, true);
    this.check(
      this.api.memWrite(this.uc, address, this.scratch, 4),
      `uc_mem_write 0x${address.toString(16)}`,
    );
  }
  reg(name: X86Reg): number {
    this.scratchView.setBigUint64(0, 0n);
    this.api.regRead(this.uc, UcX86Reg[name], this.scratch);
    return this.scratchView.getUint32(0, true);
  }
  setReg(name: X86Reg, value: number): void {
    this.scratchView.setBigUint64(0, 0n);
    this.scratchView.setUint32(0, value >>> 0, true);
    this.check(this.api.regWrite(this.uc, UcX86Reg[name], this.scratch), `uc_reg_write ${name}`);
  }
  /** Segment selectors and descriptor-table registers, for x86-setup.ts. */
  setSegment(name: 'cs' | 'ds' | 'es' | 'fs' | 'gs' | 'ss', selector: number): void {
    this.scratchView.setBigUint64(0, 0n);
    this.scratchView.setUint16(0, selector, true);
    this.check(this.api.regWrite(this.uc, UcX86Reg[name], this.scratch), `uc_reg_write ${name}`);
  }
  setTable(name: 'gdtr' | 'idtr', base: number, limit: number): void {
    const mmr = new Uint8Array(UC_X86_MMR.size);
    const v = new DataView(mmr.buffer);
    v.setBigUint64(UC_X86_MMR.base, BigInt(base), true);
    v.setUint32(UC_X86_MMR.limit, limit, true);
    this.check(this.api.regWrite(this.uc, UcX86Reg[name], mmr), `uc_reg_write ${name}`);
  }

  hookCode(begin: number, end: number, hook: CodeHook): void {
    this.addHook(
      UC_HOOK_CODE,
      this.api.protos.code,
      (_uc: unknown, address: number | bigint) => hook(Number(address)),
      begin,
      end,
    );
  }
  hookInterrupt(hook: (vector: number) => void): void {
    this.addHook(UC_HOOK_INTR, this.api.protos.intr, (_uc: unknown, intno: number) => hook(intno));
  }
  hookPortIo(io: PortIo): void {
    this.addHook(
      UC_HOOK_INSN,
      this.api.protos.in,
      (_uc: unknown, port: number, size: number) => io.in(port, size as 1 | 2 | 4) >>> 0,
      1,
      0,
      'int',
      UC_X86_INS_IN,
    );
    this.addHook(
      UC_HOOK_INSN,
      this.api.protos.out,
      (_uc: unknown, port: number, size: number, value: number) =>
        io.out(port, size as 1 | 2 | 4, value >>> 0),
      1,
      0,
      'int',
      UC_X86_INS_OUT,
    );
  }

  stop(reason: string): void {
    this.stopReason ??= reason;
    this.api.emuStop(this.uc);
  }

  run(opts: RunOptions): RunResult {
    this.hostError = null;
    this.stopReason = null;
    this.lastFault = null;
    const timeout = opts.maxMillis !== undefined ? Math.max(1, Math.round(opts.maxMillis * 1000)) : 0;
    if (opts.maxInstructions !== undefined) this.counted = true;
    const count = opts.maxInstructions ?? (this.counted ? COUNT_UNLIMITED : 0);
    const err = this.api.emuStart(this.uc, opts.start, opts.until, timeout, count);
    const pc = this.reg('eip');
    if (this.hostError) return { kind: 'host-error', error: this.hostError, pc };
    if (err !== UcErr.OK) {
      // Set by the invalid-memory hook during emuStart (TypeScript cannot see that assignment).
      const fault = this.lastFault as { fault: FaultKind; access: FaultAccess; address: number } | null;
      if (fault) return { kind: 'fault', ...fault, pc };
      if (err === UcErr.INSN_INVALID)
        return { kind: 'fault', fault: 'invalid-instruction', access: 'fetch', address: pc, pc };
      return { kind: 'fault', fault: 'exception', access: null, address: pc, pc };
    }
    if (this.stopReason !== null) return { kind: 'stopped', reason: this.stopReason, pc };
    if (pc === opts.until >>> 0) return { kind: 'returned', pc };
    const timedOut: unknown[] = [0];
    this.api.query(this.uc, UC_QUERY_TIMEOUT, timedOut);
    if (Number(timedOut[0]) !== 0) return { kind: 'budget', which: 'time', pc };
    return { kind: 'budget', which: 'instructions', pc };
  }

  close(): void {
    if (this.uc) this.api.close(this.uc);
    this.uc = null;
    this.callbacks.length = 0;
  }
}
