// Structured exception handling on AMD64 as Windows x64 does it: an exception (raised by a routine or
// a CPU fault in driver code) is written to the guest stack as an EXCEPTION_RECORD and a CONTEXT, and
// KiDispatchException walks the frames by their unwind data (RtlLookupFunctionEntry over .pdata,
// RtlVirtualUnwind), calling each frame's language handler as guest code with a DISPATCHER_CONTEXT
// (RtlDispatchException); RtlUnwindEx walks them again with EXCEPTION_UNWINDING up to a target frame
// and resumes there. Follows ReactOS's sdk/lib/rtl/amd64/except.c and unwind.c (RtlDispatchException,
// RtlUnwindEx), Wine's dlls/ntdll/signal_x86_64.c and Microsoft Learn's "x64 exception handling";
// docs/exceptions.md says what is modelled.
import type { RunResult, X64Cpu, X64Reg } from '../../cpu/engine.js';
import { KERNEL_STACK } from '../../cpu/x86-setup.js';
import type { KernelContext } from '../context.js';
import { GuestAccessError } from '../guest.js';
import { defineExport, type ExportHandler, guestCall, type HandlerResult } from '../registry.js';
import { CONTINUE, faultException } from './dispatch.js';
import {
  Disposition,
  EFLAGS_TF,
  EXCEPTION_MAXIMUM_PARAMETERS,
  ExceptionCode,
  ExceptionFlag,
  KMODE_EXCEPTION_NOT_HANDLED,
} from './layout.js';
import {
  CONTEXT64,
  CONTEXT64_FULL,
  DISPATCHER_CONTEXT,
  EXCEPTION_RECORD64,
  GPR64,
  RSP,
  UnwindFlag,
} from './layout64.js';
import {
  type Context64,
  type FunctionEntry,
  imageBaseOf,
  lookupFunctionEntry,
  UnwindDataError,
  type UnwindMemory,
  unwindLeaf,
  virtualUnwind,
} from './unwind64.js';

/** An AMD64 exception: 64-bit address and parameters (guest values). */
export interface ExceptionSpec64 {
  code: number;
  flags: number;
  address: bigint;
  parameters?: readonly bigint[];
  /** The record this one is raised during (host address), 0 for none. */
  nested?: number;
}

/** A CONTEXT's registers with the flags word. */
export interface Registers64 extends Context64 {
  eflags: number;
}

/** Most frames one dispatch or unwind walks. */
const MAX_FRAMES = 1024;
/** Bytes left free below the faulting RSP (NT's trap frame and machine frame sit there). */
const RED_ZONE = 0x100;
/** Dispatch area: the exception's CONTEXT, the walk's CONTEXT, the record, DISPATCHER_CONTEXT. */
const AREA = {
  context: 0,
  unwindContext: CONTEXT64.size,
  record: 2 * CONTEXT64.size,
  dispatcher: 2 * CONTEXT64.size + EXCEPTION_RECORD64.size,
  size: 2 * CONTEXT64.size + EXCEPTION_RECORD64.size + DISPATCHER_CONTEXT.size,
} as const;
/** The x64 kernel's KPCR is at GS; its NtTib.StackBase/StackLimit are not set up, so bounds are the stack's. */
const STACK = { low: KERNEL_STACK.base, high: KERNEL_STACK.base + KERNEL_STACK.size };

const copy = (c: Registers64): Registers64 => ({ ...c, gpr: [...c.gpr], xmm: [...c.xmm] });

/** An exception being dispatched: where its records are (RtlUnwindEx goes on from its context). */
interface ActiveDispatch {
  area: number;
}

/** The AMD64 dispatcher of one emulated kernel. */
export class X64ExceptionDispatcher {
  private dispatcherAddress = 0;
  private readonly faults = new Map<number, Extract<RunResult, { kind: 'fault' }>>();
  /** Set when an exception raised by a CPU fault found no handler: the run ends as this fault. */
  unhandledFault: Extract<RunResult, { kind: 'fault' }> | null = null;
  /** Dispatches in progress, innermost last. */
  private readonly active: ActiveDispatch[] = [];
  /** Guest memory for the unwinder: 64-bit addresses through the engine's window. */
  readonly memory: UnwindMemory;

