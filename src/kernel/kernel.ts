// The emulated kernel: maps loaded images into the CPU, hooks the kernel's and HAL's exports (our
// handler when we have one, an `unimplemented-routine` event for a stub with none, the image's own
// code otherwise), and calls guest routines with NT's calling conventions. It does not know the CPU:
// arguments, results, returns and calls go through the calling-convention layer (src/cpu/abi.ts), x86
// (stack per stdcall/cdecl/fastcall) or Alpha AXP (a0-a5 then stack slots, v0, ra), so the same
// handler declarations serve both.
//
// Guest calls from handlers. Some routines call guest code before they return: IoCompleteRequest
// calls the completion routines drivers registered, IoCallDriver transfers to a dispatch routine.
// Chosen design: continuations on the guest stack, not nested emulation. A handler returns a
// GuestCall (routine, args, onReturn); the kernel pops the handler's own frame as its RET would, pushes
// a continuation id, the arguments and the address of a hooked slot on the kernel-routine page
// (KERNEL_ROUTINES) as the return address, and lets the guest run the routine in the same
// uc_emu_start. When the routine returns to the slot, the hook looks the continuation up by the id
// on the stack (checking the stack pointer is where the routine's return leaves it: ESP past a stdcall's
// arguments on x86, sp as at entry on Alpha, where the id sits in a quadword above the stack arguments),
// runs `onReturn(eax)` on the host and
// goes on: another guest call, or the original handler's return to its caller. Why not a nested
// uc_emu_start from inside the hook: the engine's per-run state (budget, stop reason, fault, host
// error) would have to be saved and restored around it, a fault or budget in the inner run would
// have to unwind through the outer hook, and koffi callbacks would nest; with continuations one run
// covers everything, so budgets, faults and traces need no special case. A TailCall (IoCallDriver)
// is the simple case: the handler's frame is replaced by the routine's, which returns straight to
// the caller, as the real routine's jump does (on Alpha only with register arguments; with stack
// arguments it becomes a guest call whose result the handler returns).

import { type Abi, AbiAccessError, type AnyCpu, abiFor, type RoutineShape } from '../cpu/abi.js';
import type { Perm, RunResult } from '../cpu/engine.js';
import { RX } from '../cpu/engine.js';
import { monotonicMs } from '../cpu/monotonic.js';
import { KPRCB64 } from '../cpu/x64-setup.js';
import { KPRCB } from '../cpu/x86-setup.js';
import type { LoadedModule } from '../loader/system-loader.js';
import { VirtualClock } from './clock.js';
import { type KernelContext, NT351_VERSION, type PortIo } from './context.js';
import { type DecodedArg, EventLog, type KernelEvent, type UnimplementedPolicy } from './events.js';
import { GuestAccessError, GuestMemory } from './guest.js';
import { ObjectManager } from './handles.js';
import { ObjectNamespace } from './objects.js';
import { Pool } from './pool.js';
import type { ArgDecode } from './prototype.js';
import {
  defersToImage,
  type ExportHandler,
  type ExportModule,
  type HandlerRegistry,
  type HandlerResult,
} from './registry.js';
import { cutReason, Scheduler } from './scheduler.js';
import { ExceptionDispatcher } from './seh/dispatch.js';
import { X64ExceptionDispatcher } from './seh/dispatch64.js';

/** Return address of host-initiated calls: reaching it ends the run with `returned`. */
export const CALL_SENTINEL = 0x80030000;
/**
 * Model: a page of kernel code whose slots are hooked by the host: the continuation return address
 * (slot 0) and routines of the emulator's own that guest code calls by address (hostRoutine).
 */
export const KERNEL_ROUTINES = 0x80031000;
const SLOT = 16;
/** Further routine slots once the kernel-routine page is full (hostRoutine, hostMiss): 16 KiB. */
const MORE_ROUTINES = 0x80032000;
const MORE_ROUTINES_SIZE = 0x4000;
/**
 * Where the guest is sent when a handler stops the run: Unicorn ends uc_emu_start only at the next
 * block boundary, and the guest must not go on running the caller's code meanwhile.
 */
const HALT = KERNEL_ROUTINES + SLOT;
/** Most CPU faults one host call dispatches to exception handlers (a fault loop ends as the fault). */
export const MAX_EXCEPTIONS_PER_CALL = 1000;
/** API-call events kept per run; later calls are counted in `droppedApiCalls`. */
export const MAX_API_EVENTS = 10_000;

export type ExportPolicy =
  | { kind: 'handler'; handler: ExportHandler }
  | { kind: 'unimplemented'; module: string; name: string };

export interface CallResult {
  run: RunResult;
  /** The result register when the routine returned (EAX; Alpha v0's low 32 bits). */
  eax: number | null;
}

const PAGE = 0x1000;
/** Export calls between two reads of the clock against the call's deadline (see dispatch). */
const CLOCK_EVERY = 8;
const STOPPED = Symbol('stopped');
type ApiCallEvent = Extract<KernelEvent, { type: 'api-call' }>;

