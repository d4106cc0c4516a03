/* Guest-level checks of the /GS-era x86 language handler, EH4 (_except_handler4_common and
 * _local_unwind4), under --kernel registry. MSVC links a small _except_handler4 into each image that
 * passes the image's __security_cookie and __security_check_cookie to _except_handler4_common
 * (the CRT's chandler4gs.c); this driver does the same. seh4_raise is what cl emits for
 * __try { __try { body } __finally { finally1 } } __except (filter0) { handler0 }, with
 * __SEH_prolog4's frame written out in assembly: the scope table pointer XORed with the cookie,
 * TryLevel -2 for "none", the EH cookie (cookie ^ EBP) below the saved registers.
 * Output as seh.c: FAIL lines, then "seh4: N passed, M failed". */
typedef unsigned long ULONG;
typedef long NTSTATUS;
typedef void *PVOID;
#define NTAPI __stdcall

typedef struct _EXCEPTION_RECORD {
    ULONG ExceptionCode, ExceptionFlags;
    struct _EXCEPTION_RECORD *ExceptionRecord;
    PVOID ExceptionAddress;
    ULONG NumberParameters, ExceptionInformation[15];
} EXCEPTION_RECORD;
struct _REG;
typedef int(__cdecl *HANDLER)(EXCEPTION_RECORD *, struct _REG *, PVOID, PVOID);
typedef struct _REG { struct _REG *Next; HANDLER Handler; } REG;

ULONG __cdecl DbgPrint(const char *, ...);
void NTAPI ExRaiseStatus(NTSTATUS);
void NTAPI RtlRaiseException(EXCEPTION_RECORD *);
void NTAPI RtlUnwind(PVOID, PVOID, EXCEPTION_RECORD *, PVOID);
int __cdecl _except_handler4_common(ULONG *, void(__fastcall *)(ULONG), PVOID, PVOID, PVOID, PVOID);
void __cdecl _local_unwind4(ULONG *, PVOID, ULONG);

#include "check.h"

static inline REG *fs0(void)
{
    REG *r;
    __asm__ volatile("movl %%fs:0, %0" : "=r"(r));
    return r;
}
static inline void set_fs0(REG *r) { __asm__ volatile("movl %0, %%fs:0" : : "r"(r) : "memory"); }

/* The image's cookie and check routine, as the CRT's gs_cookie.c and secchk.c give them. */
ULONG seh4_cookie = 0xBB40E64E;
int cookie_checks, cookie_failures;
void __fastcall seh4_check_cookie(ULONG value)
{
    cookie_checks++;
    if (value != seh4_cookie) cookie_failures++; /* the CRT's __report_gsfailure would stop here */
}
/* The statically linked stub (chandler4gs.c). */
int __cdecl seh4_except_handler4(PVOID rec, PVOID frame, PVOID ctx, PVOID dc)
{
    return _except_handler4_common(&seh4_cookie, seh4_check_cookie, rec, frame, ctx, dc);
}

ULONG seh4_code, seh4_finally_count;
long seh4_verdict;
EXCEPTION_RECORD seh4_record = {0xE0000004, 0, 0, 0, 0, {0}};
/* seh4_raise(mode): 0 faults, 1 raises seh4_record (continuable) with RtlRaiseException, 2 corrupts
 * the EH cookie then raises 0xC0000301, 3 calls _local_unwind4 out of both levels (returns the
 * TryLevel left), anything else ExRaiseStatus(mode). Returns the __except block's code, or 0x42 when
 * the body goes on. */
