// The Microsoft C compiler's language-specific handlers for __try/__except/__finally on x86, as NT's
// kernel exports them to drivers built with MSVC (_except_handler3, _global_unwind2, _local_unwind2)
// and as the /GS-era CRT has them (_except_handler4_common, _local_unwind4): the "SEH3"/"EH4" frame
// an MSVC prologue builds, its scope table, and the filter, __finally and __except blocks run as guest
// code with the function's EBP. Follows the CRT's exsup3.asm and chandler4.c as ReactOS's sdk/lib/pseh
// and Wine's dlls/msvcrt/except_i386.c describe them.
import type { KernelContext } from '../context.js';
import { guestCall, type HandlerResult } from '../registry.js';
import { CONTINUE, type ExceptionDispatcher } from './dispatch.js';
import { Disposition, EXCEPTION_UNWIND } from './layout.js';

/**
 * The SEH3 frame, relative to the EXCEPTION_REGISTRATION_RECORD (EstablisherFrame) the prologue
 * links: the function's EBP is frame + 0x10; below the record, [ebp-14h] holds the EXCEPTION_POINTERS
 * pointer for GetExceptionInformation and [ebp-18h] the ESP of the function's body.
 */
export const SEH3 = {
  ScopeTable: 0x08,
  TryLevel: 0x0c,
  Ebp: 0x10,
  ExceptionPointers: -0x04,
  SavedEsp: -0x08,
} as const;
/** A scope-table entry: EnclosingLevel, FilterFunc (0 for __finally), HandlerFunc. */
const SCOPE_ENTRY = 12;
const TRYLEVEL_NONE = -1;

/**
 * How a frame's scope table is found and checked: SEH3's plain pointer with TRYLEVEL_NONE -1, or
 * EH4's (chandler4.c): the pointer XORed with the image's __security_cookie, TOPMOST_TRY_LEVEL -2,
 * the records after a 16-byte header (GSCookieOffset, GSCookieXOROffset, EHCookieOffset,
 * EHCookieXOROffset) whose cookies are validated around each step.
 */
export interface ScopeFormat {
  none: number;
  /** The address of ScopeRecord[0] for the frame. */
  records(frame: number): number;
  /** ValidateLocalCookies, then `then` (EH4); SEH3 has none. */
  validate?(frame: number, then: () => HandlerResult): HandlerResult;
  /** The global unwind passes the exception record (EH4's _EH4_GlobalUnwind2); SEH3's passes none. */
  unwindWithRecord?: boolean;
}

/** SEH3's scope table: [frame+8] is the table itself. */
export const SEH3_FORMAT = (ctx: KernelContext): ScopeFormat => ({
  none: TRYLEVEL_NONE,
  records: (frame) => ctx.mem.u32(frame + SEH3.ScopeTable, 'SEH3 frame ScopeTable'),
});

/** EH4_SCOPETABLE's header fields. */
const EH4 = {
  GSCookieOffset: 0,
  GSCookieXOROffset: 4,
  EHCookieOffset: 8,
  EHCookieXOROffset: 12,
  records: 16,
};
/** EH4's GSCookieOffset when the function has no /GS buffer (NO_GS_COOKIE). */
const NO_GS_COOKIE = -2;

/**
 * EH4's scope table, decoded with the cookie at `cookiePointer`; each validation calls the image's
 * cookie check routine (__security_check_cookie, __fastcall: the value in ECX) as guest code with the
 * frame's GS cookie (when it has one) and its EH cookie, each XORed with the frame pointer + its XOR
 * offset, as ValidateLocalCookies does: a mismatch is that routine's to report (__report_gsfailure).
 */
export const EH4_FORMAT = (ctx: KernelContext, cookiePointer: number, checkCookie: number): ScopeFormat => {
  const m = ctx.mem;
  const table = (frame: number) =>
    (m.u32(frame + SEH3.ScopeTable, 'EH4 frame EncodedScopeTable') ^
      m.u32(cookiePointer, '__security_cookie')) >>>
    0;
  const cookieAt = (frame: number, offset: number, xor: number) => {
    const ebp = frame + SEH3.Ebp;
    return (m.u32((ebp + signed(offset)) >>> 0, 'EH4 frame cookie') ^ ((ebp + signed(xor)) >>> 0)) >>> 0;
  };
  const check = (value: number, then: () => HandlerResult): HandlerResult => {
    const cpu = ctx.cpu;
    if (checkCookie === 0 || cpu.arch !== 'x86') return then();
    const ecx = cpu.reg('ecx');
    cpu.setReg('ecx', value);
    return guestCall(checkCookie, [], () => {
      cpu.setReg('ecx', ecx);
      return then();
    });
  };
  return {
    none: -2,
    unwindWithRecord: true,
    records: (frame) => table(frame) + EH4.records,
    validate(frame, then) {
      const t = table(frame);
      const eh = () =>
        check(cookieAt(frame, m.u32(t + EH4.EHCookieOffset), m.u32(t + EH4.EHCookieXOROffset)), then);
      if (signed(m.u32(t + EH4.GSCookieOffset, 'EH4_SCOPETABLE')) === NO_GS_COOKIE) return eh();
      return check(cookieAt(frame, m.u32(t + EH4.GSCookieOffset), m.u32(t + EH4.GSCookieXOROffset)), eh);
    },
  };
};
/** Most scope levels one walk follows (a cycle in a corrupt table ends it). */
const MAX_LEVELS = 256;