/** A handler call being carried out: where it returns and how its report entry is completed. */
interface Frame {
  returnAddress: number;
  /** The stack pointer after the handler's return (x86: its arguments popped per its convention). */
  espAfter: number;
  caller: number;
  handler: ExportHandler;
  event: ApiCallEvent | null;
}
interface Continuation {
  frame: Frame;
  onReturn: (eax: number) => HandlerResult;
  /** The stack pointer expected when the called routine returns. */
  esp: number;
  /** Where the continuation id was put on the stack (x86: at `esp`; Alpha: above the stack arguments). */
  marker: number;
  /** The thread whose stack holds it (src/kernel/scheduler.ts): a waiting thread's outlive a host call. */
  thread: number;
}

/**
 * What dispatching a handler needs from its prototype, derived once per handler object (the handlers
 * are shared across boots and their declarations never change; hostRoutine's are made per kernel).
 */
interface CallInfo {
  shape: RoutineShape;
  /** Some argument is 64 bits wide: args() splits it into low and high numbers. */
  wide: boolean;
  pointerResult: boolean;
}
const callInfos = new WeakMap<ExportHandler, CallInfo>();
const callInfo = (h: ExportHandler): CallInfo => {
  let info = callInfos.get(h);
  if (!info) {
    const shape: RoutineShape = h.widths
      ? { conv: h.conv, argCount: h.args.length, widths: h.widths }
      : { conv: h.conv, argCount: h.args.length };
    info = { shape, wide: h.widths !== undefined, pointerResult: returnsPointer(h) };
    callInfos.set(h, info);
  }
  return info;
};
/**
 * Whether `h` returns a pointer (PVOID, PDEVICE_OBJECT, `char *`…), which is wider than 32 bits on
 * AMD64: the prototype's return type names a pointer type (P…, LP…; KMDF's object handles WDFDEVICE…,
 * pointers in KMDF) or has a star. 64-bit scalars
 * (PHYSICAL_ADDRESS) are returned as bigints and never reach here.
 */
function returnsPointer(h: ExportHandler): boolean {
  return h.returns.includes('*') || (/^(L?P[A-Z0-9_]*|WDF[A-Z]+)$/.test(h.returns) && h.returnWidth === 4);
}
/** What hooking a module's exports does, by RVA: the same for every boot of the same image. */
interface ExportPlan {
  /** Every named export's RVA (the address systemRoutine gives). */
  names: ReadonlyMap<string, number>;
  /** Data exports in `.hdata` whose handler fills them, in export order. */
  data: readonly [ExportHandler, number][];
  policies: ReadonlyMap<number, ExportPolicy>;
  /** The `.stub` section (RVAs, end exclusive), hooked as one range. */
  stub: { start: number; end: number } | null;
  /** RVAs with a policy outside the stub section, hooked one by one. */
  hooked: readonly number[];
}
/**
 * Plans by image, handler registry and module. Valid to share: a PeImage is immutable once parsed
 * (src/loader/image-cache.ts shares one across warm boots), the registry's handlers never change, and
 * a plan holds RVAs only, so a module loaded at another base gets the same plan.
 */
const exportPlans = new WeakMap<object, WeakMap<HandlerRegistry, Map<string, ExportPlan>>>();

function exportPlan(m: LoadedModule, registry: HandlerRegistry, module: string): ExportPlan {
  let byRegistry = exportPlans.get(m.image);
  if (!byRegistry) {
    byRegistry = new WeakMap();
    exportPlans.set(m.image, byRegistry);
  }
  let byModule = byRegistry.get(registry);
  if (!byModule) {
    byModule = new Map();
    byRegistry.set(registry, byModule);
  }
  let plan = byModule.get(module);
  if (!plan) {
    plan = makeExportPlan(m, registry, module);
    byModule.set(module, plan);
  }
  return plan;
}

function makeExportPlan(m: LoadedModule, registry: HandlerRegistry, module: string): ExportPlan {
  const range = (name: string) => {
    const s = m.image.sections.find((x) => x.name === name);
    return s ? { start: s.virtualAddress, end: s.virtualAddress + s.virtualSize } : null;
  };
  const stub = range('.stub');
  const hdata = range('.hdata');
  const inStub = (rva: number) => stub !== null && rva >= stub.start && rva < stub.end;
  const inData = (rva: number) => hdata !== null && rva >= hdata.start && rva < hdata.end;
  const names = new Map<string, number>();
  const data: [ExportHandler, number][] = [];
  const policies = new Map<number, ExportPolicy>();
  for (const e of m.image.exports()?.entries ?? []) {
    if (e.rva === null || e.name === null) continue;
    names.set(e.name, e.rva);
    const handler = registry.get(module, e.name);
    if (handler?.data) {
      if (inData(e.rva)) data.push([handler, e.rva]);
      continue;
    }
    if (handler && (!defersToImage(handler) || inStub(e.rva)))
      policies.set(e.rva, { kind: 'handler', handler });
    else if (inStub(e.rva)) policies.set(e.rva, { kind: 'unimplemented', module, name: e.name });
  }
  const hooked = [...policies.keys()].filter((rva) => !inStub(rva));
  return { names, data, policies, stub, hooked };
}

