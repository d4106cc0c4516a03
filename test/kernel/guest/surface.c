/* Guest-level checks of nt351's export handlers: a driver that calls C runtime, Rtl, HAL and
 * dispatcher routines and checks their results in guest code. Each failed check prints
 * "FAIL <line>: <what>"; the last line is "surface: <passed> passed, <failed> failed". Built by
 * test/kernel/surface.test.ts with mingw-w64 against an import library made from the registry. */
typedef unsigned char UCHAR, BOOLEAN, KIRQL;
typedef char CHAR;
typedef unsigned short USHORT, WCHAR;
typedef unsigned long ULONG, SIZE_T, KSPIN_LOCK;
typedef long LONG, NTSTATUS;
typedef long long LONGLONG;
typedef unsigned long long ULONGLONG;
typedef void *PVOID;
#define NTAPI __stdcall
#define FASTCALL __fastcall
#define NULL ((void *)0)

typedef struct { USHORT Length, MaximumLength; WCHAR *Buffer; } UNICODE_STRING;
typedef struct { USHORT Length, MaximumLength; CHAR *Buffer; } ANSI_STRING;
typedef struct { ULONG Size; PVOID Buffer; } RTL_BITMAP;
typedef struct { short Year, Month, Day, Hour, Minute, Second, Milliseconds, Weekday; } TIME_FIELDS;
typedef struct { ULONG Size, Major, Minor, Build, Platform; WCHAR Csd[128]; } RTL_OSVERSIONINFOW;
typedef struct { ULONG Header[4]; } KEVENT;
typedef struct { ULONG Header[4]; ULONG Limit; } KSEMAPHORE;
typedef struct { ULONG Header[4]; ULONG Rest[4]; } KMUTEX;
typedef struct { ULONG Header[4]; ULONG Rest[6]; } KTIMER;
typedef struct { ULONG Words[8]; } KDPC;
typedef struct { LONG Count; PVOID Owner; ULONG Contention; KEVENT Event; ULONG OldIrql; } FAST_MUTEX;

/* C runtime */
void *__cdecl memcpy(void *, const void *, SIZE_T);
void *__cdecl memmove(void *, const void *, SIZE_T);
void *__cdecl memset(void *, int, SIZE_T);
int __cdecl memcmp(const void *, const void *, SIZE_T);
SIZE_T __cdecl strlen(const char *);
SIZE_T __cdecl wcslen(const WCHAR *);
int __cdecl strcmp(const char *, const char *);
int __cdecl _stricmp(const char *, const char *);
int __cdecl _wcsnicmp(const WCHAR *, const WCHAR *, SIZE_T);
char *__cdecl strchr(const char *, int);
WCHAR *__cdecl wcschr(const WCHAR *, WCHAR);
char *__cdecl strcpy(char *, const char *);
char *__cdecl strcat(char *, const char *);
int __cdecl sprintf(char *, const char *, ...);
int __cdecl _snprintf(char *, SIZE_T, const char *, ...);
int __cdecl _snwprintf(WCHAR *, SIZE_T, const WCHAR *, ...);
int __cdecl swprintf(WCHAR *, const WCHAR *, ...);
int __cdecl atoi(const char *);
LONGLONG NTAPI _alldiv(LONGLONG, LONGLONG);
LONGLONG NTAPI _allmul(LONGLONG, LONGLONG);
LONGLONG NTAPI _allrem(LONGLONG, LONGLONG);
ULONGLONG NTAPI _aulldiv(ULONGLONG, ULONGLONG);
ULONGLONG NTAPI _aullrem(ULONGLONG, ULONGLONG);
ULONG __cdecl DbgPrint(const char *, ...);

