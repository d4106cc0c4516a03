/* Guest-level checks of AMD64 structured exception handling under --kernel registry. mingw's gcc has
 * no __try/__except, but it writes .pdata/.xdata for every function; the functions under test are
 * written in assembly with GNU as's .seh_* directives, their __try ranges as MSVC's SCOPE_TABLE for
 * ntoskrnl's __C_specific_handler (Count, then {BeginAddress, EndAddress, HandlerAddress, JumpTarget}),
 * or with a language handler of their own. Output as seh.c: FAIL lines, then "seh64: N passed, M failed". */
typedef unsigned long ULONG; /* 32 bits: LLP64 */
typedef long LONG;
typedef unsigned long long ULONG64;
typedef void *PVOID;
#define NULL ((void *)0)

typedef struct _EXCEPTION_RECORD {
    ULONG ExceptionCode, ExceptionFlags;
    struct _EXCEPTION_RECORD *ExceptionRecord;
    PVOID ExceptionAddress;
    ULONG NumberParameters;
    ULONG64 ExceptionInformation[15];
} EXCEPTION_RECORD;
typedef struct __attribute__((aligned(16))) {
    ULONG64 Home[6];
    ULONG ContextFlags, MxCsr;
    unsigned short Seg[6];
    ULONG EFlags;
    ULONG64 Dr[6];
    ULONG64 Rax, Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi, R8, R9, R10, R11, R12, R13, R14, R15, Rip;
    unsigned char Rest[0x4d0 - 0x100];
} CONTEXT;
typedef struct { EXCEPTION_RECORD *ExceptionRecord; CONTEXT *ContextRecord; } EXCEPTION_POINTERS;
typedef struct { ULONG BeginAddress, EndAddress, UnwindData; } RUNTIME_FUNCTION;
typedef struct {
    ULONG64 ControlPc, ImageBase;
    RUNTIME_FUNCTION *FunctionEntry;
    ULONG64 EstablisherFrame, TargetIp;
    CONTEXT *ContextRecord;
    PVOID LanguageHandler, HandlerData, HistoryTable;
    ULONG ScopeIndex, Fill0;
} DISPATCHER_CONTEXT;

ULONG DbgPrint(const char *, ...);
void ExRaiseStatus(LONG);
void RtlRaiseException(EXCEPTION_RECORD *);
void RtlCaptureContext(CONTEXT *);
RUNTIME_FUNCTION *RtlLookupFunctionEntry(ULONG64, ULONG64 *, PVOID);
PVOID RtlVirtualUnwind(ULONG, ULONG64, ULONG64, RUNTIME_FUNCTION *, CONTEXT *, PVOID *, ULONG64 *, PVOID);
extern char __ImageBase[];

#include "check.h"

/* ---- filters and termination handlers the scope tables name ---- */
int filter_calls, fin_calls, fin_abnormal, good_value = 1234;
ULONG filter_code;
LONG filter_search(EXCEPTION_POINTERS *p, PVOID frame)
{
    (void)frame;
    filter_calls++;
    filter_code = p->ExceptionRecord->ExceptionCode;
    return 0; /* EXCEPTION_CONTINUE_SEARCH */
}
LONG filter_execute(EXCEPTION_POINTERS *p, PVOID frame)
{
    (void)p, (void)frame;
    filter_calls += 10;
    return 1; /* EXCEPTION_EXECUTE_HANDLER */
}
LONG filter_fix(EXCEPTION_POINTERS *p, PVOID frame)
{
    (void)frame;
    p->ContextRecord->Rcx = (ULONG64)&good_value; /* retry the load from a good address */
    return -1; /* EXCEPTION_CONTINUE_EXECUTION */
}
/* A filter that faults the first time it runs: the nested exception's search passes the dispatcher's
 * frames back to the same function, whose filter then takes it. */
int nested_calls;
ULONG nested_flags;
volatile int *nowhere; /* NULL */
LONG filter_nested(EXCEPTION_POINTERS *p, PVOID frame)
{
    (void)frame;
    if (nested_calls++ == 0) *nowhere = 1;
    nested_flags = p->ExceptionRecord->ExceptionFlags;
    return 1;
}
int try_filter_fault(int *p);
void finally_block(unsigned char abnormal, PVOID frame)
{
    (void)frame;
    fin_calls++;
    fin_abnormal = abnormal;
}

