/* System threads run cooperatively (src/kernel/scheduler.ts), checked in guest code: a worker thread
 * that waits for work and a stop event, processes a queue and signals back, then terminates with
 * PsTerminateSystemThread; a thread that delays and returns, waited for by its object; a thread that
 * waits for a mutex DriverEntry owns; a thread that only runs once DriverEntry has returned. Unload
 * signals the stop event and waits for the worker. Built by test/kernel/threads.test.ts; the last line
 * is "threads: <passed> passed, <failed> failed". With -DSPIN, -DDEADLOCK, -DORPHAN or -DMANY it is a
 * hostile driver instead: a thread that spins forever, two threads that wait for each other,
 * DriverEntry waiting for an event nobody sets while its one thread ends, or threads created until
 * PsCreateSystemThread refuses. */
typedef unsigned char UCHAR, BOOLEAN;
typedef long LONG, NTSTATUS;
typedef unsigned long ULONG;
typedef long long LONGLONG;
typedef unsigned long long ULONGLONG;
typedef void *PVOID, *HANDLE;
#define NTAPI __stdcall
#define NULL ((void *)0)

typedef struct { ULONG Header[4]; } KEVENT;
typedef struct { ULONG Header[4]; ULONG Rest[4]; } KMUTEX;
typedef struct { ULONG Words[6]; } KWAIT_BLOCK;

ULONG __cdecl DbgPrint(const char *, ...);
void NTAPI KeInitializeEvent(KEVENT *, ULONG, BOOLEAN);
LONG NTAPI KeSetEvent(KEVENT *, LONG, BOOLEAN);
NTSTATUS NTAPI KeWaitForSingleObject(PVOID, ULONG, UCHAR, BOOLEAN, LONGLONG *);
NTSTATUS NTAPI KeWaitForMultipleObjects(ULONG, PVOID *, ULONG, ULONG, UCHAR, BOOLEAN, LONGLONG *, KWAIT_BLOCK *);
NTSTATUS NTAPI KeDelayExecutionThread(UCHAR, BOOLEAN, LONGLONG *);
void NTAPI KeInitializeMutex(KMUTEX *, ULONG);
LONG NTAPI KeReleaseMutex(KMUTEX *, BOOLEAN);
ULONGLONG NTAPI KeQueryInterruptTime(void);
PVOID NTAPI KeGetCurrentThread(void);
PVOID NTAPI PsGetCurrentThread(void);
PVOID NTAPI ExGetCurrentResourceThread(void);
typedef struct { LONG Count; PVOID Owner; ULONG Contention; KEVENT Event; ULONG OldIrql; } FAST_MUTEX;
void __attribute__((fastcall)) ExAcquireFastMutex(FAST_MUTEX *);
void __attribute__((fastcall)) ExReleaseFastMutex(FAST_MUTEX *);
NTSTATUS NTAPI PsCreateSystemThread(HANDLE *, ULONG, PVOID, HANDLE, PVOID, void(NTAPI *)(PVOID), PVOID);
NTSTATUS NTAPI PsTerminateSystemThread(NTSTATUS);
NTSTATUS NTAPI ObReferenceObjectByHandle(HANDLE, ULONG, PVOID, UCHAR, PVOID *, PVOID);
void NTAPI ObDereferenceObject(PVOID);
NTSTATUS NTAPI ZwClose(HANDLE);

#ifdef SPIN
static void NTAPI Spinner(PVOID context)
{
    volatile int *forever = context;
    DbgPrint("spinner: running\n");
    while (*forever) {
    }
}
static int one = 1;
NTSTATUS NTAPI DriverEntry(PVOID driver, PVOID path)
{
    HANDLE h;
    NTSTATUS s = PsCreateSystemThread(&h, 0, NULL, NULL, NULL, Spinner, &one);
    DbgPrint("spin: created %08x\n", s);
    return 0;
}
#elif defined(DEADLOCK)
static KEVENT never;
static void NTAPI Stuck(PVOID context)
{
    DbgPrint("stuck: waiting for an event nobody sets\n");
    KeWaitForSingleObject(&never, 0, 0, 0, NULL);
    DbgPrint("stuck: never printed\n");
}
NTSTATUS NTAPI DriverEntry(PVOID driver, PVOID path)
{
    HANDLE h;
    PVOID thread = NULL;
    KeInitializeEvent(&never, 0, 0);
    PsCreateSystemThread(&h, 0, NULL, NULL, NULL, Stuck, NULL);
    ObReferenceObjectByHandle(h, 0, NULL, 0, &thread, NULL);
    KeWaitForSingleObject(thread, 0, 0, 0, NULL);
    DbgPrint("deadlock: never printed\n");
    return 0;
}
#elif defined(MANY)
static KEVENT never;
static void NTAPI Idle(PVOID context)
{
    KeWaitForSingleObject(&never, 0, 0, 0, NULL);
}
NTSTATUS NTAPI DriverEntry(PVOID driver, PVOID path)
{
    HANDLE h;
    NTSTATUS s = 0;
    int made = 0;
    KeInitializeEvent(&never, 0, 0);
    while (made < 100 && (s = PsCreateSystemThread(&h, 0, NULL, NULL, NULL, Idle, NULL)) == 0)
        made++;
    DbgPrint("many: %d created, then %08x\n", made, s);
    return 0;
}
#elif defined(ORPHAN)
static KEVENT never;
static void NTAPI Brief(PVOID context)
{
    DbgPrint("brief: ends at once\n");
}
NTSTATUS NTAPI DriverEntry(PVOID driver, PVOID path)
{
    HANDLE h;
    KeInitializeEvent(&never, 0, 0);
    PsCreateSystemThread(&h, 0, NULL, NULL, NULL, Brief, NULL);
    KeWaitForSingleObject(&never, 0, 0, 0, NULL);
    DbgPrint("orphan: never printed\n");
    return 0;
}
#else

