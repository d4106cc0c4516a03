// UnicornX86: the x86 CpuEngine over Debian's libunicorn.so.2 (Unicorn 2.0.1) through koffi. The only
// module that imports koffi or knows libunicorn's C API. Exceptions thrown in host hooks are caught
// (koffi would swallow them), the run is stopped, and run() reports them as `host-error`.
//
// Budgets. Wall-clock: checked between slices of counted instructions (TIME_SLICE), not with
// uc_emu_start's timeout, whose timer thread per call cost ~2.5 ms. Instructions: uc_emu_start's count, which Unicorn enforces with an internal UC_HOOK_CODE on
// every instruction (a C helper call per instruction, no JS involved): exact, and it also makes
// Unicorn keep EIP exact, so memory faults get the faulting instruction's pc; but guest code runs
// about 5x slower while it is installed (bench/cpu.ts measures it). A JS-side block hook would cost a
// koffi round trip (~0.5 µs) per basic block, far worse.
// Unicorn 2.0.1 bakes hooks into translated blocks and does not retranslate when a hook is added
// (unicorn-engine/unicorn#2200): a count requested after the code was translated without one never
// fires (measured: the run hung). Removing the count hook makes it flush its whole translation cache
// (measured: ~1.9 s the first time, ~14 ms after). Hence UnicornOptions.counting: 'always' (default)
// installs the count hook at the first run and keeps it; 'on-demand' installs it at the first run
// with a budget, first dropping the cached translations of every mapped region (UC_CTL_TB_REMOVE_CACHE,
// ~0.2 ms for 64 MiB), and keeps it too. Runs without a budget then pass a count no run reaches.
// hookCode drops the cached translations of its range for the same reason.

import koffi from 'koffi';
import { GuestMemoryLimitError } from './engine.js';
import { monotonicMs } from './monotonic.js';
import { INDEX_REGION_AT } from './unicorn-arena.js';
import { clearAt, LATCHING_VECTORS, latchOffset } from './unicorn-exception-latch.js';
import { type DirectRange, HostMemory } from './unicorn-memory.js';
import { GUARD_CONTEXT, hazardInstructionAt, hazardStarts } from './x86-code-guard.js';

export { GuestMemoryLimitError };

import type {
  CodeHook,
  FaultAccess,
  FaultKind,
  HookHandle,
  InterruptHook,
  Perm,
  PortIo,
  RunOptions,
  RunResult,
  TraceHook,
  X86Cpu,
  X86Reg,
} from './engine.js';
import {
  UC_ARCH_X86,
  UC_CTL_TB_REMOVE_CACHE_WRITE,
  UC_HOOK_BLOCK,
  UC_HOOK_CODE,
  UC_HOOK_INSN,
  UC_HOOK_INTR,
  UC_HOOK_MEM_INVALID,
  UC_MEM_REGION,
  UC_MODE_32,
  UC_MODE_64,
  UC_PROT_EXEC,
  UC_PROT_READ,
  UC_PROT_WRITE,
  UC_X86_INS_IN,
  UC_X86_INS_OUT,
  UC_X86_MMR,
  UcErr,
  UcMem,
  UcX86Reg,
} from './unicorn-abi.js';

/** libunicorn.so.2 could not be loaded: the message is the one line telling the user what to do. */
export class UnicornUnavailableError extends Error {
  override readonly name = 'UnicornUnavailableError';
  constructor() {
    super(
      'nt351: libunicorn.so.2 not found; install the Unicorn 2 library (Debian and Ubuntu: apt-get install libunicorn2)',
    );
  }
}

/**
 * Most guest memory one engine maps, in bytes, unless UnicornOptions.maxMappedBytes says otherwise.
 * A boot of a fixture image set maps at most 0.5 MiB (kernel, HAL, drivers, pool, stacks); the pool
 * is itself capped at 32 MiB and each image at 64 MiB (the loader's MAX_IMAGE_SIZE), so the cap only
 * stops sets of many huge images, or an embedder's runaway mapping, before the host runs short.
 */
export const DEFAULT_MAX_MAPPED_BYTES = 512 * 1024 * 1024;

/** A libunicorn call failed where it must not: a host bug or a misuse of the engine. */
export class UnicornError extends Error {
  override readonly name = 'UnicornError';
  constructor(
    message: string,
    /** The uc_err code. */
    readonly code: number,
  ) {
    super(message);
  }
}

type Uc = unknown;
interface Api {
  open: (arch: number, mode: number, out: unknown[]) => number;
  close: (uc: Uc) => number;
  strerror: (err: number) => string;
  memMap: (uc: Uc, address: number, size: number, perms: number) => number;
  memUnmap: (uc: Uc, address: number, size: number) => number;
  memProtect: (uc: Uc, address: number, size: number, perms: number) => number;
  memRegions: (uc: Uc, regions: unknown[], count: number[]) => number;
  free: (p: unknown) => number;
  memRead: (uc: Uc, address: number, bytes: Uint8Array, size: number) => number;
  memWrite: (uc: Uc, address: number, bytes: Uint8Array, size: number) => number;
  regRead: (uc: Uc, reg: number, value: Uint8Array) => number;
  regWrite: (uc: Uc, reg: number, value: Uint8Array) => number;
  /**
   * Addresses as numbers (see UnicornX86.ucAt): the engine, then native memory (an int array, an
   * array of pointers to the values).
   */
  regWriteBatch: (uc: number, regs: number, vals: number, count: number) => number;
  regReadBatch: (uc: number, regs: number, vals: number, count: number) => number;
  emuStart: (uc: Uc, begin: number, until: number, timeout: number, count: number) => number;
  emuStop: (uc: Uc) => number;
  hookAdd: (uc: Uc, hh: number[], type: number, cb: unknown, user: null, ...rest: unknown[]) => number;
  hookDel: (uc: Uc, hh: number) => number;
  ctl: (uc: Uc, control: number, ...rest: unknown[]) => number;
  contextAlloc: (uc: Uc, out: unknown[]) => number;
  contextSave: (uc: Uc, context: unknown) => number;
  contextRestore: (uc: Uc, context: unknown) => number;
  contextFree: (context: unknown) => number;
  contextSize: (uc: Uc) => number | bigint;
}

/** Callback prototypes (unicorn.h uc_cb_*); koffi type names are process-global, so made once. */
let protos:
  | {
      code: koffi.IKoffiCType;
      mem: koffi.IKoffiCType;
      intr: koffi.IKoffiCType;
      in: koffi.IKoffiCType;
      out: koffi.IKoffiCType;
    }
  | undefined;
const apis = new Map<string, Api>();

/** Binds libunicorn once per process (per library name). */
function bind(library: string): Api {
  const cached = apis.get(library);
  if (cached) return cached;
  let lib: koffi.IKoffiLib;
  try {
    lib = koffi.load(library);
  } catch {
    throw new UnicornUnavailableError();
  }
  // koffi's type names are global to the process, which may hold two copies of this module (src and
  // dist, or two installed copies of nt351): each copy names its prototypes apart.
  const g = globalThis as { __nt351UnicornCopies?: number };
  if (!protos) g.__nt351UnicornCopies = (g.__nt351UnicornCopies ?? 0) + 1;
  const n = g.__nt351UnicornCopies ?? 0;
  protos ??= {
    code: koffi.proto(`void UcCbHookCode${n}(void *uc, uint64_t address, uint32_t size, void *user)`),
    mem: koffi.proto(
      `bool UcCbEventMem${n}(void *uc, int type, uint64_t address, int size, int64_t value, void *user)`,
    ),
    intr: koffi.proto(`void UcCbHookIntr${n}(void *uc, uint32_t intno, void *user)`),
    in: koffi.proto(`uint32_t UcCbInsnIn${n}(void *uc, uint32_t port, int size, void *user)`),
    out: koffi.proto(`void UcCbInsnOut${n}(void *uc, uint32_t port, int size, uint32_t value, void *user)`),
  };
  const api: Api = {
    open: lib.func('int uc_open(int arch, int mode, _Out_ void **uc)'),
    close: lib.func('int uc_close(void *uc)'),
    strerror: lib.func('const char *uc_strerror(int code)'),
    memMap: lib.func('int uc_mem_map(void *uc, uint64_t address, size_t size, uint32_t perms)'),
    memUnmap: lib.func('int uc_mem_unmap(void *uc, uint64_t address, size_t size)'),
    memProtect: lib.func('int uc_mem_protect(void *uc, uint64_t address, size_t size, uint32_t perms)'),
    memRegions: lib.func('int uc_mem_regions(void *uc, _Out_ void **regions, _Out_ uint32_t *count)'),
    free: lib.func('int uc_free(void *mem)'),
    memRead: lib.func('int uc_mem_read(void *uc, uint64_t address, _Out_ void *bytes, size_t size)'),
    memWrite: lib.func('int uc_mem_write(void *uc, uint64_t address, const void *bytes, size_t size)'),
    regRead: lib.func('int uc_reg_read(void *uc, int regid, _Out_ void *value)'),
    regWrite: lib.func('int uc_reg_write(void *uc, int regid, const void *value)'),
    // Pointers as integers: koffi takes a number in ~0.3 µs, an external pointer in ~0.3 µs more each.
    regWriteBatch: lib.func(
      'int uc_reg_write_batch(uintptr_t uc, uintptr_t regs, uintptr_t vals, int count)',
    ),
    regReadBatch: lib.func('int uc_reg_read_batch(uintptr_t uc, uintptr_t regs, uintptr_t vals, int count)'),
    emuStart: lib.func(
      'int uc_emu_start(void *uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count)',
    ),
    emuStop: lib.func('int uc_emu_stop(void *uc)'),
    // Variadic after user_data: uint64_t begin, uint64_t end for every hook type, then int insn for
    // UC_HOOK_INSN (unicorn.h, uc_hook_add).
    hookAdd: lib.func(
      'int uc_hook_add(void *uc, _Out_ size_t *hh, int type, void *callback, void *user_data, ...)',
    ),
    hookDel: lib.func('int uc_hook_del(void *uc, size_t hh)'),
    ctl: lib.func('int uc_ctl(void *uc, int control, ...)'),
    contextAlloc: lib.func('int uc_context_alloc(void *uc, _Out_ void **context)'),
    contextSave: lib.func('int uc_context_save(void *uc, void *context)'),
    contextRestore: lib.func('int uc_context_restore(void *uc, void *context)'),
    contextFree: lib.func('int uc_context_free(void *context)'),
    contextSize: lib.func('size_t uc_context_size(void *uc)'),
  };
  apis.set(library, api);
  return api;
}

/** Most registers one setRegsRaw64 call writes. */
const BATCH = 8;
/** Registers the native batch area holds: BATCH, or the 9 general registers flushRegs writes. */
const SLOTS = 16;

/** A count no run reaches (2^52 instructions), passed by engines that keep counting. */
const COUNT_UNLIMITED = 2 ** 52;
/** Native memory for register batches (UnicornX86.batch): the blocks are passed to libunicorn as they are. */
interface BatchArea {
  idBlock: unknown;
  valueBlock: unknown;
  pointerBlock: unknown;
  /** Addresses of idBlock and pointerBlock, as the batch calls take them. */
  idAt: number;
  pointerAt: number;
  ids: Int32Array;
  values: BigUint64Array;
  words: Uint32Array;
}
/** Registers read in one call when a run ends: what classify and a kernel call's caller read next. */
const RUN_REGS = ['eip', 'esp', 'eax'] as const;
/** A registered koffi callback that calls `fn`, set per hook (see UnicornX86.spare). */
interface Trampoline {
  cb: koffi.IKoffiRegisteredCallback;
  fn: (...args: never[]) => unknown;
  pool: Trampoline[];
}
/** A hook as added: what addHook matches a parked one by, its libunicorn handle and trampoline. */
interface ParkedHook {
  key: string;
  proto: koffi.IKoffiCType;
  handle: number;
  t: Trampoline;
}
/** Hook types park() keeps for the next user (see parkedHooks); memory hooks are the engine's own. */
const REUSED_HOOK_TYPES = new Set([UC_HOOK_CODE, UC_HOOK_BLOCK, UC_HOOK_INSN]);
/** What a trampoline with no hook calls (libunicorn no longer does once the hook is deleted). */
const idle = (): boolean => true;

