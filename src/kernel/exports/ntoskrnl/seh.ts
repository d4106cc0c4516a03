// Raising and unwinding exports (ntoskrnl!ExRaise*, RtlRaiseException, RtlUnwind, ProbeFor*): on x86
// they raise through the structured exception dispatcher (src/kernel/seh/dispatch.ts), so a driver's
// handlers on the FS:[0] chain see them, on AMD64 through the table-based one (dispatch64.ts), which
// adds the x64 routines (RtlLookupFunctionEntry, RtlVirtualUnwind, RtlUnwindEx, RtlCaptureContext,
// __C_specific_handler); without one (Alpha) an exception is KMODE_EXCEPTION_NOT_HANDLED.
import type { KernelContext } from '../../context.js';
import { calleeCleanup, defineExport, type ExportHandler, type HandlerResult } from '../../registry.js';
import { cSpecificHandler } from '../../seh/c-specific.js';
import { EH4_FORMAT, LanguageHandler } from '../../seh/language.js';
import { Disposition, ExceptionCode, ExceptionFlag } from '../../seh/layout.js';
import { CONTEXT64 } from '../../seh/layout64.js';
import { type Context64, virtualUnwind } from '../../seh/unwind64.js';

/** MmUserProbeAddress on x86 (the DDK's ProbeFor* bound; data.ts exports the same value). */
const USER_PROBE_ADDRESS = 0x7fff0000;
const PAGE = 0x1000;

/**
 * RtlRaiseStatus as ExRaiseStatus and the ExRaise* routines use it: a noncontinuable exception with
 * no parameters, raised at the caller's return address (model: NT's record names an address inside
 * the raising routine; the driver's return address is what a report reader needs).
 */
function raiseStatus(
  ctx: KernelContext,
  h: ExportHandler,
  status: number,
  parameters: number[] = [],
): HandlerResult {
  if (ctx.exceptions64)
    return ctx.exceptions64.raiseFromHandler({
      code: status,
      flags: ExceptionFlag.NONCONTINUABLE,
      parameters: parameters.map((p) => BigInt(p >>> 0)),
    });
  const seh = ctx.exceptions;
  if (!seh) {
    ctx.log.add({ type: 'bugcheck', code: 0x1e, parameters: [status, ctx.caller, 0, 0], caller: ctx.caller });
    ctx.stop(`bugcheck 0x1E KMODE_EXCEPTION_NOT_HANDLED (${h.name} 0x${(status >>> 0).toString(16)})`);
    return undefined;
  }
  return seh.raiseFromHandler(
    { code: status, flags: ExceptionFlag.NONCONTINUABLE, parameters },
    calleeCleanup(h),
  );
}

export const ExRaiseStatus: ExportHandler = defineExport({
  module: 'ntoskrnl',
  prototype: 'VOID ExRaiseStatus(NTSTATUS Status)',
  impl: (ctx, [status]) => raiseStatus(ctx, ExRaiseStatus, status!),
});

export const ExRaiseAccessViolation: ExportHandler = defineExport({
  module: 'ntoskrnl',
  prototype: 'VOID ExRaiseAccessViolation(VOID)',
  impl: (ctx) => raiseStatus(ctx, ExRaiseAccessViolation, ExceptionCode.ACCESS_VIOLATION),
});

export const ExRaiseDatatypeMisalignment: ExportHandler = defineExport({
  module: 'ntoskrnl',
  prototype: 'VOID ExRaiseDatatypeMisalignment(VOID)',
  impl: (ctx) => raiseStatus(ctx, ExRaiseDatatypeMisalignment, ExceptionCode.DATATYPE_MISALIGNMENT),
});

/**
 * RtlRaiseException: the caller's record (code, flags, parameters) raised at the caller's return
 * address; a handler that continues execution returns the guest to just after the call.
 */
export const RtlRaiseException: ExportHandler = defineExport({
  module: 'ntoskrnl',
  prototype: 'VOID RtlRaiseException(IN PEXCEPTION_RECORD ExceptionRecord)',
  impl(ctx, [record]) {
    const m = ctx.mem;
    const code = m.u32(record!, 'EXCEPTION_RECORD');
    const x64 = ctx.exceptions64;
    if (x64) {
      // As Windows x64's RtlRaiseException: the record's ExceptionAddress becomes the return address.
      const { address: _, ...e } = x64.readRecord(record!);
      return x64.raiseFromHandler(e);
    }
    if (!ctx.exceptions) return raiseStatus(ctx, RtlRaiseException, code);
    const count = Math.min(m.u32(record! + 0x10, 'EXCEPTION_RECORD'), 15);
    const parameters = Array.from({ length: count }, (_, i) => m.u32(record! + 0x14 + 4 * i));
    return ctx.exceptions.raiseFromHandler(
      { code, flags: m.u32(record! + 4), nested: m.u32(record! + 8), parameters },
      calleeCleanup(RtlRaiseException),
    );
  },
});