/** Runs of an image's pages with equal protection, by the ranges array (see pageRuns). */
const runsByRanges = new WeakMap<
  object,
  { page: number; size: number; writableData: boolean; runs: readonly PageRun[] }
>();
interface PageRun {
  readonly offset: number;
  readonly size: number;
  readonly perm: Readonly<Perm>;
}

/**
 * The image's pages (of `page` bytes) in runs of equal protection, each page getting the union of its
 * sections' (read-only where no section lies). With `writableData` (x86 NT 3.51, see mapModule) a
 * page holding no code is read-write and the headers' read-execute (with the code that follows
 * them), so an image is as few engine regions as its code/data alternations. Kept per `ranges`
 * array: a loader that reuses a mapped image across boots hands the same array, whose contents never
 * change.
 */
export function pageRuns(
  ranges: LoadedModule['mapped']['ranges'],
  size: number,
  page: number,
  writableData = false,
): readonly PageRun[] {
  const hit = runsByRanges.get(ranges);
  if (hit && hit.page === page && hit.size === size && hit.writableData === writableData) return hit.runs;
  // Each page's protection as bits (1 read, 2 write, 4 execute, 8 a section touches it).
  const count = Math.ceil(size / page);
  const bits = new Uint8Array(count);
  for (const r of ranges) {
    // With writableData the headers go with the code that follows them (one region), read-execute.
    const code = r.protection.execute || (writableData && r.name === 'headers');
    const p = (r.protection.read ? 1 : 0) | (r.protection.write ? 2 : 0) | (code ? 4 : 0);
    const last = Math.min(count, Math.ceil((r.rva + r.size) / page));
    for (let i = Math.floor(r.rva / page); i < last; i++) bits[i]! |= p | 8;
  }
  const at = (i: number) => {
    const b = bits[i]!;
    if (!writableData) return b & 8 ? b & 7 : 1;
    if (!(b & 8)) return 3; // no section: read-write as data
    return b & 4 ? b & 7 : 3; // code pages as their sections say; any other page read-write
  };
  const runs: PageRun[] = [];
  for (let i = 0; i < count; ) {
    const b = at(i);
    let end = i + 1;
    while (end < count && at(end) === b) end++;
    const perm = { read: (b & 1) !== 0, write: (b & 2) !== 0, execute: (b & 4) !== 0 };
    runs.push({ offset: i * page, size: (end - i) * page, perm }); // whole pages, as the engine maps
    i = end;
  }
  runsByRanges.set(ranges, { page, size, writableData, runs });
  return runs;
}

/** The last kernelPages built, with what they were built from (the bytes are never written to). */
let keptPages: { sentinel: Uint8Array; trapFill: number; spin: Uint8Array; pages: Uint8Array } | null = null;
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The sentinel page and the kernel-routine page as the kernel writes them: the sentinel's code (never
 * executed: `until` stops first), then zeros; the routine page filled with the trap byte (slots run
 * only as hooks) but for the spin where a stopped handler leaves the guest. The same bytes for the same
 * calling convention's codes, built once (allocating and filling 8 KiB was a measurable part of
 * making a kernel, issue 19): the engine copies what it writes.
 */
function kernelPages(abi: Abi): Uint8Array {
  const k = keptPages;
  if (
    k &&
    k.trapFill === abi.trapFill &&
    sameBytes(k.sentinel, abi.sentinelCode) &&
    sameBytes(k.spin, abi.spinCode)
  )
    return k.pages;
  const pages = new Uint8Array(2 * PAGE);
  pages.set(abi.sentinelCode);
  pages.fill(abi.trapFill, KERNEL_ROUTINES - CALL_SENTINEL);
  pages.set(abi.spinCode, HALT - CALL_SENTINEL);
  keptPages = {
    sentinel: abi.sentinelCode.slice(),
    trapFill: abi.trapFill,
    spin: abi.spinCode.slice(),
    pages,
  };
  return pages;
}

/** Two pages of `fill` bytes (more routine slots), per fill byte; never written to (as kernelPages). */
const slotPages = new Map<number, Uint8Array>();
function filledPages(fill: number): Uint8Array {
  const kept = slotPages.get(fill);
  if (kept) return kept;
  const pages = new Uint8Array(2 * PAGE).fill(fill);
  slotPages.set(fill, pages);
  return pages;
}

