/* Exceptions no handler takes, and corrupt FS:[0] chains, under --kernel registry: built with -DMODE=n,
 * each mode ends DriverEntry the way test/kernel/seh.test.ts expects (a bugcheck or a fault). */
typedef unsigned long ULONG;
typedef long NTSTATUS;
typedef void *PVOID;
#define NTAPI __stdcall

struct _REG;
typedef int(__cdecl *HANDLER)(PVOID, struct _REG *, PVOID, PVOID);
typedef struct _REG { struct _REG *Next; HANDLER Handler; } REG;

ULONG __cdecl DbgPrint(const char *, ...);
void NTAPI ExRaiseStatus(NTSTATUS);

static inline REG *fs0(void)
{
    REG *r;
    __asm__ volatile("movl %%fs:0, %0" : "=r"(r));
    return r;
}
static inline void set_fs0(REG *r) { __asm__ volatile("movl %0, %%fs:0" : : "r"(r) : "memory"); }

static ULONG searched;
static int __cdecl decline(PVOID rec, REG *frame, PVOID ctx, PVOID dc)
{
    (void)rec, (void)frame, (void)ctx, (void)dc;
    searched++;
    return 1; /* ExceptionContinueSearch */
}

#if MODE == 7
/* A fault caught by a longjmp-style handler, then an unhandled raise from the same stack depth: the
 * raise must not be mistaken for the old fault (its records sit at the same address). */
typedef struct { REG reg; void *buf[5]; } CATCH;
void NTAPI RtlUnwind(PVOID, PVOID, PVOID, PVOID);
static int __cdecl catcher(PVOID rec, REG *frame, PVOID ctx, PVOID dc)
{
    (void)ctx, (void)dc;
    if (((ULONG *)rec)[1] & 6) return 1;
    RtlUnwind(frame, 0, rec, 0);
    __builtin_longjmp(((CATCH *)frame)->buf, 1);
}
/* The fault happens 0x20 bytes below the entry ESP, where ExRaiseStatus is entered from raise(). */
static void fault(ULONG a)
{
    __asm__ volatile("subl $0x20, %%esp\n\tmovl (%0), %%eax\n\taddl $0x20, %%esp" : : "r"(a) : "eax", "memory");
}
static void raise(ULONG s) { ExRaiseStatus(s); }
static __attribute__((noinline)) void run(void (*fn)(ULONG), ULONG arg, HANDLER h)
{
    CATCH c;
    c.reg.Next = fs0();
    c.reg.Handler = h;
    if (__builtin_setjmp(c.buf) == 0) {
        set_fs0(&c.reg);
        fn(arg);
    }
    set_fs0(c.reg.Next);
}
#endif

NTSTATUS NTAPI DriverEntry(PVOID driver, PVOID path)
{
    REG r = {fs0(), decline};
    (void)driver, (void)path;
#if MODE == 1 /* a handler that declines: KMODE_EXCEPTION_NOT_HANDLED */
    set_fs0(&r);
    ExRaiseStatus(0xC0000123);
#elif MODE == 2 /* no frame at all */
    ExRaiseStatus(0xC0000124);
#elif MODE == 3 /* a frame whose Next points outside the stack */
    r.Next = (REG *)0x12345678;
    set_fs0(&r);
    ExRaiseStatus(0xC0000125);
#elif MODE == 4 /* a frame that links to itself */
    r.Next = &r;
    set_fs0(&r);
    ExRaiseStatus(0xC0000126);
#elif MODE == 5 /* a CPU fault no handler takes */
    set_fs0(&r);
    {
        ULONG volatile where = 0x10;
        *(volatile ULONG *)where = 1;
    }
#elif MODE == 6 /* a handler pointer into nowhere */
    r.Handler = (HANDLER)0x30;
    set_fs0(&r);
    ExRaiseStatus(0xC0000127);
#elif MODE == 7
    run(fault, 0x10, catcher);
    run(raise, 0xC0000128, decline);
#endif
    set_fs0(r.Next);
    DbgPrint("not reached: searched %d\n", searched);
    return 0;
}