/* ---- a language handler of the driver's own ---- */
PVOID seen_frame;
ULONG64 seen_pc, seen_base, own_skip;
ULONG seen_data, seen_code;
int own_handler(EXCEPTION_RECORD *rec, PVOID frame, CONTEXT *ctx, DISPATCHER_CONTEXT *dc)
{
    if (rec->ExceptionFlags & 6) return 1; /* unwinding: ExceptionContinueSearch */
    seen_frame = frame;
    seen_pc = dc->ControlPc;
    seen_base = dc->ImageBase;
    seen_data = *(ULONG *)dc->HandlerData;
    seen_code = rec->ExceptionCode;
    ctx->Rip += own_skip; /* past the faulting instruction */
    ctx->Rax = 77;
    return 0; /* ExceptionContinueExecution */
}

/* Single steps (STATUS_SINGLE_STEP after each instruction while TF is set): KiTrap01 clears TF in the
 * CONTEXT, so stepping stops after one step unless the handler sets it again; it does so twice. */
int steps64;
int step_handler64(EXCEPTION_RECORD *rec, PVOID frame, CONTEXT *ctx, DISPATCHER_CONTEXT *dc)
{
    (void)frame, (void)dc;
    if (rec->ExceptionFlags & 6) return 1;
    if (rec->ExceptionCode != 0x80000004 || (ctx->EFlags & 0x100)) return 1;
    if (++steps64 < 3) ctx->EFlags |= 0x100;
    return 0; /* ExceptionContinueExecution */
}
int own_step(void);

/* A language handler that unwinds by itself (as a C++ or longjmp runtime does): RtlUnwindEx to its
 * frame's unwind_target with the exception code as RAX; called again while unwinding, it counts. */
void RtlUnwindEx(PVOID, PVOID, EXCEPTION_RECORD *, PVOID, CONTEXT *, PVOID);
extern char unwind_target[];
int unwind_calls;
ULONG unwind_flags;
int unwinding_handler(EXCEPTION_RECORD *rec, PVOID frame, CONTEXT *ctx, DISPATCHER_CONTEXT *dc)
{
    CONTEXT scratch;
    (void)ctx, (void)dc;
    if (rec->ExceptionFlags & 6) {
        unwind_calls++;
        unwind_flags = rec->ExceptionFlags;
        return 1;
    }
    RtlUnwindEx(frame, unwind_target, rec, (PVOID)(ULONG64)rec->ExceptionCode, &scratch, NULL);
    return 1; /* not reached */
}
int own_unwind(int *p);
/* The same through RtlUnwind, with a return value of its own. */
void RtlUnwind(PVOID, PVOID, EXCEPTION_RECORD *, PVOID);
extern char unwind_target2[];
int unwinding_handler2(EXCEPTION_RECORD *rec, PVOID frame, CONTEXT *ctx, DISPATCHER_CONTEXT *dc)
{
    (void)ctx, (void)dc;
    if (rec->ExceptionFlags & 6) return 1;
    RtlUnwind(frame, unwind_target2, rec, (PVOID)0x1234);
    return 1; /* not reached */
}
int own_unwind2(int *p);

int try_execute(int *p);
int try_fix(int *p);
int try_nested(int *p);
int fin_outer(int *p);
int own_fault(int *p);
int own_raise(EXCEPTION_RECORD *rec);
ULONG64 outer_nv(int mode);
extern char own_fault_at[];
extern PVOID own_frame;
ULONG exc_code;

