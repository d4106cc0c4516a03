// Structured exception handling on x86 as NT's kernel does it: an exception (raised by a routine or a
// CPU fault in driver code) is written to the guest stack as an EXCEPTION_RECORD and a CONTEXT, and
// KiDispatchException walks the FS:[0] chain of EXCEPTION_REGISTRATION_RECORDs, calling each handler
// as guest code (RtlDispatchException); RtlUnwind calls them again with the unwinding flags and
// unlinks them. Follows the WRK's base/ntos/rtl/i386/exdsptch.c and ReactOS's sdk/lib/rtl/i386/except.c
// (RtlDispatchException, RtlUnwind) and ntoskrnl/ke/i386/exp.c (KiDispatchException); see
// docs/exceptions.md for what is modelled.
import type { FaultKind, RunResult, X86Cpu, X86Reg } from '../../cpu/engine.js';
import { GDT_ADDRESS, KERNEL_STACK } from '../../cpu/x86-setup.js';
import type { KernelContext } from '../context.js';
import { GuestAccessError } from '../guest.js';
import {
  defineExport,
  type ExportHandler,
  type GuestCall,
  guestCall,
  type HandlerResult,
} from '../registry.js';
import { SEH_CODE, SehRoutine, sehCode } from './code.js';
import {
  CHAIN_END,
  CONTEXT,
  CONTEXT_FULL,
  Disposition,
  EFLAGS_TF,
  EXCEPTION_MAXIMUM_PARAMETERS,
  EXCEPTION_RECORD,
  ExceptionCode,
  ExceptionFlag,
  KMODE_EXCEPTION_NOT_HANDLED,
  REGISTRATION,
} from './layout.js';

/** An exception to raise: what goes into its EXCEPTION_RECORD. */
export interface ExceptionSpec {
  code: number;
  flags: number;
  address: number;
  parameters?: readonly number[];
  /** The record this one is raised during (ExceptionRecord field), 0 for none. */
  nested?: number;
}

/** The registers a CONTEXT holds that the dispatcher reads and restores. */
type Registers = Record<
  'eax' | 'ebx' | 'ecx' | 'edx' | 'esi' | 'edi' | 'ebp' | 'esp' | 'eip' | 'eflags',
  number
>;

/** The handler result that says the CPU already holds the state to go on with (NtContinue). */
export const CONTINUE: HandlerResult = { kind: 'continue' };

/** Most frames one dispatch or unwind walks (a chain longer than this is taken as a loop). */
const MAX_FRAMES = 4096;
/** The dispatcher's code page as install writes it (sehCode is fixed): built once, never written to. */
let codePage: Uint8Array | null = null;
/** Bytes left free below the faulting ESP before the records (NT's trap frame sits there). */
const RED_ZONE = 0x40;
const DISPATCH_AREA = EXCEPTION_RECORD.size + CONTEXT.size + 4;
const CONTEXT_REGS: [keyof Registers, number][] = [
  ['edi', CONTEXT.Edi],
  ['esi', CONTEXT.Esi],
  ['ebx', CONTEXT.Ebx],
  ['edx', CONTEXT.Edx],
  ['ecx', CONTEXT.Ecx],
  ['eax', CONTEXT.Eax],
  ['ebp', CONTEXT.Ebp],
  ['eip', CONTEXT.Eip],
  ['eflags', CONTEXT.EFlags],
  ['esp', CONTEXT.Esp],
];