  constructor(
    private readonly cpu: X64Cpu,
    private readonly ctx: KernelContext,
    /** Where handlers' guest calls return to (the kernel's continuation slot), as a guest address. */
    private readonly continuationSlot: number,
  ) {
    this.memory = {
      read: (address, size) => {
        const at = cpu.hostAddress(address);
        if (at === null) throw new GuestAccessError(Number(address & 0xffffffffn), 'unwind data');
        try {
          return cpu.read(at, size);
        } catch {
          throw new GuestAccessError(at, 'unwind data');
        }
      },
    };
  }

  /** Registers KiDispatchException as a host routine. */
  install(hostRoutine: (h: ExportHandler) => number): void {
    this.dispatcherAddress = hostRoutine(
      defineExport({
        module: 'nt351',
        prototype: 'VOID KiDispatchException(PEXCEPTION_RECORD ExceptionRecord, PCONTEXT ContextRecord)',
        impl: (_ctx, [record]) => this.dispatch(record! - AREA.record),
      }),
    );
  }

  /** Forgets the faults of an earlier call. */
  reset(): void {
    this.faults.clear();
    this.active.length = 0;
    this.unhandledFault = null;
  }

  // ---- values ----

  private g(host: number): bigint {
    return this.cpu.guestAddress(host);
  }
  /** A guest value as a host number: a window address's offset, else its low 32 bits. */
  private h(v: bigint): number {
    return this.cpu.hostAddress(v) ?? Number(v & 0xffffffffn);
  }
  private u64(at: number, what = 'ULONG64'): bigint {
    const b = this.ctx.mem.bytes(at, 8, what);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  }
  private setU64(at: number, v: bigint, what = 'ULONG64'): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
    this.ctx.mem.write(at, b, what);
  }

  // ---- CONTEXT ----

  /** The CPU's registers now (XMM registers are not read: the engine does not expose them). */
  registers(): Registers64 {
    return {
      gpr: GPR64.map((r) => this.cpu.reg(r)),
      rip: this.cpu.reg('rip'),
      xmm: new Array<bigint>(32).fill(0n),
      eflags: Number(this.cpu.reg('rflags') & 0xffffffffn),
    };
  }
  /** The caller's state after the routine being handled returns (what RtlCaptureContext gives it). */
  callerRegisters(): Registers64 {
    const r = this.registers();
    const rsp = r.gpr[RSP]!;
    r.rip = this.u64(this.h(rsp), 'return address');
    r.gpr[RSP] = rsp + 8n;
    return r;
  }
  writeContext(at: number, r: Registers64): void {
    const m = this.ctx.mem;
    m.write(at, new Uint8Array(CONTEXT64.size), 'CONTEXT');
    m.setU32(at + CONTEXT64.ContextFlags, CONTEXT64_FULL);
    m.setU32(at + CONTEXT64.MxCsr, 0x1f80);
    const seg: [X64Reg, number][] = [
      ['cs', CONTEXT64.SegCs],
      ['ds', CONTEXT64.SegDs],
      ['es', CONTEXT64.SegEs],
      ['fs', CONTEXT64.SegFs],
      ['gs', CONTEXT64.SegGs],
      ['ss', CONTEXT64.SegSs],
    ];
    for (const [reg, off] of seg) m.setU16(at + off, Number(this.cpu.reg(reg) & 0xffffn));
    m.setU32(at + CONTEXT64.EFlags, r.eflags);
    r.gpr.forEach((v, i) => {
      this.setU64(at + CONTEXT64.Rax + 8 * i, v, 'CONTEXT');
    });
    this.setU64(at + CONTEXT64.Rip, r.rip, 'CONTEXT');
    r.xmm.forEach((v, i) => {
      this.setU64(at + CONTEXT64.Xmm0 + 8 * i, v, 'CONTEXT');
    });
  }
  readContext(at: number): Registers64 {
    return {
      gpr: GPR64.map((_, i) => this.u64(at + CONTEXT64.Rax + 8 * i, 'CONTEXT')),
      rip: this.u64(at + CONTEXT64.Rip, 'CONTEXT'),
      xmm: Array.from({ length: 32 }, (_, i) => this.u64(at + CONTEXT64.Xmm0 + 8 * i, 'CONTEXT')),
      eflags: this.ctx.mem.u32(at + CONTEXT64.EFlags, 'CONTEXT'),
    };
  }
  /** RtlRestoreContext / NtContinue: the CPU takes the integer registers, RIP and the flags. */
  loadRegisters(r: Registers64): void {
    GPR64.forEach((name, i) => {
      this.cpu.setReg(name, r.gpr[i]!);
    });
    this.cpu.setReg('rflags', BigInt((r.eflags | 2) >>> 0));
    this.cpu.setReg('rip', r.rip);
  }

  // ---- records ----

  private writeRecord(at: number, e: ExceptionSpec64): void {
    const m = this.ctx.mem;
    const params = (e.parameters ?? []).slice(0, EXCEPTION_MAXIMUM_PARAMETERS);
    m.write(at, new Uint8Array(EXCEPTION_RECORD64.size), 'EXCEPTION_RECORD');
    m.setU32(at + EXCEPTION_RECORD64.ExceptionCode, e.code);
    m.setU32(at + EXCEPTION_RECORD64.ExceptionFlags, e.flags);
    m.setPtr(at + EXCEPTION_RECORD64.ExceptionRecord, e.nested ?? 0);
    this.setU64(at + EXCEPTION_RECORD64.ExceptionAddress, e.address);
    m.setU32(at + EXCEPTION_RECORD64.NumberParameters, params.length);
    params.forEach((p, i) => {
      this.setU64(at + EXCEPTION_RECORD64.ExceptionInformation + 8 * i, p);
    });
  }
  /** An EXCEPTION_RECORD64 as the spec it holds. */
  readRecord(at: number): Required<ExceptionSpec64> {
    const m = this.ctx.mem;
    const count = Math.min(
      m.u32(at + EXCEPTION_RECORD64.NumberParameters, 'EXCEPTION_RECORD'),
      EXCEPTION_MAXIMUM_PARAMETERS,
    );
    return {
      code: m.u32(at + EXCEPTION_RECORD64.ExceptionCode, 'EXCEPTION_RECORD'),
      flags: m.u32(at + EXCEPTION_RECORD64.ExceptionFlags),
      nested: m.ptr(at + EXCEPTION_RECORD64.ExceptionRecord),
      address: this.u64(at + EXCEPTION_RECORD64.ExceptionAddress),
      parameters: Array.from({ length: count }, (_, i) =>
        this.u64(at + EXCEPTION_RECORD64.ExceptionInformation + 8 * i),
      ),
    };
  }
  private setFlags(record: number, set: number, clear = 0): void {
    const at = record + EXCEPTION_RECORD64.ExceptionFlags;
    this.ctx.mem.setU32(at, ((this.ctx.mem.u32(at) | set) & ~clear) >>> 0);
  }

  // ---- raising ----

  /**
   * Raises `e` with the CPU state `regs` (RIP and RSP: where execution goes on if a handler continues
   * it): writes the records below the stack in use and sends the guest to KiDispatchException.
   * Throws GuestAccessError when the stack cannot hold them.
   */
  raise(e: ExceptionSpec64, regs: Registers64): void {
    const below = Math.min(this.h(this.cpu.reg('rsp')), this.h(regs.gpr[RSP]!));
    const area = ((below - RED_ZONE - AREA.size) & ~0xf) >>> 0;
    this.faults.delete(area);
    this.writeRecord(area + AREA.record, e);
    this.writeContext(area + AREA.context, regs);
    // KiDispatchException(ExceptionRecord, ContextRecord), "called" with home space and a return address no one uses.
    const rsp = area - 0x28;
    this.setU64(rsp, 0n, 'return address');
    this.cpu.setReg('rsp', this.g(rsp));
    this.cpu.setReg('rcx', this.g(area + AREA.record));
    this.cpu.setReg('rdx', this.g(area + AREA.context));
    this.cpu.setReg('rip', this.g(this.dispatcherAddress));
    this.ctx.log.add({
      type: 'exception',
      code: e.code >>> 0,
      flags: e.flags,
      address: this.h(e.address),
      parameters: (e.parameters ?? []).map((p) => this.h(p)),
    });
  }

  /** Raises from inside an export handler: the CONTEXT is the caller's state after the routine returns. */
  raiseFromHandler(e: Omit<ExceptionSpec64, 'address'> & { address?: bigint }): HandlerResult {
    const regs = this.callerRegisters();
    this.raise({ ...e, address: e.address ?? regs.rip }, regs);
    return CONTINUE;
  }

  /** A CPU fault in guest code: sends the guest to the dispatcher (true), or leaves the fault standing. */
  deliverFault(run: Extract<RunResult, { kind: 'fault' }>): boolean {
    const e = faultException(run);
    if (!e) return false;
    try {
      const regs = this.registers();
      regs.rip = run.pc64 ?? this.g(run.pc);
      if (e.code === ExceptionCode.SINGLE_STEP) regs.eflags = (regs.eflags & ~EFLAGS_TF) >>> 0; // KiTrap01
      const parameters = (e.parameters ?? []).map((p, i) =>
        i === 1 && run.address64 !== undefined ? run.address64 : BigInt(p >>> 0),
      );
      this.raise({ code: e.code, flags: e.flags, address: regs.rip, parameters }, regs);
      // The CPU enters the trap with TF clear: the dispatcher and handlers are not single-stepped.
      this.cpu.setReg('rflags', BigInt((regs.eflags & ~EFLAGS_TF) >>> 0));
      this.faults.set(this.h(this.cpu.reg('rcx')) - AREA.record, run);
      return true;
    } catch (err) {
      if (!(err instanceof GuestAccessError)) throw err;
      return false;
    }
  }

  // ---- frames ----

  /** The function entry and image of `pc`, or null when `pc` is in no image (the walk's end). */
  private functionOf(pc: bigint): { imageBase: bigint; entry: FunctionEntry | null } | null {
    const imageBase = imageBaseOf(this.memory, pc);
    if (imageBase === null) return null;
    return { imageBase, entry: lookupFunctionEntry(this.memory, imageBase, pc) };
  }
  private frameValid(frame: bigint): boolean {
    const at = this.cpu.hostAddress(frame);
    return at !== null && at >= STACK.low && at < STACK.high && (at & 7) === 0;
  }

  // ---- RtlDispatchException ----

  /**
   * RtlDispatchException then KiDispatchException's second chance: from the exception's context,
   * each frame is unwound virtually; a frame with an exception handler gets it called with a
   * DISPATCHER_CONTEXT whose ContextRecord is the unwound (caller's) context, as ReactOS and Windows do.
   */
  private dispatch(area: number): HandlerResult {
    const record = area + AREA.record;
    const context = area + AREA.context;
    const dispatcher = area + AREA.dispatcher;
    this.active.push({ area });
    // The dispatch this exception was raised inside (a handler's fault or raise), if any.
    let outer = this.active.length - 2;
    const slot = this.g(this.continuationSlot);
    let walk = this.readContext(context);
    let walked = 0;
    const end = (): HandlerResult => {
      this.active.pop();
      return this.unhandled(area);
    };
    const step = (): HandlerResult => {
      if (++walked > MAX_FRAMES) return end();
      if (walk.rip === slot) {
        // A handler's return into the dispatcher of an outer exception: the search goes on from that
        // exception's context (Windows' walk passes the dispatcher's frames and the trap frame),
        // as a nested exception.
        const d = this.active[outer--];
        if (!d) return end();
        this.setFlags(record, ExceptionFlag.NESTED_CALL);
        walk = this.readContext(d.area + AREA.context);
        return step();
      }
      const pc = walk.rip;
      const rsp = walk.gpr[RSP]!;
      if (!this.frameValid(rsp)) return end();
      let found: ReturnType<X64ExceptionDispatcher['functionOf']>;
      let result: ReturnType<typeof virtualUnwind> | null = null;
      try {
        found = this.functionOf(pc);
        if (!found) return end(); // past the driver's outermost frame (the kernel's call)
        if (found.entry)
          result = virtualUnwind(this.memory, UnwindFlag.EHANDLER, found.imageBase, pc, found.entry, walk);
        else unwindLeaf(this.memory, walk);
      } catch (err) {
        if (!(err instanceof GuestAccessError || err instanceof UnwindDataError)) throw err;
        this.setFlags(record, ExceptionFlag.STACK_INVALID);
        return end();
      }
      if (walk.gpr[RSP]! <= rsp) {
        this.setFlags(record, ExceptionFlag.STACK_INVALID); // model: a frame that does not climb is a loop
        return end();
      }
      if (!result?.handler || !found.entry) return step();
      if (!this.frameValid(result.establisherFrame)) {
        this.setFlags(record, ExceptionFlag.STACK_INVALID);
        return end();
      }
      this.writeContext(area + AREA.unwindContext, walk);
      this.writeDispatcherContext(dispatcher, {
        controlPc: pc,
        imageBase: found.imageBase,
        entry: found.entry.address,
        establisherFrame: result.establisherFrame,
        targetIp: 0n,
        contextRecord: area + AREA.unwindContext,
        handler: result.handler,
        handlerData: result.handlerData,
      });
      return guestCall(
        this.h(result.handler),
        [record, this.h(result.establisherFrame), context, dispatcher],
        (rax) => {
          switch (rax >>> 0) {
            case Disposition.ContinueExecution:
              this.active.pop();
              if (this.ctx.mem.u32(record + EXCEPTION_RECORD64.ExceptionFlags) & ExceptionFlag.NONCONTINUABLE)
                return this.raiseNested(ExceptionCode.NONCONTINUABLE_EXCEPTION, record);
              this.faults.delete(area);
              this.loadRegisters(this.readContext(context));
              return CONTINUE;
            case Disposition.ContinueSearch:
              return step();
            case Disposition.NestedException:
              this.setFlags(record, ExceptionFlag.NESTED_CALL);
              return step();
            default:
              this.active.pop();
              return this.raiseNested(ExceptionCode.INVALID_DISPOSITION, record);
          }
        },
      );
    };
    return step();
  }

  private writeDispatcherContext(
    at: number,
    d: {
      controlPc: bigint;
      imageBase: bigint;
      entry: bigint;
      establisherFrame: bigint;
      targetIp: bigint;
      contextRecord: number;
      handler: bigint;
      handlerData: bigint;
    },
  ): void {
    const m = this.ctx.mem;
    m.write(at, new Uint8Array(DISPATCHER_CONTEXT.size), 'DISPATCHER_CONTEXT');
    this.setU64(at + DISPATCHER_CONTEXT.ControlPc, d.controlPc);
    this.setU64(at + DISPATCHER_CONTEXT.ImageBase, d.imageBase);
    this.setU64(at + DISPATCHER_CONTEXT.FunctionEntry, d.entry);
    this.setU64(at + DISPATCHER_CONTEXT.EstablisherFrame, d.establisherFrame);
    this.setU64(at + DISPATCHER_CONTEXT.TargetIp, d.targetIp);
    m.setPtr(at + DISPATCHER_CONTEXT.ContextRecord, d.contextRecord);
    this.setU64(at + DISPATCHER_CONTEXT.LanguageHandler, d.handler);
    this.setU64(at + DISPATCHER_CONTEXT.HandlerData, d.handlerData);
  }

  /** RtlRaiseStatus of a noncontinuable status about `record` from inside the dispatcher. */
  private raiseNested(code: number, record: number): HandlerResult {
    const regs = this.registers();
    regs.rip = this.g(this.dispatcherAddress);
    this.raise({ code, flags: ExceptionFlag.NONCONTINUABLE, address: regs.rip, nested: record }, regs);
    return CONTINUE;
  }

  /**
   * No frame handled the exception: a CPU fault ends the run as that fault; a raised exception is
   * KMODE_EXCEPTION_NOT_HANDLED with the code, the address and the first two parameters.
   */
  private unhandled(area: number): HandlerResult {
    const e = this.readRecord(area + AREA.record);
    const fault = this.faults.get(area);
    if (fault) {
      this.faults.delete(area);
      this.loadRegisters(this.readContext(area + AREA.context));
      this.unhandledFault = fault;
      this.ctx.stop(`unhandled exception 0x${e.code.toString(16)} at 0x${e.address.toString(16)}`);
      return undefined;
    }
    const parameters = [
      e.code,
      this.h(e.address),
      this.h(e.parameters[0] ?? 0n),
      this.h(e.parameters[1] ?? 0n),
    ];
    this.ctx.log.add({
      type: 'bugcheck',
      code: KMODE_EXCEPTION_NOT_HANDLED,
      parameters,
      caller: this.h(e.address),
    });
    this.ctx.stop(
      `bugcheck 0x1E KMODE_EXCEPTION_NOT_HANDLED (exception 0x${e.code.toString(16)} at 0x${e.address.toString(16)})`,
    );
    return undefined;
  }

  // ---- RtlUnwindEx ----

  /** RtlRaiseStatus of a noncontinuable `code` where the guest is now. */
  private raiseNoncontinuable(code: number): HandlerResult {
    const regs = this.registers();
    this.raise({ code, flags: ExceptionFlag.NONCONTINUABLE, address: regs.rip, nested: 0 }, regs);
    return CONTINUE;
  }

  /**
   * RtlRestoreContext at an unwind's target: `frame` goes on at `targetIp` with RAX = `returnValue`;
   * the dispatches whose records lie below the target frame are over (their frames are gone).
   */
  private resume(frame: Registers64, targetIp: bigint, returnValue: bigint): HandlerResult {
    frame.rip = targetIp;
    frame.gpr[0] = returnValue;
    this.loadRegisters(frame);
    const rsp = this.h(frame.gpr[RSP]!);
    while (this.active.length > 0 && this.active.at(-1)!.area < rsp) this.active.pop();
    return CONTINUE;
  }

  /**
   * RtlUnwindEx(TargetFrame, TargetIp, ExceptionRecord, ReturnValue, ContextRecord, HistoryTable):
   * from `start` (the caller's context) each frame is unwound virtually; a frame with an unwind
   * handler gets it called with EXCEPTION_UNWINDING (and EXCEPTION_TARGET_UNWIND at the target) until
   * the frame whose establisher frame is `target`; then that frame's context goes on at `targetIp`
   * with RAX = `returnValue` (RtlRestoreContext). The walk passes over the dispatcher's own frames
   * (a handler's return into the kernel) to the exception's context, as Windows' unwind passes
   * through KiDispatchException and the trap frame.
   */
  unwindEx(
    target: bigint,
    targetIp: bigint,
    givenRecord: number,
    returnValue: bigint,
    /** The caller's context; null: a host routine's call from within a dispatch (its exception's context). */
    start: Registers64 | null,
  ): HandlerResult {
    const from =
      start ?? (this.active.length > 0 ? this.readContext(this.active.at(-1)!.area + AREA.context) : null);
    if (!from)
      return this.raiseFromHandler({ code: ExceptionCode.BAD_STACK, flags: ExceptionFlag.NONCONTINUABLE });
    const block = this.ctx.pool.allocate(
      EXCEPTION_RECORD64.size + DISPATCHER_CONTEXT.size + CONTEXT64.size,
      0,
      'Unwd',
      'kernel',
    );
    if (block === null)
      return this.raiseFromHandler({ code: 0xc000009a, flags: ExceptionFlag.NONCONTINUABLE });
    const dispatcher = block;
    const contextRecord = block + DISPATCHER_CONTEXT.size;
    let record = givenRecord;
    if (record === 0) {
      record = contextRecord + CONTEXT64.size;
      this.writeRecord(record, { code: ExceptionCode.UNWIND, flags: 0, address: from.rip });
    }
    this.setFlags(record, ExceptionFlag.UNWINDING | (target === 0n ? ExceptionFlag.EXIT_UNWIND : 0));
    const fail = (code: number): HandlerResult => {
      this.ctx.pool.free(block);
      return this.raiseNoncontinuable(code);
    };
    const finish = (frame: Registers64): HandlerResult => {
      this.ctx.pool.free(block);
      return this.resume(frame, targetIp, returnValue);
    };
    let walk = copy(from);
    let walked = 0;
    const slot = this.g(this.continuationSlot);
    // The dispatch whose handler call the walk returns into next: the innermost one, above the
    // caller's frames, or the one below it when the walk starts at the innermost exception's context.
    let nextDispatch = start ? this.active.length - 1 : this.active.length - 2;
    const step = (): HandlerResult => {
      if (++walked > MAX_FRAMES) return fail(ExceptionCode.BAD_STACK);
      if (walk.rip === slot) {
        // A handler's return into the dispatcher: go on from that exception's own context.
        const d = this.active[nextDispatch--];
        if (!d) return fail(ExceptionCode.BAD_STACK);
        walk = this.readContext(d.area + AREA.context);
        return step();
      }
      const frame = copy(walk);
      const pc = walk.rip;
      let found: ReturnType<X64ExceptionDispatcher['functionOf']>;
      let result: ReturnType<typeof virtualUnwind> | null = null;
      try {
        found = this.functionOf(pc);
        if (!found) return fail(ExceptionCode.BAD_STACK);
        if (found.entry)
          result = virtualUnwind(this.memory, UnwindFlag.UHANDLER, found.imageBase, pc, found.entry, walk);
        else unwindLeaf(this.memory, walk);
      } catch (err) {
        if (!(err instanceof GuestAccessError || err instanceof UnwindDataError)) throw err;
        return fail(ExceptionCode.BAD_STACK);
      }
      const establisher = result?.establisherFrame ?? frame.gpr[RSP]!;
      if (!this.frameValid(establisher)) return fail(ExceptionCode.BAD_STACK);
      if (walk.gpr[RSP]! <= frame.gpr[RSP]!) return fail(ExceptionCode.BAD_STACK);
      const next = (): HandlerResult => (establisher === target ? finish(frame) : step());
      if (!result?.handler || !found.entry) return next();
      if (target !== 0n && establisher > target) return fail(ExceptionCode.INVALID_UNWIND_TARGET);
      if (establisher === target) this.setFlags(record, ExceptionFlag.TARGET_UNWIND);
      this.writeContext(contextRecord, frame);
      this.writeDispatcherContext(dispatcher, {
        controlPc: pc,
        imageBase: found.imageBase,
        entry: found.entry.address,
        establisherFrame: establisher,
        targetIp,
        contextRecord,
        handler: result.handler,
        handlerData: result.handlerData,
      });
      return guestCall(
        this.h(result.handler),
        [record, this.h(establisher), contextRecord, dispatcher],
        (rax) => {
          if (rax >>> 0 !== Disposition.ContinueSearch) return fail(ExceptionCode.INVALID_DISPOSITION);
          this.setFlags(record, 0, ExceptionFlag.COLLIDED_UNWIND);
          return next();
        },
      );
    };
    return step();
  }

  /** The window's guest address of host address `a`. */
  guest(a: number): bigint {
    return this.g(a);
  }
  /** The host address (or low 32 bits) of guest value `v`. */
  host(v: bigint): number {
    return this.h(v);
  }
  /** A 64-bit guest value at host address `at`. */
  readU64(at: number): bigint {
    return this.u64(at);
  }
  writeU64(at: number, v: bigint): void {
    this.setU64(at, v);
  }
  /** RtlLookupFunctionEntry: the image and RUNTIME_FUNCTION of `pc`, or null (a leaf, or no image). */
  lookup(pc: bigint): { imageBase: bigint; entry: FunctionEntry | null } | null {
    return this.functionOf(pc);
  }
}
