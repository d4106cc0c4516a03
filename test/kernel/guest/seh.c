/* Guest-level checks of structured exception handling under --kernel registry. mingw's gcc has no
 * __try/__except, so frames are EXCEPTION_REGISTRATION_RECORDs linked at FS:[0] by hand, as MSVC's
 * prologues do, and a handler that takes an exception does what _except_handler3 does: RtlUnwind to
 * its frame, then a longjmp into the "__except block" (__builtin_setjmp/__builtin_longjmp).
 * Output as surface.c: FAIL lines, then "seh: N passed, M failed". */
typedef unsigned long ULONG;
typedef long NTSTATUS;
typedef void *PVOID;
#define NTAPI __stdcall
#define NULL ((void *)0)

typedef struct _EXCEPTION_RECORD {
    ULONG ExceptionCode, ExceptionFlags;
    struct _EXCEPTION_RECORD *ExceptionRecord;
    PVOID ExceptionAddress;
    ULONG NumberParameters, ExceptionInformation[15];
} EXCEPTION_RECORD;
typedef struct {
    ULONG ContextFlags, Dr[6], FloatSave[28], SegGs, SegFs, SegEs, SegDs;
    ULONG Edi, Esi, Ebx, Edx, Ecx, Eax, Ebp, Eip, SegCs, EFlags, Esp, SegSs;
    unsigned char Extended[512];
} CONTEXT;
struct _REG;
typedef int(__cdecl *HANDLER)(EXCEPTION_RECORD *, struct _REG *, CONTEXT *, PVOID);
typedef struct _REG { struct _REG *Next; HANDLER Handler; } REG;

ULONG __cdecl DbgPrint(const char *, ...);
void NTAPI ExRaiseStatus(NTSTATUS);
void NTAPI ExRaiseAccessViolation(void);
void NTAPI ExRaiseDatatypeMisalignment(void);
void NTAPI RtlRaiseException(EXCEPTION_RECORD *);
void NTAPI RtlUnwind(PVOID, PVOID, EXCEPTION_RECORD *, PVOID);
void NTAPI ProbeForRead(PVOID, ULONG, ULONG);
void NTAPI ProbeForWrite(PVOID, ULONG, ULONG);

#include "check.h"

static inline REG *fs0(void)
{
    REG *r;
    __asm__ volatile("movl %%fs:0, %0" : "=r"(r));
    return r;
}
static inline void set_fs0(REG *r) { __asm__ volatile("movl %0, %%fs:0" : : "r"(r) : "memory"); }

#define UNWINDING 6 /* EXCEPTION_UNWINDING | EXCEPTION_EXIT_UNWIND */

/* A frame whose handler takes every exception: unwind to it, then jump back into its function. */
typedef struct {
    REG reg;
    void *buf[5];
    ULONG code, flags, info0, info1, nparams;
    PVOID address;
} CATCH;

static int __cdecl catch_handler(EXCEPTION_RECORD *rec, REG *frame, CONTEXT *ctx, PVOID dc)
{
    CATCH *c = (CATCH *)frame;
    (void)ctx, (void)dc;
    if (rec->ExceptionFlags & UNWINDING) return 1;
    c->code = rec->ExceptionCode;
    c->flags = rec->ExceptionFlags;
    c->nparams = rec->NumberParameters;
    c->info0 = rec->ExceptionInformation[0];
    c->info1 = rec->ExceptionInformation[1];
    c->address = rec->ExceptionAddress;
    RtlUnwind(frame, NULL, rec, 0);
    __builtin_longjmp(c->buf, 1);
}

/* Runs fn(arg) under a CATCH frame; returns the code caught, or 0 when fn returned normally. */
static __attribute__((noinline)) ULONG guarded(void (*fn)(ULONG), ULONG arg, CATCH *c)
{
    c->code = 0;
    c->reg.Handler = catch_handler;
    c->reg.Next = fs0();
    if (__builtin_setjmp(c->buf) == 0) {
        set_fs0(&c->reg);
        fn(arg);
        set_fs0(c->reg.Next);
        return 0;
    }
    set_fs0(c->reg.Next);
    return c->code;
}

static void raise_status(ULONG s) { ExRaiseStatus(s); }
static void raise_av(ULONG s) { (void)s, ExRaiseAccessViolation(); }
static void raise_dm(ULONG s) { (void)s, ExRaiseDatatypeMisalignment(); }
static void read_at(ULONG a) { (void)*(volatile ULONG *)a; }
static void write_at(ULONG a) { *(volatile ULONG *)a = 1; }
static void divide(ULONG zero)
{
    ULONG r;
    __asm__ volatile("xorl %%edx, %%edx\n\tmovl $7, %%eax\n\tdivl %1" : "=a"(r) : "c"(zero) : "edx");
}
static void breakpoint(ULONG s)
{
    (void)s;
    __asm__ volatile("int3");
}
static void invalid(ULONG s)
{
    (void)s;
    __asm__ volatile("ud2");
}
/* The trap flag: the CPU traps once the instruction after popfd has run (STATUS_SINGLE_STEP, the next
 * instruction's address); the dispatcher and handlers run without TF, as behind NT's trap gate, and
 * the longjmp out of the handler leaves it clear. */