/** The exception a CPU fault is, as NT's trap handlers (KiTrap00, 03, 06, 0E…) raise it, or null. */
export function faultException(run: Extract<RunResult, { kind: 'fault' }>): ExceptionSpec | null {
  const at = run.pc;
  const kinds: Record<FaultKind, () => ExceptionSpec | null> = {
    // KiTrap0E: STATUS_ACCESS_VIOLATION, [0 read / 1 write, the address] (an x86 of NT 3.51's day has no
    // execute protection: a fetch is a read).
    unmapped: () => ({
      code: ExceptionCode.ACCESS_VIOLATION,
      flags: 0,
      address: at,
      parameters: [run.access === 'write' ? 1 : 0, run.address],
    }),
    protection: () => kinds.unmapped(),
    'invalid-instruction': () => ({ code: ExceptionCode.ILLEGAL_INSTRUCTION, flags: 0, address: at }),
    exception: () => {
      const byVector: Record<number, ExceptionSpec> = {
        0: { code: ExceptionCode.INTEGER_DIVIDE_BY_ZERO, flags: 0, address: at },
        // KiTrap01: STATUS_SINGLE_STEP. A trap: EIP is already the next instruction. KiTrap01 clears TF
        // in the trap frame first (deliverFault), so the CONTEXT has it clear: a handler that continues
        // stops stepping unless it sets TF there again.
        1: { code: ExceptionCode.SINGLE_STEP, flags: 0, address: at },
        // KiTrap03: STATUS_BREAKPOINT with BREAKPOINT_BREAK (0); no kernel debugger takes it.
        3: { code: ExceptionCode.BREAKPOINT, flags: 0, address: at, parameters: [0] },
        4: { code: ExceptionCode.INTEGER_OVERFLOW, flags: 0, address: at },
        5: { code: ExceptionCode.ARRAY_BOUNDS_EXCEEDED, flags: 0, address: at },
        6: { code: ExceptionCode.ILLEGAL_INSTRUCTION, flags: 0, address: at },
      };
      return run.vector !== undefined ? (byVector[run.vector] ?? null) : null;
    },
  };
  return kinds[run.fault]();
}

/**
 * The trap number NT stops the system on when a CPU fault of this vector hits kernel-mode code, or
 * null: KiTrap08 (double fault), KiTrap09 (coprocessor segment overrun), KiTrap0A (invalid TSS),
 * KiTrap0B (segment not present), KiTrap0C (stack fault) and KiTrap0D (general protection) go to
 * KiSystemFatalException, which is KeBugCheckEx(UNEXPECTED_KERNEL_MODE_TRAP, trap, 0, 0, 0); no
 * handler on the FS:[0] chain is asked (trap.asm's "if previous mode = Kernel, the system will be
 * terminated"; their fix-ups of NT's own trap-exit code, pop of a segment register and iret, cannot
 * apply to driver code).
 */
export function fatalTrap(run: Extract<RunResult, { kind: 'fault' }>): number | null {
  return run.fault === 'exception' && run.vector !== undefined && FATAL_TRAPS.has(run.vector)
    ? run.vector
    : null;
}
const FATAL_TRAPS: ReadonlySet<number> = new Set([8, 9, 10, 11, 12, 13]);

/**
 * The dispatcher of one emulated kernel (x86 only). `install` maps its code page and host routine;
 * handlers raise through `raise`, the kernel delivers CPU faults through `deliverFault`.
 */
export class ExceptionDispatcher {
  /** KiDispatchException's host-routine address. */
  private dispatcherAddress = 0;
  /** The CPU fault being dispatched, by its record's address: ends the run as that fault if unhandled. */
  private readonly faults = new Map<number, Extract<RunResult, { kind: 'fault' }>>();
  /** Set when an exception raised by a CPU fault found no handler: the run ends as this fault. */
  unhandledFault: Extract<RunResult, { kind: 'fault' }> | null = null;

  constructor(
    private readonly cpu: X86Cpu,
    private readonly ctx: KernelContext,
  ) {}

  /** Maps the handler-call code and registers KiDispatchException as a host routine. */
  install(hostRoutine: (h: ExportHandler) => number): void {
    this.cpu.map(SEH_CODE, 0x1000, { read: true, write: false, execute: true });
    // The whole page in one write (the code, then zeros as mapping leaves them): the engine then
    // need not zero the page first. The same bytes every time, built once (the engine copies them).
    if (!codePage) {
      codePage = new Uint8Array(0x1000);
      codePage.set(sehCode());
    }
    this.cpu.write(SEH_CODE, codePage);
    this.dispatcherAddress = hostRoutine(ExceptionDispatcher.dispatcherHandler);
  }

  /** Forgets the faults of an earlier call (the kernel starts each host call with a fresh stack). */
  reset(): void {
    this.faults.clear();
    this.unhandledFault = null;
  }

  // ---- the FS:[0] chain and the stack ----