__asm__(
    ".text\n"
    /* int try_execute(int *p): __try { return *p; } __except (EXCEPTION_EXECUTE_HANDLER) { return code; } */
    ".globl try_execute\n .seh_proc try_execute\ntry_execute:\n"
    "  sub $40, %rsp\n .seh_stackalloc 40\n .seh_endprologue\n"
    "1: movl (%rcx), %eax\n nop\n2: add $40, %rsp\n ret\n"
    "3: add $40, %rsp\n ret\n" /* the __except block: EAX = the exception code */
    " .seh_handler __C_specific_handler, @except\n .seh_handlerdata\n"
    " .long 1\n .rva 1b, 2b\n .long 1\n .rva 3b\n .text\n .seh_endproc\n"

    /* int try_fix(int *p): __try { return *p; } __except (filter_fix()) { return -1; } */
    ".globl try_fix\n .seh_proc try_fix\ntry_fix:\n"
    "  sub $40, %rsp\n .seh_stackalloc 40\n .seh_endprologue\n"
    "1: movl (%rcx), %eax\n nop\n2: add $40, %rsp\n ret\n"
    "3: mov $-1, %eax\n add $40, %rsp\n ret\n"
    " .seh_handler __C_specific_handler, @except\n .seh_handlerdata\n"
    " .long 1\n .rva 1b, 2b, filter_fix, 3b\n .text\n .seh_endproc\n"

    /* int try_nested(int *p): __try { __try { *p } __except (filter_search) { 1 } } __except (filter_execute) { 2 } */
    ".globl try_nested\n .seh_proc try_nested\ntry_nested:\n"
    "  sub $40, %rsp\n .seh_stackalloc 40\n .seh_endprologue\n"
    "1: movl (%rcx), %eax\n nop\n2: add $40, %rsp\n ret\n"
    "3: mov $1, %eax\n add $40, %rsp\n ret\n"
    "4: mov $2, %eax\n add $40, %rsp\n ret\n"
    " .seh_handler __C_specific_handler, @except\n .seh_handlerdata\n"
    " .long 2\n .rva 1b, 2b, filter_search, 3b\n .rva 1b, 2b, filter_execute, 4b\n .text\n .seh_endproc\n"

    /* fin_inner: __try { *p } __finally { finally_block() }; fin_outer: __try { fin_inner(p) } __except (1) { 5 } */
    ".globl fin_inner\n .seh_proc fin_inner\nfin_inner:\n"
    "  push %rbx\n .seh_pushreg %rbx\n sub $32, %rsp\n .seh_stackalloc 32\n .seh_endprologue\n"
    "1: movl (%rcx), %eax\n nop\n2: add $32, %rsp\n pop %rbx\n ret\n"
    " .seh_handler __C_specific_handler, @except, @unwind\n .seh_handlerdata\n"
    " .long 1\n .rva 1b, 2b, finally_block\n .long 0\n .text\n .seh_endproc\n"
    ".globl fin_outer\n .seh_proc fin_outer\nfin_outer:\n"
    "  sub $40, %rsp\n .seh_stackalloc 40\n .seh_endprologue\n"
    "1: call fin_inner\n nop\n2: add $40, %rsp\n ret\n"
    "3: mov $5, %eax\n add $40, %rsp\n ret\n"
    " .seh_handler __C_specific_handler, @except, @unwind\n .seh_handlerdata\n"
    " .long 1\n .rva 1b, 2b\n .long 1\n .rva 3b\n .text\n .seh_endproc\n"

    /* int own_fault(int *p): a fault in a function whose own language handler continues past it */
    ".globl own_fault\n .globl own_fault_at\n .seh_proc own_fault\nown_fault:\n"
    "  push %rbx\n .seh_pushreg %rbx\n sub $32, %rsp\n .seh_stackalloc 32\n .seh_endprologue\n"
    "  mov %rsp, own_frame(%rip)\n"
    "own_fault_at: movl (%rcx), %eax\n add $32, %rsp\n pop %rbx\n ret\n"
    " .seh_handler own_handler, @except\n .seh_handlerdata\n .long 0x5e64da7a\n .text\n .seh_endproc\n"

    /* int own_step(void): sets TF, then four `inc eax` from 1 under step_handler64: returns 5 */
    ".globl own_step\n .seh_proc own_step\nown_step:\n"
    "  sub $40, %rsp\n .seh_stackalloc 40\n .seh_endprologue\n"
    "  mov $1, %eax\n pushfq\n orq $0x100, (%rsp)\n popfq\n inc %eax\n inc %eax\n inc %eax\n inc %eax\n"
    "  add $40, %rsp\n ret\n"
    " .seh_handler step_handler64, @except\n .seh_handlerdata\n .long 0\n .text\n .seh_endproc\n"

    /* int own_raise(EXCEPTION_RECORD *): RtlRaiseException continued by the own handler returns 55 */
    ".globl own_raise\n .seh_proc own_raise\nown_raise:\n"
    "  push %rbx\n .seh_pushreg %rbx\n sub $32, %rsp\n .seh_stackalloc 32\n .seh_endprologue\n"
    "  call RtlRaiseException\n mov $55, %eax\n add $32, %rsp\n pop %rbx\n ret\n"
    " .seh_handler own_handler, @except\n .seh_handlerdata\n .long 0x5e64da7b\n .text\n .seh_endproc\n"

    /* int try_filter_fault(int *p): __try { *p } __except (filter_nested()) { code } */
    ".globl try_filter_fault\n .seh_proc try_filter_fault\ntry_filter_fault:\n"
    "  sub $40, %rsp\n .seh_stackalloc 40\n .seh_endprologue\n"
    "1: movl (%rcx), %eax\n nop\n2: add $40, %rsp\n ret\n"
    "3: add $40, %rsp\n ret\n"
    " .seh_handler __C_specific_handler, @except\n .seh_handlerdata\n"
    " .long 1\n .rva 1b, 2b, filter_nested, 3b\n .text\n .seh_endproc\n"

    /* int own_unwind(int *p): calls fin_inner, whose fault unwinding_handler takes */
    ".globl own_unwind\n .globl unwind_target\n .seh_proc own_unwind\nown_unwind:\n"
    "  push %rbx\n .seh_pushreg %rbx\n sub $32, %rsp\n .seh_stackalloc 32\n .seh_endprologue\n"
    "  call fin_inner\n xor %eax, %eax\n"
    "unwind_target: add $32, %rsp\n pop %rbx\n ret\n"
    " .seh_handler unwinding_handler, @except, @unwind\n .seh_handlerdata\n .long 0\n .text\n .seh_endproc\n"

    ".globl own_unwind2\n .globl unwind_target2\n .seh_proc own_unwind2\nown_unwind2:\n"
    "  push %rbx\n .seh_pushreg %rbx\n sub $32, %rsp\n .seh_stackalloc 32\n .seh_endprologue\n"
    "  call fin_inner\n xor %eax, %eax\n"
    "unwind_target2: add $32, %rsp\n pop %rbx\n ret\n"
    " .seh_handler unwinding_handler2, @except\n .seh_handlerdata\n .long 0\n .text\n .seh_endproc\n"

    /* inner_nv(mode): saves the nonvolatile registers every way the unwind codes can say (push,
     * a large allocation, a frame register with an offset, mov saves, an XMM save), clobbers them,
     * moves RSP in its body, then faults (mode 0) or calls ExRaiseStatus (mode 1). */
    ".globl inner_nv\n .seh_proc inner_nv\ninner_nv:\n"
    "  push %rbp\n .seh_pushreg %rbp\n push %rbx\n .seh_pushreg %rbx\n"
    "  sub $0x2008, %rsp\n .seh_stackalloc 0x2008\n"
    "  lea 0x20(%rsp), %rbp\n .seh_setframe %rbp, 0x20\n"
    "  mov %rsi, 0x30(%rsp)\n .seh_savereg %rsi, 0x30\n"
    "  mov %rdi, 0x38(%rsp)\n .seh_savereg %rdi, 0x38\n"
    "  mov %r12, 0x40(%rsp)\n .seh_savereg %r12, 0x40\n"
    "  mov %r13, 0x48(%rsp)\n .seh_savereg %r13, 0x48\n"
    "  mov %r14, 0x50(%rsp)\n .seh_savereg %r14, 0x50\n"
    "  mov %r15, 0x58(%rsp)\n .seh_savereg %r15, 0x58\n"
    "  movaps %xmm6, 0x60(%rsp)\n .seh_savexmm %xmm6, 0x60\n"
    " .seh_endprologue\n"
    "  sub $0x100, %rsp\n" /* an alloca: only the frame register finds the frame now */
    "  mov $-1, %rbx\n mov $-1, %rsi\n mov $-1, %rdi\n mov $-1, %r12\n mov $-1, %r13\n mov $-1, %r14\n mov $-1, %r15\n"
    "  test %ecx, %ecx\n jnz 1f\n"
    "  xor %ecx, %ecx\n movl (%rcx), %eax\n"
    "1: mov $0xC0000123, %ecx\n call ExRaiseStatus\n"
    "  lea -0x20(%rbp), %rsp\n add $0x2008, %rsp\n pop %rbx\n pop %rbp\n ret\n"
    " .seh_endproc\n"

    /* ULONG64 outer_nv(mode): sets the nonvolatile registers, calls inner_nv under
     * __except (EXCEPTION_EXECUTE_HANDLER), and in the __except block counts those that kept their value. */
    ".globl outer_nv\n .seh_proc outer_nv\nouter_nv:\n"
    "  push %rbx\n .seh_pushreg %rbx\n push %rsi\n .seh_pushreg %rsi\n push %rdi\n .seh_pushreg %rdi\n"
    "  push %r12\n .seh_pushreg %r12\n push %r13\n .seh_pushreg %r13\n push %r14\n .seh_pushreg %r14\n"
    "  push %r15\n .seh_pushreg %r15\n push %rbp\n .seh_pushreg %rbp\n"
    "  sub $40, %rsp\n .seh_stackalloc 40\n .seh_endprologue\n"
    "  mov $0x1001, %rbx\n mov $0x1002, %rsi\n mov $0x1003, %rdi\n mov $0x1004, %r12\n"
    "  mov $0x1005, %r13\n mov $0x1006, %r14\n mov $0x1007, %r15\n mov $0x1008, %rbp\n"
    "1: call inner_nv\n nop\n2: xor %eax, %eax\n jmp 4f\n"
    "3: mov %eax, exc_code(%rip)\n xor %eax, %eax\n"
    "  cmp $0x1001, %rbx\n jne 5f\n inc %eax\n5: cmp $0x1002, %rsi\n jne 5f\n inc %eax\n"
    "5: cmp $0x1003, %rdi\n jne 5f\n inc %eax\n5: cmp $0x1004, %r12\n jne 5f\n inc %eax\n"
    "5: cmp $0x1005, %r13\n jne 5f\n inc %eax\n5: cmp $0x1006, %r14\n jne 5f\n inc %eax\n"
    "5: cmp $0x1007, %r15\n jne 5f\n inc %eax\n5: cmp $0x1008, %rbp\n jne 4f\n inc %eax\n"
    "4: add $40, %rsp\n pop %rbp\n pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rdi\n pop %rsi\n pop %rbx\n ret\n"
    " .seh_handler __C_specific_handler, @except, @unwind\n .seh_handlerdata\n"
    " .long 1\n .rva 1b, 2b\n .long 1\n .rva 3b\n .text\n .seh_endproc\n");

