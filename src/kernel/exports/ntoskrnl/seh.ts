// Raising and unwinding exports (ntoskrnl!ExRaise*, RtlRaiseException, RtlUnwind, ProbeFor*): on x86
// they raise through the structured exception dispatcher (src/kernel/seh/dispatch.ts), so a driver's
// handlers on the FS:[0] chain see them; without one (Alpha) an exception is KMODE_EXCEPTION_NOT_HANDLED.
import type { KernelContext } from '../../context.js';
import { calleeCleanup, defineExport, type ExportHandler, type HandlerResult } from '../../registry.js';
import { LanguageHandler } from '../../seh/language.js';
import { Disposition, ExceptionCode, ExceptionFlag } from '../../seh/layout.js';

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
    if (!ctx.exceptions) return raiseStatus(ctx, RtlRaiseException, code);
    const count = Math.min(m.u32(record! + 0x10, 'EXCEPTION_RECORD'), 15);
    const parameters = Array.from({ length: count }, (_, i) => m.u32(record! + 0x14 + 4 * i));
    return ctx.exceptions.raiseFromHandler(
      { code, flags: m.u32(record! + 4), nested: m.u32(record! + 8), parameters },
      calleeCleanup(RtlRaiseException),
    );
  },
});

export const RtlUnwind: ExportHandler = defineExport({
  module: 'ntoskrnl',
  prototype:
    'VOID RtlUnwind(IN PVOID TargetFrame OPTIONAL, IN PVOID TargetIp OPTIONAL, IN PEXCEPTION_RECORD ExceptionRecord OPTIONAL, IN PVOID ReturnValue)',
  impl(ctx, [target, , record, value]) {
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

export const sehExports = [
  ExRaiseStatus,
  ExRaiseAccessViolation,
  ExRaiseDatatypeMisalignment,
  RtlRaiseException,
  RtlUnwind,
  ProbeForRead,
  ProbeForWrite,
];

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

export const sehLanguageExports = [ExceptHandler3, GlobalUnwind2, LocalUnwind2];