/* Rtl */
void NTAPI RtlInitUnicodeString(UNICODE_STRING *, const WCHAR *);
void NTAPI RtlInitAnsiString(ANSI_STRING *, const char *);
NTSTATUS NTAPI RtlAnsiStringToUnicodeString(UNICODE_STRING *, ANSI_STRING *, BOOLEAN);
NTSTATUS NTAPI RtlUnicodeStringToAnsiString(ANSI_STRING *, UNICODE_STRING *, BOOLEAN);
void NTAPI RtlFreeUnicodeString(UNICODE_STRING *);
void NTAPI RtlFreeAnsiString(ANSI_STRING *);
BOOLEAN NTAPI RtlEqualUnicodeString(UNICODE_STRING *, UNICODE_STRING *, BOOLEAN);
LONG NTAPI RtlCompareUnicodeString(UNICODE_STRING *, UNICODE_STRING *, BOOLEAN);
NTSTATUS NTAPI RtlAppendUnicodeToString(UNICODE_STRING *, const WCHAR *);
NTSTATUS NTAPI RtlIntegerToUnicodeString(ULONG, ULONG, UNICODE_STRING *);
NTSTATUS NTAPI RtlUnicodeStringToInteger(UNICODE_STRING *, ULONG, ULONG *);
NTSTATUS NTAPI RtlCharToInteger(const char *, ULONG, ULONG *);
NTSTATUS NTAPI RtlUpcaseUnicodeString(UNICODE_STRING *, UNICODE_STRING *, BOOLEAN);
void NTAPI RtlInitializeBitMap(RTL_BITMAP *, ULONG *, ULONG);
void NTAPI RtlClearAllBits(RTL_BITMAP *);
void NTAPI RtlSetBits(RTL_BITMAP *, ULONG, ULONG);
ULONG NTAPI RtlFindClearBits(RTL_BITMAP *, ULONG, ULONG);
BOOLEAN NTAPI RtlAreBitsSet(RTL_BITMAP *, ULONG, ULONG);
void NTAPI RtlTimeToTimeFields(LONGLONG *, TIME_FIELDS *);
NTSTATUS NTAPI RtlGetVersion(RTL_OSVERSIONINFOW *);
LONGLONG NTAPI RtlExtendedLargeIntegerDivide(LONGLONG, ULONG, ULONG *);

/* HAL */
KIRQL NTAPI KeGetCurrentIrql(void);
KIRQL FASTCALL KfRaiseIrql(KIRQL);
void FASTCALL KfLowerIrql(KIRQL);
KIRQL FASTCALL KfAcquireSpinLock(KSPIN_LOCK *);
void FASTCALL KfReleaseSpinLock(KSPIN_LOCK *, KIRQL);
void FASTCALL ExAcquireFastMutex(FAST_MUTEX *);
void FASTCALL ExReleaseFastMutex(FAST_MUTEX *);
BOOLEAN FASTCALL ExTryToAcquireFastMutex(FAST_MUTEX *);
UCHAR NTAPI READ_PORT_UCHAR(UCHAR *);
void NTAPI WRITE_PORT_UCHAR(UCHAR *, UCHAR);
ULONG NTAPI HalGetInterruptVector(ULONG, ULONG, ULONG, ULONG, KIRQL *, ULONG *);
BOOLEAN NTAPI HalTranslateBusAddress(ULONG, ULONG, LONGLONG, ULONG *, LONGLONG *);
void NTAPI KeStallExecutionProcessor(ULONG);
LONGLONG NTAPI KeQueryPerformanceCounter(LONGLONG *);

/* Dispatcher */
void NTAPI KeInitializeEvent(KEVENT *, ULONG, BOOLEAN);
LONG NTAPI KeSetEvent(KEVENT *, LONG, BOOLEAN);
LONG NTAPI KeReadStateEvent(KEVENT *);
void NTAPI KeClearEvent(KEVENT *);
void NTAPI KeInitializeSemaphore(KSEMAPHORE *, LONG, LONG);
LONG NTAPI KeReleaseSemaphore(KSEMAPHORE *, LONG, LONG, BOOLEAN);
void NTAPI KeInitializeMutex(KMUTEX *, ULONG);
LONG NTAPI KeReleaseMutex(KMUTEX *, BOOLEAN);
NTSTATUS NTAPI KeWaitForSingleObject(PVOID, ULONG, UCHAR, BOOLEAN, LONGLONG *);
void NTAPI KeInitializeTimer(KTIMER *);
BOOLEAN NTAPI KeSetTimer(KTIMER *, LONGLONG, KDPC *);
BOOLEAN NTAPI KeReadStateTimer(KTIMER *);
void NTAPI KeInitializeDpc(KDPC *, void(NTAPI *)(KDPC *, PVOID, PVOID, PVOID), PVOID);
BOOLEAN NTAPI KeInsertQueueDpc(KDPC *, PVOID, PVOID);
NTSTATUS NTAPI KeDelayExecutionThread(UCHAR, BOOLEAN, LONGLONG *);
void NTAPI KeQuerySystemTime(LONGLONG *);
void NTAPI KeQueryTickCount(LONGLONG *);
extern ULONG __declspec(dllimport) KeTickCount[3];