/** CMOS clock registers (BCD): 1996-09-19 12:00:00, a Thursday (NT 3.51 SP5's month). */
const CMOS: Record<number, number> = {
  0: 0x00,
  2: 0x00,
  4: 0x12,
  6: 0x05,
  7: 0x19,
  8: 0x09,
  9: 0x96,
  50: 0x19,
};

export class EmulatedKernel {
  readonly mem: GuestMemory;
  readonly log = new EventLog();
  readonly pool: Pool;
  readonly objects = new ObjectNamespace();
  readonly ob: ObjectManager;
  readonly ctx: KernelContext;
  /** The CPU's calling convention (x86 or Alpha AXP). */
  readonly abi: Abi;
  droppedApiCalls = 0;
  /** Structured exception handling (x86 only): CPU faults in guest code go to the FS:[0] chain. */
  readonly exceptions: ExceptionDispatcher | null = null;
  /** AMD64 structured exception handling (.pdata unwinding, src/kernel/seh/dispatch64.ts). */
  readonly exceptions64: X64ExceptionDispatcher | null = null;
  /** The processor's threads: the one running host calls and PsCreateSystemThread's. */
  readonly threads: Scheduler;
  /** What calling a routine without a handler does (stubs: `fail` is what their own code does). */
  onUnimplemented: UnimplementedPolicy = 'fail';
  /** Hooked modules' exports by name (RVAs), in hooking order. */
  private readonly exportTables: { base: number; names: ReadonlyMap<string, number> }[] = [];
  private apiEvents = 0;
  /** Pending guest calls made by handlers, by the id pushed on the guest stack. */
  private readonly continuations = new Map<number, Continuation>();
  private nextContinuation = 1;
  private nextSlot = 2;
  /** Set when a handler stopped the run (bugcheck, guest fault in a handler); reset per call. */
  private stopping = false;
  /**
   * Wall-clock deadline of the current call (monotonicMs(), ms): handler work counts against the
   * time budget too, checked at each export call (issue 20: 3,000 ExAllocatePool calls took 48 s of
   * handler time under a 5 s budget the engine, checking only between instruction slices, never saw).
   */
  private deadline = Number.POSITIVE_INFINITY;
  /** Where the guest called the export at which the deadline passed, or null. */
  private overBudgetAt: number | null = null;
  /** Export calls dispatched (see CLOCK_EVERY). */
  private dispatches = 0;

  constructor(
    readonly cpu: AnyCpu,
    private readonly registry: HandlerRegistry,
    private readonly stackTop: number,
    /** Devices the machine has beyond the clock: fixed values read from their ports (the machine profile's). */
    devicePorts: ReadonlyMap<number, number> = new Map(),
  ) {
    this.abi = abiFor(cpu);
    this.mem = new GuestMemory(cpu, cpu.arch === 'amd64' ? { window: cpu.window } : undefined);
    this.pool = new Pool(cpu);
    this.ob = new ObjectManager(this.mem, this.pool);
    // Model of an ISA PC with no devices but the MC146818 clock: unclaimed ports float high (all
    // ones), as a bus with nothing on it reads; CMOS 0x70/0x71 answers with a fixed BCD date.
    let cmosIndex = 0;
    const ports: PortIo = {
      read: (port, size) =>
        port === 0x71
          ? (CMOS[cmosIndex] ?? 0)
          : (devicePorts.get(port) ?? (size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff)),
      write: (port, _size, value) => {
        if (port === 0x70) cmosIndex = value & 0x7f;
      },
    };
    if (cpu.arch !== 'alpha') cpu.hookPortIo({ in: ports.read, out: ports.write });
    // The sentinel page and the kernel-routine page, mapped together (one 8 KiB Alpha page) and
    // written whole in one write: the engine then need not zero the region first (the sentinel page
    // past its code is zeros, as mapping leaves it).
    cpu.map(CALL_SENTINEL, 2 * PAGE, RX);
    cpu.write(CALL_SENTINEL, kernelPages(this.abi));
    cpu.hookCode(KERNEL_ROUTINES, KERNEL_ROUTINES, () => this.resume());
    this.ctx = {
      cpu,
      mem: this.mem,
      pool: this.pool,
      objects: this.objects,
      log: this.log,
      caller: 0,
      statics: new Map(),
      stop: (reason) => this.halt(reason),
      systemRoutine: (name) => this.exportAddress(name) ?? null,
      hostRoutine: (h, options) => this.hostRoutine(h, options),
      hostMiss: (module, name) => this.hostMiss(module, name),
      version: NT351_VERSION,
      ob: this.ob,
      clock: new VirtualClock(),
      ports,
      irql: 0,
      arg: (index) => {
        try {
          return this.abi.arg(index, { conv: 'cdecl', argCount: index + 1 });
        } catch (e) {
          if (e instanceof AbiAccessError) throw new GuestAccessError(e.address, 'stack argument');
          throw e;
        }
      },
    };
    if (cpu.arch === 'amd64')
      this.ctx.argSlot64 = (index) => {
        try {
          return this.abi.arg64(index, { conv: 'cdecl', argCount: index + 1 });
        } catch (e) {
          if (e instanceof AbiAccessError) throw new GuestAccessError(e.address, 'stack argument');
          throw e;
        }
      };
    this.threads = new Scheduler(
      cpu,
      this.abi,
      this.mem,
      this.log,
      { get: () => this.ctx.irql, set: (v) => (this.ctx.irql = v) },
      () => this.ob.systemContext().thread.body,
    );
    this.ctx.threads = this.threads;
    if (cpu.arch === 'x86') {
      this.exceptions = new ExceptionDispatcher(cpu, this.ctx);
      this.exceptions.install((h) => this.hostRoutine(h));
      this.ctx.exceptions = this.exceptions;
    } else if (cpu.arch === 'amd64') {
      this.exceptions64 = new X64ExceptionDispatcher(cpu, this.ctx, KERNEL_ROUTINES);
      this.exceptions64.install((h) => this.hostRoutine(h));
      this.ctx.exceptions64 = this.exceptions64;
    }
  }

