// The Microsoft C compiler's language-specific handler for __try/__except/__finally on x86, as NT's
// kernel exports it to drivers built with MSVC (_except_handler3, _global_unwind2, _local_unwind2,
// _abnormal_termination): the "SEH3" frame an MSVC prologue builds, its scope table, and the filter,
// __finally and __except blocks run as guest code with the function's EBP. Follows the CRT's
// exsup3.asm as ReactOS's sdk/lib/pseh and Wine's dlls/msvcrt/except_i386.c describe it.
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
/** Most scope levels one walk follows (a cycle in a corrupt table ends it). */
const MAX_LEVELS = 256;

const signed = (v: number) => v | 0;

/** One language-handler walk over guest frames; EBP is saved and restored around the guest calls. */
export class LanguageHandler {
  constructor(
    private readonly ctx: KernelContext,
    private readonly seh: ExceptionDispatcher,
  ) {}

  private level(frame: number): number {
    return signed(this.ctx.mem.u32(frame + SEH3.TryLevel, 'SEH3 frame TryLevel'));
  }
  private entry(frame: number, level: number) {
    const table = this.ctx.mem.u32(frame + SEH3.ScopeTable, 'SEH3 frame ScopeTable');
    const at = table + SCOPE_ENTRY * level;
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
      if (level === TRYLEVEL_NONE || level === stop || level < 0 || ++walked > MAX_LEVELS) return then();
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
    if (m.u32(record + 4, 'EXCEPTION_RECORD') & EXCEPTION_UNWIND)
      return this.localUnwind(frame, TRYLEVEL_NONE, () => Disposition.ContinueSearch);
    // EXCEPTION_POINTERS for GetExceptionInformation, in pool (model: the CRT's is on its own stack,
    // which the guest calls below reuse here); freed when the walk ends.
    const pointers = this.ctx.pool.allocate(8, 0, 'Xptr', 'kernel');
    if (pointers === null) return Disposition.ContinueSearch;
    m.setU32(pointers, record);
    m.setU32(pointers + 4, context);
    m.setU32(frame + SEH3.ExceptionPointers, pointers);
    const done = (d: number) => {
      this.ctx.pool.free(pointers);
      return d;
    };
    let walked = 0;
    const search = (level: number): HandlerResult => {
      if (level === TRYLEVEL_NONE || level < 0 || ++walked > MAX_LEVELS)
        return done(Disposition.ContinueSearch);
      const e = this.entry(frame, level);
      if (e.filter === 0) return search(e.enclosing);
      return this.funclet(frame, e.filter, (verdict) => {
        if (signed(verdict) < 0) return done(Disposition.ContinueExecution);
        if (signed(verdict) === 0) return search(e.enclosing);
        this.ctx.pool.free(pointers);
        return this.seh.unwind(frame, 0, 0, 0, () =>
          this.localUnwind(frame, level, () => {
            m.setU32(frame + SEH3.TryLevel, e.enclosing);
            const cpu = this.ctx.cpu;
            if (cpu.arch !== 'x86') return Disposition.ContinueSearch;
            cpu.setReg('ebp', (frame + SEH3.Ebp) >>> 0);
            cpu.setReg('esp', m.u32(frame + SEH3.SavedEsp, 'SEH3 frame saved ESP'));
            cpu.setReg('eip', e.handler);
            return CONTINUE;
          }),
        );
      });
    };
    return search(this.level(frame));
  }
}