#include "check.h"

#define STATUS_TIMEOUT 0x102
#define STATUS_INVALID_PARAMETER ((NTSTATUS)0xC000000D)

static inline ULONG fs0(void)
{
    ULONG r;
    __asm__ volatile("movl %%fs:0, %0" : "=r"(r));
    return r;
}
static inline ULONG esp(void)
{
    ULONG r;
    __asm__ volatile("movl %%esp, %0" : "=r"(r));
    return r;
}
/* A thread's object, referenced from its handle (the handle is closed); NULL on failure. */
static PVOID object_of(HANDLE h)
{
    PVOID o = NULL;
    if (ObReferenceObjectByHandle(h, 0, NULL, 0, &o, NULL) != 0 || ZwClose(h) != 0)
        return NULL;
    return o;
}

/* What happened, in order: one letter per step. */
static char order[64];
static int steps;
static void step(char c)
{
    if (steps < (int)sizeof order - 1)
        order[steps++] = c;
}
static int same(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static KEVENT work, done, stop;
static int queue[8], queued, total;
static PVOID worker, mainThread;
static ULONG workerStack;

/* An SEH registration record the worker leaves at its FS:[0] while it waits (never used: nothing raises). */
typedef struct { ULONG Next; PVOID Handler; } REGISTRATION;
static REGISTRATION workerFrame = { 0xFFFFFFFF, NULL };
static inline void set_fs0(ULONG r) { __asm__ volatile("movl %0, %%fs:0" : : "r"(r) : "memory"); }

/* A frame on the worker's own stack that takes a fault (as seh.c's CATCH): the dispatcher accepts it
 * only within the running thread's stack bounds (KPCR StackBase/StackLimit, switched per thread). */
typedef struct { ULONG ExceptionCode, ExceptionFlags; PVOID Record, Address; ULONG NumberParameters, Information[15]; } EXCEPTION_RECORD;
void NTAPI RtlUnwind(PVOID, PVOID, EXCEPTION_RECORD *, PVOID);
typedef struct { REGISTRATION reg; void *buf[5]; ULONG code; } CATCH;
static int __cdecl catch_handler(EXCEPTION_RECORD *rec, REGISTRATION *frame, PVOID ctx, PVOID dc)
{
    CATCH *c = (CATCH *)frame;
    (void)ctx, (void)dc;
    if (rec->ExceptionFlags & 6) return 1; /* unwinding: ExceptionContinueSearch */
    c->code = rec->ExceptionCode;
    RtlUnwind(frame, NULL, rec, 0);
    __builtin_longjmp(c->buf, 1);
}
static void read_at(ULONG a) { (void)*(volatile ULONG *)a; }
/* Runs fn(arg) under a CATCH frame; returns the code caught, or 0 when fn returned normally. */
static __attribute__((noinline)) ULONG guarded(void (*fn)(ULONG), ULONG arg, CATCH *c)
{
    c->code = 0;
    c->reg.Handler = (PVOID)catch_handler;
    c->reg.Next = fs0();
    if (__builtin_setjmp(c->buf) == 0) {
        set_fs0((ULONG)&c->reg);
        fn(arg);
        set_fs0(c->reg.Next);
        return 0;
    }
    set_fs0(c->reg.Next);
    return c->code;
}

static void NTAPI Worker(PVOID context)
{
    PVOID events[2] = { &work, &stop };
    CATCH caught;
    step('W');
    CHECK(context == (PVOID)0x5151, "the worker gets its StartContext");
    CHECK(fs0() == 0xFFFFFFFF, "a new thread starts with an empty SEH chain");
    CHECK(guarded(read_at, 0, &caught) == 0xC0000005 && fs0() == 0xFFFFFFFF, "a fault in the worker reaches its own handler");
    set_fs0((ULONG)&workerFrame);
    workerStack = esp();
    CHECK(PsGetCurrentThread() != mainThread && KeGetCurrentThread() == PsGetCurrentThread(),
          "the worker is a thread of its own");
    CHECK(ExGetCurrentResourceThread() == PsGetCurrentThread(),
          "ExGetCurrentResourceThread names the worker (NT: PsGetCurrentThread)");
    {
        static FAST_MUTEX fm = { 1, NULL, 0, { { 0 } }, 0 };
        ExAcquireFastMutex(&fm);
        CHECK(fm.Owner == KeGetCurrentThread(), "a fast mutex the worker takes names the worker as its owner");
        ExReleaseFastMutex(&fm);
        CHECK(fm.Owner == NULL && fm.Count == 1, "released, the fast mutex has no owner");
    }
    for (;;) {
        NTSTATUS s = KeWaitForMultipleObjects(2, events, 1 /* WaitAny */, 0, 0, 0, NULL, NULL);
        if (s == 1) {
            step('S');
            CHECK(fs0() == (ULONG)&workerFrame, "the worker's SEH chain is its own across waits");
            PsTerminateSystemThread(0x1234);
            DbgPrint("FAIL: PsTerminateSystemThread returned\n");
        }
        CHECK(s == 0, "the worker wakes for work");
        step('P');
        while (queued > 0)
            total += queue[--queued];
        KeSetEvent(&done, 0, 0);
    }
}

static ULONGLONG sleptAt, wokeAt;
static void NTAPI Sleeper(PVOID context)
{
    LONGLONG tenMs = -100000;
    step('D');
    sleptAt = KeQueryInterruptTime();
    CHECK(KeDelayExecutionThread(0, 0, &tenMs) == 0, "the sleeper's delay");
    wokeAt = KeQueryInterruptTime();
    step('d');
}

static KMUTEX mutex;
static int gotMutex;
static PVOID mutexOwner;
static void NTAPI Contender(PVOID context)
{
    step('M');
    CHECK(KeWaitForSingleObject(&mutex, 0, 0, 0, NULL) == 0, "the contender gets the mutex");
    gotMutex = 1;
    mutexOwner = (PVOID)mutex.Rest[2]; /* KMUTEX.OwnerThread */
    KeReleaseMutex(&mutex, 0);
    step('m');
}

/* Pacer delays and then sets `paced`; Quick ends at once while Pacer and DriverEntry wait, so time
 * passes at a thread's end. */
static KEVENT paced;
static void NTAPI Pacer(PVOID context)
{
    LONGLONG fiveMs = -50000;
    step('X');
    KeDelayExecutionThread(0, 0, &fiveMs);
    step('x');
    KeSetEvent(&paced, 0, 0);
}
static void NTAPI Quick(PVOID context)
{
    step('Y');
}

static int lateRan;
static void NTAPI Late(PVOID context)
{
    step('L');
    lateRan = *(int *)context;
}
static int entryReturned;

static void NTAPI Unload(PVOID driver)
{
    LONGLONG zero = 0;
    CHECK(lateRan == 1, "a thread made just before DriverEntry returned ran after it returned");
    CHECK(same(order, "WPDdMmXYxL"), "threads ran in order before unload");
    step('U');
    KeSetEvent(&stop, 0, 0);
    CHECK(KeWaitForSingleObject(worker, 0, 0, 0, &zero) == STATUS_TIMEOUT, "the worker still runs");
    CHECK(KeWaitForSingleObject(worker, 0, 0, 0, NULL) == 0, "unload waits for the worker to end");
    CHECK(same(order, "WPDdMmXYxLUS"), "the worker saw the stop event and terminated");
    ObDereferenceObject(worker);
    DbgPrint("threads: %d passed, %d failed\n", passed, failed);
}

NTSTATUS NTAPI DriverEntry(PVOID driver, PVOID path)
{
    HANDLE h;
    PVOID sleeper, contender;
    LONGLONG zero = 0, oneMs = -10000;
    ULONGLONG before;

    mainThread = PsGetCurrentThread();
    KeInitializeEvent(&work, 1 /* SynchronizationEvent */, 0);
    KeInitializeEvent(&done, 1, 0);
    KeInitializeEvent(&stop, 0 /* NotificationEvent */, 0);

    /* A worker: created ready, it runs only when this thread waits. */
    CHECK(PsCreateSystemThread(&h, 0, NULL, NULL, NULL, Worker, (PVOID)0x5151) == 0, "PsCreateSystemThread");
    worker = object_of(h);
    CHECK(worker != NULL, "the worker's object by its handle");
    CHECK(steps == 0, "a new thread has not run yet (cooperative)");
    queue[queued++] = 10;
    queue[queued++] = 20;
    queue[queued++] = 12;
    KeSetEvent(&work, 0, 0);
    CHECK(KeWaitForSingleObject(&done, 0, 0, 0, NULL) == 0, "the worker signals back");
    CHECK(total == 42 && queued == 0, "the worker processed the queue");
    CHECK(same(order, "WP"), "the worker started and processed");
    CHECK(workerStack != 0 && (workerStack < esp() - 0x1000 || workerStack > esp() + 0x1000),
          "the worker ran on a stack of its own (4 KiB and more away from DriverEntry's frame)");
    CHECK(PsGetCurrentThread() == mainThread, "back on DriverEntry's thread");
    CHECK(fs0() == 0xFFFFFFFF, "DriverEntry's SEH chain is not the worker's");

    /* A thread that delays and returns: waiting for its object lets the clock pass its delay. */
    before = KeQueryInterruptTime();
    CHECK(PsCreateSystemThread(&h, 0, NULL, NULL, NULL, Sleeper, NULL) == 0, "PsCreateSystemThread(Sleeper)");
    sleeper = object_of(h);
    CHECK(sleeper != NULL, "the sleeper's object by its handle");
    CHECK(KeWaitForSingleObject(sleeper, 0, 0, 0, &zero) == STATUS_TIMEOUT, "a thread object is not signalled while it lives");
    CHECK(KeWaitForSingleObject(sleeper, 0, 0, 0, NULL) == 0, "waiting for a thread's object returns when it ends");
    CHECK(same(order, "WPDd"), "the sleeper ran to its end");
    CHECK(wokeAt - sleptAt >= 100000 && KeQueryInterruptTime() - before >= 100000, "its delay passed on the virtual clock");
    CHECK(KeWaitForSingleObject(sleeper, 0, 0, 0, &zero) == 0, "an ended thread's object stays signalled");
    ObDereferenceObject(sleeper);

    /* A mutex this thread owns: the contender waits until it is released. */
    KeInitializeMutex(&mutex, 0);
    CHECK(KeWaitForSingleObject(&mutex, 0, 0, 0, NULL) == 0, "DriverEntry owns the mutex");
    CHECK(PsCreateSystemThread(&h, 0, NULL, NULL, NULL, Contender, NULL) == 0, "PsCreateSystemThread(Contender)");
    contender = object_of(h);
    CHECK(contender != NULL, "the contender's object by its handle");
    CHECK(KeDelayExecutionThread(0, 0, &oneMs) == 0, "DriverEntry delays while the contender waits");
    CHECK(same(order, "WPDdM") && !gotMutex, "the contender waits for the owned mutex");
    KeReleaseMutex(&mutex, 0);
    CHECK(KeWaitForSingleObject(contender, 0, 0, 0, NULL) == 0, "the contender ends");
    CHECK(gotMutex && mutexOwner == contender, "the contender owned the mutex as itself");
    CHECK(same(order, "WPDdMm"), "the contender ran after the release");
    ObDereferenceObject(contender);

    /* Threads run in creation order; when the last runnable one ends, time passes for the others. */
    KeInitializeEvent(&paced, 0, 0);
    before = KeQueryInterruptTime();
    CHECK(PsCreateSystemThread(&h, 0, NULL, NULL, NULL, Pacer, NULL) == 0 && ZwClose(h) == 0, "PsCreateSystemThread(Pacer)");
    CHECK(PsCreateSystemThread(&h, 0, NULL, NULL, NULL, Quick, NULL) == 0 && ZwClose(h) == 0, "PsCreateSystemThread(Quick)");
    CHECK(KeWaitForSingleObject(&paced, 0, 0, 0, NULL) == 0, "DriverEntry waits for the pacer's event");
    CHECK(same(order, "WPDdMmXYx"), "the pacer, the quick thread, then the pacer again");
    CHECK(KeQueryInterruptTime() - before >= 50000, "the pacer's delay passed after the quick thread ended");

    CHECK(PsTerminateSystemThread(0) == STATUS_INVALID_PARAMETER, "DriverEntry's thread is not a system thread");

    /* A thread made last runs once DriverEntry returns. */
    CHECK(PsCreateSystemThread(&h, 0, NULL, NULL, NULL, Late, &entryReturned) == 0, "PsCreateSystemThread(Late)");
    ZwClose(h);
    ((PVOID *)driver)[0x34 / 4] = (PVOID)Unload; /* DRIVER_OBJECT.DriverUnload */
    CHECK(!lateRan && same(order, "WPDdMmXYx"), "no thread runs while DriverEntry neither waits nor returns");
    entryReturned = 1;
    return 0x40000000; /* STATUS_OBJECT_NAME_EXISTS: a success the late thread must not change */
}
#endif
