/* A guest NDIS 3.0 miniport: DriverEntry writes its adapter's Parameters, registers (bad versions and
 * characteristics first), and NDIS calls MiniportInitialize before NdisMRegisterMiniport returns; it
 * reads its configuration, sets attributes, claims ports, device memory, an interrupt, DMA and shared
 * memory, asks for its resources and PCI slot, runs a timer on the virtual clock, selects 802.3 and
 * answers NDIS's queries. Built with -DFAIL_INIT=1 it fails initialisation (an error-log entry and
 * NDIS_STATUS_ADAPTER_NOT_FOUND), with -DFAIL_INIT=2 it returns success with a medium index outside
 * NDIS's array: every CHECK runs in each build, with the results each should give. */
typedef unsigned char UCHAR, BOOLEAN;
typedef unsigned short USHORT, WCHAR;
typedef unsigned long ULONG;
typedef unsigned int UINT;
typedef long LONG, NTSTATUS;
typedef void *PVOID, *HANDLE;
#define NTAPI __stdcall
#define NULL ((void *)0)
#ifndef FAIL_INIT
#define FAIL_INIT 0
#endif

typedef struct { USHORT Length, MaximumLength; WCHAR *Buffer; } UNICODE_STRING;
typedef struct { ULONG Length; HANDLE RootDirectory; UNICODE_STRING *ObjectName; ULONG Attributes; PVOID Sd, Qos; } OBJECT_ATTRIBUTES;
typedef struct { ULONG LowPart; LONG HighPart; } PHYSICAL_ADDRESS;
typedef struct {
    ULONG ParameterType;
    union {
        ULONG IntegerData;
        UNICODE_STRING StringData;
        struct { USHORT Length; PVOID Buffer; } BinaryData;
    } ParameterData;
} NDIS_CONFIGURATION_PARAMETER;
typedef struct { UCHAR Opaque[0x58]; } NDIS_MINIPORT_TIMER;
typedef struct { UCHAR Opaque[0x50]; } NDIS_MINIPORT_INTERRUPT;
typedef struct {
    UCHAR MajorNdisVersion, MinorNdisVersion;
    USHORT Filler;
    UINT Reserved;
    PVOID CheckForHangHandler, DisableInterruptHandler, EnableInterruptHandler, HaltHandler, HandleInterruptHandler;
    PVOID InitializeHandler, ISRHandler, QueryInformationHandler, ReconfigureHandler, ResetHandler;
    PVOID SendHandler, SetInformationHandler, TransferDataHandler;
} NDIS30_MINIPORT_CHARACTERISTICS;

#define REG_SZ 1
#define REG_BINARY 3
#define REG_DWORD 4
#define NdisParameterInteger 0
#define NdisParameterHexInteger 1
#define NdisParameterString 2
#define NdisParameterBinary 4
#define NdisMedium802_3 0
#define NdisInterfaceIsa 1
#define NDIS_ATTRIBUTE_BUS_MASTER 8
#define NDIS_STATUS_FAILURE 0xC0000001
#define NDIS_STATUS_RESOURCES 0xC000009A
#define NDIS_STATUS_NOT_SUPPORTED 0xC00000BB
#define NDIS_STATUS_BAD_VERSION 0xC0010004
#define NDIS_STATUS_BAD_CHARACTERISTICS 0xC0010005
#define NDIS_STATUS_ADAPTER_NOT_FOUND 0xC0010006
#define NDIS_STATUS_INVALID_OID 0xC0010017
#define NDIS_STATUS_RESOURCE_CONFLICT 0xC001001E
#define NDIS_ERROR_CODE_ADAPTER_NOT_FOUND 0xC000138A
#define OID_GEN_SUPPORTED_LIST 0x00010101
#define OID_802_3_CURRENT_ADDRESS 0x01010102