  /** The base of the segment FS selects (the current processor's KPCR), from the GDT. */
  private pcr(): number {
    const d = this.ctx.mem.bytes(GDT_ADDRESS + (this.cpu.reg('fs') & ~7), 8, 'GDT entry of FS');
    return (d[2]! | (d[3]! << 8) | (d[4]! << 16) | (d[7]! << 24)) >>> 0;
  }
  /** FS:[0], NtTib.ExceptionList. */
  head(): number {
    return this.ctx.mem.u32(this.pcr(), 'KPCR.NtTib.ExceptionList');
  }
  private setHead(frame: number): void {
    this.ctx.mem.setU32(this.pcr(), frame, 'KPCR.NtTib.ExceptionList');
  }
  /** NtTib.StackLimit and StackBase (the kernel stack when a PCR has none). */
  private stackBounds(): { low: number; high: number } {
    const pcr = this.pcr();
    const high = this.ctx.mem.u32(pcr + 4);
    const low = this.ctx.mem.u32(pcr + 8);
    return high > low
      ? { low, high }
      : { low: KERNEL_STACK.base, high: KERNEL_STACK.base + KERNEL_STACK.size };
  }
  /** RtlDispatchException's test: the record lies in the stack and is 4-byte aligned. */
  private frameValid(frame: number): boolean {
    const { low, high } = this.stackBounds();
    return frame >= low && frame + REGISTRATION.size <= high && (frame & 3) === 0;
  }

  // ---- records ----

  private writeRecord(at: number, e: ExceptionSpec): void {
    const m = this.ctx.mem;
    const params = (e.parameters ?? []).slice(0, EXCEPTION_MAXIMUM_PARAMETERS);
    m.write(at, new Uint8Array(EXCEPTION_RECORD.size), 'EXCEPTION_RECORD');
    m.setU32(at + EXCEPTION_RECORD.ExceptionCode, e.code);
    m.setU32(at + EXCEPTION_RECORD.ExceptionFlags, e.flags);
    m.setU32(at + EXCEPTION_RECORD.ExceptionRecord, e.nested ?? 0);
    m.setU32(at + EXCEPTION_RECORD.ExceptionAddress, e.address);
    m.setU32(at + EXCEPTION_RECORD.NumberParameters, params.length);
    params.forEach((p, i) => {
      m.setU32(at + EXCEPTION_RECORD.ExceptionInformation + 4 * i, p);
    });
  }
  private readRecord(at: number): ExceptionSpec & { parameters: number[] } {
    const m = this.ctx.mem;
    const count = Math.min(m.u32(at + EXCEPTION_RECORD.NumberParameters), EXCEPTION_MAXIMUM_PARAMETERS);
    return {
      code: m.u32(at + EXCEPTION_RECORD.ExceptionCode),
      flags: m.u32(at + EXCEPTION_RECORD.ExceptionFlags),
      nested: m.u32(at + EXCEPTION_RECORD.ExceptionRecord),
      address: m.u32(at + EXCEPTION_RECORD.ExceptionAddress),
      parameters: Array.from({ length: count }, (_, i) =>
        m.u32(at + EXCEPTION_RECORD.ExceptionInformation + 4 * i),
      ),
    };
  }
  private writeContext(at: number, regs: Registers): void {
    const m = this.ctx.mem;
    m.write(at, new Uint8Array(CONTEXT.size), 'CONTEXT');
    m.setU32(at + CONTEXT.ContextFlags, CONTEXT_FULL);
    for (const [reg, off] of CONTEXT_REGS) m.setU32(at + off, regs[reg]);
    const seg: [X86Reg, number][] = [
      ['gs', CONTEXT.SegGs],
      ['fs', CONTEXT.SegFs],
      ['es', CONTEXT.SegEs],
      ['ds', CONTEXT.SegDs],
      ['cs', CONTEXT.SegCs],
      ['ss', CONTEXT.SegSs],
    ];
    for (const [reg, off] of seg) m.setU32(at + off, this.cpu.reg(reg));
  }
  /** The CPU's integer and control registers now. */
  registers(): Registers {
    const r = (n: X86Reg) => this.cpu.reg(n);
    return {
      eax: r('eax'),
      ebx: r('ebx'),
      ecx: r('ecx'),
      edx: r('edx'),
      esi: r('esi'),
      edi: r('edi'),
      ebp: r('ebp'),
      esp: r('esp'),
      eip: r('eip'),
      eflags: r('eflags'),
    };
  }
  /** NtContinue: the CPU takes the registers the CONTEXT at `at` holds (segments stay as they are). */
  private loadContext(at: number): void {
    const m = this.ctx.mem;
    const values = CONTEXT_REGS.map(([reg, off]) => [reg, m.u32(at + off, 'CONTEXT')] as const);
    // Reserved bit 1 of EFLAGS is always set; the rest is the handler's choice (as KiContinue's).
    for (const [reg, value] of values) this.cpu.setReg(reg, reg === 'eflags' ? (value | 2) >>> 0 : value);
  }