#include "check.h"

static ULONG dpcRuns;
static PVOID dpcContext;
static void NTAPI CountDpc(KDPC *dpc, PVOID context, PVOID a1, PVOID a2)
{
    (void)dpc, (void)a1, (void)a2;
    dpcRuns++;
    dpcContext = context;
}

static void crt(void)
{
    char a[64], b[64];
    WCHAR w[64];
    memset(a, 'x', sizeof a);
    CHECK(a[0] == 'x' && a[63] == 'x', "memset");
    memcpy(b, "hello, world", 13);
    CHECK(memcmp(b, "hello, world", 13) == 0, "memcpy/memcmp");
    CHECK(memcmp("abc", "abd", 3) < 0 && memcmp("abd", "abc", 3) > 0, "memcmp sign");
    memmove(b + 2, b, 6);
    CHECK(memcmp(b, "hehello,", 8) == 0, "memmove overlapping");
    CHECK(strlen("kernel") == 6, "strlen");
    CHECK(strcmp("abc", "abc") == 0 && strcmp("abc", "abd") < 0, "strcmp");
    CHECK(_stricmp("NtOsKrNl", "ntoskrnl") == 0, "_stricmp");
    CHECK(strchr("driver", 'v') != NULL && *strchr("driver", 'v') == 'v' && strchr("driver", 'z') == NULL, "strchr");
    strcpy(a, "nt");
    strcat(a, "351");
    CHECK(strcmp(a, "nt351") == 0, "strcpy/strcat");
    CHECK(sprintf(a, "%s-%d-%04x-%c", "ab", -12, 0xbe, 'Z') == 13 && strcmp(a, "ab--12-00be-Z") == 0, "sprintf");
    CHECK(_snprintf(a, 4, "%d", 123456) == -1 && memcmp(a, "1234", 4) == 0, "_snprintf truncation");
    CHECK(swprintf(w, L"%s=%u", L"n", 7u) == 3 && wcslen(w) == 3 && w[0] == L'n' && w[2] == L'7', "swprintf");
    CHECK(_snwprintf(w, 64, L"%S", "narrow") == 6 && w[5] == L'w', "_snwprintf %S");
    CHECK(wcschr(L"a\\b", L'\\') != NULL && _wcsnicmp(L"ABCdef", L"abcXYZ", 3) == 0, "wcschr/_wcsnicmp");
    CHECK(atoi("  -42x") == -42, "atoi");
    CHECK(_alldiv(-100000000000LL, 7) == -14285714285LL && _allrem(-100000000000LL, 7) == -5, "_alldiv/_allrem");
    CHECK(_allmul(0x100000001LL, 3) == 0x300000003LL, "_allmul");
    CHECK(_aulldiv(0xFFFFFFFFFFFFFFFFULL, 16) == 0x0FFFFFFFFFFFFFFFULL && _aullrem(1000000000001ULL, 1000) == 1, "_aulldiv/_aullrem");
}

