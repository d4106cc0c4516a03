/* A driver whose DriverEntry loads DS with a selector beyond the GDT: a general-protection fault (#GP,
 * vector 13) that NT's trap handlers do not turn into an exception a driver could catch. Built by
 * test/cli/render-fault-vector.test.ts. */
typedef long NTSTATUS;
typedef void *PVOID;
NTSTATUS __stdcall DriverEntry(PVOID driver, PVOID path)
{
    (void)driver, (void)path;
    __asm__ volatile("movw $0x1234, %%ax\n\tmovw %%ax, %%ds" : : : "eax");
    return 0;
}