extern char step_after[];
static void single_step(ULONG s)
{
    (void)s;
    __asm__ volatile("pushfl\n\torl $0x100, (%%esp)\n\tpopfl\n\tnop\n"
                     ".globl _step_after\n_step_after:\n\t"
                     "pushfl\n\tandl $0xfffffeff, (%%esp)\n\tpopfl" ::: "memory", "cc");
}
static void probe_write(ULONG a) { ProbeForWrite((PVOID)a, 8, 4); }
static void probe_read(ULONG a) { ProbeForRead((PVOID)a, 8, 4); }

static void raises(void)
{
    CATCH c;
    REG *before = fs0();
    CHECK(guarded(raise_status, 0xC0000123, &c) == 0xC0000123, "ExRaiseStatus caught with its code");
    CHECK(c.flags == 1 && c.nparams == 0, "ExRaiseStatus: noncontinuable, no parameters");
    CHECK(fs0() == before, "FS:[0] restored after the catch");
    CHECK(guarded(raise_av, 0, &c) == 0xC0000005, "ExRaiseAccessViolation");
    CHECK(guarded(raise_dm, 0, &c) == 0x80000002, "ExRaiseDatatypeMisalignment");
}

static void faults(void)
{
    CATCH c;
    CHECK(guarded(read_at, 0x10, &c) == 0xC0000005, "read of an unmapped address caught");
    CHECK(c.nparams == 2 && c.info0 == 0 && c.info1 == 0x10, "access violation parameters: read, address");
    CHECK(guarded(write_at, 0x20, &c) == 0xC0000005 && c.info0 == 1 && c.info1 == 0x20, "write fault: 1, address");
    CHECK(guarded(divide, 0, &c) == 0xC0000094, "divide error: STATUS_INTEGER_DIVIDE_BY_ZERO");
    CHECK(guarded(divide, 0, &c) == 0xC0000094, "a second divide error is one too (not a double fault)");
    CHECK(guarded(breakpoint, 0, &c) == 0x80000003, "int3: STATUS_BREAKPOINT");
    CHECK(guarded(invalid, 0, &c) == 0xC000001D, "ud2: STATUS_ILLEGAL_INSTRUCTION");
    CHECK(guarded(single_step, 0, &c) == 0x80000004, "trap flag: STATUS_SINGLE_STEP");
    CHECK(c.address == (PVOID)step_after, "single step: the address of the instruction after the one that ran");
    CHECK(guarded(read_at, 0x10, &c) && (ULONG)c.address != 0, "exception address is the faulting instruction");
}

static void probes(void)
{
    CATCH c;
    CHECK(guarded(probe_write, 0x20000, &c) == 0xC0000005, "ProbeForWrite of an absent user page");
    CHECK(c.info0 == 1 && c.info1 == 0x20000, "ProbeForWrite: the page fault's parameters");
    CHECK(guarded(probe_write, 0x20002, &c) == 0x80000002, "ProbeForWrite misaligned");
    CHECK(guarded(probe_read, 0x7FFEFFFC, &c) == 0xC0000005, "ProbeForRead reaching MmUserProbeAddress");
    CHECK(guarded(probe_read, 0x20000, &c) == 0, "ProbeForRead of a user range below the bound");
    ProbeForWrite((PVOID)0x10, 0, 4); /* a zero length probes nothing */
    CHECK(1, "ProbeForWrite of length 0 returned");
}

/* Continue execution: the handler repairs ECX and the faulting instruction runs again. */
static volatile ULONG good = 0x5EE0, fixes;
static int __cdecl fix_handler(EXCEPTION_RECORD *rec, REG *frame, CONTEXT *ctx, PVOID dc)
{
    (void)frame, (void)dc;
    if (rec->ExceptionFlags & UNWINDING) return 1;
    if (rec->ExceptionCode != 0xC0000005) return 1;
    fixes++;
    ctx->Ecx = (ULONG)&good;
    return 0;
}
static __attribute__((noinline)) ULONG read_fixed(void)
{
    REG r = {fs0(), fix_handler};
    ULONG v;
    set_fs0(&r);
    __asm__ volatile("movl $0x10, %%ecx\n\tmovl (%%ecx), %0" : "=r"(v) : : "ecx", "memory");
    set_fs0(r.Next);
    return v;
}

