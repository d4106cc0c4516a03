/* Guest-level checks of the dispatcher objects and synchronisation structures the kernel's handlers
 * lay out, built for x86 and for AMD64 against mingw-w64's own <ddk/ntddk.h> (an independent
 * statement of both layouts): a system thread waited for through ObReferenceObjectByHandle, events,
 * mutexes, semaphores, timers and DPCs, KeWaitForMultipleObjects' pointer array, work items, ERESOURCE,
 * fast mutexes, KSPIN_LOCK and RTL_BITMAP. Built by test/kernel/dispatcher-layout.test.ts; the last line is
 * "dispatcher: <passed> passed, <failed> failed". */
#include <ddk/ntddk.h>
#include "check.h"

/* KOBJECTS (ntosdef.h; not in the DDK): the DISPATCHER_HEADER.Type values. */
enum { MutantObject = 2, SemaphoreObject = 5, TimerNotificationObject = 8 };

static int workerRan;
static PVOID workerThread;
static VOID NTAPI Worker(PVOID context) {
    workerRan = context == &workerRan;
    workerThread = PsGetCurrentThread();
}

/* PsCreateSystemThread's HANDLE and CLIENT_ID, ObReferenceObjectByHandle's *Object, then a wait on
 * the thread object until the thread has ended. */
static void threads(void) {
    HANDLE h;
    CLIENT_ID cid;
    PVOID thread = NULL;
    memset(&h, 0xcc, sizeof h);
    memset(&cid, 0xcc, sizeof cid);
    NTSTATUS st = PsCreateSystemThread(&h, THREAD_ALL_ACCESS, NULL, NULL, &cid, Worker, &workerRan);
    CHECK(st == STATUS_SUCCESS, "PsCreateSystemThread");
    if (st) return;
    CHECK((ULONG_PTR)h <= 0xffffffffu, "PsCreateSystemThread: *ThreadHandle written pointer-wide");
    CHECK(cid.UniqueProcess == (HANDLE)4 && (ULONG_PTR)cid.UniqueThread <= 0xffff, "CLIENT_ID: two HANDLEs");
    st = ObReferenceObjectByHandle(h, SYNCHRONIZE, NULL, KernelMode, &thread, NULL);
    CHECK(st == STATUS_SUCCESS, "ObReferenceObjectByHandle(thread handle)");
    if (st) return;
    CHECK(KeWaitForSingleObject(thread, Executive, KernelMode, FALSE, NULL) == STATUS_SUCCESS,
          "KeWaitForSingleObject(thread object)");
    CHECK(workerRan && workerThread == thread, "the thread ran, and its object is *Object");
    ObDereferenceObject(thread);
    ZwClose(h);
}

static void events(void) {
    KEVENT e[2];
    PVOID objects[2] = {&e[0], &e[1]};
    KeInitializeEvent(&e[0], NotificationEvent, FALSE);
    KeInitializeEvent(&e[1], SynchronizationEvent, TRUE);
    CHECK(e[0].Header.Type == NotificationEvent && e[1].Header.Type == SynchronizationEvent, "KEVENT.Type");
    CHECK(e[0].Header.Size == sizeof(KEVENT) / sizeof(ULONG), "KEVENT.Size in ULONGs");
    CHECK(e[0].Header.SignalState == 0 && e[1].Header.SignalState == 1, "KEVENT.SignalState");
    CHECK(IsListEmpty(&e[0].Header.WaitListHead) && e[0].Header.WaitListHead.Blink == &e[0].Header.WaitListHead,
          "KeInitializeEvent: an empty WaitListHead");
    CHECK(KeWaitForMultipleObjects(2, objects, WaitAny, Executive, KernelMode, FALSE, NULL, NULL) == 1,
          "KeWaitForMultipleObjects: the array's second pointer");
    CHECK(e[1].Header.SignalState == 0, "KeWaitForMultipleObjects: the synchronization event reset");
}

static void mutexes(void) {
    KMUTEX m;
    KSEMAPHORE s;
    KeInitializeMutex(&m, 0);
    CHECK(m.Header.Type == MutantObject && m.Header.Size == sizeof(KMUTEX) / sizeof(ULONG), "KMUTEX header");
    CHECK(m.Header.SignalState == 1 && m.OwnerThread == NULL && IsListEmpty(&m.Header.WaitListHead),
          "KeInitializeMutex");
    CHECK(KeWaitForSingleObject(&m, Executive, KernelMode, FALSE, NULL) == STATUS_SUCCESS, "wait for a mutex");
    CHECK(m.OwnerThread == KeGetCurrentThread() && m.Header.SignalState == 0, "KMUTEX.OwnerThread");
    CHECK(KeReleaseMutex(&m, FALSE) == 0 && m.OwnerThread == NULL, "KeReleaseMutex");
    KeInitializeSemaphore(&s, 1, 3);
    CHECK(s.Header.Type == SemaphoreObject && s.Header.SignalState == 1 && s.Limit == 3, "KSEMAPHORE.Limit");
    CHECK(KeReleaseSemaphore(&s, 0, 2, FALSE) == 1 && KeReadStateSemaphore(&s) == 3, "KeReleaseSemaphore");
}

static int dpcRan;
static PVOID dpcArgs[3];
static VOID NTAPI DpcRoutine(PKDPC dpc, PVOID context, PVOID a1, PVOID a2) {
    (void)dpc;
    dpcRan++;
    dpcArgs[0] = context;
    dpcArgs[1] = a1;
    dpcArgs[2] = a2;
}