ULONG __cdecl seh4_raise(ULONG mode);
__asm__(".text\n"
        ".globl _seh4_raise\n"
        "_seh4_raise:\n"
        "  pushl %ebp\n"
        "  movl %esp, %ebp\n"
        "  pushl $-2\n"                        /* [ebp-4] TryLevel: TOPMOST_TRY_LEVEL */
        "  pushl _seh4_table\n"                /* [ebp-8] scope table, encoded below */
        "  pushl $_seh4_except_handler4\n"     /* [ebp-0Ch] Handler */
        "  pushl %fs:0\n"                      /* [ebp-10h] Next */
        "  subl $8, %esp\n"                    /* [ebp-14h] xpointers, [ebp-18h] saved ESP */
        "  pushl %ebx\n"
        "  pushl %esi\n"
        "  pushl %edi\n"
        "  movl _seh4_cookie, %eax\n"
        "  xorl %eax, -8(%ebp)\n"              /* EncodedScopeTable = table ^ cookie */
        "  xorl %ebp, %eax\n"
        "  pushl %eax\n"                       /* [ebp-28h] EH cookie = cookie ^ EBP */
        "  movl %esp, -0x18(%ebp)\n"
        "  leal -0x10(%ebp), %eax\n"
        "  movl %eax, %fs:0\n"
        "  movl $0, -4(%ebp)\n"
        "  movl $1, -4(%ebp)\n"
        "  movl 8(%ebp), %eax\n"
        "  testl %eax, %eax\n"
        "  jnz 2f\n"
        "  movl 0x30, %eax\n"                  /* mode 0: read unmapped memory */
        "2:\n"
        "  cmpl $1, %eax\n"
        "  jne 3f\n"
        "  pushl $_seh4_record\n"
        "  call *__imp__RtlRaiseException@4\n"
        "  movl $0x42, %eax\n"
        "  jmp 1f\n"
        "3:\n"
        "  cmpl $3, %eax\n"                   /* mode 3: _local_unwind4 to TOPMOST_TRY_LEVEL */
        "  jne 5f\n"
        "  pushl $-2\n"
        "  leal -0x10(%ebp), %eax\n"
        "  pushl %eax\n"
        "  pushl $_seh4_cookie\n"
        "  call *__imp___local_unwind4\n"
        "  addl $12, %esp\n"
        "  movl -4(%ebp), %eax\n"             /* the TryLevel it left */
        "  jmp 1f\n"
        "5:\n"
        "  cmpl $2, %eax\n"
        "  jne 4f\n"
        "  notl -0x28(%ebp)\n"                 /* mode 2: overwrite the EH cookie */
        "  movl $0xC0000301, %eax\n"
        "4:\n"
        "  pushl %eax\n"
        "  call *__imp__ExRaiseStatus@4\n"
        "  movl $0x42, %eax\n"
        "  jmp 1f\n"
        "_seh4_filter0:\n"
        "  movl -0x14(%ebp), %eax\n"           /* GetExceptionInformation() */
        "  movl (%eax), %eax\n"
        "  movl (%eax), %eax\n"
        "  movl %eax, _seh4_code\n"
        "  movl _seh4_verdict, %eax\n"
        "  ret\n"
        "_seh4_finally1:\n"
        "  incl _seh4_finally_count\n"
        "  ret\n"
        "_seh4_handler0:\n"
        "  movl -0x18(%ebp), %esp\n"
        "  movl $-2, -4(%ebp)\n"
        "  movl _seh4_code, %eax\n"
        "1:\n"
        "  movl -0x10(%ebp), %ecx\n"
        "  movl %ecx, %fs:0\n"
        "  popl %ecx\n"                        /* the EH cookie */
        "  popl %edi\n"
        "  popl %esi\n"
        "  popl %ebx\n"
        "  movl %ebp, %esp\n"
        "  popl %ebp\n"
        "  ret\n"
        ".data\n"
        ".globl _seh4_scope\n .globl _seh4_scope_gs\n"
        "_seh4_scope:\n"
        "  .long -2, 0, -0x28, 0\n"            /* no GS cookie; EH cookie at [ebp-28h], XOR offset 0 */
        "  .long -2, _seh4_filter0, _seh4_handler0\n"
        "  .long 0, 0, _seh4_finally1\n"
        "_seh4_scope_gs:\n"                   /* the same with a GS cookie: the one slot, XORed with EBP+0 */
        "  .long -0x28, 0, -0x28, 0\n"
        "  .long -2, _seh4_filter0, _seh4_handler0\n"
        "  .long 0, 0, _seh4_finally1\n"
        ".text\n");
