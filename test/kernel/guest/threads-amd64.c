/* System threads on AMD64 (src/kernel/scheduler.ts switches RAX-R15, RIP, RFLAGS): a worker that
 * waits for work, doubles a value and signals back, delays, and ends; a thread that runs once
 * DriverEntry has returned; unload checks it ran. Built by test/kernel/threads.test.ts with
 * x86_64-w64-mingw32-gcc; the last line is "threads-amd64: <passed> passed, <failed> failed". */
typedef unsigned char UCHAR, BOOLEAN;
typedef int LONG, NTSTATUS;
typedef unsigned int ULONG;
typedef long long LONGLONG;
typedef unsigned long long ULONGLONG;
typedef void *PVOID, *HANDLE;
#define NTAPI
#define NULL ((void *)0)

typedef struct { ULONG Header[6]; } KEVENT; /* DISPATCHER_HEADER, 24 bytes on AMD64 */

ULONG DbgPrint(const char *, ...);
void NTAPI KeInitializeEvent(KEVENT *, ULONG, BOOLEAN);
LONG NTAPI KeSetEvent(KEVENT *, LONG, BOOLEAN);
NTSTATUS NTAPI KeWaitForSingleObject(PVOID, ULONG, UCHAR, BOOLEAN, LONGLONG *);
NTSTATUS NTAPI KeDelayExecutionThread(UCHAR, BOOLEAN, LONGLONG *);
ULONGLONG NTAPI KeQueryInterruptTime(void);
PVOID NTAPI PsGetCurrentThread(void);
NTSTATUS NTAPI PsCreateSystemThread(HANDLE *, ULONG, PVOID, HANDLE, PVOID, void(NTAPI *)(PVOID), PVOID);
NTSTATUS NTAPI ZwClose(HANDLE);

#include "check.h"

struct job {
    KEVENT go, done;
    LONGLONG value;
    PVOID thread;
    ULONGLONG slept;
};
static struct job job;
static int steps, lateRan, entryReturned;

static void NTAPI Worker(PVOID context)
{
    struct job *j = context;
    LONGLONG tenMs = -100000;
    ULONGLONG t0;
    steps++;
    j->thread = PsGetCurrentThread();
    KeWaitForSingleObject(&j->go, 0, 0, 0, NULL);
    j->value *= 2;
    t0 = KeQueryInterruptTime();
    KeDelayExecutionThread(0, 0, &tenMs);
    j->slept = KeQueryInterruptTime() - t0;
    KeSetEvent(&j->done, 0, 0);
}

static void NTAPI Late(PVOID context)
{
    lateRan = *(int *)context;
}

static void NTAPI Unload(PVOID driver)
{
    CHECK(lateRan == 1, "a thread made just before DriverEntry returned ran after it returned");
    DbgPrint("threads-amd64: %d passed, %d failed\n", passed, failed);
}

NTSTATUS NTAPI DriverEntry(PVOID driver, PVOID path)
{
    HANDLE h = NULL;
    PVOID self = PsGetCurrentThread();
    KeInitializeEvent(&job.go, 1, 0);
    KeInitializeEvent(&job.done, 0, 0);
    job.value = 0x123456789LL;
    CHECK(PsCreateSystemThread(&h, 0, NULL, NULL, NULL, Worker, &job) == 0 && h != NULL, "PsCreateSystemThread");
    CHECK(steps == 0, "a new thread has not run yet (cooperative)");
    KeSetEvent(&job.go, 0, 0);
    CHECK(KeWaitForSingleObject(&job.done, 0, 0, 0, NULL) == 0, "the worker signals back");
    CHECK(steps == 1 && job.value == 0x2468ACF12LL, "the worker doubled a 64-bit value through its context");
    CHECK(job.thread != NULL && job.thread != self && PsGetCurrentThread() == self, "the worker is a thread of its own");
    CHECK(job.slept >= 100000, "the worker's delay passed on the virtual clock");
    ZwClose(h);
    h = NULL;
    CHECK(PsCreateSystemThread(&h, 0, NULL, NULL, NULL, Late, &entryReturned) == 0, "PsCreateSystemThread(Late)");
    ZwClose(h);
    CHECK(!lateRan, "no thread runs while DriverEntry neither waits nor returns");
    ((PVOID *)driver)[0x68 / 8] = (PVOID)Unload; /* DRIVER_OBJECT.DriverUnload (AMD64) */
    entryReturned = 1;
    return 0;
}