ULONG __cdecl DbgPrint(const char *, ...);
NTSTATUS NTAPI RtlWriteRegistryValue(ULONG, const WCHAR *, const WCHAR *, ULONG, PVOID, ULONG);
NTSTATUS NTAPI ZwCreateKey(HANDLE *, ULONG, OBJECT_ATTRIBUTES *, ULONG, UNICODE_STRING *, ULONG, ULONG *);
NTSTATUS NTAPI ZwClose(HANDLE);
void NTAPI NdisMInitializeWrapper(HANDLE *, PVOID, PVOID, PVOID);
void NTAPI NdisTerminateWrapper(HANDLE, PVOID);
ULONG NTAPI NdisMRegisterMiniport(HANDLE, NDIS30_MINIPORT_CHARACTERISTICS *, UINT);
void NTAPI NdisInitUnicodeString(UNICODE_STRING *, const WCHAR *);
void NTAPI NdisOpenConfiguration(ULONG *, HANDLE *, HANDLE);
void NTAPI NdisReadConfiguration(ULONG *, NDIS_CONFIGURATION_PARAMETER **, HANDLE, UNICODE_STRING *, ULONG);
void NTAPI NdisReadNetworkAddress(ULONG *, PVOID *, UINT *, HANDLE);
void NTAPI NdisCloseConfiguration(HANDLE);
void NTAPI NdisMSetAttributes(HANDLE, HANDLE, BOOLEAN, ULONG);
void NTAPI NdisMSetAttributesEx(HANDLE, HANDLE, UINT, ULONG, ULONG);
ULONG NTAPI NdisMRegisterIoPortRange(PVOID *, HANDLE, UINT, UINT);
void NTAPI NdisMDeregisterIoPortRange(HANDLE, UINT, UINT, PVOID);
ULONG NTAPI NdisMMapIoSpace(PVOID *, HANDLE, PHYSICAL_ADDRESS, UINT);
void NTAPI NdisMUnmapIoSpace(HANDLE, PVOID, UINT);
ULONG NTAPI NdisMRegisterInterrupt(NDIS_MINIPORT_INTERRUPT *, HANDLE, UINT, UINT, BOOLEAN, BOOLEAN, ULONG);
void NTAPI NdisMDeregisterInterrupt(NDIS_MINIPORT_INTERRUPT *);
ULONG NTAPI NdisMAllocateMapRegisters(HANDLE, UINT, BOOLEAN, ULONG, ULONG);
void NTAPI NdisMFreeMapRegisters(HANDLE);
void NTAPI NdisMAllocateSharedMemory(HANDLE, ULONG, BOOLEAN, PVOID *, PHYSICAL_ADDRESS *);
void NTAPI NdisMFreeSharedMemory(HANDLE, ULONG, BOOLEAN, PVOID, PHYSICAL_ADDRESS);
void NTAPI NdisMQueryAdapterResources(ULONG *, HANDLE, PVOID, UINT *);
ULONG NTAPI NdisReadPciSlotInformation(HANDLE, ULONG, ULONG, PVOID, ULONG);
void NTAPI NdisMInitializeTimer(NDIS_MINIPORT_TIMER *, HANDLE, PVOID, PVOID);
void NTAPI NdisMSetTimer(NDIS_MINIPORT_TIMER *, UINT);
void NTAPI NdisMCancelTimer(NDIS_MINIPORT_TIMER *, BOOLEAN *);
void NTAPI NdisMSleep(ULONG);
ULONG NTAPI NdisAllocateMemory(PVOID *, UINT, UINT, PHYSICAL_ADDRESS);
void NTAPI NdisFreeMemory(PVOID, UINT, UINT);
void __cdecl NdisWriteErrorLogEntry(HANDLE, ULONG, ULONG, ...);

#include "check.h"

static struct { int initialized, queries, timerRuns, lateRuns; PVOID timerContext; UCHAR address[6]; } adapter;
static int initializeCalls;