PVOID own_frame;

/* RtlCaptureContext, RtlLookupFunctionEntry and RtlVirtualUnwind called by the driver: one frame up
 * from here is the caller, at this function's return address. */
__attribute__((noinline)) static void check_unwind_api(void)
{
    CONTEXT c;
    ULONG64 base = 0, frame = 0;
    PVOID data = NULL;
    RtlCaptureContext(&c);
    RUNTIME_FUNCTION *f = RtlLookupFunctionEntry(c.Rip, &base, NULL);
    CHECK(f != NULL, "RtlLookupFunctionEntry finds this function");
    CHECK(base == (ULONG64)__ImageBase, "RtlLookupFunctionEntry gives the image base");
    if (!f) return;
    CHECK(c.Rip >= base + f->BeginAddress && c.Rip < base + f->EndAddress, "the entry holds the pc");
    ULONG64 rsp = c.Rsp;
    RtlVirtualUnwind(0, base, c.Rip, f, &c, &data, &frame, NULL);
    CHECK(c.Rip == (ULONG64)__builtin_return_address(0), "RtlVirtualUnwind reaches the return address");
    CHECK(c.Rsp > rsp && frame == rsp, "RtlVirtualUnwind: the caller's RSP is above, the establisher frame is ours");
    CHECK(RtlLookupFunctionEntry((ULONG64)check_unwind_api + 0x100000, &base, NULL) == NULL,
          "an address in no function has no entry");
}

