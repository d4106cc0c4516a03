/* AMD64 exceptions no frame takes: MODE 1 raises a status (bugcheck 0x1E KMODE_EXCEPTION_NOT_HANDLED
 * with the status and its address), MODE 2 writes through NULL (the run ends as that fault), MODE 3
 * raises inside a function whose __try filter says EXCEPTION_CONTINUE_SEARCH (still 0x1E). */
typedef long LONG;
typedef void *PVOID;
typedef struct { PVOID ExceptionRecord, ContextRecord; } EXCEPTION_POINTERS;
void ExRaiseStatus(LONG);

LONG filter_search(EXCEPTION_POINTERS *p, PVOID frame)
{
    (void)p, (void)frame;
    return 0;
}
void raise_guarded(LONG status);
__asm__(".text\n .globl raise_guarded\n .seh_proc raise_guarded\nraise_guarded:\n"
        "  sub $40, %rsp\n .seh_stackalloc 40\n .seh_endprologue\n"
        "1: call ExRaiseStatus\n nop\n2: add $40, %rsp\n ret\n"
        "3: add $40, %rsp\n ret\n"
        " .seh_handler __C_specific_handler, @except\n .seh_handlerdata\n"
        " .long 1\n .rva 1b, 2b, filter_search, 3b\n .text\n .seh_endproc\n");

LONG DriverEntry(PVOID driver, PVOID path)
{
    (void)driver, (void)path;
#if MODE == 1
    ExRaiseStatus(0xC0000123);
#elif MODE == 2
    *(volatile int *)0 = 1;
#else
    raise_guarded(0xC0000456);
#endif
    return 0;
}