static void timers(void) {
    KDPC dpc;
    KTIMER t;
    int x, y;
    LARGE_INTEGER due = {.QuadPart = -100000}; /* 10 ms */
    KeInitializeDpc(&dpc, DpcRoutine, &dpcRan);
    CHECK(dpc.DeferredRoutine == DpcRoutine && dpc.DeferredContext == &dpcRan, "KDPC.DeferredRoutine, Context");
    CHECK(KeInsertQueueDpc(&dpc, &x, &y) && dpcRan == 1, "KeInsertQueueDpc runs the DPC");
    CHECK(dpcArgs[0] == &dpcRan && dpcArgs[1] == &x && dpcArgs[2] == &y, "the DPC's context and arguments");
    CHECK(dpc.SystemArgument1 == &x && dpc.SystemArgument2 == &y, "KDPC.SystemArgument1, 2");
    KeInitializeTimer(&t);
    CHECK(t.Header.Type == TimerNotificationObject && t.Header.Size == sizeof(KTIMER) / sizeof(ULONG),
          "KTIMER header");
    CHECK(IsListEmpty(&t.Header.WaitListHead) && t.Dpc == NULL && t.Period == 0, "KeInitializeTimer");
    CHECK(KeSetTimerEx(&t, due, 0, &dpc) == FALSE && t.Dpc == &dpc, "KeSetTimerEx: KTIMER.Dpc");
    CHECK(KeWaitForSingleObject(&t, Executive, KernelMode, FALSE, NULL) == STATUS_SUCCESS && t.Header.SignalState,
          "wait for a timer");
    CHECK(dpcRan == 2 && dpcArgs[0] == &dpcRan, "the timer's DPC ran with its context");
}

static int workRan;
static VOID NTAPI Work(PVOID parameter) {
    workRan = parameter == &workRan;
}

static void work(void) {
    WORK_QUEUE_ITEM item;
    LARGE_INTEGER ms = {.QuadPart = -10000};
    ExInitializeWorkItem(&item, Work, &workRan);
    ExQueueWorkItem(&item, DelayedWorkQueue);
    KeDelayExecutionThread(KernelMode, FALSE, &ms);
    CHECK(workRan, "ExQueueWorkItem: WorkerRoutine(Parameter)");
}

/* AMD64's KeGetCurrentIrql is inline, reading CR8, which the model does not keep: checked on x86 only. */
#ifdef _X86_
#define CURRENT_IRQL(irql) (KeGetCurrentIrql() == (irql))
#else
#define CURRENT_IRQL(irql) 1
#endif

static void resources(void) {
    ERESOURCE r;
    FAST_MUTEX fm;
    memset(&r, 0xcc, sizeof r);
    CHECK(ExInitializeResourceLite(&r) == STATUS_SUCCESS && r.ActiveCount == 0 && r.Flag == 0,
          "ExInitializeResourceLite");
    CHECK(ExAcquireResourceExclusiveLite(&r, TRUE), "ExAcquireResourceExclusiveLite");
    CHECK(r.ActiveCount == 1 && (r.Flag & ResourceOwnedExclusive), "ERESOURCE.ActiveCount, Flag");
    CHECK(ExIsResourceAcquiredExclusiveLite(&r), "ExIsResourceAcquiredExclusiveLite");
    ExReleaseResourceLite(&r);
    CHECK(r.ActiveCount == 0 && !(r.Flag & ResourceOwnedExclusive), "ExReleaseResourceLite");
    ExDeleteResourceLite(&r);
    ExInitializeFastMutex(&fm);
    ExAcquireFastMutex(&fm);
    CHECK(fm.Count == 0 && fm.Owner != NULL, "ExAcquireFastMutex: Count, Owner");
    CHECK(fm.OldIrql == PASSIVE_LEVEL && CURRENT_IRQL(APC_LEVEL), "ExAcquireFastMutex: OldIrql");
    ExReleaseFastMutex(&fm);
    CHECK(fm.Count == 1 && fm.Owner == NULL && CURRENT_IRQL(PASSIVE_LEVEL), "ExReleaseFastMutex");
}

#ifdef _X86_
#define KeInitializeSpinLockExport KeInitializeSpinLock
#else
/* AMD64's wdm.h makes KeInitializeSpinLock inline; drivers built otherwise import ntoskrnl's. */
__declspec(dllimport) VOID NTAPI KeInitializeSpinLockExport(PKSPIN_LOCK) __asm__("KeInitializeSpinLock");
#endif

static void spinLocks(void) {
    KSPIN_LOCK lock;
    memset(&lock, 0xcc, sizeof lock);
    KeInitializeSpinLockExport(&lock);
    CHECK(lock == 0, "KeInitializeSpinLock: a KSPIN_LOCK (ULONG_PTR) cleared");
}

static void bitmaps(void) {
    ULONG bits[2] = {0, 0};
    RTL_BITMAP bm;
    RtlInitializeBitMap(&bm, bits, 64);
    CHECK(bm.SizeOfBitMap == 64 && bm.Buffer == bits, "RtlInitializeBitMap");
    RtlSetBits(&bm, 3, 5);
    CHECK(bits[0] == 0xf8 && bits[1] == 0, "RtlSetBits");
    CHECK(RtlFindClearBits(&bm, 4, 0) == 8 && RtlNumberOfSetBits(&bm) == 5, "RtlFindClearBits, RtlNumberOfSetBits");
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING path) {
    (void)driver;
    (void)path;
    threads();
    events();
    mutexes();
    timers();
    work();
    resources();
    spinLocks();
    bitmaps();
    DbgPrint("dispatcher: %d passed, %d failed\n", passed, failed);
    return STATUS_SUCCESS;
}