/* Single steps continued: KiTrap01 clears TF in the trap frame, so the CONTEXT has it clear and stepping
 * stops after one step unless the handler sets TF there again; it does so twice. */
static volatile ULONG steps_seen;
static int __cdecl step_handler(EXCEPTION_RECORD *rec, REG *frame, CONTEXT *ctx, PVOID dc)
{
    (void)frame, (void)dc;
    if (rec->ExceptionFlags & UNWINDING) return 1;
    if (rec->ExceptionCode != 0x80000004 || (ctx->EFlags & 0x100)) return 1;
    if (++steps_seen < 3) ctx->EFlags |= 0x100;
    return 0;
}
static __attribute__((noinline)) ULONG step_continue(void)
{
    REG r = {fs0(), step_handler};
    ULONG v = 1;
    set_fs0(&r);
    __asm__ volatile("pushfl\n\torl $0x100, (%%esp)\n\tpopfl\n\tincl %0\n\tincl %0\n\tincl %0\n\tincl %0"
                     : "+r"(v) : : "memory", "cc");
    set_fs0(r.Next);
    return v;
}

/* RtlRaiseException of a continuable record: the handler sets EAX, the call returns it. */
static int __cdecl eax_handler(EXCEPTION_RECORD *rec, REG *frame, CONTEXT *ctx, PVOID dc)
{
    (void)frame, (void)dc;
    if (rec->ExceptionFlags & UNWINDING) return 1;
    ctx->Eax = rec->ExceptionInformation[0] + 1;
    return 0;
}
typedef ULONG(NTAPI *RAISE_RET)(EXCEPTION_RECORD *);
static __attribute__((noinline)) ULONG raise_continue(void)
{
    REG r = {fs0(), eax_handler};
    EXCEPTION_RECORD rec = {0xE0000001, 0, NULL, NULL, 1, {41}};
    ULONG v;
    set_fs0(&r);
    PVOID volatile routine = (PVOID)RtlRaiseException;
    v = ((RAISE_RET)routine)(&rec);
    set_fs0(r.Next);
    return v;
}

/* Continue search: an inner handler declines, the outer one takes it and unwinds the inner. */
static ULONG inner_search, inner_unwind, inner_unwind_flags;
static int __cdecl inner_handler(EXCEPTION_RECORD *rec, REG *frame, CONTEXT *ctx, PVOID dc)
{
    (void)frame, (void)ctx, (void)dc;
    if (rec->ExceptionFlags & UNWINDING) {
        inner_unwind++;
        inner_unwind_flags = rec->ExceptionFlags;
    } else
        inner_search++;
    return 1;
}
static void inner(ULONG s)
{
    REG r = {fs0(), inner_handler};
    set_fs0(&r);
    ExRaiseStatus(s);
    set_fs0(r.Next);
}

/* Returning a disposition that is not one raises STATUS_INVALID_DISPOSITION, which the outer frame sees. */
static int __cdecl bad_handler(EXCEPTION_RECORD *rec, REG *frame, CONTEXT *ctx, PVOID dc)
{
    (void)frame, (void)ctx, (void)dc;
    return rec->ExceptionFlags & UNWINDING || rec->ExceptionCode != 0xC0000333 ? 1 : 7;
}
static void bad(ULONG s)
{
    REG r = {fs0(), bad_handler};
    set_fs0(&r);
    ExRaiseStatus(s);
    set_fs0(r.Next);
}

/* ContinueExecution for a noncontinuable exception raises STATUS_NONCONTINUABLE_EXCEPTION. */
static int __cdecl continue_handler(EXCEPTION_RECORD *rec, REG *frame, CONTEXT *ctx, PVOID dc)
{
    (void)frame, (void)ctx, (void)dc;
    return rec->ExceptionFlags & UNWINDING || rec->ExceptionCode != 0xC0000124 ? 1 : 0;
}
static void noncontinuable(ULONG s)
{
    REG r = {fs0(), continue_handler};
    set_fs0(&r);
    ExRaiseStatus(s);
    set_fs0(r.Next);
}

static void chains(void)
{
    CATCH c;
    REG *before = fs0();
    ULONG fixed;
    fixes = 0;
    fixed = read_fixed();
    if (fixed != 0x5EE0 || fixes != 1) DbgPrint("read_fixed: %x after %d fixes\n", fixed, fixes);
    CHECK(fixed == 0x5EE0 && fixes == 1, "continue execution after fixing ECX");
    CHECK(raise_continue() == 42, "RtlRaiseException continued with the handler's EAX");
    steps_seen = 0;
    CHECK(step_continue() == 5 && steps_seen == 3, "single steps: TF clear in the CONTEXT, set again twice by the handler");
    CHECK(guarded(inner, 0xC0000321, &c) == 0xC0000321, "continue search reaches the outer handler");
    CHECK(inner_search == 1 && inner_unwind == 1, "inner handler: one search call, one unwind call");
    CHECK((inner_unwind_flags & 2) && !(inner_unwind_flags & 4), "unwind flags: EXCEPTION_UNWINDING, not exit");
    CHECK(fs0() == before, "FS:[0] back to the outer chain");
    CHECK(guarded(bad, 0xC0000333, &c) == 0xC0000026, "bad disposition: STATUS_INVALID_DISPOSITION");
    CHECK(guarded(noncontinuable, 0xC0000124, &c) == 0xC0000025, "STATUS_NONCONTINUABLE_EXCEPTION");
}