  /**
   * Makes driver code run in the System process's thread (model: the only one): KPRCB.CurrentThread
   * points at its ETHREAD body (what FS:[0x124] reads), and the kernel's exported object-type
   * variables (PsProcessType, PsThreadType, IoFileObjectType), when it has them, at our type objects.
   */
  enterSystemThread(prcb: number): void {
    const current = this.cpu.arch === 'amd64' ? KPRCB64.CurrentThread : KPRCB.CurrentThread;
    this.mem.setPtr(prcb + current, this.ob.systemContext().thread.body);
    this.threads.setPrcb(prcb);
    const types = { PsProcessType: 'process', PsThreadType: 'thread', IoFileObjectType: 'file' } as const;
    for (const [name, kind] of Object.entries(types)) {
      const variable = this.exportAddress(name);
      if (variable !== undefined) this.mem.setPtr(variable, this.ob.typeObject(kind));
    }
  }

  /**
   * Copies a loaded image into guest memory with its sections' protections (per page, merged). Pages
   * are the engine's: 4 KiB on x86, 8 KiB on Alpha, where a page gets the union of its sections'.
   * On x86, as NT 3.51 ran it: kernel-mode pages had no write protection before Windows 2000
   * (Microsoft, "Accessing Read-Only System Memory": "in Windows NT 4.0 and earlier versions,
   * read-only memory was not protected in kernel mode"; KB Q229035), so every page that holds no code
   * is writable (a driver may write its string constants); pages holding code stay read-execute, as
   * the x86 code guard would otherwise watch every store to the image. With few engine regions per
   * image (libunicorn 2.0.1's uc_mem_map and code lookups cost more per region mapped), a cold boot
   * no longer grows with the square of the drivers (docs/benchmarks.md).
   */
  mapModule(m: LoadedModule): void {
    // One mapping per run of pages with equal protection, then one write across them (the engine
    // writes through read-only pages): protecting page by page after the fact split Unicorn's memory
    // regions once per call and made mapping the slowest part of a boot.
    const writableData = this.cpu.arch === 'x86';
    for (const run of pageRuns(m.mapped.ranges, m.size, this.cpu.pageSize, writableData))
      this.cpu.map(m.base + run.offset, run.size, run.perm);
    this.cpu.write(m.base, m.mapped.bytes);
  }

  /**
   * Hooks the exports of the kernel (`ntoskrnl`), the HAL (`hal`) or another module's image. Pure and
   * HAL handlers give way to real code in the image; routines in a `.stub` section without a handler
   * become `unimplemented-routine` events (the stub then returns STATUS_NOT_IMPLEMENTED and pops its
   * arguments, as the image's own code does). Data exports in a synthetic image's `.hdata` section are
   * filled by their handlers. What to hook is computed once per (image, registry, module): exportPlan.
   */
  hookExports(m: LoadedModule, module: ExportModule | string): void {
    const plan = exportPlan(m, this.registry, module);
    const base = m.base;
    this.exportTables.push({ base, names: plan.names });
    for (const [h, rva] of plan.data) h.data!.init?.(this.ctx, (base + rva) >>> 0);
    const onCall = (address: number) => {
      const p = plan.policies.get(address - base);
      if (!p) return;
      const caller = this.callerOrHalt(p.kind === 'handler' ? p.handler.name : p.name);
      if (caller === null) return;
      if (p.kind === 'unimplemented') {
        this.unimplemented(p.module, p.name, caller, address);
        return;
      }
      this.dispatch(p.handler, caller);
    };
    if (plan.stub) this.cpu.hookCode(base + plan.stub.start, base + plan.stub.end - 1, onCall);
    for (const rva of plan.hooked) this.cpu.hookCode(base + rva, base + rva, onCall);
  }