/** AMD64's RtlUnwind/RtlUnwindEx: unwinds to TargetFrame/TargetIp with ReturnValue (R9) from the caller's registers. */
function unwindEx64(ctx: KernelContext, target: number, targetIp: number, record: number): HandlerResult {
  const x64 = ctx.exceptions64;
  if (!x64 || ctx.cpu.arch !== 'amd64') return undefined;
  return x64.unwindEx(
    x64.guest(target),
    x64.guest(targetIp),
    record,
    ctx.cpu.reg('r9'),
    x64.callerRegisters(),
  );
}

export const RtlUnwind: ExportHandler = defineExport({
  module: 'ntoskrnl',
  prototype:
    'VOID RtlUnwind(IN PVOID TargetFrame OPTIONAL, IN PVOID TargetIp OPTIONAL, IN PEXCEPTION_RECORD ExceptionRecord OPTIONAL, IN PVOID ReturnValue)',
  impl(ctx, [target, targetIp, record, value]) {
    if (ctx.exceptions64 && ctx.cpu.arch === 'amd64') return unwindEx64(ctx, target!, targetIp!, record!);
    if (!ctx.exceptions) return value;
    return ctx.exceptions.unwind(target!, record!, value!, calleeCleanup(RtlUnwind));
  },
});

/**
 * ProbeForRead/ProbeForWrite (ReactOS ntoskrnl/ex/exintrin.c, the DDK's semantics): a zero length
 * probes nothing; a misaligned address raises STATUS_DATATYPE_MISALIGNMENT; a range that wraps or
 * reaches MmUserProbeAddress raises STATUS_ACCESS_VIOLATION. ProbeForWrite then touches each page
 * for writing; a page that is not there is the page fault's access violation [1, address].
 */
function probe(
  ctx: KernelContext,
  h: ExportHandler,
  address: number,
  length: number,
  alignment: number,
  write: boolean,
) {
  if (length === 0) return undefined;
  if (alignment !== 0 && (address & (alignment - 1)) !== 0)
    return raiseStatus(ctx, h, ExceptionCode.DATATYPE_MISALIGNMENT);
  const end = address + length - 1;
  if (end > 0xffffffff || end >= USER_PROBE_ADDRESS)
    return raiseStatus(ctx, h, ExceptionCode.ACCESS_VIOLATION);
  if (!write) return undefined;
  for (let page = address; page <= end; page = (page & ~(PAGE - 1)) + PAGE) {
    try {
      const b = ctx.cpu.read(page >>> 0, 1);
      ctx.cpu.write(page >>> 0, b);
    } catch {
      return raiseStatus(ctx, h, ExceptionCode.ACCESS_VIOLATION, [1, page >>> 0]);
    }
  }
  return undefined;
}

export const ProbeForRead: ExportHandler = defineExport({
  module: 'ntoskrnl',
  prototype: 'VOID ProbeForRead(IN PVOID Address, IN SIZE_T Length, IN ULONG Alignment)',
  impl: (ctx, [a, l, al]) => probe(ctx, ProbeForRead, a!, l!, al!, false),
});

export const ProbeForWrite: ExportHandler = defineExport({
  module: 'ntoskrnl',
  prototype: 'VOID ProbeForWrite(IN PVOID Address, IN SIZE_T Length, IN ULONG Alignment)',
  impl: (ctx, [a, l, al]) => probe(ctx, ProbeForWrite, a!, l!, al!, true),
});

/** The compiler's SEH3 language handler and its helpers (src/kernel/seh/language.ts), x86 only. */
const language = (ctx: KernelContext) => (ctx.exceptions ? new LanguageHandler(ctx, ctx.exceptions) : null);

export const ExceptHandler3: ExportHandler = defineExport({
  module: 'ntoskrnl',
  prototype:
    'EXCEPTION_DISPOSITION __cdecl _except_handler3(PEXCEPTION_RECORD ExceptionRecord, PVOID EstablisherFrame, PCONTEXT ContextRecord, PVOID DispatcherContext)',
  impl: (ctx, [record, frame, context]) =>
    language(ctx)?.exceptHandler(record!, frame!, context!) ?? Disposition.ContinueSearch,
});