static void rtl(void)
{
    UNICODE_STRING u, u2, up;
    ANSI_STRING s, s2;
    WCHAR buf[32];
    ULONG value = 0, bits[2];
    RTL_BITMAP bm;
    TIME_FIELDS tf;
    RTL_OSVERSIONINFOW v;
    LONGLONG t = 125911584000000000LL; /* 2000-01-01 00:00:00 */
    ULONG rem = 0;

    RtlInitAnsiString(&s, "Device");
    CHECK(s.Length == 6 && s.MaximumLength == 7, "RtlInitAnsiString");
    CHECK(RtlAnsiStringToUnicodeString(&u, &s, 1) == 0 && u.Length == 12 && u.Buffer[5] == L'e', "RtlAnsiStringToUnicodeString");
    RtlInitUnicodeString(&u2, L"DEVICE");
    CHECK(RtlEqualUnicodeString(&u, &u2, 1) && !RtlEqualUnicodeString(&u, &u2, 0), "RtlEqualUnicodeString");
    CHECK(RtlCompareUnicodeString(&u, &u2, 0) > 0, "RtlCompareUnicodeString");
    CHECK(RtlUnicodeStringToAnsiString(&s2, &u2, 1) == 0 && s2.Length == 6 && s2.Buffer[0] == 'D', "RtlUnicodeStringToAnsiString");
    RtlFreeAnsiString(&s2);
    CHECK(RtlUpcaseUnicodeString(&up, &u, 1) == 0 && up.Buffer[1] == L'E', "RtlUpcaseUnicodeString");
    RtlFreeUnicodeString(&up);
    RtlFreeUnicodeString(&u);
    CHECK(u.Buffer == NULL && u.Length == 0, "RtlFreeUnicodeString");
    u.Buffer = buf;
    u.Length = 0;
    u.MaximumLength = sizeof buf;
    CHECK(RtlAppendUnicodeToString(&u, L"\\Device\\") == 0 && u.Length == 16, "RtlAppendUnicodeToString");
    u.Length = 0;
    CHECK(RtlIntegerToUnicodeString(351, 10, &u) == 0 && u.Length == 6 && buf[0] == L'3', "RtlIntegerToUnicodeString");
    CHECK(RtlUnicodeStringToInteger(&u, 0, &value) == 0 && value == 351, "RtlUnicodeStringToInteger");
    CHECK(RtlCharToInteger("0x1F", 0, &value) == 0 && value == 31, "RtlCharToInteger");
    RtlInitializeBitMap(&bm, bits, 64);
    RtlClearAllBits(&bm);
    RtlSetBits(&bm, 0, 10);
    CHECK(RtlAreBitsSet(&bm, 0, 10) && !RtlAreBitsSet(&bm, 0, 11), "RtlSetBits/RtlAreBitsSet");
    CHECK(RtlFindClearBits(&bm, 4, 0) == 10 && bits[0] == 0x3ff, "RtlFindClearBits");
    RtlTimeToTimeFields(&t, &tf);
    CHECK(tf.Year == 2000 && tf.Month == 1 && tf.Day == 1 && tf.Weekday == 6, "RtlTimeToTimeFields");
    v.Size = sizeof v;
    CHECK(RtlGetVersion(&v) == 0 && v.Platform == 2 && v.Major >= 3, "RtlGetVersion");
    CHECK(RtlExtendedLargeIntegerDivide(1000000007LL, 10, &rem) == 100000000LL && rem == 7, "RtlExtendedLargeIntegerDivide");
}

static void hal(void)
{
    KSPIN_LOCK lock = 0;
    FAST_MUTEX m;
    KIRQL old, irql;
    ULONG affinity, space = 1;
    LONGLONG translated, freq, c1, c2;
    CHECK(KeGetCurrentIrql() == 0, "KeGetCurrentIrql at PASSIVE_LEVEL");
    old = KfRaiseIrql(2);
    CHECK(old == 0 && KeGetCurrentIrql() == 2, "KfRaiseIrql");
    KfLowerIrql(old);
    old = KfAcquireSpinLock(&lock);
    CHECK(lock != 0 && KeGetCurrentIrql() == 2, "KfAcquireSpinLock");
    KfReleaseSpinLock(&lock, old);
    CHECK(lock == 0 && KeGetCurrentIrql() == 0, "KfReleaseSpinLock");
    m.Count = 1;
    ExAcquireFastMutex(&m);
    CHECK(m.Count == 0 && KeGetCurrentIrql() == 1 && !ExTryToAcquireFastMutex(&m), "ExAcquireFastMutex");
    ExReleaseFastMutex(&m);
    CHECK(m.Count == 1 && KeGetCurrentIrql() == 0, "ExReleaseFastMutex");
    WRITE_PORT_UCHAR((UCHAR *)0x70, 9);
    CHECK(READ_PORT_UCHAR((UCHAR *)0x71) == 0x96, "CMOS year through READ_PORT_UCHAR");
    CHECK(HalGetInterruptVector(1, 0, 5, 5, &irql, &affinity) == 0x35 && irql == 22 && affinity == 1, "HalGetInterruptVector");
    CHECK(HalTranslateBusAddress(1, 0, 0xD0000LL, &space, &translated) && translated == 0xD0000LL && space == 1, "HalTranslateBusAddress");
    c1 = KeQueryPerformanceCounter(&freq);
    KeStallExecutionProcessor(1000);
    c2 = KeQueryPerformanceCounter(NULL);
    CHECK(freq == 1193182 && c2 - c1 >= 1193, "KeQueryPerformanceCounter across a 1 ms stall");
}