/** Rescans of fewer bytes than this are not remembered (a guest's store into code, a few bytes). */
const SCAN_CACHE_MIN = 1024;
/** Bytes of scanned code remembered at most (module code sections of a large image set). */
const SCAN_CACHE_BYTES = 64 * 2 ** 20;
/** Instructions per slice when a wall-clock budget is checked between slices (a few ms of guest code). */
const TIME_SLICE = 1_000_000;
const HLT = 0xf4;
/** Regions mapped from which a run lands rather than ends at an exit (see land). */
const LANDING_MIN_REGIONS = 400;
/** An empty exit list (see land). */
const NO_EXITS = new BigUint64Array(1);
/** uc_ctl words (unicorn.h): UC_CTL_WRITE(UC_CTL_UC_USE_EXITS = 4, 1) and UC_CTL_WRITE(UC_CTL_UC_EXITS = 6, 2). */
const UC_CTL_USE_EXITS_WRITE = 0x44000004;
const UC_CTL_EXITS_WRITE = 0x48000006;
/** UC_HOOK_MEM_WRITE (unicorn.h): called before each guest write in the hook's range. */
const UC_HOOK_MEM_WRITE = 1 << 11;
/** Engines parked by close() for reuse (see UnicornX86.acquire); a few, as boots run one at a time. */
const parked: UnicornX86[] = [];
const MAX_PARKED = 2;
/** Regions up to this size are reused by zero-filling them; larger ones are unmapped and mapped again. */
const MAX_REUSED_REGION = 0x400000;
/** Host writes up to this size may go to the page copy (UnicornX86.pageCopy). */
const SMALL_WRITE = 64;
let zeros = new Uint8Array(0);
/** No direct range (UnicornX86.rd/wr): no address satisfies lo <= a, a + size <= hi. */
const NO_RANGE: DirectRange = {
  lo: 1,
  hi: 0,
  base: 0,
  bytes: new Uint8Array(0),
  view: new DataView(new ArrayBuffer(0)),
  plain: false,
};

/** Registers that read back exactly what setReg wrote (see UnicornX86.regCache). */
const GENERAL_REGS = new Set<X86Reg>(['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp', 'eip']);

/** Whether region `r` and [address, address + size) share a byte. */
const overlaps = (r: { address: number; size: number }, address: number, size: number) =>
  address < r.address + r.size && r.address < address + size;

interface StaleRegion {
  address: number;
  size: number;
  perms: number;
  guarded: boolean;
  /** A guest write reached it, and its write permission was taken away (see watchStale). */
  closed?: boolean;
}

/**
 * A write hook over [begin, end], a run of stale regions when it was made (see watchStaleRuns). Live
 * memory mapped inside it later stays inside: a guest write there calls the hook for nothing (~2 µs
 * measured under load), which is far cheaper than splitting the hook at every map (a uc_hook_del and
 * a uc_hook_add, ~30 µs a split inside a run; issue 19: one per driver a boot loads), and most such
 * memory is never written by the guest while watched. `live` counts those writes; at
 * LIVE_WRITES_BEFORE_SPLIT the hook is split around the live memory written (splitStaleWatch), so a
 * guest writing there often costs at most that many calls.
 */
interface StaleWatch {
  begin: number;
  end: number;
  hook: HookHandle;
  live: number;
}
/** Guest writes to live memory inside a stale watch before it is split around them (see StaleWatch). */
const LIVE_WRITES_BEFORE_SPLIT = 16;

const ucPerms = (p: Perm) =>
  (p.read ? UC_PROT_READ : 0) | (p.write ? UC_PROT_WRITE : 0) | (p.execute ? UC_PROT_EXEC : 0);

const MEM_FAULTS: Record<number, { fault: FaultKind; access: FaultAccess }> = {
  [UcMem.READ_UNMAPPED]: { fault: 'unmapped', access: 'read' },
  [UcMem.WRITE_UNMAPPED]: { fault: 'unmapped', access: 'write' },
  [UcMem.FETCH_UNMAPPED]: { fault: 'unmapped', access: 'fetch' },
  [UcMem.READ_PROT]: { fault: 'protection', access: 'read' },
  [UcMem.WRITE_PROT]: { fault: 'protection', access: 'write' },
  [UcMem.FETCH_PROT]: { fault: 'protection', access: 'fetch' },
};

/** Memory errors uc_emu_start can return without the hook having seen them. */
const ERR_FAULTS: Record<number, { fault: FaultKind; access: FaultAccess }> = {
  [UcErr.READ_UNMAPPED]: { fault: 'unmapped', access: 'read' },
  [UcErr.WRITE_UNMAPPED]: { fault: 'unmapped', access: 'write' },
  [UcErr.FETCH_UNMAPPED]: { fault: 'unmapped', access: 'fetch' },
  [UcErr.READ_PROT]: { fault: 'protection', access: 'read' },
  [UcErr.WRITE_PROT]: { fault: 'protection', access: 'write' },
  [UcErr.FETCH_PROT]: { fault: 'protection', access: 'fetch' },
};

export interface UnicornOptions {
  /** Library to load; default libunicorn.so.2 (Debian libunicorn2). */
  library?: string;
  /**
   * When Unicorn's instruction-counting hook is installed. 'always' (default): from the first run,
   * so every fault has its exact pc and budgets never change the translation; guest code runs about
   * 5x slower than bare Unicorn. 'on-demand': only from the first run with maxInstructions (then for
   * the engine's life); before that, code runs at full speed but Unicorn 2.0.1 reports a memory
   * fault's pc as the start of its translated block (the fault then carries `pcExact: false`).
   */
  counting?: 'always' | 'on-demand';
  /** Most guest memory mapped at once, in bytes (default DEFAULT_MAX_MAPPED_BYTES); map() refuses more. */
  maxMappedBytes?: number;
  /**
   * The code guard (default on): addresses where an instruction libunicorn 2.0.1 aborts on could
   * start become Unicorn exits, and a run reaching one ends as an invalid-instruction fault there
   * (x86-code-guard.ts). Off only to measure the bare engine (scripts/unicorn-sweep.ts).
   */
  codeGuard?: boolean;
  /**
   * AMD64 (UnicornX64, unicorn-x64.ts): the engine runs in UC_MODE_64 and every address given to or
   * reported by it is relative to `window` (host address a = guest address window + a). Such engines
   * are never parked, and run without the code guard (its hazard scan decodes 32-bit code).
   */
  longMode?: { window: bigint };
}

/**
 * The libunicorn binding seen through a 64-bit address window: addresses passed in are host addresses
 * (numbers), Unicorn gets `window + address`. Variadic hook ranges and uc_ctl's cache and exit
 * controls are translated too; uc_mem_regions' results are translated back by the engine (host()).
 */
function windowed(api: Api, window: bigint): Api {
  const g = (a: unknown) => window + BigInt(a as number | bigint);
  return {
    ...api,
    memMap: (uc, a, size, perms) => api.memMap(uc, g(a) as never, size, perms),
    memUnmap: (uc, a, size) => api.memUnmap(uc, g(a) as never, size),
    memProtect: (uc, a, size, perms) => api.memProtect(uc, g(a) as never, size, perms),
    memRead: (uc, a, bytes, size) => api.memRead(uc, g(a) as never, bytes, size),
    memWrite: (uc, a, bytes, size) => api.memWrite(uc, g(a) as never, bytes, size),
    emuStart: (uc, begin, until, timeout, count) =>
      api.emuStart(uc, g(begin) as never, g(until) as never, timeout, count),
    hookAdd: (uc, hh, type, cb, user, ...rest) => {
      // rest: 'uint64_t', begin, 'uint64_t', end, …; begin > end (1, 0) means everywhere, kept so.
      const r = [...rest];
      if ((r[1] as number) <= (r[3] as number)) {
        r[1] = g(r[1]);
        r[3] = g(r[3]);
      }
      return api.hookAdd(uc, hh, type, cb, user, ...r);
    },
    ctl: (uc, control, ...rest) => {
      const r = [...rest];
      if (control === UC_CTL_TB_REMOVE_CACHE_WRITE) {
        r[1] = g(r[1]);
        r[3] = g(r[3]);
      } else if (control === UC_CTL_EXITS_WRITE) {
        r[1] = BigUint64Array.from(r[1] as BigUint64Array, (a) => BigInt.asUintN(64, window + a));
      }
      return api.ctl(uc, control, ...r);
    },
  };
}

/**
 * An x86 CPU in 32-bit protected mode. It starts with flat real-mode-like segments; x86-setup.ts puts
 * it in NT's ring-0 state (GDT, PCR, stack).
 */