export const GlobalUnwind2: ExportHandler = defineExport({
  module: 'ntoskrnl',
  prototype: 'VOID __cdecl _global_unwind2(PVOID EstablisherFrame)',
  impl: (ctx, [frame]) => ctx.exceptions?.unwind(frame!, 0, 0, 0, () => undefined),
});

export const LocalUnwind2: ExportHandler = defineExport({
  module: 'ntoskrnl',
  prototype: 'VOID __cdecl _local_unwind2(PVOID EstablisherFrame, LONG StopLevel)',
  impl: (ctx, [frame, stop]) => language(ctx)?.localUnwind(frame!, stop! | 0, () => undefined),
});

/**
 * The /GS-era handler's common part (chandler4.c), which a driver's statically linked _except_handler4
 * stub calls with its image's cookie and cookie check routine: EH4 frames, whose scope table pointer
 * is XORed with the cookie. The CRT DLLs export it (Wine's msvcrt.spec); nt351 answers it in ntoskrnl.
 */
export const ExceptHandler4Common: ExportHandler = defineExport({
  module: 'ntoskrnl',
  prototype:
    'EXCEPTION_DISPOSITION __cdecl _except_handler4_common(PULONG CookiePointer, PVOID CookieCheckFunction, PEXCEPTION_RECORD ExceptionRecord, PVOID EstablisherFrame, PCONTEXT ContextRecord, PVOID DispatcherContext)',
  impl: (ctx, [cookie, check, record, frame, context]) =>
    ctx.exceptions
      ? new LanguageHandler(ctx, ctx.exceptions, EH4_FORMAT(ctx, cookie!, check!)).exceptHandler(
          record!,
          frame!,
          context!,
        )
      : Disposition.ContinueSearch,
});

/** _local_unwind4(CookiePointer, EstablisherFrame, TryLevel): an EH4 frame's __finally blocks out to TryLevel. */
export const LocalUnwind4: ExportHandler = defineExport({
  module: 'ntoskrnl',
  prototype: 'VOID __cdecl _local_unwind4(PULONG CookiePointer, PVOID EstablisherFrame, ULONG TryLevel)',
  impl: (ctx, [cookie, frame, stop]) =>
    ctx.exceptions
      ? new LanguageHandler(ctx, ctx.exceptions, EH4_FORMAT(ctx, cookie!, 0)).localUnwind(
          frame!,
          stop! | 0,
          () => undefined,
        )
      : undefined,
});

export const sehLanguageExports = [
  ExceptHandler3,
  GlobalUnwind2,
  LocalUnwind2,
  ExceptHandler4Common,
  LocalUnwind4,
];

// ---- AMD64 (src/kernel/seh/dispatch64.ts, unwind64.ts, c-specific.ts) ----