const signed = (v: number) => v | 0;

/** One language-handler walk over guest frames; EBP is saved and restored around the guest calls. */
export class LanguageHandler {
  private readonly format: ScopeFormat;
  constructor(
    private readonly ctx: KernelContext,
    private readonly seh: ExceptionDispatcher,
    format?: ScopeFormat,
  ) {
    this.format = format ?? SEH3_FORMAT(ctx);
  }

  private level(frame: number): number {
    return signed(this.ctx.mem.u32(frame + SEH3.TryLevel, 'SEH3 frame TryLevel'));
  }
  private entry(frame: number, level: number) {
    const at = this.format.records(frame) + SCOPE_ENTRY * level;
    return {
      enclosing: signed(this.ctx.mem.u32(at, 'scope table entry')),
      filter: this.ctx.mem.u32(at + 4, 'scope table entry'),
      handler: this.ctx.mem.u32(at + 8, 'scope table entry'),
    };
  }
  /** Calls a filter or __finally funclet with the function's EBP; `after` gets EAX with EBP restored. */
  private funclet(frame: number, routine: number, after: (eax: number) => HandlerResult): HandlerResult {
    const cpu = this.ctx.cpu;
    if (cpu.arch !== 'x86') return after(0);
    const ebp = cpu.reg('ebp');
    cpu.setReg('ebp', (frame + SEH3.Ebp) >>> 0);
    return guestCall(routine, [], (eax) => {
      cpu.setReg('ebp', ebp);
      return after(eax);
    });
  }

  /**
   * _local_unwind2(frame, stop): runs the __finally blocks from the frame's TryLevel out to `stop`,
   * setting TryLevel to each entry's enclosing level before its block runs; then `then()`.
   */
  localUnwind(frame: number, stop: number, then: () => HandlerResult): HandlerResult {
    let walked = 0;
    const step = (): HandlerResult => {
      const level = this.level(frame);
      if (level === this.format.none || level === stop || level < 0 || ++walked > MAX_LEVELS) return then();
      const e = this.entry(frame, level);
      this.ctx.mem.setU32(frame + SEH3.TryLevel, e.enclosing);
      return e.filter === 0 ? this.funclet(frame, e.handler, step) : step();
    };
    return step();
  }

  /**
   * _except_handler3(ExceptionRecord, EstablisherFrame, ContextRecord, DispatcherContext): while
   * unwinding, the frame's __finally blocks run (local unwind) and the search goes on. Otherwise each
   * __except filter from TryLevel outwards is called: EXCEPTION_CONTINUE_EXECUTION (< 0) resumes,
   * EXCEPTION_CONTINUE_SEARCH (0) tries the enclosing level, EXCEPTION_EXECUTE_HANDLER (> 0) unwinds
   * the frames above (RtlUnwind), runs this frame's inner __finally blocks and jumps to the __except
   * block with the function's EBP and body ESP: the handler never returns to the dispatcher.
   */
  exceptHandler(record: number, frame: number, context: number): HandlerResult {
    const m = this.ctx.mem;
    const validate = (then: () => HandlerResult) =>
      this.format.validate ? this.format.validate(frame, then) : then();
    if (m.u32(record + 4, 'EXCEPTION_RECORD') & EXCEPTION_UNWIND)
      return validate(() => this.localUnwind(frame, this.format.none, () => Disposition.ContinueSearch));
    // EXCEPTION_POINTERS for GetExceptionInformation, in pool (model: the CRT's is on its own stack,
    // which the guest calls below reuse here); freed when the walk ends.
    const pointers = this.ctx.pool.allocate(8, 0, 'Xptr', 'kernel');
    if (pointers === null) return Disposition.ContinueSearch;
    m.setU32(pointers, record);
    m.setU32(pointers + 4, context);
    m.setU32(frame + SEH3.ExceptionPointers, pointers);
    let revalidate = false;
    const done = (d: number) => {
      this.ctx.pool.free(pointers);
      return revalidate ? validate(() => d) : d;
    };
    let walked = 0;
    const search = (level: number): HandlerResult => {
      if (level === this.format.none || level < 0 || ++walked > MAX_LEVELS)
        return done(Disposition.ContinueSearch);
      const e = this.entry(frame, level);
      if (e.filter === 0) return search(e.enclosing);
      return this.funclet(frame, e.filter, (verdict) => {
        revalidate = true;
        if (signed(verdict) < 0) return done(Disposition.ContinueExecution);
        if (signed(verdict) === 0) return search(e.enclosing);
        this.ctx.pool.free(pointers);
        return this.seh.unwind(frame, 0, this.format.unwindWithRecord ? record : 0, 0, () =>
          this.localUnwind(frame, level, () => {
            m.setU32(frame + SEH3.TryLevel, e.enclosing);
            return validate(() => {
              const cpu = this.ctx.cpu;
              if (cpu.arch !== 'x86') return Disposition.ContinueSearch;
              cpu.setReg('ebp', (frame + SEH3.Ebp) >>> 0);
              cpu.setReg('esp', m.u32(frame + SEH3.SavedEsp, 'SEH3 frame saved ESP'));
              cpu.setReg('eip', e.handler);
              return CONTINUE;
            });
          }),
        );
      });
    };
    return validate(() => search(this.level(frame)));
  }
}