export class UnicornX86 implements X86Cpu {
  readonly arch = 'x86' as const;
  readonly pageSize = 0x1000;
  private readonly api: Api;
  /** The binding without HostMemory (bench/unicorn-regions.ts measures libunicorn through it). */
  private readonly rawApi: Api;
  /** Guest memory over host pages (unicorn-memory.ts); null in long mode or without uc_mem_map_ptr. */
  private readonly memory: HostMemory | null;
  private uc: Uc;
  /**
   * The engine's address, for the register batch calls (issue 19: ~0.6 µs less a call than the external
   * pointer, 60 calls a KB boot); 0 (NULL, as `uc` is null) once closed.
   */
  private ucAt = 0;
  private readonly scratch = new Uint8Array(8);
  /**
   * Registers read since the guest last ran (cleared when a run starts or ends and when a hook is
   * called): a handler reads ESP, EIP and its arguments' registers several times (issue 19: ~160
   * uc_reg_read per KB boot).
   */
  private readonly regCache = new Map<X86Reg, number>();
  /**
   * General registers setReg wrote to regCache alone (issue 19: ~80 uc_reg_write per KB boot, a
   * handler's return writes EAX, ESP and EIP): written to Unicorn in one uc_reg_write_batch
   * (flushRegs) before anything else can see Unicorn's registers: a run, a hook's return to Unicorn,
   * a raw register access, a write of another register. park() and close() drop them.
   */
  private readonly dirtyRegs = new Set<X86Reg>();
  private readonly scratchView = new DataView(this.scratch.buffer);
  /**
   * Native memory for uc_reg_write_batch and uc_reg_read_batch (setRegsRaw64, flushRegs, readRunRegs):
   * up to SLOTS register ids, values and pointers to them, made on first use; koffi would otherwise
   * convert JS arrays on every call. `words` views the values as 32-bit halves (no BigInt per value).
   */
  private batch: BatchArea | null = null;
  /** Registered trampolines stay referenced here until removed or closed (koffi requires it). */
  private readonly callbacks = new Set<koffi.IKoffiRegisteredCallback>();
  /** Trampolines removed during a run, unregistered when it ends (one of them may be executing). */
  private readonly retired: Trampoline[] = [];
  /**
   * Trampolines of removed hooks by prototype, for the next addHook: registering one with koffi cost
   * a few µs and a warm boot adds a dozen hooks (issue 19). They stay registered until close().
   */
  private readonly spare = new Map<koffi.IKoffiCType, Trampoline[]>();
  private readonly interruptHooks = new Set<InterruptHook>();
  private running = false;
  private hostError: Error | null = null;
  private stopReason: string | null = null;
  /** EIP when stop() was first called: where the hook that stopped the run was. */
  private stopPc = 0;
  private fault: { fault: FaultKind; access: FaultAccess; address: number; pc: number } | null = null;
  private unhandledVector: number | null = null;
  /**
   * Where QEMU's "exception in flight" lies in a saved context (unicorn-exception-latch.ts), and the
   * context used to clear it after each exception a hook takes; null when not found.
   */
  private readonly latchAt: number | null;
  private latch: { context: unknown; size: number } | null = null;
  /** Unicorn's count hook is installed and stays so (see the file comment). */
  private counting: boolean;
  /** close() parks the engine for reuse instead of destroying it (default library and counting). */
  private readonly recyclable: boolean;
  /** CPU state right after uc_open, restored when a parked engine is reused. */
  private initialContext: unknown = null;
  /** Hooks added by users (not the engine's own two), removed when the engine is parked. */
  private readonly userHooks = new Set<HookHandle>();
  private ownHooksAdded = false;
  /** How each user hook was added (key: type, range and extra arguments), for park() (see parkedHooks). */
  private readonly hookKeys = new Map<HookHandle, ParkedHook>();
  /**
   * Code, block and instruction hooks of the previous user, still in libunicorn, in the order they
   * were added, their trampolines idle. A warm boot adds the same hooks in the same order: addHook
   * takes the next one when it matches, which saves uc_hook_add/uc_hook_del and the translation drop
   * a new code hook needs (issue 19: ~6% of a warm KB boot). The first add that does not match, and
   * the next run, delete the rest, so hooks of one type keep the order a new engine would give them.
   */
  private parkedHooks: ParkedHook[] = [];
  /** The last addHook took a parked hook (its range's translations already call it). */
  private lastHookReused = false;
  /**
   * Regions the engine's previous user left mapped and this one has not mapped again (see park):
   * to the guest and to host reads and writes they are unmapped; map() of the same range takes one
   * over. `guarded`: made inaccessible (uc_mem_protect) so guest accesses fault, done before a run.
   */
  private stale: StaleRegion[] = [];
  /** Every stale region is guarded (guardStale has nothing to do until the next park). */
  private staleGuarded = true;
  /**
   * Write hooks over runs of stale regions (see watchStale), and whether they must be matched to the
   * runs before the next run (after a park). They are not split when live memory comes inside them
   * (see StaleWatch.live), and park() keeps them for the next user, whose runs are most often the same.
   */
  private staleWatches: StaleWatch[] = [];
  private staleWatchesStale = false;
  /**
   * Regions taken over that must read as zeros and still hold the previous user's bytes: zeroed
   * before anything reads them, or not at all when a host write covers them whole (a module image
   * written over its sections' regions). uc_mem_write drops translated code in what it writes.
   */
  private unzeroed: { address: number; size: number }[] = [];
  /** Bytes currently mapped, and the cap (see GuestMemoryLimitError). */
  private mappedBytes = 0;
  readonly maxMappedBytes: number;
  /** The code guard is on (UnicornOptions.codeGuard). */
  private readonly codeGuard: boolean;
  /** Guard exits: addresses where an instruction libunicorn aborts on would start (x86-code-guard.ts). */
  private readonly guardExits = new Set<number>();
  /**
   * Guard exits of earlier users that translated code kept by park() was made with (Unicorn stops
   * translating at an exit), until a rescan finds them again (kept: no drop, issue 19: the kernel's
   * code was translated again on every warm boot, ~1 ms) or not (dropped), or their translations go.
   * Forgetting one is always safe: it only costs a drop.
   */
  private readonly parkedExits = new Set<number>();
  /**
   * The exits in Unicorn's list besides `until` (see installExits): the guard exits and the parked
   * ones, as they were when it was last installed.
   */
  private installedExits = new Set<number>();
  /** The list last given to uc_ctl, and whether a landing emptied Unicorn's copy since (see land). */
  private installedList = new BigUint64Array(0);
  private exitsCleared = false;
  /** The current run's `until`, and the one in Unicorn's exit list (exits replace it once in use). */
  private exitsUntil = -1;
  /**
   * Code guard: the address of the landing hook (see land), -1 before the first landing run; the
   * run in progress lands (its `until` holds HLT); the landing hook ran in it.
   */
  private landingAt = -1;
  private landingHook: HookHandle | null = null;
  private landingRun = false;
  private landed = false;
  private installedUntil = -1;
  private usingExits = false;
  /** Guest address of host address 0 (UnicornOptions.longMode; 0 for x86). */
  private readonly window: bigint;
  /** The faulting guest address of the last run's memory fault, as Unicorn gave it (64 bits). */
  faultAddress64: bigint | null = null;
  /** Code guard: the last scan of each range by its first address, with the bytes scanned (hazardsIn). */
  private readonly scanCache = new Map<number, { startsEnd: number; bytes: Uint8Array; found: number[] }>();
  private scanCacheBytes = 0;
  /** Pages (address / pageSize) mapped executable: only bytes there can become code to guard. */
  private readonly execPages = new Set<number>();
  /** Ranges the guest wrote in writable and executable memory, rescanned before the run goes on. */
  private guestCodeWrites: { address: number; size: number }[] = [];
  /** Write hooks over writable-and-executable mappings, by start address (see watchWrites). */
  private readonly wxHooks = new Map<number, { end: number; hook: HookHandle }>();
  /**
   * Write-back copy of one page for small host writes made between runs (a kernel structure filled
   * field by field: DRIVER_OBJECT, UNICODE_STRINGs): the second write to a page loads it here, later
   * ones land here, and [pageLo, pageHi) goes back in one uc_mem_write before anything else touches
   * the engine (see flushPage). Issue 19: 472 uc_mem_write calls per boot of the KB set.
   */
  private pageCopy: Uint8Array | null = null;
  private pageAt = -1;
  private pageLo = 0;
  private pageHi = 0;
  /** Page of the last small host write, and the copy holds it. */
  private lastWritePage = -1;
  /**
   * Direct host access (issue 19, host-backed memory only): the region of the last host read, and of
   * the last host write to a plain region (DirectRange.plain), where reads and writes are typed-array
   * accesses with none of writeBytes's and beforeRead's checks, valid because fill() found that none
   * applies to the region: it is live (not stale), nothing is waiting for its zero fill, and (wr) no
   * translated code or guard exit can come from its bytes. Reset (noDirect) by all that can change
   * that: map, unmap, protect, park, guardStale, close.
   */
  private rd: DirectRange = NO_RANGE;
  private wr: DirectRange = NO_RANGE;

  constructor(options: UnicornOptions = {}) {
    const library = options.library ?? 'libunicorn.so.2';
    const raw = bind(library);
    this.latchAt = latchOffset(library, raw, protos!.intr);
    this.window = options.longMode?.window ?? 0n;
    this.rawApi = options.longMode ? windowed(raw, this.window) : raw;
    this.memory = options.longMode ? null : HostMemory.create(raw, library);
    this.api = this.memory ? this.memory.api(raw) : this.rawApi;
    // 'always' installs the hook at the first uc_emu_start, before anything is translated.
    this.counting = (options.counting ?? 'always') === 'always';
    this.maxMappedBytes = options.maxMappedBytes ?? DEFAULT_MAX_MAPPED_BYTES;
    this.codeGuard = options.longMode ? false : (options.codeGuard ?? true);
    this.recyclable =
      options.longMode === undefined &&
      options.library === undefined &&
      options.maxMappedBytes === undefined &&
      options.codeGuard === undefined &&
      this.counting;
    const out: unknown[] = [null];
    this.check(this.api.open(UC_ARCH_X86, options.longMode ? UC_MODE_64 : UC_MODE_32, out), 'uc_open');
    this.uc = out[0];
    this.ucAt = Number(koffi.address(this.uc));
    // Invalid memory accesses are recorded; returning false makes Unicorn end the run with an error.
    this.addHook(
      UC_HOOK_MEM_INVALID,
      protos!.mem,
      (_uc: Uc, type: number, address: number | bigint): boolean => {
        let f = MEM_FAULTS[type] ?? { fault: 'unmapped', access: 'read' };
        // A stale region is unmapped to the guest; it faults as a protection error (guardStale).
        if (this.stale.length > 0 && this.inStale(this.host(address), 1)) f = { ...f, fault: 'unmapped' };
        this.faultAddress64 ??= BigInt.asUintN(64, BigInt(address));
        this.fault ??= { ...f, address: this.host(address), pc: this.reg('eip') };
        return false;
      },
      [1, 0],
    );
    // One native interrupt hook dispatches to the registered ones; with none, the interrupt ends the
    // run as an `exception` fault carrying its vector (Unicorn alone would only say UC_ERR_EXCEPTION).
    this.addHook(
      UC_HOOK_INTR,
      protos!.intr,
      (_uc: Uc, intno: number) => {
        if (this.hostError) return;
        if (LATCHING_VECTORS.has(intno)) this.clearException();
        if (this.interruptHooks.size === 0) {
          this.unhandledVector ??= intno;
          this.api.emuStop(this.uc);
          return;
        }
        try {
          for (const hook of this.interruptHooks) hook(intno);
        } catch (e) {
          this.hostFailure(e);
        }
      },
      [1, 0],
    );
    this.ownHooksAdded = true;
    if (this.recyclable) {
      const ctx: unknown[] = [null];
      this.check(this.api.contextAlloc(this.uc, ctx), 'uc_context_alloc');
      this.initialContext = ctx[0];
      this.check(this.api.contextSave(this.uc, this.initialContext), 'uc_context_save');
    }
  }

  /**
   * An x86 engine with the default options: one parked by an earlier close() when there is one
   * (Unicorn's uc_open, uc_mem_map and uc_close cost about 60 µs per mapped region, most of a boot),
   * else a new one. A reused engine behaves as a new one: registers as after uc_open, no hooks but
   * the engine's own, nothing mapped until mapped again (then zero-filled), and translated code kept
   * only for pages whose bytes are written back unchanged.
   */
  static acquire(): UnicornX86 {
    return parked.pop() ?? new UnicornX86();
  }

  /**
   * Makes this engine like a new one for the next user; false if it cannot. Its regions stay mapped
   * (stale) with their translated code, which map() and run() keep only where the bytes are the same.
   */
  private park(): boolean {
    if (this.running || !this.initialContext) return false;
    this.noDirect();
    this.dropParkedHooks();
    for (const h of [...this.userHooks]) {
      const parked = this.hookKeys.get(h);
      if (!parked) {
        h.remove();
        continue;
      }
      // Kept in libunicorn for the next user (parkedHooks), idle until taken.
      this.userHooks.delete(h);
      this.hookKeys.delete(h);
      parked.t.fn = idle;
      this.parkedHooks.push(parked);
    }
    // The stale watches stay: the next user's first run keeps those over its runs (watchStaleRuns).
    this.interruptHooks.clear();
    this.regCache.clear();
    this.dirtyRegs.clear(); // the context restored replaces them
    if (this.api.contextRestore(this.uc, this.initialContext) !== UcErr.OK) return false;
    this.zeroPending();
    this.mappedBytes = 0; // the regions below are unmapped to the next user until it maps them
    this.stale = this.allRegions().map((r) => ({
      address: r.begin,
      size: r.end - r.begin + 1,
      perms: ucPerms(r.perm),
      guarded: false,
    }));
    this.stale.sort((a, b) => a.address - b.address); // staleFrom searches it
    this.staleGuarded = false;
    this.hostError = null;
    this.stopReason = null;
    this.fault = null;
    this.unhandledVector = null;
    // The next user's bytes are zeros or its own writes, scanned as they are written.
    for (const a of this.guardExits) this.parkedExits.add(a);
    this.guardExits.clear();
    this.execPages.clear(); // the stale regions are unmapped to the next user
    this.guestCodeWrites = [];
    this.wxHooks.clear(); // their hooks went with userHooks
    return true;
  }

  /** Zero-fills the regions taken over that still hold old bytes, dropping their translations. */
  private zeroPending(): void {
    for (const r of this.unzeroed.splice(0)) {
      // Through HostMemory the zeroing dropped what translations there can be (see writeChanged).
      if (this.memory?.zero(this.uc, r.address, r.size)) {
        this.forgetParkedExits(r.address, r.size);
        continue;
      }
      if (zeros.length < r.size) zeros = new Uint8Array(Math.max(r.size, 0x10000));
      this.check(this.api.memWrite(this.uc, r.address, zeros, r.size), 'uc_mem_write', r.address);
      this.dropTranslations(r.address, r.size);
    }
  }