/* An MSVC-style function with an SEH3 frame and scope table (what cl emits for __try/__except and
 * __try/__finally), written out in assembly: level 0 is __try/__except (filter0, handler0), level 1
 * inside it __try/__finally (finally1); the body raises. seh3_verdict is filter0's answer. */
ULONG seh3_code, seh3_finally_count;
long seh3_verdict;
ULONG __cdecl seh3_raise(ULONG status);
__asm__(".text\n"
        ".globl _seh3_raise\n"
        "_seh3_raise:\n"
        "  pushl %ebp\n"
        "  movl %esp, %ebp\n"
        "  pushl $-1\n"                       /* [ebp-4] TryLevel */
        "  pushl $_seh3_scope\n"              /* [ebp-8] ScopeTable */
        "  pushl __imp___except_handler3\n"   /* [ebp-0Ch] Handler */
        "  pushl %fs:0\n"                     /* [ebp-10h] Next */
        "  movl %esp, %fs:0\n"
        "  subl $8, %esp\n"                   /* [ebp-14h] xpointers, [ebp-18h] saved ESP */
        "  pushl %ebx\n"
        "  pushl %esi\n"
        "  pushl %edi\n"
        "  movl %esp, -0x18(%ebp)\n"
        "  movl $0, -4(%ebp)\n"
        "  movl $1, -4(%ebp)\n"
        "  pushl 8(%ebp)\n"
        "  call *__imp__ExRaiseStatus@4\n"
        "  xorl %eax, %eax\n"
        "  jmp 1f\n"
        "_seh3_filter0:\n"
        "  movl -0x14(%ebp), %eax\n"
        "  movl (%eax), %eax\n"
        "  movl (%eax), %eax\n"
        "  movl %eax, _seh3_code\n"
        "  movl _seh3_verdict, %eax\n"
        "  ret\n"
        "_seh3_finally1:\n"
        "  incl _seh3_finally_count\n"
        "  ret\n"
        "_seh3_handler0:\n"
        "  movl -0x18(%ebp), %esp\n"
        "  movl $-1, -4(%ebp)\n"
        "  movl _seh3_code, %eax\n"
        "1:\n"
        "  movl -0x10(%ebp), %ecx\n"
        "  movl %ecx, %fs:0\n"
        "  popl %edi\n"
        "  popl %esi\n"
        "  popl %ebx\n"
        "  movl %ebp, %esp\n"
        "  popl %ebp\n"
        "  ret\n"
        ".data\n"
        "_seh3_scope:\n"
        "  .long -1, _seh3_filter0, _seh3_handler0\n"
        "  .long 0, 0, _seh3_finally1\n"
        ".text\n");
int __cdecl _except_handler3(PVOID, PVOID, PVOID, PVOID);
static void seh3_declined(ULONG s) { seh3_raise(s); }

static void language(void)
{
    CATCH c;
    REG *before = fs0();
    PVOID volatile keep = (PVOID)_except_handler3; /* imported: the asm above names its IAT slot */
    (void)keep;
    seh3_verdict = 1;
    seh3_finally_count = 0;
    CHECK(seh3_raise(0xC0000200) == 0xC0000200, "_except_handler3: the __except block returns the filter's code");
    CHECK(seh3_finally_count == 1, "_except_handler3: the inner __finally ran before the __except block");
    CHECK(fs0() == before, "_except_handler3: FS:[0] restored by the function's epilogue");
    seh3_verdict = 0;
    CHECK(guarded(seh3_declined, 0xC0000201, &c) == 0xC0000201, "a declining filter: the outer frame takes it");
    CHECK(seh3_finally_count == 2, "the outer frame's unwind ran the __finally through _except_handler3");
}

NTSTATUS NTAPI DriverEntry(PVOID driver, PVOID path)
{
    (void)driver, (void)path;
    CHECK(fs0() == (REG *)0xFFFFFFFF, "DriverEntry starts with an empty chain");
    raises();
    faults();
    probes();
    chains();
    language();
    DbgPrint("seh: %d passed, %d failed\n", passed, failed);
    return failed ? 0xC0000001 : 0;
}