/** A DWORD64 argument from its two 32-bit halves (how `impl` receives 64-bit arguments). */
const qword = (lo: number, hi: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

/**
 * RtlLookupFunctionEntry: the RUNTIME_FUNCTION of the image's .pdata holding ControlPc, with the
 * image base written to *ImageBase; NULL for a leaf function or an address in no image (model: the
 * image is found from its headers in memory, not from the loaded-module list).
 */
export const RtlLookupFunctionEntry: ExportHandler = defineExport({
  module: 'ntoskrnl',
  prototype:
    'PRUNTIME_FUNCTION RtlLookupFunctionEntry(IN DWORD64 ControlPc, OUT PDWORD64 ImageBase, IN OUT PUNWIND_HISTORY_TABLE HistoryTable OPTIONAL)',
  impl(ctx, [lo, hi, imageBase]) {
    const x64 = ctx.exceptions64;
    if (!x64) return 0;
    const found = x64.lookup(qword(lo!, hi!));
    if (imageBase) x64.writeU64(imageBase, found?.imageBase ?? 0n);
    return found?.entry ? x64.host(found.entry.address) : 0;
  },
});

/**
 * RtlVirtualUnwind: unwinds the CONTEXT at ContextRecord by one frame (the function's unwind codes)
 * and returns its handler of HandlerType, with *HandlerData and *EstablisherFrame. ContextPointers is
 * not filled (model).
 */
export const RtlVirtualUnwind: ExportHandler = defineExport({
  module: 'ntoskrnl',
  prototype:
    'PEXCEPTION_ROUTINE RtlVirtualUnwind(IN ULONG HandlerType, IN DWORD64 ImageBase, IN DWORD64 ControlPc, IN PRUNTIME_FUNCTION FunctionEntry, IN OUT PCONTEXT ContextRecord, OUT PVOID *HandlerData, OUT PDWORD64 EstablisherFrame, IN OUT PKNONVOLATILE_CONTEXT_POINTERS ContextPointers OPTIONAL)',
  impl(ctx, [type, baseLo, baseHi, pcLo, pcHi, entry, context, handlerData, frame]) {
    const x64 = ctx.exceptions64;
    if (!x64) return 0;
    const m = ctx.mem;
    const regs = x64.readContext(context!);
    const fn = {
      address: x64.guest(entry!),
      begin: m.u32(entry!, 'RUNTIME_FUNCTION'),
      end: m.u32(entry! + 4, 'RUNTIME_FUNCTION'),
      unwindData: m.u32(entry! + 8, 'RUNTIME_FUNCTION'),
    };
    const c: Context64 = regs;
    const r = virtualUnwind(x64.memory, type!, qword(baseLo!, baseHi!), qword(pcLo!, pcHi!), fn, c);
    regs.gpr.forEach((v, i) => {
      x64.writeU64(context! + CONTEXT64.Rax + 8 * i, v);
    });
    x64.writeU64(context! + CONTEXT64.Rip, regs.rip);
    regs.xmm.forEach((v, i) => {
      x64.writeU64(context! + CONTEXT64.Xmm0 + 8 * i, v);
    });
    if (handlerData) x64.writeU64(handlerData, r.handlerData);
    if (frame) x64.writeU64(frame, r.establisherFrame);
    return r.handler === null ? 0 : x64.host(r.handler);
  },
});

/**
 * RtlUnwindEx: unwinds the frames below TargetFrame, calling their termination handlers, and
 * resumes TargetFrame's function at TargetIp with RAX = ReturnValue; does not return. ContextRecord
 * and HistoryTable are the caller's scratch space (model: the walk keeps its own).
 */
export const RtlUnwindEx: ExportHandler = defineExport({
  module: 'ntoskrnl',
  prototype:
    'VOID RtlUnwindEx(IN PVOID TargetFrame OPTIONAL, IN PVOID TargetIp OPTIONAL, IN PEXCEPTION_RECORD ExceptionRecord OPTIONAL, IN PVOID ReturnValue, IN PCONTEXT ContextRecord, IN PUNWIND_HISTORY_TABLE HistoryTable OPTIONAL)',
  impl(ctx, [target, targetIp, record]) {
    return unwindEx64(ctx, target!, targetIp!, record!);
  },
});

/** RtlCaptureContext: the caller's registers, RIP its return address and RSP above it. */
export const RtlCaptureContext: ExportHandler = defineExport({
  module: 'ntoskrnl',
  prototype: 'VOID RtlCaptureContext(OUT PCONTEXT ContextRecord)',
  impl(ctx, [context]) {
    const x64 = ctx.exceptions64;
    if (!x64) return undefined;
    x64.writeContext(context!, x64.callerRegisters());
    return undefined;
  },
});

/** The compiler's AMD64 language handler for __try/__except/__finally (src/kernel/seh/c-specific.ts). */
export const CSpecificHandler: ExportHandler = defineExport({
  module: 'ntoskrnl',
  prototype:
    'EXCEPTION_DISPOSITION __cdecl __C_specific_handler(IN PEXCEPTION_RECORD ExceptionRecord, IN PVOID EstablisherFrame, IN OUT PCONTEXT ContextRecord, IN OUT PDISPATCHER_CONTEXT DispatcherContext)',
  impl(ctx, [record, frame, context, dispatcher]) {
    const x64 = ctx.exceptions64;
    if (!x64) return Disposition.ContinueSearch;
    return cSpecificHandler(ctx, x64, record!, frame!, context!, dispatcher!);
  },
});

/** The raising, probing and unwinding routines, x86 and AMD64. */
export const sehExports: readonly ExportHandler[] = [
  ExRaiseStatus,
  ExRaiseAccessViolation,
  ExRaiseDatatypeMisalignment,
  RtlRaiseException,
  RtlUnwind,
  ProbeForRead,
  ProbeForWrite,
  RtlLookupFunctionEntry,
  RtlVirtualUnwind,
  RtlUnwindEx,
  RtlCaptureContext,
  CSpecificHandler,
];