  /**
   * Drops translated code in [address, address + size). uc_mem_write does not always do it: code
   * translated in a run that ended in a fault was still run after the page was rewritten (measured).
   */
  private dropTranslations(address: number, size: number): void {
    this.forgetParkedExits(address, size);
    this.api.ctl(this.uc, UC_CTL_TB_REMOVE_CACHE_WRITE, 'uint64_t', address, 'uint64_t', address + size);
  }

  /** The parked exits in [address, address + size) go: the translations made with them went. */
  private forgetParkedExits(address: number, size: number): void {
    if (this.parkedExits.size === 0) return;
    let gone = false;
    // Deleting the entry being visited is safe in a Set's iteration (no copy needed).
    for (const a of this.parkedExits)
      if (a >= address && a < address + size) gone = this.parkedExits.delete(a) || gone;
    // During a run (a hook writing code) the exit must leave Unicorn's list now (see installExits).
    if (gone && this.running) this.installExits(this.exitsUntil);
  }

  /**
   * Before a host write of [address, address + size): regions it covers whole need no zeroing; true
   * when there was one (memory there still holds the previous user's bytes: see writeChanged).
   */
  private beforeWrite(address: number, size: number): boolean {
    let partial = false;
    let covered = false;
    this.unzeroed = this.unzeroed.filter((r) => {
      if (!overlaps(r, address, size)) return true;
      if (address <= r.address && r.address + r.size <= address + size) {
        covered = true;
        return false;
      }
      partial = true;
      return true;
    });
    if (partial) this.zeroPending();
    return covered;
  }

  /**
   * Before a run: stale regions become inaccessible, so a guest touching them faults. A writable one
   * keeps UC_PROT_WRITE alone: libunicorn 2.0.1 rebuilds its whole memory map when a region's
   * writability changes (bench/unicorn-regions.ts: 0.7 ms at 400 regions, 8 ms at 1,600), twice per
   * region and boot when the next user maps it again, while a protect that keeps it costs ~2 µs.
   * Reads and fetches fault at once; a write hook catches writes (see staleWrite).
   */
  private guardStale(): void {
    this.noDirect();
    for (const r of this.stale) {
      if (r.guarded) continue;
      const writable = (r.perms & UC_PROT_WRITE) !== 0;
      this.check(
        this.api.memProtect(this.uc, r.address, r.size, writable ? UC_PROT_WRITE : 0),
        'uc_mem_protect',
        r.address,
      );
      r.guarded = true;
    }
    this.staleGuarded = true;
    this.staleWatchesStale = true;
  }

  /**
   * Before the first run after a park: one write hook per run of stale regions with no live mapping
   * between them, over the runs holding a writable region. libunicorn checks every write hook's range
   * on every guest store, so one hook per writable stale region (up to hundreds after a boot with many
   * drivers) made all guest code slower (issue 19); the runs are a handful, as a user maps what the
   * previous one did. Watches kept by park() over the same runs are kept (issue 19: a warm boot of the
   * same image set needs the same runs, so it adds and deletes none).
   */
  private watchStaleRuns(): void {
    this.staleWatchesStale = false;
    const kept = new Map(this.staleWatches.map((w) => [`${w.begin}:${w.end}`, w]));
    this.staleWatches = [];
    for (const [begin, end] of this.staleRuns()) {
      const w = kept.get(`${begin}:${end}`);
      if (!w) {
        this.addStaleWatch(begin, end);
        continue;
      }
      kept.delete(`${begin}:${end}`);
      w.live = 0;
      this.staleWatches.push(w);
    }
    for (const w of kept.values()) w.hook.remove();
  }

  /** The runs of stale regions with no live mapping between them that hold a writable guarded region. */
  private staleRuns(): [number, number][] {
    const live = this.stale.length > 0 && !this.memory ? this.regions() : null;
    const mappedBetween = (begin: number, end: number) =>
      begin < end &&
      (this.memory ? this.memory.mappedIn(begin, end) : live!.some((r) => r.begin < end && begin <= r.end));
    const runs: [number, number][] = [];
    for (let i = 0; i < this.stale.length; ) {
      let j = i;
      let writable = false;
      for (;;) {
        const r = this.stale[j]!;
        if (r.perms & UC_PROT_WRITE && r.guarded && !r.closed) writable = true;
        const next = this.stale[j + 1];
        if (!next || mappedBetween(r.address + r.size, next.address)) break;
        j++;
      }
      const last = this.stale[j]!;
      if (writable) runs.push([this.stale[i]!.address, last.address + last.size - 1]);
      i = j + 1;
    }
    return runs;
  }

  private addStaleWatch(begin: number, end: number): void {
    const w: StaleWatch = { begin, end, hook: null as unknown as HookHandle, live: 0 };
    w.hook = this.watchStale(w);
    this.staleWatches.push(w);
  }

  /**
   * Splits watch `w` around the live memory holding `at` (see StaleWatch): the parts keep the stale
   * regions on either side, found by binary search. A part may hold no writable region any more: its
   * watch then never acts (watchStale checks the region), which costs nothing but the hook.
   */
  private splitStaleWatch(w: StaleWatch, at: number): void {
    const i = this.staleWatches.indexOf(w);
    if (i < 0) return;
    this.staleWatches.splice(i, 1);
    w.hook.remove();
    const first = this.staleFrom(w.begin);
    const m = this.staleFrom(at); // `at` is live: stale[m] lies after it
    const stop = this.staleFrom(w.end + 1);
    const last = (k: number) => this.stale[k]!.address + this.stale[k]!.size - 1;
    if (first < Math.min(m, stop))
      this.addStaleWatch(this.stale[first]!.address, last(Math.min(m, stop) - 1));
    const from = Math.max(m, first);
    if (from < stop) this.addStaleWatch(this.stale[from]!.address, last(stop - 1));
  }

  /**
   * The write hook of watch `w`: a guest write to a writable stale region takes the region's write
   * permission away before libunicorn checks it (the hook runs first), so the write faults as it
   * would on a new engine, where nothing is mapped there (the fault hook reports stale regions as
   * unmapped). That rare case pays the memory-map rebuild. A write to live memory is counted.
   */
  private watchStale(w: StaleWatch): HookHandle {
    const hook = this.addHook(
      UC_HOOK_MEM_WRITE,
      protos!.mem,
      (_uc: Uc, _type: number, address: number | bigint): boolean => {
        const at = this.host(address);
        const r = this.stale[this.staleFrom(at)];
        if (!r || r.address > at) {
          if (++w.live >= LIVE_WRITES_BEFORE_SPLIT) this.splitStaleWatch(w, at);
        } else if (r.guarded && !r.closed && r.perms & UC_PROT_WRITE) {
          r.closed = true;
          const err = this.api.memProtect(this.uc, r.address, r.size, 0);
          if (err !== UcErr.OK) this.hostFailure(new UnicornError(`uc_mem_protect: uc_err ${err}`, err));
        }
        return true;
      },
      [w.begin, w.end],
    );
    this.userHooks.delete(hook); // removed by watchStaleRuns or splitStaleWatch
    return hook;
  }

  /** Whether [address, address + size) touches a stale region (unmapped to this engine's user). */
  private inStale(address: number, size: number): boolean {
    const r = this.stale[this.staleFrom(address)];
    return r !== undefined && r.address < address + size;
  }