static void dispatcher(void)
{
    KEVENT e;
    KSEMAPHORE sem;
    KMUTEX mutex;
    KTIMER timer;
    KDPC dpc;
    LONGLONG zero = 0, due = -100000 /* 10 ms */, t1, t2, ticks;
    ULONG tick0 = KeTickCount[0];

    KeInitializeEvent(&e, 1, 0);
    CHECK(KeWaitForSingleObject(&e, 0, 0, 0, &zero) == 0x102, "wait on a clear event times out");
    KeSetEvent(&e, 0, 0);
    CHECK(KeWaitForSingleObject(&e, 0, 0, 0, NULL) == 0 && KeReadStateEvent(&e) == 0, "synchronization event auto-reset");
    KeInitializeSemaphore(&sem, 2, 2);
    CHECK(KeWaitForSingleObject(&sem, 0, 0, 0, NULL) == 0 && KeWaitForSingleObject(&sem, 0, 0, 0, NULL) == 0, "semaphore count 2");
    CHECK(KeWaitForSingleObject(&sem, 0, 0, 0, &zero) == 0x102, "semaphore exhausted");
    CHECK(KeReleaseSemaphore(&sem, 0, 1, 0) == 0, "KeReleaseSemaphore");
    KeInitializeMutex(&mutex, 0);
    CHECK(KeWaitForSingleObject(&mutex, 0, 0, 0, NULL) == 0 && KeWaitForSingleObject(&mutex, 0, 0, 0, NULL) == 0, "mutex recursion");
    CHECK(KeReleaseMutex(&mutex, 0) == -1 && KeReleaseMutex(&mutex, 0) == 0, "KeReleaseMutex");

    KeInitializeDpc(&dpc, CountDpc, (PVOID)0x1234);
    KeInsertQueueDpc(&dpc, NULL, NULL);
    CHECK(dpcRuns == 1 && dpcContext == (PVOID)0x1234, "DPC runs when queued at PASSIVE_LEVEL");
    KeInitializeTimer(&timer);
    KeSetTimer(&timer, due, &dpc);
    KeQuerySystemTime(&t1);
    CHECK(!KeReadStateTimer(&timer), "timer not yet due");
    CHECK(KeWaitForSingleObject(&timer, 0, 0, 0, NULL) == 0 && dpcRuns == 2, "waiting for a timer lets time pass and runs its DPC");
    KeQuerySystemTime(&t2);
    CHECK(t2 - t1 >= 100000, "system time advanced past the timer");
    due = -500000; /* 50 ms */
    CHECK(KeDelayExecutionThread(0, 0, &due) == 0, "KeDelayExecutionThread");
    KeQueryTickCount(&ticks);
    CHECK(KeTickCount[0] >= tick0 + 5 && (ULONG)ticks == KeTickCount[0], "KeTickCount data follows the clock");
}

NTSTATUS NTAPI DriverEntry(PVOID driver, PVOID path)
{
    (void)driver, (void)path;
    crt();
    rtl();
    hal();
    dispatcher();
    DbgPrint("surface: %d passed, %d failed\n", passed, failed);
    return failed ? 0xC0000001 : 0;
}