static int same(const UCHAR *a, const UCHAR *b, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

static void NTAPI OnTimer(PVOID s1, PVOID context, PVOID s2, PVOID s3)
{
    (void)s1, (void)s2, (void)s3;
    adapter.timerRuns++;
    adapter.timerContext = context;
}
static void NTAPI OnLateTimer(PVOID s1, PVOID context, PVOID s2, PVOID s3)
{
    (void)s1, (void)context, (void)s2, (void)s3;
    adapter.lateRuns++;
}

/* Reads `name` as `type`; returns the parameter or NULL, with the status in *status. */
static NDIS_CONFIGURATION_PARAMETER *read(HANDLE config, const WCHAR *name, ULONG type, ULONG *status)
{
    NDIS_CONFIGURATION_PARAMETER *p = (PVOID)1;
    UNICODE_STRING keyword;
    NdisInitUnicodeString(&keyword, name);
    NdisReadConfiguration(status, &p, config, &keyword, type);
    return p;
}

static void readConfiguration(HANDLE wrapperContext)
{
    static const UCHAR mac[6] = {0x02, 0x00, 0x4c, 0x4f, 0x4f, 0x50}, blob[3] = {1, 2, 3};
    ULONG st = 1;
    HANDLE config = NULL;
    NDIS_CONFIGURATION_PARAMETER *p;
    PVOID address = NULL;
    UINT length = 0;
    NdisOpenConfiguration(&st, &config, wrapperContext);
    CHECK(st == 0 && config != NULL, "NdisOpenConfiguration on the adapter's Parameters key");
    p = read(config, L"IoBaseAddress", NdisParameterHexInteger, &st);
    CHECK(st == 0 && p && p->ParameterData.IntegerData == 0x300, "REG_DWORD IoBaseAddress");
    p = read(config, L"interruptnumber", NdisParameterInteger, &st);
    CHECK(st == 0 && p && p->ParameterType == NdisParameterInteger && p->ParameterData.IntegerData == 10, "keywords are case-insensitive");
    p = read(config, L"SpeedText", NdisParameterInteger, &st);
    CHECK(st == 0 && p && p->ParameterData.IntegerData == 100, "REG_SZ read as a decimal integer");
    p = read(config, L"HexText", NdisParameterHexInteger, &st);
    CHECK(st == 0 && p && p->ParameterData.IntegerData == 0x1f, "REG_SZ read as a hex integer");
    p = read(config, L"Name", NdisParameterString, &st);
    CHECK(st == 0 && p && p->ParameterType == NdisParameterString && p->ParameterData.StringData.Length == 10 && p->ParameterData.StringData.Buffer[0] == 'n' && p->ParameterData.StringData.Buffer[4] == '1', "REG_SZ as an NDIS_STRING");
    p = read(config, L"Name", NdisParameterInteger, &st);
    CHECK(st == NDIS_STATUS_FAILURE && p == NULL, "text that is no number: NDIS_STATUS_FAILURE");
    p = read(config, L"Blob", NdisParameterBinary, &st);
    CHECK(st == 0 && p && p->ParameterData.BinaryData.Length == 3 && same(p->ParameterData.BinaryData.Buffer, blob, 3), "REG_BINARY as BINARY_DATA");
    p = read(config, L"NoSuchValue", NdisParameterInteger, &st);
    CHECK(st == NDIS_STATUS_FAILURE && p == NULL, "a missing value: NDIS_STATUS_FAILURE");
    p = read(config, L"Environment", NdisParameterInteger, &st);
    CHECK(st == 0 && p && p->ParameterData.IntegerData == 1, "Environment: NdisEnvironmentWindowsNt");
    p = read(config, L"NdisVersion", NdisParameterInteger, &st);
    CHECK(st == 0 && p && p->ParameterData.IntegerData >= 0x30000, "NdisVersion");
    NdisReadNetworkAddress(&st, &address, &length, config);
    CHECK(st == 0 && length == 6 && address && same(address, mac, 6), "NdisReadNetworkAddress parses NetworkAddress");
    if (st == 0 && length == 6)
        for (int i = 0; i < 6; i++)
            adapter.address[i] = ((UCHAR *)address)[i];
    NdisCloseConfiguration(config);
}

static void claimHardware(HANDLE handle, HANDLE wrapperContext)
{
    static NDIS_MINIPORT_INTERRUPT interrupt, second;
    static UCHAR resources[64];
    PVOID ports = NULL, va = NULL, shared = (PVOID)1;
    PHYSICAL_ADDRESS device = {0xd0000, 0}, physical = {0, 0};
    ULONG st, vendor = 0;
    UINT size = 4;
    CHECK(NdisMRegisterIoPortRange(&ports, handle, 0x300, 0x20) == 0 && ports == (PVOID)0x300, "NdisMRegisterIoPortRange");
    CHECK(NdisMRegisterIoPortRange(&ports, (HANDLE)0x1234, 0x300, 0x20) == NDIS_STATUS_FAILURE, "a handle NDIS never gave: failure");
    CHECK(NdisMMapIoSpace(&va, handle, device, 0x1000) == 0 && va != NULL, "NdisMMapIoSpace");
    if (va) {
        ((volatile ULONG *)va)[4] = 0x5a5a;
        CHECK(((volatile ULONG *)va)[4] == 0x5a5a, "mapped device memory is usable");
        NdisMUnmapIoSpace(handle, va, 0x1000);
    }
    CHECK(NdisMRegisterInterrupt(&interrupt, handle, 10, 10, 1, 0, 1) == 0, "NdisMRegisterInterrupt");
    CHECK(NdisMRegisterInterrupt(&second, handle, 11, 11, 1, 0, 1) == NDIS_STATUS_RESOURCE_CONFLICT, "a second interrupt: NDIS_STATUS_RESOURCE_CONFLICT");
    NdisMDeregisterInterrupt(&interrupt);
    /* DMA: only a bus master gets map registers, and shared memory comes with them. */
    CHECK(NdisMAllocateMapRegisters(handle, 0, 1, 4, 0x1000) == NDIS_STATUS_NOT_SUPPORTED, "map registers refused to a slave adapter");
    NdisMAllocateSharedMemory(handle, 0x800, 0, &shared, &physical);
    CHECK(shared == NULL, "no shared memory without map registers");
    NdisMSetAttributesEx(handle, &adapter, 0, NDIS_ATTRIBUTE_BUS_MASTER, NdisInterfaceIsa);
    CHECK(NdisMAllocateMapRegisters(handle, 0, 1, 4, 0x1000) == 0, "map registers for a bus master");
    NdisMAllocateSharedMemory(handle, 0x800, 0, &shared, &physical);
    CHECK(shared != NULL && physical.LowPart != 0 && physical.HighPart == 0, "NdisMAllocateSharedMemory");
    if (shared)
        NdisMFreeSharedMemory(handle, 0x800, 0, shared, physical);
    NdisMFreeMapRegisters(handle);
    /* The HAL's bus model: no resources assigned, an empty PCI slot. */
    NdisMQueryAdapterResources(&st, wrapperContext, resources, &size);
    CHECK(st == NDIS_STATUS_RESOURCES && size == 8, "NdisMQueryAdapterResources: the size it needs");
    NdisMQueryAdapterResources(&st, wrapperContext, resources, &size);
    CHECK(st == 0 && *(ULONG *)(resources + 4) == 0, "NdisMQueryAdapterResources: no descriptors");
    CHECK(NdisReadPciSlotInformation(handle, 0, 0, &vendor, 4) == 2 && (vendor & 0xffff) == 0xffff, "NdisReadPciSlotInformation: an empty slot");
}

static void runTimers(HANDLE handle)
{
    static NDIS_MINIPORT_TIMER timer, late;
    static int timerContext;
    BOOLEAN cancelled = 0;
    NdisMInitializeTimer(&timer, handle, OnTimer, &timerContext);
    NdisMInitializeTimer(&late, handle, OnLateTimer, NULL);
    NdisMSetTimer(&timer, 10);
    NdisMSetTimer(&late, 50);
    NdisMSleep(5000);
    CHECK(adapter.timerRuns == 0, "a 10 ms timer has not run after 5 ms");
    NdisMSleep(10000);
    CHECK(adapter.timerRuns == 1 && adapter.timerContext == &timerContext, "it runs once 10 ms have passed, with its context");
    NdisMCancelTimer(&late, &cancelled);
    NdisMSleep(100000);
    CHECK(cancelled == 1 && adapter.lateRuns == 0 && adapter.timerRuns == 1, "a cancelled timer never runs");
}

static ULONG NTAPI Initialize(ULONG *openError, UINT *selected, ULONG *media, UINT count, HANDLE handle, HANDLE wrapperContext)
{
    PVOID memory = NULL;
    PHYSICAL_ADDRESS highest = {0xffffffff, -1};
    UINT i;
    (void)openError;
    initializeCalls++;
    for (i = 0; i < count && media[i] != NdisMedium802_3; i++)
        ;
    CHECK(i < count, "802.3 is among the media NDIS offers");
    readConfiguration(wrapperContext);
    NdisMSetAttributes(handle, &adapter, 0, NdisInterfaceIsa);
    claimHardware(handle, wrapperContext);
    runTimers(handle);
    CHECK(NdisAllocateMemory(&memory, 64, 0, highest) == 0 && memory != NULL, "NdisAllocateMemory");
    if (memory)
        NdisFreeMemory(memory, 64, 0);
    *selected = i;
    if (FAIL_INIT == 2) {
        *selected = count + 91; /* success, but a medium NDIS never offered */
        return 0;
    }
    if (FAIL_INIT) {
        NdisWriteErrorLogEntry(handle, NDIS_ERROR_CODE_ADAPTER_NOT_FOUND, 2, 0x300, 10);
        NdisMDeregisterIoPortRange(handle, 0x300, 0x20, (PVOID)0x300);
        return NDIS_STATUS_ADAPTER_NOT_FOUND;
    }
    adapter.initialized = 1;
    return 0;
}

static ULONG NTAPI Query(PVOID context, ULONG oid, PVOID buffer, ULONG length, ULONG *written, ULONG *needed)
{
    static const ULONG supported[] = {OID_GEN_SUPPORTED_LIST, OID_802_3_CURRENT_ADDRESS};
    const UCHAR *from = oid == OID_GEN_SUPPORTED_LIST ? (const UCHAR *)supported : adapter.address;
    ULONG n = oid == OID_GEN_SUPPORTED_LIST ? sizeof supported : 6;
    if (context != &adapter)
        return NDIS_STATUS_FAILURE;
    adapter.queries++;
    if (oid != OID_GEN_SUPPORTED_LIST && oid != OID_802_3_CURRENT_ADDRESS)
        return NDIS_STATUS_INVALID_OID;
    if (length < n) {
        *needed = n;
        return NDIS_STATUS_INVALID_OID;
    }
    for (ULONG i = 0; i < n; i++)
        ((UCHAR *)buffer)[i] = from[i];
    *written = n;
    return 0;
}

static void NTAPI Halt(PVOID context)
{
    DbgPrint("miniport: halt %s\n", context == &adapter && adapter.initialized ? "ok" : "BAD");
}
static ULONG NTAPI Other(void) { return 0; }

NTSTATUS NTAPI DriverEntry(PVOID driver, UNICODE_STRING *path)
{
    static WCHAR params[300];
    static const WCHAR sub[] = L"\\Parameters";
    static const UCHAR blob[3] = {1, 2, 3};
    ULONG io = 0x300, irq = 10, disposition = 0, status;
    HANDLE wrapper = NULL, key = NULL;
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes = {sizeof attributes, NULL, &name, 0x40, NULL, NULL};
    NDIS30_MINIPORT_CHARACTERISTICS chars = {3, 0, 0, 0, NULL, NULL, NULL, Halt, NULL, Initialize, NULL, Query, NULL, Other, Other, Other, NULL};
    int i, j;
    for (i = 0; i < path->Length / 2 && i < 255; i++)
        params[i] = path->Buffer[i];
    for (j = 0; sub[j]; j++)
        params[i++] = sub[j];
    params[i] = 0;
    name = (UNICODE_STRING){2 * i, 2 * i + 2, params};
    CHECK(ZwCreateKey(&key, 0xf003f, &attributes, 0, NULL, 0, &disposition) == 0, "create the adapter's Parameters key");
    ZwClose(key);
    CHECK(RtlWriteRegistryValue(0, params, L"IoBaseAddress", REG_DWORD, &io, 4) == 0, "write IoBaseAddress");
    CHECK(RtlWriteRegistryValue(0, params, L"InterruptNumber", REG_DWORD, &irq, 4) == 0, "write InterruptNumber");
    RtlWriteRegistryValue(0, params, L"SpeedText", REG_SZ, L"100", 8);
    RtlWriteRegistryValue(0, params, L"HexText", REG_SZ, L"1f", 6);
    RtlWriteRegistryValue(0, params, L"Name", REG_SZ, L"nt351", 12);
    RtlWriteRegistryValue(0, params, L"NetworkAddress", REG_SZ, L"02-00-4C-4F-4F-50", 36);
    RtlWriteRegistryValue(0, params, L"Blob", REG_BINARY, (PVOID)blob, 3);

    NdisMInitializeWrapper(&wrapper, driver, path, NULL);
    CHECK(wrapper != NULL, "NdisMInitializeWrapper");
    chars.MajorNdisVersion = 2;
    CHECK(NdisMRegisterMiniport(wrapper, &chars, sizeof chars) == NDIS_STATUS_BAD_VERSION, "NDIS 2.0: NDIS_STATUS_BAD_VERSION");
    chars.MajorNdisVersion = 3;
    CHECK(NdisMRegisterMiniport(wrapper, &chars, 0x34) == NDIS_STATUS_BAD_CHARACTERISTICS, "short NDIS 3.0 characteristics");
    chars.InitializeHandler = NULL;
    CHECK(NdisMRegisterMiniport(wrapper, &chars, sizeof chars) == NDIS_STATUS_BAD_CHARACTERISTICS, "no MiniportInitialize: NDIS_STATUS_BAD_CHARACTERISTICS");
    CHECK(initializeCalls == 0, "refused registrations initialise nothing");
    chars.InitializeHandler = Initialize;
    status = NdisMRegisterMiniport(wrapper, &chars, sizeof chars);
    CHECK(initializeCalls == 1, "MiniportInitialize ran once, before NdisMRegisterMiniport returned");
    CHECK(status == (FAIL_INIT ? NDIS_STATUS_FAILURE : 0), "NdisMRegisterMiniport: success, or failure when no adapter initialised");
    CHECK(adapter.queries == (FAIL_INIT ? 0 : 2), "NDIS queried the supported OIDs and the address of an adapter that is up");
    DbgPrint("miniport: %d passed, %d failed\n", passed, failed);
    if (status != 0) {
        NdisTerminateWrapper(wrapper, NULL);
        return status;
    }
    return failed ? 0xC0000001 : 0;
}