  /**
   * Index of the first stale region ending above `address` (the list is in address order and its
   * regions do not overlap): lookups cost log n, not n, with thousands of regions (issue 19).
   */
  private staleFrom(address: number): number {
    let lo = 0;
    let hi = this.stale.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const r = this.stale[mid]!;
      if (r.address + r.size <= address) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Really unmaps the stale regions [address, address + size) touches. */
  private dropStale(address: number, size: number): void {
    const from = this.staleFrom(address);
    let to = from;
    while (to < this.stale.length && this.stale[to]!.address < address + size) to++;
    for (const r of this.stale.splice(from, to - from)) {
      this.check(this.api.memUnmap(this.uc, r.address, r.size), 'uc_mem_unmap', r.address);
    }
  }

  /**
   * Code guard: after bytes in [address, address + size) changed (a host write, `written` being what
   * was written, or a guest write), recomputes the guard exits of every start whose decode reads them.
   * Changed exits lose their translated code, which was made with the old exit list.
   */
  private rescan(address: number, size: number, written?: Uint8Array): void {
    // Fast path: with no exit nearby, a write of no anchor byte (FF, F0) and of no byte that could
    // follow one (everything does: ModRM) can still complete a hazard with an FF or F0 just before it;
    // so only a write that holds no FF/F0 and has none in the bytes just before it is skipped. Not
    // taken when the scan of the range is remembered: comparing it costs less than the two searches
    // (issue 19: a warm boot writes each module's code again while its exits are parked).
    const lo = Math.max(0, address - GUARD_CONTEXT);
    const hi = Math.min(2 ** 32, address + size + GUARD_CONTEXT);
    if (
      written &&
      this.guardExits.size === 0 &&
      !(hi - lo >= SCAN_CACHE_MIN && this.scanCache.get(lo)?.startsEnd === address + size) &&
      !written.includes(0xff) &&
      !written.includes(0xf0) &&
      !this.parkedIn(lo, address + size)
    ) {
      const before = this.readRaw(lo, address - lo);
      if (!before.includes(0xff) && !before.includes(0xf0)) return;
    }
    const startsEnd = address + size;
    const found = new Set(this.hazardsIn(lo, hi, startsEnd));
    const changed: number[] = [];
    if (this.guardExits.size > 0) {
      // Exits in [lo, startsEnd) the scan no longer finds go (by address or by exit, the fewer).
      const candidates = startsEnd - lo < this.guardExits.size ? null : [...this.guardExits];
      const n = candidates ? candidates.length : startsEnd - lo;
      for (let i = 0; i < n; i++) {
        const a = candidates ? candidates[i]! : lo + i;
        if (a >= lo && a < startsEnd && !found.has(a) && this.guardExits.delete(a)) changed.push(a);
      }
    }
    let added = false;
    for (const a of found) {
      if (this.guardExits.has(a)) continue;
      this.guardExits.add(a);
      added = true;
      // Translations there were made with this exit (see parkedExits): they stay.
      if (!this.parkedExits.delete(a)) changed.push(a);
    }
    // Parked exits the scan does not find again: translations there stop at them for nothing.
    if (this.parkedIn(lo, startsEnd))
      for (const a of [...this.parkedExits])
        if (a >= lo && a < startsEnd && !found.has(a)) {
          this.parkedExits.delete(a);
          changed.push(a);
        }
    if (this.running && (added || changed.length > 0)) this.installExits(this.exitsUntil);
    if (changed.length === 0) return;
    // One drop for the written range (mapped: the write succeeded); exits in the context before it alone.
    this.dropTranslations(address, size);
    for (const a of changed) if (a < address || a >= address + size) this.dropTranslations(a, 1);
  }

  /**
   * Code guard: hazardStarts over the bytes of [lo, hi) for the starts before `startsEnd`, remembered
   * with those bytes: a warm boot writes the same module code at the same addresses again, and a
   * memcmp is much cheaper than the scan (issue 19).
   */
  private hazardsIn(lo: number, hi: number, startsEnd: number): number[] {
    const size = hi - lo;
    if (size < SCAN_CACHE_MIN) return hazardStarts(this.readRaw(lo, size), lo, 0, startsEnd - lo);
    const known = this.scanCache.get(lo);
    if (known && known.startsEnd === startsEnd && this.holds(lo, known.bytes)) return known.found;
    const bytes = this.readRaw(lo, size);
    const found = hazardStarts(bytes, lo, 0, startsEnd - lo);
    if (known) this.scanCacheBytes -= known.bytes.length;
    if (this.scanCacheBytes + size > SCAN_CACHE_BYTES) {
      this.scanCache.clear();
      this.scanCacheBytes = 0;
    }
    this.scanCache.set(lo, { startsEnd, bytes, found });
    this.scanCacheBytes += size;
    return found;
  }

  /**
   * Whether engine memory at `address` holds `bytes` (as readRaw reads it): host-backed memory is
   * compared where it is, also when the range spans regions or gaps (a page-aligned code section's
   * context bytes lie in the region before it), so a module written again unchanged costs no copy.
   */
  private holds(address: number, bytes: Uint8Array): boolean {
    return (
      this.memory?.same(address, bytes) ?? Buffer.compare(bytes, this.readRaw(address, bytes.length)) === 0
    );
  }

  /** Code guard: whether a parked exit lies in [begin, end). */
  private parkedIn(begin: number, end: number): boolean {
    if (this.parkedExits.size === 0) return false;
    for (const a of this.parkedExits) if (a >= begin && a < end) return true;
    return false;
  }

  /**
   * Code guard, before a run: parked exits in live memory that no rescan took up lose their
   * translations (only code in stale regions, which no run can reach, keeps them parked).
   */
  private settleParkedExits(): void {
    for (const a of [...this.parkedExits]) if (!this.inStale(a, 1)) this.dropTranslations(a, 1);
  }

  /** Code guard: records whether [address, address + size) is executable (and watches W+X writes). */
  private trackExec(address: number, size: number, perm: Perm): void {
    const first = Math.floor(address / this.pageSize);
    const end = Math.ceil((address + size) / this.pageSize);
    for (let p = first; p < end; p++) {
      if (perm.execute) this.execPages.add(p);
      else this.execPages.delete(p);
    }
    if (perm.write && perm.execute) this.watchWrites(address, size);
  }

  /**
   * After a host write of `written` at `address`: rescans the runs of executable pages it touched
   * (a module image written whole is scanned only in its code sections; data never runs).
   */
  private rescanExec(address: number, size: number, written: Uint8Array): void {
    const page = this.pageSize;
    const end = address + size;
    for (let p = Math.floor(address / page); p * page < end; ) {
      if (!this.execPages.has(p)) {
        p++;
        continue;
      }
      let q = p + 1;
      while (q * page < end && this.execPages.has(q)) q++;
      const from = Math.max(address, p * page);
      const to = Math.min(end, q * page);
      this.rescan(from, to - from, written.subarray(from - address, to - address));
      p = q;
    }
  }

  /** Code guard: [address, address + size) is no longer mapped; its exits and write hooks go. */
  private forgetCode(address: number, size: number): void {
    const end = Math.ceil((address + size) / this.pageSize);
    for (let p = Math.floor(address / this.pageSize); p < end; p++) this.execPages.delete(p);
    for (const a of [...this.guardExits]) {
      if (a >= address && a < address + size) this.guardExits.delete(a);
    }
    if (this.running) this.installExits(this.exitsUntil);
    for (const [start, w] of [...this.wxHooks]) {
      if (start >= address && w.end <= address + size) {
        w.hook.remove();
        this.wxHooks.delete(start);
      }
    }
  }

  /**
   * Code guard: the guest can write code into [address, address + size), which is writable and
   * executable. A write hook, called before each write, adds the exits the written bytes make, so
   * code the guest writes has them before Unicorn translates it (its writes drop stale translations).
   */
  private watchWrites(address: number, size: number): void {
    if (this.wxHooks.get(address)?.end === address + size) return;
    const hook = this.addHook(
      UC_HOOK_MEM_WRITE,
      protos!.mem,
      (_uc: Uc, _type: number, at: number | bigint, bytes: number, value: number | bigint): boolean => {
        try {
          this.guestWrite(this.host(at), bytes, bytes <= 8 ? BigInt.asUintN(64, BigInt(value)) : null);
        } catch (e) {
          this.hostFailure(e);
        }
        return true;
      },
      [address, address + size - 1],
    );
    this.wxHooks.set(address, { end: address + size, hook });
    // Stores translated before the hook existed would not call it (hooks are baked into translations).
    this.invalidate(address, address + size);
  }

  /**
   * Code guard, from the write hook: the guest is about to write `size` bytes at `address` (`value`,
   * little-endian; null when the hook cannot give them). Adds the exits of the bytes as they will be
   * and installs them at once. Exits the write makes stale are dropped when a run stops at one. With
   * unknown bytes every start that reads them is an exit until the run stops and rescans them.
   */
  private guestWrite(address: number, size: number, value: bigint | null): void {
    const lo = Math.max(0, address - GUARD_CONTEXT);
    const window = this.readRaw(lo, address + size + GUARD_CONTEXT - lo);
    let starts: number[];
    if (value === null) {
      starts = Array.from({ length: address + size - lo }, (_, i) => lo + i);
      this.guestCodeWrites.push({ address, size });
    } else {
      for (let i = 0; i < size; i++) window[address - lo + i] = Number((value >> BigInt(8 * i)) & 0xffn);
      starts = hazardStarts(window, lo, 0, address + size - lo);
    }
    let added = false;
    for (const a of starts) {
      if (this.guardExits.has(a)) continue;
      this.guardExits.add(a);
      added = true;
    }
    if (added) this.installExits(this.exitsUntil);
  }

  /**
   * Code guard: installs Unicorn's exit list when it changed: the guard exits, `until`, and the parked
   * exits. Those lie in stale regions when a run starts (settleParkedExits), where the guest cannot
   * run (guardStale: a fetch faults; guardOutcome reports reaching one as that fault), and most come
   * back as guard exits when the next user writes the same code: kept in the list, the list a warm
   * boot needs is the one the previous boot left (issue 19: two uc_ctl per KB boot, ~10 µs each).
   * One that goes while a run goes on is taken out at once (forgetParkedExits, rescan).
   */
  private installExits(until: number): void {
    if (!this.usingExits) {
      // uc_emu_start's until alone, as without the guard
      if (this.guardExits.size === 0 && this.parkedExits.size === 0) return;
      this.check(this.api.ctl(this.uc, UC_CTL_USE_EXITS_WRITE, 'int', 1), 'uc_ctl UC_CTL_UC_USE_EXITS');
      this.usingExits = true;
      this.installedUntil = -1;
    }
    let list = this.installedList;
    if (this.installedUntil === until && this.exitsInstalled()) {
      if (!this.exitsCleared) return;
    } else {
      const exits = new Set([...this.guardExits, ...this.parkedExits]);
      // A landing run (until = -1) ends at its HLT, not at an exit (see land).
      list = BigUint64Array.from(until < 0 ? exits : [...exits, until], (a) => BigInt(a));
      this.installedExits = exits;
      this.installedList = list;
      this.installedUntil = until;
    }
    this.check(
      this.api.ctl(this.uc, UC_CTL_EXITS_WRITE, 'uint64_t *', list, 'size_t', list.length),
      'uc_ctl UC_CTL_UC_EXITS',
    );
    this.exitsCleared = false;
  }

  /** Whether Unicorn's exit list holds exactly the guard and parked exits (see installExits). */
  private exitsInstalled(): boolean {
    const installed = this.installedExits;
    let n = 0;
    for (const a of this.guardExits) {
      if (!installed.has(a)) return false;
      n++;
    }
    for (const a of this.parkedExits) {
      if (!installed.has(a)) return false;
      if (!this.guardExits.has(a)) n++;
    }
    return n === installed.size;
  }

  /**
   * Code guard, before a run: whether it lands at `until` instead of ending at an exit there, and
   * the landing hook is ready. When uc_emu_start returns, libunicorn 2.0.1 drops the translations at
   * every exit (resume_all_vcpus): for each, a walk of every RAM block (one per region) and the code
   * around it translated again in the next run; code-guard exits are mostly false hazards inside real
   * instructions (a real driver holds hundreds), so this cost every run O(exits x regions). A run
   * whose `until` holds HLT (the kernel's call sentinel) lands instead: `until` is not an exit, a code
   * hook there empties the exit list (nothing is translated after it) and the HLT ends the run.
   */
  private land(until: number): boolean {
    // Landing empties and refills the list (~0.15 us per exit) and calls a hook; the drops it saves
    // cost ~0.2 us per exit plus the walk, over the RAM blocks (regions) libunicorn keeps before the
    // exit's in its list, sorted by size.
    // Measured (A/B in one process): sp3 + 128 drivers (287 regions) 3% slower landing, + 500 drivers
    // (1,039 regions) 16% faster; 400 exits in 4 regions, 95 us a run without landing.
    if (!this.usingExits || (this.memory?.regionCount ?? Number.POSITIVE_INFINITY) < LANDING_MIN_REGIONS)
      return false;
    if (this.readRaw(until, 1)[0] !== HLT) return false;
    if (this.landingAt !== until) {
      this.landingHook?.remove();
      this.landingHook = this.addHook(
        UC_HOOK_CODE,
        protos!.code,
        () => {
          if (!this.landingRun) return;
          this.landed = true;
          this.exitsCleared = true; // the next run installs the list again
          const err = this.api.ctl(this.uc, UC_CTL_EXITS_WRITE, 'uint64_t *', NO_EXITS, 'size_t', 0);
          if (err !== UcErr.OK) this.hostFailure(new UnicornError('uc_ctl UC_CTL_UC_EXITS failed', err));
        },
        [until, until],
        true,
      );
    }
    // Code there made without the hook, or the exit block a run that did not land left there.
    if (this.landingAt !== until || this.installedUntil === until) this.dropTranslations(until, 1);
    this.landingAt = until;
    return true;
  }

  /**
   * Code guard, after uc_emu_start returned: rescans what the guest wrote into code; returns the
   * invalid-instruction fault when the run stopped at a guard exit that is a hazard, 'resume' when it
   * stopped only for the guard (a guest code write, a stale exit), else null (classify decides).
   */
  private guardOutcome(err: number, until: number): RunResult | 'resume' | null {
    const wrote = this.guestCodeWrites.length > 0;
    for (const w of this.guestCodeWrites.splice(0)) this.rescan(w.address, w.size);
    if (err !== UcErr.OK || this.hostError || this.fault || this.unhandledVector !== null) return null;
    if (this.stopReason !== null) return null;
    const pc = this.reg('eip');
    if (pc === until) return null;
    // A parked exit in a stale region (see installExits): the fetch a new engine faults on there.
    if (!this.guardExits.has(pc) && this.parkedExits.has(pc) && this.inStale(pc, 1))
      return { kind: 'fault', fault: 'unmapped', access: 'fetch', address: pc, pc };
    if (this.guardExits.has(pc)) {
      if (hazardInstructionAt(this.readRaw(pc, GUARD_CONTEXT), 0))
        return { kind: 'fault', fault: 'invalid-instruction', access: 'fetch', address: pc, pc };
      this.rescan(pc, 1); // a stale exit: the bytes changed without a rescan
      return 'resume';
    }
    return wrote ? 'resume' : null;
  }

  /** Engine memory as it is (stale regions included); unmapped pages read as zeros. */
  private readRaw(address: number, size: number): Uint8Array {
    if (this.pageAt >= 0) this.flushPage();
    const out = new Uint8Array(size);
    if (size === 0 || this.api.memRead(this.uc, address, out, size) === UcErr.OK) return out;
    for (let at = address; at < address + size; ) {
      const end = Math.min(address + size, (Math.floor(at / this.pageSize) + 1) * this.pageSize);
      const part = out.subarray(at - address, end - address);
      if (this.api.memRead(this.uc, at, part, end - at) !== UcErr.OK) part.fill(0);
      at = end;
    }
    return out;
  }

  /**
   * A guest address Unicorn reported, as a host address: itself on x86; in long mode its offset in
   * the window, or for an address outside it its low 32 bits (faultAddress64 keeps the whole).
   */
  private host(address: number | bigint): number {
    if (this.window === 0n) return Number(address);
    const off = BigInt.asUintN(64, BigInt(address) - this.window);
    return off < 0x100000000n ? Number(off) : Number(BigInt.asUintN(32, BigInt(address)));
  }

  /** Reads register `id` (a uc_x86_reg value) into `size` bytes (AMD64's wider registers, unicorn-x64.ts). */
  regRaw(id: number, size: number): Uint8Array {
    this.flushRegs();
    const out = new Uint8Array(size);
    this.check(this.api.regRead(this.uc, id, out), `uc_reg_read ${id}`);
    return out;
  }
  /** Reads register `id` into `out` (its first bytes; the rest as they were). */
  regInto(id: number, out: Uint8Array): void {
    this.flushRegs();
    const err = this.api.regRead(this.uc, id, out);
    if (err !== UcErr.OK) this.check(err, `uc_reg_read ${id}`);
  }
  /**
   * Writes registers `ids` (uc_x86_reg values, at most BATCH) from `values` (8 bytes each, as
   * uc_reg_write takes a 64-bit register) in one uc_reg_write_batch call instead of one call each.
   */
  setRegsRaw64(ids: readonly number[], values: readonly bigint[]): void {
    const n = ids.length;
    if (n > BATCH) throw new RangeError(`setRegsRaw64: ${n} registers (at most ${BATCH})`);
    this.flushRegs();
    this.regCache.clear();
    const b = this.batchArea();
    for (let i = 0; i < n; i++) {
      b.ids[i] = ids[i]!;
      b.values[i] = BigInt.asUintN(64, values[i]!);
    }
    this.writeBatch(n);
  }

  /** Writes the general registers setReg left in regCache (see dirtyRegs). */
  private flushRegs(): void {
    if (this.dirtyRegs.size === 0) return;
    const b = this.batchArea();
    let n = 0;
    for (const name of this.dirtyRegs) {
      b.ids[n] = UcX86Reg[name];
      b.words[2 * n] = this.regCache.get(name)!;
      b.words[2 * n + 1] = 0;
      n++;
    }
    this.dirtyRegs.clear();
    this.writeBatch(n);
  }

  /** uc_reg_write_batch of the first `n` ids and values of the batch area. */
  private writeBatch(n: number): void {
    const b = this.batch!;
    const err = this.api.regWriteBatch(this.ucAt, b.idAt, b.pointerAt, n);
    if (err !== UcErr.OK) this.check(err, 'uc_reg_write_batch');
  }

  /**
   * After a run: EIP, ESP and EAX into regCache in one uc_reg_read_batch (issue 19: classify reads
   * EIP after every run and the caller of a kernel call EAX and ESP, one uc_reg_read each).
   */
  private readRunRegs(): void {
    const b = this.readBatch(RUN_REGS);
    for (let i = 0; i < RUN_REGS.length; i++) this.regCache.set(RUN_REGS[i]!, b.words[2 * i]!);
  }

  /**
   * uc_reg_read_batch of `names` into the batch area's first slots, zeroed first: a narrower register
   * (a selector) fills only its own bytes. One slot costs koffi less than a Uint8Array (see ucAt).
   */
  private readBatch(names: readonly X86Reg[]): BatchArea {
    const b = this.batchArea();
    for (let i = 0; i < names.length; i++) {
      b.ids[i] = UcX86Reg[names[i]!];
      b.values[i] = 0n;
    }
    const err = this.api.regReadBatch(this.ucAt, b.idAt, b.pointerAt, names.length);
    if (err !== UcErr.OK) this.check(err, `uc_reg_read_batch ${names.join(' ')}`);
    return b;
  }

  /** The native memory for register batches (see batch), made on first use. */
  private batchArea(): BatchArea {
    if (!this.batch) {
      const idBlock = koffi.alloc('int32_t', SLOTS);
      const valueBlock = koffi.alloc('uint64_t', SLOTS);
      const pointerBlock = koffi.alloc('uint64_t', SLOTS);
      const at = koffi.address(valueBlock) as bigint;
      const pointers = new BigUint64Array(koffi.view(pointerBlock, 8 * SLOTS));
      for (let i = 0; i < SLOTS; i++) pointers[i] = at + BigInt(8 * i);
      const values = koffi.view(valueBlock, 8 * SLOTS);
      this.batch = {
        idBlock,
        valueBlock,
        pointerBlock,
        idAt: Number(koffi.address(idBlock)),
        pointerAt: Number(koffi.address(pointerBlock)),
        ids: new Int32Array(koffi.view(idBlock, 4 * SLOTS)),
        values: new BigUint64Array(values),
        words: new Uint32Array(values),
      };
    }
    return this.batch;
  }
  /** Writes register `id` (a uc_x86_reg value) from `bytes` (an MSR: a uc_x86_msr). */
  setRegRaw(id: number, bytes: Uint8Array): void {
    this.flushRegs();
    this.regCache.clear();
    const err = this.api.regWrite(this.uc, id, bytes);
    if (err !== UcErr.OK) this.check(err, `uc_reg_write ${id}`);
  }

  /** Throws for a failed call `what` (of guest memory at `address`, `size` bytes when given). */
  private check(err: number, what: string, address?: number, size?: number): void {
    if (err === UcErr.OK) return;
    const at = address === undefined ? '' : ` 0x${address.toString(16)}`;
    const span = size === undefined ? '' : `+0x${size.toString(16)}`;
    throw new UnicornError(`${what}${at}${span}: ${this.api.strerror(err)} (uc_err ${err})`, err);
  }

  private hostFailure(e: unknown): void {
    this.hostError ??= e instanceof Error ? e : new Error(String(e));
    this.api.emuStop(this.uc);
  }

  private addHook(
    type: number,
    proto: koffi.IKoffiCType,
    fn: (...args: never[]) => unknown,
    variadic: unknown[],
    own = !this.ownHooksAdded,
  ): HookHandle {
    if (!this.uc) throw new UnicornError('engine is closed', UcErr.HANDLE);
    const reusable = !own && REUSED_HOOK_TYPES.has(type);
    const key = reusable ? `${type}:${variadic.join(':')}` : '';
    const next = reusable ? this.parkedHooks[0] : undefined;
    this.lastHookReused = next !== undefined && next.key === key && next.proto === proto;
    if (reusable && next && !this.lastHookReused) this.dropParkedHooks();
    let t: Trampoline;
    let handle: number;
    if (this.lastHookReused) {
      this.parkedHooks.shift();
      t = next!.t;
      handle = next!.handle;
      t.fn = fn;
    } else {
      let spare = this.spare.get(proto);
      if (!spare) {
        spare = [];
        this.spare.set(proto, spare);
      }
      t = spare.pop() ?? this.trampoline(proto, spare);
      t.fn = fn;
      const hh = [0];
      const [begin, end, ...extra] = variadic;
      const err = this.api.hookAdd(
        this.uc,
        hh,
        type,
        t.cb,
        null,
        'uint64_t',
        begin,
        'uint64_t',
        end,
        ...extra,
      );
      if (err !== UcErr.OK) {
        t.fn = idle;
        spare.push(t);
        this.check(err, 'uc_hook_add');
      }
      handle = hh[0]!;
    }
    let removed = false;
    const hook: HookHandle = {
      remove: () => {
        if (removed || !this.uc) return;
        removed = true;
        this.userHooks.delete(hook);
        this.hookKeys.delete(hook);
        this.check(this.api.hookDel(this.uc, handle), 'uc_hook_del');
        if (this.running) this.retired.push(t);
        else {
          t.fn = idle;
          t.pool.push(t);
        }
      },
    };
    if (!own) this.userHooks.add(hook);
    if (reusable) this.hookKeys.set(hook, { key, proto, handle, t });
    return hook;
  }

  /** Deletes the previous user's hooks no add took (see parkedHooks). */
  private dropParkedHooks(): void {
    for (const p of this.parkedHooks.splice(0)) {
      this.check(this.api.hookDel(this.uc, p.handle), 'uc_hook_del');
      p.t.pool.push(p.t);
    }
  }

  /** A new trampoline for hooks of prototype `proto` (returned to `pool` when its hook goes). */
  private trampoline(proto: koffi.IKoffiCType, pool: Trampoline[]): Trampoline {
    const t: Trampoline = { cb: null as unknown as koffi.IKoffiRegisteredCallback, fn: idle, pool };
    // The guest ran since the last callback: registers read before are stale.
    // Registers the hook set reach Unicorn before it goes on (see dirtyRegs).
    t.cb = koffi.register((...args: never[]) => {
      this.flushRegs();
      this.regCache.clear();
      try {
        return t.fn(...args);
      } finally {
        if (this.dirtyRegs.size > 0) this.flushHookRegs();
      }
    }, koffi.pointer(proto));
    this.callbacks.add(t.cb);
    return t;
  }

  /** flushRegs at a hook's return, where a failure ends the run as a host error (koffi drops throws). */
  private flushHookRegs(): void {
    try {
      this.flushRegs();
    } catch (e) {
      this.hostFailure(e);
    }
  }

  /**
   * Drops translated code in [begin, end) so hooks added since reach it (Unicorn 2.0.1 bakes hooks
   * into translations). Only mapped parts are passed to Unicorn, one region at a time.
   */
  private invalidate(begin: number, end: number): void {
    for (const r of this.memory?.list() ?? this.allRegions()) {
      const b = Math.max(begin, r.begin);
      const e = Math.min(end, r.end + 1);
      if (b < e) this.dropTranslations(b, e - b);
    }
  }

  /** The mapped regions (uc_mem_regions), `end` inclusive. */
  regions(): { begin: number; end: number; perm: Perm }[] {
    const all = this.allRegions();
    return this.stale.length > 0 ? all.filter((r) => !this.inStale(r.begin, r.end - r.begin + 1)) : all;
  }

  /** uc_mem_regions as it is, stale regions included. */
  private allRegions(): { begin: number; end: number; perm: Perm }[] {
    if (this.pageAt >= 0) this.flushPage();
    const mirrored = this.memory?.list();
    if (mirrored)
      return mirrored.map((r) => ({
        begin: r.begin,
        end: r.end,
        perm: {
          read: (r.perms & UC_PROT_READ) !== 0,
          write: (r.perms & UC_PROT_WRITE) !== 0,
          execute: (r.perms & UC_PROT_EXEC) !== 0,
        },
      }));
    const out: unknown[] = [null];
    const count = [0];
    this.check(this.api.memRegions(this.uc, out, count), 'uc_mem_regions');
    const n = count[0]!;
    if (n === 0 || !out[0]) return [];
    const raw = new Uint8Array(koffi.decode(out[0], 'uint8_t', n * UC_MEM_REGION.size) as number[]);
    this.api.free(out[0]);
    const v = new DataView(raw.buffer);
    const all = Array.from({ length: n }, (_, i) => {
      const o = i * UC_MEM_REGION.size;
      const perms = v.getUint32(o + UC_MEM_REGION.perms, true);
      return {
        begin: this.host(v.getBigUint64(o + UC_MEM_REGION.begin, true)),
        end: this.host(v.getBigUint64(o + UC_MEM_REGION.end, true)),
        perm: {
          read: (perms & UC_PROT_READ) !== 0,
          write: (perms & UC_PROT_WRITE) !== 0,
          execute: (perms & UC_PROT_EXEC) !== 0,
        },
      };
    });
    // The image arena's index region lies beyond what a 32-bit guest addresses (unicorn-arena.ts).
    return this.memory ? all.filter((r) => r.begin < INDEX_REGION_AT) : all;
  }

  map(address: number, size: number, perm: Perm): void {
    this.flushPage();
    this.noDirect();
    if (size > this.maxMappedBytes - this.mappedBytes)
      throw new GuestMemoryLimitError(size, this.mappedBytes, this.maxMappedBytes);
    if (this.stale.length > 0 && this.reuse(address, size, ucPerms(perm))) {
      this.mappedBytes += size;
      if (this.codeGuard) this.trackExec(address, size, perm);
      return;
    }
    this.check(this.api.memMap(this.uc, address, size, ucPerms(perm)), 'uc_mem_map', address, size);
    this.mappedBytes += size;
    if (this.codeGuard) this.trackExec(address, size, perm);
  }
  /** Takes over a stale region of exactly this range, or unmaps the stale regions it overlaps. */
  private reuse(address: number, size: number, perms: number): boolean {
    const at = this.staleFrom(address);
    const i = this.stale[at]?.address === address && this.stale[at]?.size === size ? at : -1;
    if (i < 0 || size > MAX_REUSED_REGION) {
      this.dropStale(address, size);
      return false;
    }
    const [r] = this.stale.splice(i, 1) as [StaleRegion];
    if (r.perms !== perms || r.guarded)
      this.check(this.api.memProtect(this.uc, address, size, perms), 'uc_mem_protect', address);
    this.unzeroed.push({ address, size });
    // During a run (a handler mapping pool pages) the guest may write there before the host touches
    // it: zeroed now, or a later zero-fill would wipe what the guest wrote.
    if (this.running) this.zeroPending();
    return true;
  }

  unmap(address: number, size: number): void {
    this.flushPage();
    this.noDirect();
    if (this.stale.length > 0) this.dropStale(address, size);
    if (this.unzeroed.length > 0) this.zeroPending();
    this.check(this.api.memUnmap(this.uc, address, size), 'uc_mem_unmap', address);
    this.mappedBytes -= size;
    if (this.codeGuard) this.forgetCode(address, size);
  }
  /** Bytes of guest memory mapped now. */
  get mapped(): number {
    return this.mappedBytes;
  }
  protect(address: number, size: number, perm: Perm): void {
    this.flushPage();
    this.noDirect();
    if (this.stale.length > 0) this.dropStale(address, size);
    if (this.unzeroed.length > 0) this.zeroPending();
    this.check(this.api.memProtect(this.uc, address, size, ucPerms(perm)), 'uc_mem_protect', address);
    if (this.codeGuard) {
      this.trackExec(address, size, perm);
      // The guest may have written code here while it was not executable.
      if (perm.execute) this.rescan(address, size);
    }
  }

  /** Before a host read: a stale region reads as unmapped; taken-over regions get their zeros. */
  private beforeRead(address: number, size: number): void {
    if (this.pageAt >= 0) this.flushPage();
    if (this.stale.length > 0 && this.inStale(address, size)) this.check(UcErr.READ_UNMAPPED, 'uc_mem_read');
    if (this.unzeroed.length > 0) this.zeroPending();
  }

  read(address: number, size: number): Uint8Array {
    const d = this.rd;
    if (address >= d.lo && address + size <= d.hi)
      return d.bytes.slice(address - d.base, address - d.base + size);
    this.beforeRead(address, size);
    const out = new Uint8Array(size);
    this.check(this.api.memRead(this.uc, address, out, size), 'uc_mem_read', address);
    return out;
  }
  write(address: number, bytes: Uint8Array): void {
    const d = this.wr;
    if (address >= d.lo && address + bytes.length <= d.hi) d.bytes.set(bytes, address - d.base);
    else this.writeBytes(address, bytes, bytes.length);
  }

  /** Forgets the direct ranges (see rd). */
  private noDirect(): void {
    this.rd = NO_RANGE;
    this.wr = NO_RANGE;
  }

  /**
   * Makes the region holding [address, address + size) the direct one for reads (rd) and, when plain,
   * writes (wr), if none of the slow path's checks applies to it (see rd); returns whether the access
   * (a write when `write`) can now go direct.
   */
  private fill(address: number, size: number, write: boolean): boolean {
    if (!this.memory || this.unzeroed.length > 0) return false;
    const r = this.memory.direct(address);
    if (!r || address + size > r.hi) return false;
    if (this.stale.length > 0 && this.inStale(r.lo, r.hi - r.lo)) return false;
    // execPages (the code guard's) only holds pages HostMemory saw mapped executable: plain excludes them.
    this.rd = r;
    if (r.plain) this.wr = r;
    return !write || r.plain;
  }

  /** Writes the page copy's changed bytes back (see pageCopy); call before any other engine use. */
  private flushPage(): void {
    const at = this.pageAt;
    this.pageAt = -1;
    this.lastWritePage = -1;
    if (at < 0 || this.pageHi <= this.pageLo) return;
    const lo = this.pageLo;
    this.check(
      this.api.memWrite(this.uc, at + lo, this.pageCopy!.subarray(lo, this.pageHi), this.pageHi - lo),
      'uc_mem_write',
      at + lo,
    );
  }

  /**
   * A small write within one page, between runs (hooks write through: the guest reads what they
   * wrote), outside executable pages (the code guard scans what is written there): true when it went
   * to the page copy. The page's first write goes to the engine as usual, which checks that it is
   * mapped and not stale and zero-fills what the previous user left; a second one loads the copy.
   */
  private writeToPage(address: number, bytes: Uint8Array, length: number): boolean {
    const page = this.pageSize;
    const first = address - (address % page);
    if (this.running || length > SMALL_WRITE || address + length > first + page) return false;
    if (this.codeGuard && this.execPages.has(first / page)) return false;
    if (this.pageAt !== first) {
      if (this.lastWritePage !== first) {
        this.flushPage();
        this.lastWritePage = first;
        return false;
      }
      this.pageCopy ??= new Uint8Array(page);
      this.check(this.api.memRead(this.uc, first, this.pageCopy, page), 'uc_mem_read', first);
      this.pageAt = first;
      this.pageLo = page;
      this.pageHi = 0;
    }
    const o = address - first;
    this.pageCopy!.set(length === bytes.length ? bytes : bytes.subarray(0, length), o);
    if (o < this.pageLo) this.pageLo = o;
    if (o + length > this.pageHi) this.pageHi = o + length;
    return true;
  }

  /** Writes the first `length` bytes of `bytes` (a stale region reads as unmapped: see reuse). */
  private writeBytes(address: number, bytes: Uint8Array, length: number): void {
    if (this.fill(address, length, true)) {
      this.wr.bytes.set(length === bytes.length ? bytes : bytes.subarray(0, length), address - this.wr.base);
      return;
    }
    // Host-backed memory is written in place: the page copy would only add a copy.
    if (!this.memory && this.writeToPage(address, bytes, length)) return;
    if (this.pageAt >= 0) this.flushPage();
    if (this.stale.length > 0 && this.inStale(address, length))
      this.check(UcErr.WRITE_UNMAPPED, 'uc_mem_write');
    if (this.unzeroed.length > 0 && this.beforeWrite(address, length))
      this.writeChanged(address, bytes.subarray(0, length));
    else this.check(this.api.memWrite(this.uc, address, bytes, length), 'uc_mem_write', address);
    if (this.codeGuard && this.execPages.size > 0)
      this.rescanExec(address, length, bytes.subarray(0, length));
  }

  /**
   * Writes only the pages whose bytes differ from what memory holds: over a region taken over from
   * the previous user (the same module image, often), unchanged pages keep their translated code,
   * which uc_mem_write would drop, and cost a read instead of a write.
   */
  private writeChanged(address: number, bytes: Uint8Array): void {
    // Host-backed memory is compared where it is; otherwise it is read first (failing if unmapped).
    let now: Uint8Array | null = null;
    if (!this.memory?.covers(address, bytes.length)) {
      now = new Uint8Array(bytes.length);
      this.check(this.api.memRead(this.uc, address, now, bytes.length), 'uc_mem_read', address);
    } else if (this.memory.same(address, bytes)) {
      // Nothing changed (a module image written again at its address): one compare, not one a page.
      return;
    }
    const page = this.pageSize;
    for (let at = 0; at < bytes.length; ) {
      // Chunks end on page boundaries of guest addresses.
      const end = Math.min(bytes.length, at + page - ((address + at) & (page - 1)));
      const had = now ? now.subarray(at, end) : this.memory!.view(address + at, end - at);
      const want = bytes.subarray(at, end);
      if (!had || Buffer.compare(had, want) !== 0) {
        this.check(this.api.memWrite(this.uc, address + at, want, end - at), 'uc_mem_write', address + at);
        // HostMemory's write dropped what translations there can be (on executable pages; none were
        // made on the others); a real uc_mem_write may not have (see dropTranslations).
        if (now) this.dropTranslations(address + at, end - at);
        else this.forgetParkedExits(address + at, end - at);
      }
      at = end;
    }
  }
  private readScratch(address: number, size: number): DataView {
    if (this.fill(address, size, false)) return this.rd.view;
    this.beforeRead(address, size);
    const err = this.api.memRead(this.uc, address, this.scratch, size);
    if (err !== UcErr.OK) this.check(err, 'uc_mem_read', address);
    return this.scratchView;
  }
  /** Where readScratch's view holds `address`: the direct range when fill() made it serve the read. */
  private scratchAt(view: DataView, address: number): number {
    return view === this.scratchView ? 0 : address - this.rd.base;
  }
  /** A little-endian 64-bit value at `address` (AMD64's stack words, unicorn-x64.ts). */
  readU64(address: number): bigint {
    const d = this.rd;
    if (address >= d.lo && address + 8 <= d.hi) return d.view.getBigUint64(address - d.base, true);
    const v = this.readScratch(address, 8);
    return v.getBigUint64(this.scratchAt(v, address), true);
  }
  private writeScratch(address: number, size: number): void {
    this.writeBytes(address, this.scratch, size);
  }
  readU8(address: number): number {
    const d = this.rd;
    if (address >= d.lo && address + 1 <= d.hi) return d.bytes[address - d.base]!;
    const v = this.readScratch(address, 1);
    return v.getUint8(this.scratchAt(v, address));
  }
  readU16(address: number): number {
    const d = this.rd;
    if (address >= d.lo && address + 2 <= d.hi) return d.view.getUint16(address - d.base, true);
    const v = this.readScratch(address, 2);
    return v.getUint16(this.scratchAt(v, address), true);
  }
  readU32(address: number): number {
    const d = this.rd;
    if (address >= d.lo && address + 4 <= d.hi) return d.view.getUint32(address - d.base, true);
    const v = this.readScratch(address, 4);
    return v.getUint32(this.scratchAt(v, address), true);
  }
  writeU8(address: number, value: number): void {
    const d = this.wr;
    if (address >= d.lo && address + 1 <= d.hi) d.bytes[address - d.base] = value;
    else {
      this.scratchView.setUint8(0, value & 0xff);
      this.writeScratch(address, 1);
    }
  }
  writeU16(address: number, value: number): void {
    const d = this.wr;
    if (address >= d.lo && address + 2 <= d.hi) d.view.setUint16(address - d.base, value, true);
    else {
      this.scratchView.setUint16(0, value & 0xffff, true);
      this.writeScratch(address, 2);
    }
  }
  writeU32(address: number, value: number): void {
    const d = this.wr;
    if (address >= d.lo && address + 4 <= d.hi) d.view.setUint32(address - d.base, value >>> 0, true);
    else {
      this.scratchView.setUint32(0, value >>> 0, true);
      this.writeScratch(address, 4);
    }
  }

  reg(name: X86Reg): number {
    const known = this.regCache.get(name);
    if (known !== undefined) return known;
    const value = this.readBatch([name]).words[0]!;
    this.regCache.set(name, value);
    return value;
  }
  setReg(name: X86Reg, value: number): void {
    // A general register reads back as written: kept until flushRegs (see dirtyRegs).
    if (GENERAL_REGS.has(name)) {
      this.regCache.set(name, value >>> 0);
      this.dirtyRegs.add(name);
      return;
    }
    this.flushRegs();
    this.scratchView.setBigUint64(0, 0n);
    this.scratchView.setUint32(0, value >>> 0, true);
    this.check(this.api.regWrite(this.uc, UcX86Reg[name], this.scratch), `uc_reg_write ${name}`);
    // Others (EFLAGS' fixed bits, selectors) are read again.
    this.regCache.clear();
  }
  setDescriptorTable(which: 'gdtr' | 'idtr', base: number, limit: number): void {
    const mmr = new Uint8Array(UC_X86_MMR.size);
    const v = new DataView(mmr.buffer);
    v.setBigUint64(UC_X86_MMR.base, BigInt(base >>> 0), true);
    v.setUint32(UC_X86_MMR.limit, limit >>> 0, true);
    this.flushRegs();
    this.check(this.api.regWrite(this.uc, UcX86Reg[which], mmr), `uc_reg_write ${which}`);
    this.regCache.clear();
  }

  hookCode(begin: number, end: number, hook: CodeHook): HookHandle {
    const handle = this.addHook(
      UC_HOOK_CODE,
      protos!.code,
      (_uc: Uc, address: number | bigint) => {
        if (this.hostError) return;
        try {
          hook(this.host(address));
        } catch (e) {
          this.hostFailure(e);
        }
      },
      [begin, end],
    );
    // Code in the range may have been translated already, without this hook (unless it is one kept).
    if (!this.lastHookReused) this.invalidate(begin, end + 1);
    return handle;
  }

  hookTrace(unit: 'block' | 'insn', hook: TraceHook): HookHandle {
    const handle = this.addHook(
      unit === 'block' ? UC_HOOK_BLOCK : UC_HOOK_CODE,
      protos!.code,
      (_uc: Uc, address: number | bigint, size: number) => {
        if (this.hostError) return;
        // The HLT a landing run ends with is not the guest's (see land).
        if (this.landingRun && this.host(address) === this.landingAt) return;
        try {
          hook(this.host(address), size);
        } catch (e) {
          this.hostFailure(e);
        }
      },
      [0, 0xffffffff],
    );
    // Translations made without the hook would never call it (a kept one was there all along).
    if (!this.lastHookReused) this.invalidate(0, 2 ** 32);
    return handle;
  }

  hookInterrupt(hook: InterruptHook): HookHandle {
    // Copy-on-write would be needed if hooks were added from inside a hook; a Set tolerates it.
    this.interruptHooks.add(hook);
    return { remove: () => this.interruptHooks.delete(hook) };
  }

  hookPortIo(io: PortIo): HookHandle {
    const hin = this.addHook(
      UC_HOOK_INSN,
      protos!.in,
      (_uc: Uc, port: number, size: number): number => {
        if (this.hostError) return 0;
        try {
          return io.in(port, size as 1 | 2 | 4) >>> 0;
        } catch (e) {
          this.hostFailure(e);
          return 0;
        }
      },
      [1, 0, 'int', UC_X86_INS_IN],
    );
    const hout = this.addHook(
      UC_HOOK_INSN,
      protos!.out,
      (_uc: Uc, port: number, size: number, value: number) => {
        if (this.hostError) return;
        try {
          io.out(port, size as 1 | 2 | 4, value >>> 0);
        } catch (e) {
          this.hostFailure(e);
        }
      },
      [1, 0, 'int', UC_X86_INS_OUT],
    );
    return {
      remove: () => {
        hin.remove();
        hout.remove();
      },
    };
  }

  stop(reason: string): void {
    if (this.stopReason === null) {
      this.stopReason = reason;
      this.stopPc = this.reg('eip');
    }
    this.api.emuStop(this.uc);
  }

  run(opts: RunOptions): RunResult {
    if (!this.uc) throw new UnicornError('engine is closed', UcErr.HANDLE);
    const { maxInstructions: budget, maxMillis } = opts;
    if (budget !== undefined && !(Number.isInteger(budget) && budget > 0 && budget < COUNT_UNLIMITED)) {
      throw new RangeError(`maxInstructions must be a positive integer, not ${budget}`);
    }
    if (maxMillis !== undefined && !(maxMillis > 0)) {
      throw new RangeError(`maxMillis must be positive, not ${maxMillis}`);
    }
    this.flushPage();
    if (this.unzeroed.length > 0) this.zeroPending();
    if (this.parkedHooks.length > 0) this.dropParkedHooks(); // this user did not add them again
    if (!this.staleGuarded) this.guardStale();
    if (this.staleWatchesStale) this.watchStaleRuns();
    if (this.parkedExits.size > 0) this.settleParkedExits();
    this.hostError = null;
    this.stopReason = null;
    this.fault = null;
    this.faultAddress64 = null;
    this.unhandledVector = null;
    if (budget !== undefined && !this.counting) {
      this.invalidate(0, 2 ** 32);
      this.counting = true;
    }
    // The wall-clock budget is checked between slices of counted instructions rather than given to
    // Unicorn: its timeout starts and joins a timer thread per uc_emu_start, which cost about 2.5 ms
    // per call here (measured: more than half of an 18-call boot).
    if (maxMillis !== undefined && !this.counting) {
      this.invalidate(0, 2 ** 32);
      this.counting = true;
    }
    const deadline = maxMillis !== undefined ? monotonicMs() + maxMillis : Number.POSITIVE_INFINITY;
    let remaining = budget ?? Number.POSITIVE_INFINITY;
    let start = opts.start >>> 0;
    this.running = true;
    try {
      for (;;) {
        const slice =
          maxMillis !== undefined
            ? Math.min(remaining, TIME_SLICE)
            : (budget ?? (this.counting ? COUNT_UNLIMITED : 0));
        if (this.codeGuard) {
          this.landingRun = this.land(opts.until >>> 0);
          this.exitsUntil = this.landingRun ? -1 : opts.until >>> 0;
          this.installExits(this.exitsUntil);
        }
        this.flushRegs();
        this.regCache.clear();
        const err = this.api.emuStart(this.uc, start, opts.until >>> 0, 0, slice);
        this.regCache.clear();
        this.readRunRegs();
        if (this.landed) {
          // The HLT at `until` ran after the landing hook: the guest is where an exit would have left it.
          this.landed = false;
          this.setReg('eip', opts.until >>> 0);
        }
        const g = this.codeGuard ? this.guardOutcome(err, opts.until >>> 0) : null;
        if (g === 'resume') {
          // How many instructions ran before the guard stopped the run is unknown: at least one.
          remaining -= 1;
          if (remaining <= 0)
            return { kind: 'budget', which: 'instructions', pc: this.reg('eip'), instructions: budget! };
          if (monotonicMs() >= deadline) return { kind: 'budget', which: 'time', pc: this.reg('eip') };
          start = this.reg('eip');
          continue;
        }
        if (g) return g;
        const r = this.classify(
          err,
          opts,
          maxMillis !== undefined || budget !== undefined ? slice : undefined,
        );
        if (maxMillis === undefined) return r;
        if (r.kind !== 'budget' || r.which !== 'instructions') return r;
        remaining -= slice;
        if (remaining <= 0) return { kind: 'budget', which: 'instructions', pc: r.pc, instructions: budget! };
        if (monotonicMs() >= deadline) return { kind: 'budget', which: 'time', pc: r.pc };
        start = r.pc;
      }
    } finally {
      this.running = false;
      this.landingRun = false;
      for (const t of this.retired.splice(0)) {
        t.fn = idle;
        t.pool.push(t);
      }
    }
  }

  /**
   * After an exception a hook took: clears the exception in flight, so the next one is reported with
   * its own vector, not as a double or triple fault (unicorn-exception-latch.ts).
   */
  private clearException(): void {
    if (this.latchAt === null) return;
    if (!this.latch) {
      const out: unknown[] = [null];
      if (this.api.contextAlloc(this.uc, out) !== UcErr.OK) return;
      this.latch = { context: out[0], size: Number(this.api.contextSize(this.uc)) };
    }
    clearAt(this.api, this.uc, this.latch.context, this.latch.size, this.latchAt);
  }

  /** Turns how uc_emu_start ended into a RunResult. The checks' order is the precedence. */
  private classify(err: number, opts: RunOptions, budget: number | undefined): RunResult {
    const pc = this.reg('eip');
    // Fields set by hooks during uc_emu_start (TypeScript cannot see those assignments).
    const hostError = this.hostError as Error | null;
    const fault = this.fault as { fault: FaultKind; access: FaultAccess; address: number; pc: number } | null;
    const vector = this.unhandledVector as number | null;
    if (hostError) return { kind: 'host-error', error: hostError, pc };
    if (fault)
      return this.counting ? { kind: 'fault', ...fault } : { kind: 'fault', ...fault, pcExact: false };
    if (vector !== null) {
      const at = this.trapStart(pc, vector);
      return { kind: 'fault', fault: 'exception', access: null, address: at, vector, pc: at };
    }
    if (err !== UcErr.OK) {
      const f = ERR_FAULTS[err];
      if (f && this.stale.length > 0 && this.inStale(pc, 1))
        return { kind: 'fault', ...f, fault: 'unmapped', address: pc, pc };
      if (f) return { kind: 'fault', ...f, address: pc, pc };
      if (err === UcErr.INSN_INVALID) {
        return { kind: 'fault', fault: 'invalid-instruction', access: 'fetch', address: pc, pc };
      }
      if (err === UcErr.EXCEPTION) {
        return { kind: 'fault', fault: 'exception', access: null, address: pc, pc };
      }
      this.check(err, 'uc_emu_start');
    }
    if (this.stopReason !== null) return { kind: 'stopped', reason: this.stopReason, pc: this.stopPc };
    if (pc === opts.until >>> 0) return { kind: 'returned', pc };
    // HLT ends uc_emu_start without an error, EIP past it. Unicorn does not say why it stopped, so
    // a run that ended after a byte F4 is taken as halted (a heuristic: an instruction budget that
    // ends right after an F4 inside a longer instruction would be misread).
    if (this.byteBefore(pc) === HLT) return { kind: 'stopped', reason: 'hlt', pc };
    if (budget !== undefined) return { kind: 'budget', which: 'instructions', pc, instructions: budget };
    return { kind: 'stopped', reason: 'engine stopped without a reason', pc };
  }

  /**
   * Where the instruction that raised `vector` starts. Software interrupts are traps: EIP is already
   * past `int3` (CC), `int n` (CD n), `into` (CE) or `int1` (F1) when the hook runs, and the report
   * should name that instruction, as NT's exception record does (KiTrap03 backs EIP up over int3).
   * Faults (divide error, #GP…) leave EIP on the faulting instruction: `pc` is returned unchanged.
   * `int n` is recognised only for n = 3 and n >= 0x20 (no exception uses those vectors), so
   * a fault whose preceding bytes happen to read CD 00 is not misplaced.
   */
  private trapStart(pc: number, vector: number): number {
    const b1 = this.byteBefore(pc);
    if ((vector === 3 && b1 === 0xcc) || (vector === 4 && b1 === 0xce) || (vector === 1 && b1 === 0xf1))
      return (pc - 1) >>> 0;
    if ((vector === 3 || vector >= 0x20) && b1 === vector && this.byteBefore((pc - 1) >>> 0) === 0xcd)
      return (pc - 2) >>> 0;
    return pc;
  }

  private byteBefore(pc: number): number | null {
    if (this.stale.length > 0 && this.inStale((pc - 1) >>> 0, 1)) return null;
    const b = new Uint8Array(1);
    return this.api.memRead(this.uc, (pc - 1) >>> 0, b, 1) === UcErr.OK ? b[0]! : null;
  }

  /**
   * Ends this user's use of the engine. An engine made with the default options is parked for
   * reuse by acquire() (at most a few are kept): do not use it after close(). Others are destroyed.
   */
  close(): void {
    if (!this.uc || parked.includes(this)) return;
    this.flushPage();
    this.noDirect();
    if (this.recyclable && parked.length < MAX_PARKED && this.park()) {
      parked.push(this);
      return;
    }
    if (this.initialContext) this.api.contextFree(this.initialContext);
    this.initialContext = null;
    if (this.latch) this.api.contextFree(this.latch.context);
    this.latch = null;
    this.api.close(this.uc);
    this.memory?.release();
    this.uc = null;
    this.ucAt = 0;
    if (this.batch)
      for (const block of [this.batch.idBlock, this.batch.valueBlock, this.batch.pointerBlock])
        koffi.free(block);
    this.batch = null;
    for (const cb of this.callbacks) koffi.unregister(cb);
    this.callbacks.clear();
    this.spare.clear();
    this.parkedHooks = []; // uc_close deleted them
    this.hookKeys.clear();
    this.interruptHooks.clear();
  }
}
