// The Microsoft C compiler's AMD64 language handler, __C_specific_handler, as ntoskrnl exports it to
// drivers whose __try blocks it serves: the SCOPE_TABLE in the frame's handler data lists each guarded
// range with its filter (or EXCEPTION_EXECUTE_HANDLER, 1), its __except target, or its __finally block
// (JumpTarget 0). Follows Wine's dlls/ntdll/signal_x86_64.c and ReactOS's sdk/lib/crt/except/amd64
// (__C_specific_handler) and Microsoft Learn's "x64 exception handling" (Language-specific handler).
import type { KernelContext } from '../context.js';
import { guestCall, type HandlerResult } from '../registry.js';
import type { X64ExceptionDispatcher } from './dispatch64.js';
import { Disposition, EXCEPTION_UNWIND, ExceptionFlag } from './layout.js';
import { DISPATCHER_CONTEXT, EXCEPTION_RECORD64 } from './layout64.js';

/** SCOPE_TABLE: Count, then ScopeRecord[Count] of { BeginAddress, EndAddress, HandlerAddress, JumpTarget } (RVAs). */
const SCOPE_RECORD = 16;
/** HandlerAddress meaning `__except (EXCEPTION_EXECUTE_HANDLER)` without a filter function. */
const EXECUTE_HANDLER = 1;
/** Most scope records one table is read for (a corrupt Count ends there). */
const MAX_SCOPES = 4096;

/**
 * __C_specific_handler(ExceptionRecord, EstablisherFrame, ContextRecord, DispatcherContext). While
 * unwinding, the __finally blocks of the ranges holding ControlPc run (from ScopeIndex, which is
 * advanced first so a nested unwind does not run them twice), stopping at the range holding the
 * target at the target frame. Otherwise each __except range holding ControlPc is tried: its filter
 * (called with EXCEPTION_POINTERS and the establisher frame) says continue execution (< 0), continue
 * search (0) or execute the handler (> 0): RtlUnwindEx to this frame at the __except block with the
 * exception code in RAX; that call does not return.
 */
export function cSpecificHandler(
  ctx: KernelContext,
  seh: X64ExceptionDispatcher,
  record: number,
  frame: number,
  context: number,
  dispatcher: number,
): HandlerResult {
  const m = ctx.mem;
  const pc = seh.readU64(dispatcher + DISPATCHER_CONTEXT.ControlPc);
  const base = seh.readU64(dispatcher + DISPATCHER_CONTEXT.ImageBase);
  const table = seh.host(seh.readU64(dispatcher + DISPATCHER_CONTEXT.HandlerData));
  const count = Math.min(m.u32(table, 'SCOPE_TABLE'), MAX_SCOPES);
  const scope = (i: number) => {
    const at = table + 4 + SCOPE_RECORD * i;
    return {
      begin: base + BigInt(m.u32(at, 'SCOPE_TABLE')),
      end: base + BigInt(m.u32(at + 4, 'SCOPE_TABLE')),
      handler: m.u32(at + 8, 'SCOPE_TABLE'),
      jump: m.u32(at + 12, 'SCOPE_TABLE'),
    };
  };
  const flags = m.u32(record + EXCEPTION_RECORD64.ExceptionFlags, 'EXCEPTION_RECORD');
  if (flags & EXCEPTION_UNWIND) {
    const targetIp = seh.readU64(dispatcher + DISPATCHER_CONTEXT.TargetIp);
    const unwind = (i: number): HandlerResult => {
      for (; i < count; i++) {
        const s = scope(i);
        if (pc < s.begin || pc >= s.end || s.jump !== 0) continue;
        if (flags & ExceptionFlag.TARGET_UNWIND && targetIp >= s.begin && targetIp < s.end) break;
        m.setU32(dispatcher + DISPATCHER_CONTEXT.ScopeIndex, i + 1);
        // The termination handler: void handler(BOOLEAN AbnormalTermination, PVOID EstablisherFrame).
        const next = i + 1;
        return guestCall(seh.host(base + BigInt(s.handler)), [1, frame], () => unwind(next));
      }
      return Disposition.ContinueSearch;
    };
    return unwind(m.u32(dispatcher + DISPATCHER_CONTEXT.ScopeIndex, 'DISPATCHER_CONTEXT'));
  }
  // EXCEPTION_POINTERS for the filter (model: in pool, freed when the search ends; the CRT's is on its stack).
  const pointers = ctx.pool.allocate(16, 0, 'Xptr', 'kernel');
  if (pointers === null) return Disposition.ContinueSearch;
  m.setPtr(pointers, record);
  m.setPtr(pointers + 8, context);
  const done = (d: HandlerResult) => {
    ctx.pool.free(pointers);
    return d;
  };
  const execute = (s: ReturnType<typeof scope>): HandlerResult => {
    ctx.pool.free(pointers);
    const code = m.u32(record + EXCEPTION_RECORD64.ExceptionCode, 'EXCEPTION_RECORD');
    // RtlUnwindEx from here: its walk passes the dispatcher's frames to the exception's own context.
    return seh.unwindEx(seh.guest(frame), base + BigInt(s.jump), record, BigInt(code), null);
  };
  const search = (i: number): HandlerResult => {
    for (; i < count; i++) {
      const s = scope(i);
      if (pc < s.begin || pc >= s.end || s.jump === 0) continue;
      if (s.handler === EXECUTE_HANDLER) return execute(s);
      const next = i + 1;
      return guestCall(seh.host(base + BigInt(s.handler)), [pointers, frame], (verdict) => {
        if ((verdict | 0) < 0) return done(Disposition.ContinueExecution);
        if ((verdict | 0) === 0) return search(next);
        return execute(s);
      });
    }
    return done(Disposition.ContinueSearch);
  };
  return search(m.u32(dispatcher + DISPATCHER_CONTEXT.ScopeIndex, 'DISPATCHER_CONTEXT'));
}