  // ---- raising ----

  /**
   * Raises `e` with the CPU state `regs` (Eip and Esp: where execution goes on if a handler continues
   * it): writes the records below the stack in use and sends the guest to KiDispatchException. The
   * caller then leaves the CPU as it is (a handler returns CONTINUE). Throws GuestAccessError when the
   * stack cannot hold the records.
   */
  raise(e: ExceptionSpec, regs: Registers): void {
    const below = Math.min(this.cpu.reg('esp'), regs.esp) >>> 0;
    const area = ((below - RED_ZONE - DISPATCH_AREA) & ~0xf) >>> 0;
    const record = area;
    const context = area + EXCEPTION_RECORD.size;
    this.faults.delete(record); // a record left here by a fault whose handler unwound past it
    this.writeRecord(record, e);
    this.writeContext(context, regs);
    this.ctx.mem.setU32(area + EXCEPTION_RECORD.size + CONTEXT.size, 0); // DispatcherContext
    // KiDispatchException(ExceptionRecord, ContextRecord) is "called" with a return address no one uses.
    const esp = area - 12;
    this.ctx.mem.setU32(esp, 0);
    this.ctx.mem.setU32(esp + 4, record);
    this.ctx.mem.setU32(esp + 8, context);
    this.cpu.setReg('esp', esp);
    this.cpu.setReg('eip', this.dispatcherAddress);
    this.ctx.log.add({
      type: 'exception',
      code: e.code >>> 0,
      flags: e.flags,
      address: e.address >>> 0,
      parameters: [...(e.parameters ?? [])],
    });
  }

  /**
   * Raises from inside an export handler whose routine pops `argBytes` of arguments: the CONTEXT is
   * the caller's state after the routine's return (what RtlRaiseException captures), and the
   * exception's address is the return address unless `e` names one.
   */
  raiseFromHandler(
    e: Omit<ExceptionSpec, 'address'> & { address?: number },
    argBytes: number,
  ): HandlerResult {
    const regs = this.registers();
    const ret = this.ctx.mem.u32(regs.esp, 'return address');
    regs.eip = ret;
    regs.esp = (regs.esp + 4 + argBytes) >>> 0;
    this.raise({ ...e, address: e.address ?? ret }, regs);
    return CONTINUE;
  }

  /**
   * A CPU fault in guest code: when the chain has a frame, sends the guest to the dispatcher and
   * returns true (the kernel resumes the run); false leaves the fault as the run's end (an empty
   * chain, an exception NT has no dispatch for, or a stack that cannot hold the records).
   */
  deliverFault(run: Extract<RunResult, { kind: 'fault' }>): boolean {
    const e = faultException(run);
    if (!e) return false;
    try {
      if (this.head() === CHAIN_END) return false;
      const regs = this.registers();
      regs.eip = run.pc;
      if (e.code === ExceptionCode.SINGLE_STEP) regs.eflags = (regs.eflags & ~EFLAGS_TF) >>> 0;
      this.raise(e, regs);
      // The CPU enters a trap gate with TF clear: the dispatcher and handlers are not single-stepped.
      this.cpu.setReg('eflags', (regs.eflags & ~EFLAGS_TF) >>> 0);
      this.faults.set(this.ctx.mem.u32(this.cpu.reg('esp') + 4), run);
      return true;
    } catch (err) {
      if (!(err instanceof GuestAccessError)) throw err;
      return false; // the stack cannot hold the records, or the PCR is unreadable: the fault stands
    }
  }

  // ---- RtlDispatchException ----

  /**
   * KiDispatchException's handler, one for every kernel (a handler made per kernel had its prototype
   * parsed again in each boot that raised): it reaches the dispatcher of the calling kernel's context.
   */
  private static readonly dispatcherHandler: ExportHandler = defineExport({
    module: 'nt351',
    prototype: 'VOID KiDispatchException(PEXCEPTION_RECORD ExceptionRecord, PCONTEXT ContextRecord)',
    impl: (ctx, [record, context]) => {
      if (!ctx.exceptions) throw new Error('KiDispatchException called in a kernel without x86 SEH');
      return ctx.exceptions.dispatch(record!, context!);
    },
  });