LONG DriverEntry(PVOID driver, PVOID path)
{
    (void)driver, (void)path;
    int ok = 42;
    /* __C_specific_handler: a fault taken by EXCEPTION_EXECUTE_HANDLER; no fault: the body's value */
    CHECK(try_execute(&ok) == 42, "no exception: the __try body's result");
    CHECK((ULONG)try_execute(NULL) == 0xC0000005, "an access violation reaches __except with its code in EAX");
    /* a filter that repairs the context and continues execution */
    CHECK(try_fix(NULL) == 1234, "EXCEPTION_CONTINUE_EXECUTION resumes with the filter's context");
    /* nested scopes: the inner filter continues the search, the outer executes */
    filter_calls = 0;
    CHECK(try_nested(NULL) == 2, "the enclosing scope's __except runs");
    CHECK(filter_calls == 11, "both filters ran, inner first");
    CHECK(filter_code == 0xC0000005, "the filter sees the exception record");
    /* a __finally in a frame being unwound */
    fin_calls = 0;
    CHECK(fin_outer(NULL) == 5, "the caller's __except runs");
    CHECK(fin_calls == 1 && fin_abnormal == 1, "the callee's __finally ran once, abnormally");
    /* a language handler of the driver's own */
    own_skip = 2; /* movl (%rcx), %eax */
    CHECK(own_fault(NULL) == 77, "the own handler continued past the fault with its RAX");
    CHECK(seen_pc == (ULONG64)own_fault_at, "DISPATCHER_CONTEXT.ControlPc is the faulting instruction");
    CHECK(seen_base == (ULONG64)__ImageBase, "DISPATCHER_CONTEXT.ImageBase is the driver's");
    CHECK(seen_frame == own_frame, "the establisher frame is the function's RSP after its prologue");
    CHECK(seen_data == 0x5e64da7a, "HandlerData points at the function's handler data");
    own_skip = 0;
    EXCEPTION_RECORD rec = {0xE0000001, 0, NULL, NULL, 1, {7}};
    CHECK(own_raise(&rec) == 55, "RtlRaiseException continued returns after the call");
    CHECK(own_step() == 5 && steps64 == 3, "single steps: TF clear in the CONTEXT, set again twice by the handler");
    CHECK(seen_code == 0xE0000001 && seen_data == 0x5e64da7b, "the own handler saw the raised record");
    /* unwinding restores the nonvolatile registers a callee saved (push, mov, frame register) */
    CHECK(outer_nv(0) == 8, "after a fault: the 8 nonvolatile registers as the __try body left them");
    CHECK(exc_code == 0xC0000005, "the fault's code");
    CHECK(outer_nv(1) == 8, "after ExRaiseStatus: the 8 nonvolatile registers restored");
    CHECK(exc_code == 0xC0000123, "ExRaiseStatus's status");
    /* RtlUnwindEx called by a language handler: through the dispatcher's frames to the faulting
     * function, running the __finally on the way, then the handler's own frame as the target */
    fin_calls = 0;
    CHECK((ULONG)own_unwind(NULL) == 0xC0000005, "RtlUnwindEx: the target runs with ReturnValue in RAX");
    CHECK(fin_calls == 1, "RtlUnwindEx: the __finally of the frame between ran");
    CHECK(unwind_calls == 1 && (unwind_flags & 0x22) == 0x22, "the target frame's handler: EXCEPTION_UNWINDING | EXCEPTION_TARGET_UNWIND");
    CHECK(own_unwind2(NULL) == 0x1234 && fin_calls == 2, "RtlUnwind on AMD64: the same, with its ReturnValue");
    /* an exception inside a filter: searched as a nested exception through the outer one's frames */
    CHECK((ULONG)try_filter_fault(NULL) == 0xC0000005, "the filter's own fault is taken by the same __except");
    CHECK(nested_calls == 2 && (nested_flags & 0x10), "the filter ran again for it, with EXCEPTION_NESTED_CALL");
    CHECK(try_execute(&ok) == 42, "dispatching works on after the nested exception");
    check_unwind_api();
    DbgPrint("seh64: %d passed, %d failed\n", passed, failed);
    return 0;
}
