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
#endif
    set_fs0(r.Next);
    DbgPrint("not reached: searched %d\n", searched);
    return 0;
}
