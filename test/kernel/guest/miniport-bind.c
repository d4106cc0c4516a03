/* A guest NDIS 3.0 miniport with two adapter instances, as NT 3.51's setup lays them out: the
 * driver's Linkage\Bind names \Device\nicA and \Device\nicB, each configured by its own
 * Services\<adapter>\Parameters key (written here first). NDIS initialises both, in order, during
 * NdisMRegisterMiniport; each reads its own NetworkAddress, which NDIS then queries. */
typedef unsigned char UCHAR;
typedef unsigned short USHORT, WCHAR;
typedef unsigned long ULONG;
typedef unsigned int UINT;
typedef long NTSTATUS;
typedef void *PVOID, *HANDLE;
#define NTAPI __stdcall
#define NULL ((void *)0)

typedef struct { USHORT Length, MaximumLength; WCHAR *Buffer; } UNICODE_STRING;
typedef struct { ULONG Length; HANDLE RootDirectory; UNICODE_STRING *ObjectName; ULONG Attributes; PVOID Sd, Qos; } OBJECT_ATTRIBUTES;
typedef struct {
    UCHAR MajorNdisVersion, MinorNdisVersion;
    USHORT Filler;
    UINT Reserved;
    PVOID CheckForHangHandler, DisableInterruptHandler, EnableInterruptHandler, HaltHandler, HandleInterruptHandler;
    PVOID InitializeHandler, ISRHandler, QueryInformationHandler, ReconfigureHandler, ResetHandler;
    PVOID SendHandler, SetInformationHandler, TransferDataHandler;
} NDIS30_MINIPORT_CHARACTERISTICS;
#define REG_SZ 1
#define REG_MULTI_SZ 7
#define OID_802_3_CURRENT_ADDRESS 0x01010102
#define NDIS_STATUS_INVALID_OID 0xC0010017

ULONG __cdecl DbgPrint(const char *, ...);
NTSTATUS NTAPI RtlWriteRegistryValue(ULONG, const WCHAR *, const WCHAR *, ULONG, PVOID, ULONG);
NTSTATUS NTAPI ZwCreateKey(HANDLE *, ULONG, OBJECT_ATTRIBUTES *, ULONG, UNICODE_STRING *, ULONG, ULONG *);
NTSTATUS NTAPI ZwClose(HANDLE);
void NTAPI NdisMInitializeWrapper(HANDLE *, PVOID, PVOID, PVOID);
ULONG NTAPI NdisMRegisterMiniport(HANDLE, NDIS30_MINIPORT_CHARACTERISTICS *, UINT);
void NTAPI NdisOpenConfiguration(ULONG *, HANDLE *, HANDLE);
void NTAPI NdisReadNetworkAddress(ULONG *, PVOID *, UINT *, HANDLE);
void NTAPI NdisCloseConfiguration(HANDLE);
void NTAPI NdisMSetAttributes(HANDLE, HANDLE, UCHAR, ULONG);

#include "check.h"

static struct { UCHAR address[6]; } adapters[2];
static int count;

/* Creates the key `base` + `tail` (its parent must exist); writes the full path to `out`. */
static int createKey(WCHAR *out, const WCHAR *base, int baseLength, const WCHAR *tail)
{
    HANDLE key = NULL;
    ULONG disposition;
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes = {sizeof attributes, NULL, &name, 0x40, NULL, NULL};
    int i, j;
    for (i = 0; i < baseLength; i++)
        out[i] = base[i];
    for (j = 0; tail[j]; j++)
        out[i++] = tail[j];
    out[i] = 0;
    name = (UNICODE_STRING){2 * i, 2 * i + 2, out};
    if (ZwCreateKey(&key, 0xf003f, &attributes, 0, NULL, 0, &disposition) != 0)
        return 0;
    ZwClose(key);
    return 1;
}

static ULONG NTAPI Initialize(ULONG *openError, UINT *selected, ULONG *media, UINT n, HANDLE handle, HANDLE wrapperContext)
{
    ULONG st = 1;
    HANDLE config = NULL;
    PVOID address = NULL;
    UINT length = 0;
    (void)openError, (void)media, (void)n;
    NdisOpenConfiguration(&st, &config, wrapperContext);
    if (st == 0)
        NdisReadNetworkAddress(&st, &address, &length, config);
    if (st == 0 && length == 6 && count < 2)
        for (int i = 0; i < 6; i++)
            adapters[count].address[i] = ((UCHAR *)address)[i];
    if (config)
        NdisCloseConfiguration(config);
    NdisMSetAttributes(handle, &adapters[count < 2 ? count : 1], 0, 1);
    count++;
    *selected = 0;
    return st;
}

static ULONG NTAPI Query(PVOID context, ULONG oid, PVOID buffer, ULONG length, ULONG *written, ULONG *needed)
{
    (void)needed;
    if (oid != OID_802_3_CURRENT_ADDRESS || length < 6)
        return NDIS_STATUS_INVALID_OID;
    for (int i = 0; i < 6; i++)
        ((UCHAR *)buffer)[i] = ((UCHAR *)context)[i];
    *written = 6;
    return 0;
}
static void NTAPI Halt(PVOID context) { (void)context; }
static ULONG NTAPI Other(void) { return 0; }

NTSTATUS NTAPI DriverEntry(PVOID driver, UNICODE_STRING *path)
{
    static WCHAR linkage[300], a[300], b[300];
    static const WCHAR bind[] = L"\\Device\\nicA\0\\Device\\nicB\0";
    HANDLE wrapper = NULL;
    NDIS30_MINIPORT_CHARACTERISTICS chars = {3, 0, 0, 0, NULL, NULL, NULL, Halt, NULL, Initialize, NULL, Query, NULL, Other, Other, Other, NULL};
    int n = path->Length / 2, services = n;
    while (services > 0 && path->Buffer[services - 1] != '\\')
        services--;
    CHECK(createKey(linkage, path->Buffer, n, L"\\Linkage"), "create Linkage");
    CHECK(RtlWriteRegistryValue(0, linkage, L"Bind", REG_MULTI_SZ, (PVOID)bind, sizeof bind) == 0, "write Linkage\\Bind");
    CHECK(createKey(a, path->Buffer, services, L"nicA") && createKey(a, path->Buffer, services, L"nicA\\Parameters"), "create nicA\\Parameters");
    CHECK(createKey(b, path->Buffer, services, L"nicB") && createKey(b, path->Buffer, services, L"nicB\\Parameters"), "create nicB\\Parameters");
    RtlWriteRegistryValue(0, a, L"NetworkAddress", REG_SZ, L"02000000000A", 26);
    RtlWriteRegistryValue(0, b, L"NetworkAddress", REG_SZ, L"02:00:00:00:00:0B", 36);
    NdisMInitializeWrapper(&wrapper, driver, path, NULL);
    CHECK(NdisMRegisterMiniport(wrapper, &chars, sizeof chars) == 0, "NdisMRegisterMiniport");
    CHECK(count == 2 && adapters[0].address[5] == 0x0a && adapters[1].address[5] == 0x0b, "each adapter read its own Parameters");
    DbgPrint("miniport-bind: %d passed, %d failed\n", passed, failed);
    return failed ? 0xC0000001 : 0;
}