  /** The address of export `name` of a hooked module (the last hooked module exporting it wins). */
  private exportAddress(name: string): number | undefined {
    for (let i = this.exportTables.length - 1; i >= 0; i--) {
      const t = this.exportTables[i]!;
      const rva = t.names.get(name);
      if (rva !== undefined) return (t.base + rva) >>> 0;
    }
    return undefined;
  }

  /**
   * A call of a routine with no handler: reported with its likely arguments, then per
   * `onUnimplemented` the entry point stops there, or the stub's own code returns
   * STATUS_NOT_IMPLEMENTED, or the routine returns 0 (popping what the stub's `ret N` would).
   */
  private unimplemented(module: string, name: string, caller: number, address: number): void {
    const stack: number[] = [];
    for (let i = 0; i < 4; i++) {
      try {
        stack.push(this.abi.arg(i, { conv: 'stdcall', argCount: 4 }));
      } catch {
        break;
      }
    }
    const policy = this.onUnimplemented;
    this.log.add({
      type: 'unimplemented-routine',
      module,
      name,
      caller,
      stack,
      ...(policy === 'fail' ? {} : { policy }),
    });
    if (policy === 'stop') {
      this.halt(`unimplemented routine ${module}!${name} called from 0x${caller.toString(16)}`);
      return;
    }
    if (policy === 'zero') {
      // The stub is `mov eax, imm32; ret [N]` (x86): its N is what the routine pops.
      let pop = 0;
      if (this.abi.arch === 'x86') {
        try {
          const code = this.cpu.read(address, 8);
          if (code[5] === 0xc2) pop = code[6]! | (code[7]! << 8);
        } catch {
          pop = 0;
        }
      }
      const sp =
        this.abi.arch === 'x86'
          ? this.abi.sp() + 4 + pop
          : this.abi.spAfterReturn({ conv: 'cdecl', argCount: 0 });
      this.abi.setResult(0);
      this.abi.setSp(sp);
      this.abi.setPc(caller);
    }
  }

  /** The handler's arguments as `impl` takes them: 32-bit values, a 64-bit one as low then high. */
  private args(h: ExportHandler, info: CallInfo): number[] {
    const { shape } = info;
    const out: number[] = [];
    if (!info.wide) {
      for (let i = 0; i < shape.argCount; i++) out.push(this.abi.arg(i, shape));
      return out;
    }
    h.args.forEach((a, i) => {
      if (a.width === 4) out.push(this.abi.arg(i, shape));
      else {
        const v = this.abi.arg64(i, shape);
        out.push(Number(v & 0xffffffffn), Number(v >> 32n));
      }
    });
    return out;
  }

  private decode(how: ArgDecode, value: number): string | null | undefined {
    try {
      if (how === 'unicode-string') return this.mem.unicodeString(value);
      if (how === 'ansi-string') return this.mem.ansiString(value);
      if (how === 'c-string') return value ? this.mem.cString(value, 256) : null;
      if (how === 'wide-string') return value ? this.mem.wString(value, 256) : null;
    } catch {
      return null;
    }
    return undefined;
  }

  /**
   * The return address of a call being entered, or null when the guest's stack pointer does not
   * point at readable memory: then the run stops as a guest fault (not a host error).
   */
  private callerOrHalt(name: string): number | null {
    try {
      return this.abi.returnAddress();
    } catch (e) {
      if (!(e instanceof AbiAccessError)) throw e;
      this.halt(`guest fault calling ${name}: ${e.message}`);
      return null;
    }
  }

  /** Runs handler `h` for a call entered from `caller` (its return address, read by callerOrHalt). */
  private dispatch(h: ExportHandler, caller: number, silent = false): void {
    this.ctx.caller = caller;
    // The clock is read at every CLOCK_EVERY-th call (process.hrtime allocates, and a boot makes
    // hundreds of calls): a guest past its deadline is stopped within that many calls.
    if (++this.dispatches % CLOCK_EVERY === 0 && monotonicMs() >= this.deadline) {
      this.overBudgetAt = caller;
      this.halt(`time budget used up at a call to ${h.name}`);
      return;
    }
    const info = callInfo(h);
    let args: number[];
    try {
      args = this.args(h, info);
    } catch (e) {
      if (!(e instanceof AbiAccessError)) throw e;
      this.halt(`guest fault reading ${h.name}'s arguments: ${e.message}`);
      return;
    }
    const specs = h.args;
    const decoded: DecodedArg[] = [];
    for (let i = 0, at = 0; i < specs.length; i++, at++) {
      const a = specs[i]!;
      const value = args[at]!;
      if (a.width === 8) decoded.push({ name: a.name, value, high: args[++at]! });
      else if (a.decode === null) decoded.push({ name: a.name, value });
      else {
        const text = this.decode(a.decode, value);
        decoded.push(text === undefined ? { name: a.name, value } : { name: a.name, value, text });
      }
    }
    const espAfter = this.abi.spAfterReturn(info.shape);
    const at = this.log.events.length; // the call is listed before what it caused
    let result: HandlerResult;
    try {
      result = h.impl(this.ctx, args); // as guarded() runs it, without a closure per call
    } catch (e) {
      if (!(e instanceof GuestAccessError)) throw e;
      this.halt(`guest fault in ${h.module}!${h.name}: ${e.message}`);
      return;
    }
    let event: ApiCallEvent | null = null;
    if (!silent && this.apiEvents++ < MAX_API_EVENTS) {
      event = { type: 'api-call', module: h.module, name: h.name, args: decoded, result: null, caller };
      if (at === this.log.events.length) this.log.events.push(event);
      else this.log.events.splice(at, 0, event);
    } else if (!silent) {
      this.droppedApiCalls++;
    }
    this.proceed(result, { returnAddress: caller, espAfter, caller, handler: h, event });
  }