extern char seh4_scope[], seh4_scope_gs[];
PVOID seh4_table = seh4_scope;

/* An outer frame of the driver's own that takes what seh4_raise's filter declines. */
typedef struct {
    REG reg;
    void *buf[5];
    ULONG code;
} CATCH;
static int __cdecl catch_handler(EXCEPTION_RECORD *rec, REG *frame, PVOID ctx, PVOID dc)
{
    CATCH *c = (CATCH *)frame;
    (void)ctx, (void)dc;
    if (rec->ExceptionFlags & 6) return 1;
    c->code = rec->ExceptionCode;
    RtlUnwind(frame, 0, rec, 0);
    __builtin_longjmp(c->buf, 1);
}
static __attribute__((noinline)) ULONG declined(ULONG status)
{
    CATCH c;
    c.code = 0;
    c.reg.Handler = catch_handler;
    c.reg.Next = fs0();
    if (__builtin_setjmp(c.buf) == 0) {
        set_fs0(&c.reg);
        seh4_raise(status);
        set_fs0(c.reg.Next);
        return 0;
    }
    set_fs0(c.reg.Next);
    return c.code;
}

NTSTATUS NTAPI DriverEntry(PVOID driver, PVOID path)
{
    (void)driver, (void)path;
    REG *before = fs0();
    seh4_cookie = 0x5EC00C1E; /* what a loader's __security_init_cookie would leave */
    seh4_verdict = 1;
    seh4_finally_count = 0;
    CHECK(seh4_raise(0xC0000300) == 0xC0000300, "EH4: the __except block returns the filter's code");
    CHECK(seh4_finally_count == 1, "EH4: the inner __finally ran before the __except block");
    CHECK(fs0() == before, "EH4: FS:[0] restored by the function's epilogue");
    /* chandler4.c validates on entry and again before the transfer to the __except block */
    CHECK(cookie_checks == 2 && cookie_failures == 0, "EH4: the EH cookie validated twice, and it held");
    CHECK(seh4_raise(0) == 0xC0000005, "EH4: an access violation reaches the filter");
    CHECK(seh4_finally_count == 2, "EH4: the __finally ran again");
    seh4_verdict = -1;
    CHECK(seh4_raise(1) == 0x42, "EH4: EXCEPTION_CONTINUE_EXECUTION resumes after RtlRaiseException");
    CHECK(seh4_code == 0xE0000004 && seh4_finally_count == 2, "EH4: the filter saw the record; no unwind");
    seh4_verdict = 0;
    CHECK(declined(0xC0000302) == 0xC0000302, "EH4: a declining filter, the outer frame takes it");
    CHECK(seh4_finally_count == 3, "EH4: the outer frame's unwind ran the __finally through the handler");
    seh4_verdict = 1;
    int checks = cookie_checks;
    CHECK(seh4_raise(2) == 0xC0000301, "EH4: the handler still runs after a failed check that returns");
    CHECK(cookie_failures > 0 && cookie_checks > checks, "EH4: an overwritten EH cookie is reported to the check routine");
    PVOID volatile keep = (PVOID)_local_unwind4; /* imported: the asm above names its IAT slot */
    (void)keep;
    seh4_table = seh4_scope_gs;
    checks = cookie_checks;
    int failures = cookie_failures;
    CHECK(seh4_raise(0xC0000303) == 0xC0000303, "EH4 with a GS cookie: caught");
    CHECK(cookie_checks == checks + 4 && cookie_failures == failures, "EH4: the GS cookie is validated too, and holds");
    seh4_table = seh4_scope;
    ULONG finallies = seh4_finally_count;
    CHECK(seh4_raise(3) == (ULONG)-2, "_local_unwind4: TryLevel left at TOPMOST_TRY_LEVEL");
    CHECK(seh4_finally_count == finallies + 1, "_local_unwind4: the __finally level ran, once");
    DbgPrint("seh4: %d passed, %d failed\n", passed, failed);
    return failed ? 0xC0000001 : 0;
}