  /** RtlDispatchException then KiDispatchException's second chance (KMODE_EXCEPTION_NOT_HANDLED). */
  private dispatch(record: number, context: number): HandlerResult {
    const dispatcherContext = record + EXCEPTION_RECORD.size + CONTEXT.size;
    let nestedFrame = 0;
    let previous = 0;
    let walked = 0;
    const flags = (set: number, clear = 0) => {
      const f = this.ctx.mem.u32(record + EXCEPTION_RECORD.ExceptionFlags);
      this.ctx.mem.setU32(record + EXCEPTION_RECORD.ExceptionFlags, (f | set) & ~clear);
    };
    const step = (frame: number): HandlerResult => {
      if (frame === CHAIN_END) return this.unhandled(record, context);
      // A frame outside the stack or misaligned, or a chain that does not climb the stack (a loop):
      // EXCEPTION_STACK_INVALID, and the exception is not handled (model: NT checks only the bounds).
      if (!this.frameValid(frame) || frame <= previous || ++walked > MAX_FRAMES) {
        flags(ExceptionFlag.STACK_INVALID);
        return this.unhandled(record, context);
      }
      previous = frame;
      const handler = this.ctx.mem.u32(frame + REGISTRATION.Handler, 'EXCEPTION_REGISTRATION_RECORD');
      return this.callHandler(
        SehRoutine.ExecuteHandlerForException,
        [record, frame, context, dispatcherContext, handler],
        (disposition) => {
          if (frame === nestedFrame) {
            flags(0, ExceptionFlag.NESTED_CALL);
            nestedFrame = 0;
          }
          switch (disposition) {
            case Disposition.ContinueExecution:
              if (this.ctx.mem.u32(record + EXCEPTION_RECORD.ExceptionFlags) & ExceptionFlag.NONCONTINUABLE)
                return this.raiseNested(ExceptionCode.NONCONTINUABLE_EXCEPTION, record);
              this.faults.delete(record);
              this.loadContext(context);
              return CONTINUE;
            case Disposition.ContinueSearch:
              break;
            case Disposition.NestedException: {
              flags(ExceptionFlag.NESTED_CALL);
              const pointer = this.ctx.mem.u32(dispatcherContext);
              if (pointer > nestedFrame) nestedFrame = pointer;
              break;
            }
            default:
              return this.raiseNested(ExceptionCode.INVALID_DISPOSITION, record);
          }
          return step(this.ctx.mem.u32(frame + REGISTRATION.Next, 'EXCEPTION_REGISTRATION_RECORD'));
        },
      );
    };
    return step(this.head());
  }

  /** A guest call of a handler through the code page's RtlpExecuteHandler (stdcall, 5 arguments). */
  private callHandler(routine: number, args: number[], onReturn: (d: number) => HandlerResult): GuestCall {
    return guestCall(routine, args, (eax) => onReturn(eax >>> 0));
  }

  /** RtlRaiseException of a noncontinuable status about `record` from inside the dispatcher. */
  private raiseNested(code: number, record: number): HandlerResult {
    const regs = this.registers();
    regs.eip = this.dispatcherAddress;
    this.raise(
      { code, flags: ExceptionFlag.NONCONTINUABLE, address: this.dispatcherAddress, nested: record },
      regs,
    );
    return CONTINUE;
  }

  /**
   * No frame handled the exception. A CPU fault ends the run as that fault (the registers as at the
   * fault, so the report shows it as before); a raised exception is KMODE_EXCEPTION_NOT_HANDLED with the
   * code, the address and the first two parameters (the bugcheck's documented arguments).
   */
  private unhandled(record: number, context: number): HandlerResult {
    const e = this.readRecord(record);
    const fault = this.faults.get(record);
    if (fault) {
      this.faults.delete(record);
      this.loadContext(context);
      this.unhandledFault = fault;
      this.ctx.stop(`unhandled exception 0x${e.code.toString(16)} at 0x${e.address.toString(16)}`);
      return undefined;
    }
    const parameters = [e.code, e.address, e.parameters[0] ?? 0, e.parameters[1] ?? 0];
    this.ctx.log.add({ type: 'bugcheck', code: KMODE_EXCEPTION_NOT_HANDLED, parameters, caller: e.address });
    this.ctx.stop(
      `bugcheck 0x1E KMODE_EXCEPTION_NOT_HANDLED (exception 0x${e.code.toString(16)} at 0x${e.address.toString(16)})`,
    );
    return undefined;
  }