  /** Ends the run from a hook: the guest waits at HALT until Unicorn stops it. */
  private halt(reason: string): void {
    this.stopping = true;
    this.cpu.stop(reason);
    this.abi.setPc(HALT);
  }

  /** Runs handler code; a guest memory fault in it stops the run (reported as a guest fault). */
  private guarded(h: ExportHandler, fn: () => HandlerResult): HandlerResult | typeof STOPPED {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof GuestAccessError)) throw e;
      this.halt(`guest fault in ${h.module}!${h.name}: ${e.message}`);
      return STOPPED;
    }
  }

  /** Carries out what a handler (or a continuation) returned, for the handler call `frame`. */
  private proceed(result: HandlerResult, frame: Frame): void {
    const abi = this.abi;
    if (this.stopping) return;
    if (typeof result === 'object') {
      if (result.kind === 'continue') return; // the handler set the registers (NtContinue)
      abi.setSp(frame.espAfter);
      if (result.kind === 'tail-call' && abi.canTailCall(result.args.length)) {
        if (abi.prepareTailCall) abi.prepareTailCall(result.args, frame.returnAddress);
        else abi.prepareCall(result.routine, result.args, frame.returnAddress);
        abi.setPc(result.routine);
        return;
      }
      const onReturn = result.kind === 'guest-call' ? result.onReturn : (eax: number) => eax;
      const id = this.nextContinuation++;
      const marker = abi.pushMarker(id);
      const esp = abi.spAtMarkerReturn(marker, result.args.length);
      this.continuations.set(id, { frame, onReturn, esp, marker, thread: this.threads.current.id });
      abi.prepareCall(
        result.routine,
        result.args,
        KERNEL_ROUTINES,
        result.kind === 'guest-call' ? result.scalars : undefined,
      );
      abi.setPc(result.routine);
      return;
    }
    if (typeof result === 'bigint') {
      if (frame.event) frame.event.result = Number(BigInt.asUintN(32, result));
      abi.setResult64(result);
    } else if (result !== undefined) {
      if (frame.event) frame.event.result = result >>> 0;
      if (abi.setPointerResult && callInfo(frame.handler).pointerResult) abi.setPointerResult(result);
      else abi.setResult(result);
    }
    abi.setSp(frame.espAfter);
    abi.setPc(frame.returnAddress);
  }

  /** A guest routine called by a handler returned to the continuation slot. */
  private resume(): void {
    const esp = this.abi.sp();
    let found: [number, Continuation] | undefined;
    for (const [id, c] of this.continuations) {
      if (c.esp === esp && this.markerAt(c.marker) === id) found = [id, c];
    }
    if (!found) {
      const last = [...this.continuations.values()].pop();
      const sp = this.abi.arch === 'x86' ? 'ESP' : 'sp';
      this.halt(
        last
          ? `guest stack imbalance: a routine called by ${last.frame.handler.name} returned with ${sp} 0x${esp.toString(16)}, expected 0x${last.esp.toString(16)} (wrong calling convention?)`
          : 'guest code returned to the kernel continuation slot without a pending call',
      );
      return;
    }
    const [id, c] = found;
    this.continuations.delete(id);
    this.ctx.caller = c.frame.caller;
    const eax = this.abi.result();
    const next = this.guarded(c.frame.handler, () => c.onReturn(eax));
    if (next !== STOPPED) this.proceed(next, c.frame);
  }

  /** The continuation id at `address`, or -1 when the stack there cannot be read. */
  private markerAt(address: number): number {
    try {
      return this.cpu.readU32(address);
    } catch {
      return -1;
    }
  }

  /**
   * A guest address for a routine of the emulator's own (e.g. the model bus driver's dispatch
   * routine): guest code calls it like any routine and `h` handles it as an export handler would;
   * `silent` ones are not listed as API calls (the scheduler's switch and thread exit).
   */
  hostRoutine(h: ExportHandler, options: { silent?: boolean } = {}): number {
    const address = this.takeSlot();
    this.cpu.hookCode(address, address, () => {
      const caller = this.callerOrHalt(h.name);
      if (caller !== null) this.dispatch(h, caller, options.silent === true);
    });
    return address;
  }

  /**
   * CPU faults in guest code go to its exception handlers (x86: the FS:[0] chain; AMD64: the frames'
   * unwind data; src/kernel/seh/):
   * while a fault can be dispatched the run goes on from the dispatcher, with the time left and at
   * most MAX_EXCEPTIONS_PER_CALL exceptions (model: Unicorn does not say how many instructions a
   * faulting run took, so each resumed run gets the instruction budget anew). A fault no handler
   * took ends the run as that fault.
   */
  private deliverFaults(
    first: RunResult,
    budget: { maxInstructions?: number; maxMillis?: number },
  ): RunResult {
    const seh = this.exceptions ?? this.exceptions64;
    let run = first;
    for (let n = 0; seh && run.kind === 'fault' && n < MAX_EXCEPTIONS_PER_CALL; n++) {
      if (!seh.deliverFault(run)) break;
      const left = this.deadline - monotonicMs();
      if (left <= 0) return { kind: 'budget', which: 'time', pc: run.pc };
      const { maxInstructions } = budget;
      run = this.cpu.run({
        start: this.abi.pc(),
        until: CALL_SENTINEL,
        ...(maxInstructions !== undefined ? { maxInstructions } : {}),
        ...(Number.isFinite(left) ? { maxMillis: left } : {}),
      });
    }
    if (seh?.unhandledFault && run.kind === 'stopped') {
      run = seh.unhandledFault;
      this.abi.setPc(run.pc);
    }
    return run;
  }

  /**
   * A guest address standing for `module!name`, a routine nt351 has no handler for that guest code
   * reaches by address (a KMDF function-table entry): calling it is an `unimplemented-routine` event
   * with the `onUnimplemented` policy, as a synthetic image's stub is.
   */
  hostMiss(module: string, name: string): number {
    const address = this.takeSlot();
    this.cpu.hookCode(address, address, () => {
      const caller = this.callerOrHalt(name);
      if (caller !== null) this.unimplemented(module, name, caller, address);
    });
    return address;
  }

  /**
   * The next free slot: the kernel-routine page first, then the pages after it up to the GDT
   * (0x80032000-0x80035FFF), mapped 8 KiB at a time (one Alpha page) when first needed.
   */
  private takeSlot(): number {
    const perPage = PAGE / SLOT;
    const index = this.nextSlot++;
    if (index < perPage) return KERNEL_ROUTINES + SLOT * index;
    const offset = (index - perPage) * SLOT;
    if (offset >= MORE_ROUTINES_SIZE) throw new Error('kernel routine pages are full');
    if (offset % (2 * PAGE) === 0) {
      const at = MORE_ROUTINES + offset;
      this.cpu.map(at, 2 * PAGE, RX);
      this.cpu.write(at, filledPages(this.abi.trapFill));
    }
    return MORE_ROUTINES + offset;
  }

  /**
   * Calls a guest routine (x86 stdcall, or NT's Alpha convention) with `args` on a fresh stack; the run
   * ends at the sentinel.
   */
  call(
    address: number,
    args: number[],
    budget: { maxInstructions?: number; maxMillis?: number },
  ): CallResult {
    // Left over by a run that ended inside a routine; those of waiting system threads stay.
    this.threads.beginCall();
    for (const [id, c] of this.continuations)
      if (!this.threads.keeps(c.thread)) this.continuations.delete(id);
    this.stopping = false;
    this.overBudgetAt = null;
    this.deadline =
      budget.maxMillis !== undefined ? monotonicMs() + budget.maxMillis : Number.POSITIVE_INFINITY;
    this.abi.setSp(this.stackTop);
    this.abi.prepareCall(address, args, CALL_SENTINEL);
    this.exceptions?.reset();
    this.exceptions64?.reset();
    let run = this.cpu.run({ start: address, until: CALL_SENTINEL, ...budget });
    run = this.deliverFaults(run, budget);
    // System threads that can run get the processor before the run ends (the entry point has
    // returned: they run until each waits or ends, with the time left and the instruction budget anew).
    if (run.kind === 'returned' && this.threads.parkInitial()) {
      const left = this.deadline - monotonicMs();
      run =
        left <= 0
          ? { kind: 'budget', which: 'time', pc: this.abi.pc() }
          : this.cpu.run({
              start: this.abi.pc(),
              until: CALL_SENTINEL,
              ...budget,
              ...(Number.isFinite(left) ? { maxMillis: left } : {}),
            });
      run = this.deliverFaults(run, budget);
    }
    if (run.kind !== 'returned') this.threads.cutRunning(cutReason(run));
    if (run.kind === 'stopped' && this.overBudgetAt !== null)
      run = { kind: 'budget', which: 'time', pc: this.overBudgetAt };
    this.deadline = Number.POSITIVE_INFINITY;
    return { run, eax: run.kind === 'returned' ? this.abi.result() : null };
  }
}
