// The guest code of NT's x86 handler calls (model page SEH_CODE): RtlpExecuteHandlerForException /
// ForUnwind, which call a frame's handler under a nested registration record and restore ESP
// whatever the handler's convention, and the two nested-frame handlers (RtlpExceptionHandler,
// RtlpUnwindHandler). Transcribed from the WRK's base/ntos/rtl/i386/xcptmisc.asm and ReactOS's
// sdk/lib/rtl/i386/except_asm.s (same instructions; assembled with GNU as, checked in test/kernel/seh).

/**
 * Model: the page holding the routines below, free kernel space after the GDT/IDT/TSS page (the
 * pages before it hold the kernel's sentinel and host-routine slots, src/kernel/kernel.ts).
 */
export const SEH_CODE = 0x80037000;

/** Entry points on the page. */
export const SehRoutine = {
  /** EXCEPTION_DISPOSITION RtlpExecuteHandlerForException(Rec, Frame, Ctx, DispatcherCtx, Handler), stdcall. */
  ExecuteHandlerForException: SEH_CODE + 0x00,
  /** The same with the unwind nested handler. */
  ExecuteHandlerForUnwind: SEH_CODE + 0x07,
  /** Nested frame's handler during dispatch: ExceptionNestedException, DispatcherContext = frame. */
  ExceptionHandler: SEH_CODE + 0x100,
  /** Nested frame's handler during unwind: ExceptionCollidedUnwind, DispatcherContext = frame. */
  UnwindHandler: SEH_CODE + 0x140,
} as const;

const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
/** One instruction's bytes, written as a disassembler shows them ("64 ff 35 00 00 00 00"). */
const op = (hex: string, ...imm32: number[]) => [
  ...hex
    .split(' ')
    .filter(Boolean)
    .map((h) => Number.parseInt(h, 16)),
  ...imm32.flatMap(le32),
];

/** The page's bytes, built once (every x86 boot writes them: issue 19). */
let built: Uint8Array | null = null;

/** The page's bytes (0x200 long; the rest of the page stays int3); a new copy each call. */
export function sehCode(): Uint8Array {
  built ??= buildSehCode();
  return built.slice();
}

function buildSehCode(): Uint8Array {
  const page = new Uint8Array(0x200).fill(0xcc);
  const execute = [
    ...op('ba', SehRoutine.ExceptionHandler), // mov edx, RtlpExceptionHandler
    ...op('eb 05'), // jmp common
    ...op('ba', SehRoutine.UnwindHandler), // mov edx, RtlpUnwindHandler
    ...op('55'), // common: push ebp
    ...op('89 e5'), // mov ebp, esp
    ...op('ff 75 0c'), // push [ebp+0Ch]: EstablisherFrame, kept in the nested record
    ...op('52'), // push edx: the nested record's Handler
    ...op('64 ff 35 00 00 00 00'), // push fs:[0]: its Next
    ...op('64 89 25 00 00 00 00'), // mov fs:[0], esp
    ...op('ff 75 14'), // push [ebp+14h]: DispatcherContext
    ...op('ff 75 10'), // push [ebp+10h]: ContextRecord
    ...op('ff 75 0c'), // push [ebp+0Ch]: EstablisherFrame
    ...op('ff 75 08'), // push [ebp+8]: ExceptionRecord
    ...op('8b 4d 18'), // mov ecx, [ebp+18h]: Handler
    ...op('ff d1'), // call ecx
    ...op('64 8b 25 00 00 00 00'), // mov esp, fs:[0]
    ...op('64 8f 05 00 00 00 00'), // pop fs:[0]
    ...op('89 ec'), // mov esp, ebp
    ...op('5d'), // pop ebp
    ...op('c2 14 00'), // ret 14h
  ];
  const nested = (unwind: boolean) => [
    ...op('b8', 1), // mov eax, ExceptionContinueSearch
    ...op('8b 4c 24 04'), // mov ecx, [esp+4]: ExceptionRecord
    ...op('f6 41 04 06'), // test byte [ecx+4], EXCEPTION_UNWIND
    ...op(unwind ? '74 12' : '75 12'), // jz/jnz done: only the other phase is this handler's
    ...op('8b 4c 24 08'), // mov ecx, [esp+8]: the nested record
    ...op('8b 54 24 10'), // mov edx, [esp+10h]: DispatcherContext
    ...op('8b 41 08'), // mov eax, [ecx+8]: the frame whose handler was running
    ...op('89 02'), // mov [edx], eax
    ...op('b8', unwind ? 3 : 2), // mov eax, ExceptionCollidedUnwind / ExceptionNestedException
    ...op('c3'), // done: ret
  ];
  page.set(execute, 0);
  page.set(nested(false), 0x100);
  page.set(nested(true), 0x140);
  return page;
}