  // ---- RtlUnwind ----

  /**
   * RtlUnwind(TargetFrame, TargetIp, ExceptionRecord, ReturnValue): calls the handlers of the frames
   * above `target` with EXCEPTION_UNWINDING (and EXCEPTION_EXIT_UNWIND when `target` is 0), unlinking
   * each from FS:[0]; then returns `returnValue` to its caller with the callee-saved registers as at
   * the call (NT's ZwContinue to the context it captured). `argBytes`: what RtlUnwind pops.
   */
  unwind(
    target: number,
    givenRecord: number,
    returnValue: number,
    argBytes: number,
    /** Called instead of returning to RtlUnwind's caller (a language handler's global unwind). */
    then?: () => HandlerResult,
  ): HandlerResult {
    const mem = this.ctx.mem;
    const saved = this.registers();
    const returnAddress = mem.u32(saved.esp, 'return address');
    // Model: the records RtlUnwind builds on its own stack live in a pool block (the guest calls it
    // makes reuse the stack below its frame), freed when it returns.
    const block = this.ctx.pool.allocate(DISPATCH_AREA, 0, 'Unwd', 'kernel');
    if (block === null)
      return this.raiseFromHandler({ code: 0xc000009a, flags: ExceptionFlag.NONCONTINUABLE }, argBytes);
    const record = block;
    const context = block + EXCEPTION_RECORD.size;
    const dispatcherContext = context + CONTEXT.size;
    if (givenRecord !== 0)
      mem.write(record, mem.bytes(givenRecord, EXCEPTION_RECORD.size, 'EXCEPTION_RECORD'));
    else this.writeRecord(record, { code: ExceptionCode.UNWIND, flags: 0, address: returnAddress });
    const flagSet = ExceptionFlag.UNWINDING | (target === 0 ? ExceptionFlag.EXIT_UNWIND : 0);
    mem.setU32(
      record + EXCEPTION_RECORD.ExceptionFlags,
      mem.u32(record + EXCEPTION_RECORD.ExceptionFlags) | flagSet,
    );
    const after = { ...saved, eip: returnAddress, esp: (saved.esp + 4 + argBytes) >>> 0, eax: returnValue };
    this.writeContext(context, after);
    const finish = (): HandlerResult => {
      this.ctx.pool.free(block);
      for (const reg of ['ebx', 'esi', 'edi', 'ebp'] as const) this.cpu.setReg(reg, saved[reg]);
      return then ? then() : returnValue;
    };
    const fail = (code: number): HandlerResult => {
      this.ctx.pool.free(block);
      const regs = { ...after };
      regs.eip = returnAddress;
      this.raise({ code, flags: ExceptionFlag.NONCONTINUABLE, address: returnAddress, nested: 0 }, regs);
      return CONTINUE;
    };
    let walked = 0;
    const step = (frame: number): HandlerResult => {
      if (frame === CHAIN_END) {
        if (target === CHAIN_END) return finish();
        // An exit unwind, or a target not on the chain: ZwRaiseException of the unwind's record.
        const e = this.readRecord(record);
        this.ctx.pool.free(block);
        this.raise({ ...e, nested: 0 }, { ...after });
        return CONTINUE;
      }
      if (frame === target) return finish();
      if (target !== 0 && target < frame) return fail(ExceptionCode.INVALID_UNWIND_TARGET);
      if (!this.frameValid(frame) || ++walked > MAX_FRAMES) return fail(ExceptionCode.BAD_STACK);
      const handler = mem.u32(frame + REGISTRATION.Handler, 'EXCEPTION_REGISTRATION_RECORD');
      mem.setU32(dispatcherContext, 0);
      return this.callHandler(
        SehRoutine.ExecuteHandlerForUnwind,
        [record, frame, context, dispatcherContext, handler],
        (disposition) => {
          let done = frame;
          if (disposition === Disposition.CollidedUnwind) done = mem.u32(dispatcherContext);
          else if (disposition !== Disposition.ContinueSearch) return fail(ExceptionCode.INVALID_DISPOSITION);
          const next = mem.u32(done + REGISTRATION.Next, 'EXCEPTION_REGISTRATION_RECORD');
          this.setHead(next);
          return step(next);
        },
      );
    };
    return step(this.head());
  }
}
