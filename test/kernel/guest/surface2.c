/* Guest-level checks, part 2: security descriptors, interlocked and S-lists, lookaside lists, MDLs,
 * IRPs, ERESOURCE and the kernel's data exports, under --kernel registry. Output as surface.c. */
typedef unsigned char UCHAR, BOOLEAN;
typedef unsigned short USHORT, WCHAR;
typedef unsigned long ULONG, SIZE_T;
typedef long LONG, NTSTATUS;
typedef void *PVOID;
#define NTAPI __stdcall
#define FASTCALL __fastcall
#define NULL ((void *)0)

typedef struct _LIST_ENTRY { struct _LIST_ENTRY *Flink, *Blink; } LIST_ENTRY;
typedef struct _SLE { struct _SLE *Next; } SINGLE_LIST_ENTRY;
typedef struct { SINGLE_LIST_ENTRY Next; USHORT Depth, Sequence; } SLIST_HEADER;
typedef struct { UCHAR Revision, Count, Authority[6]; ULONG Sub[2]; } SID2;
typedef struct { UCHAR Revision, Sbz1; USHORT Size, AceCount, Sbz2; } ACL;
typedef struct { UCHAR Revision, Sbz1; USHORT Control; PVOID Owner, Group, Sacl, Dacl; } SECURITY_DESCRIPTOR;
typedef struct { PVOID Next; short Size, Flags; PVOID Process, MappedSystemVa, StartVa; ULONG ByteCount, ByteOffset; } MDL;
typedef struct { ULONG Words[0x50 / 4]; } NPAGED_LOOKASIDE_LIST;
typedef struct { ULONG Words[0x38 / 4]; } ERESOURCE;
typedef struct { ULONG LowPart, HighPart; } LUID;

ULONG __cdecl DbgPrint(const char *, ...);
typedef struct { USHORT Length, MaximumLength; WCHAR *Buffer; } UNICODE_STRING;
NTSTATUS NTAPI IoCreateDevice(PVOID, ULONG, UNICODE_STRING *, ULONG, ULONG, UCHAR, PVOID *);
void NTAPI IoDeleteDevice(PVOID);
PVOID NTAPI IoGetAttachedDevice(PVOID);
NTSTATUS NTAPI RtlCreateSecurityDescriptor(SECURITY_DESCRIPTOR *, ULONG);
NTSTATUS NTAPI RtlCreateAcl(ACL *, ULONG, ULONG);
NTSTATUS NTAPI RtlAddAccessAllowedAce(ACL *, ULONG, ULONG, SID2 *);
NTSTATUS NTAPI RtlSetDaclSecurityDescriptor(SECURITY_DESCRIPTOR *, BOOLEAN, ACL *, BOOLEAN);
NTSTATUS NTAPI RtlGetDaclSecurityDescriptor(SECURITY_DESCRIPTOR *, BOOLEAN *, ACL **, BOOLEAN *);
NTSTATUS NTAPI RtlSetOwnerSecurityDescriptor(SECURITY_DESCRIPTOR *, SID2 *, BOOLEAN);
ULONG NTAPI RtlLengthSecurityDescriptor(SECURITY_DESCRIPTOR *);
NTSTATUS NTAPI RtlAbsoluteToSelfRelativeSD(SECURITY_DESCRIPTOR *, PVOID, ULONG *);
BOOLEAN NTAPI RtlValidSecurityDescriptor(PVOID);
ULONG NTAPI RtlLengthSid(SID2 *);
BOOLEAN NTAPI RtlEqualSid(SID2 *, SID2 *);
BOOLEAN NTAPI SeSinglePrivilegeCheck(LUID, UCHAR);
LIST_ENTRY *NTAPI ExInterlockedInsertTailList(LIST_ENTRY *, LIST_ENTRY *, ULONG *);
LIST_ENTRY *NTAPI ExInterlockedRemoveHeadList(LIST_ENTRY *, ULONG *);
SINGLE_LIST_ENTRY *FASTCALL InterlockedPushEntrySList(SLIST_HEADER *, SINGLE_LIST_ENTRY *);
SINGLE_LIST_ENTRY *FASTCALL InterlockedPopEntrySList(SLIST_HEADER *);
void NTAPI ExInitializeNPagedLookasideList(NPAGED_LOOKASIDE_LIST *, PVOID, PVOID, ULONG, SIZE_T, ULONG, USHORT);
PVOID FASTCALL ExfAllocateFromNPagedLookasideList(NPAGED_LOOKASIDE_LIST *);
void FASTCALL ExfFreeToNPagedLookasideList(NPAGED_LOOKASIDE_LIST *, PVOID);
void NTAPI ExDeleteNPagedLookasideList(NPAGED_LOOKASIDE_LIST *);
MDL *NTAPI IoAllocateMdl(PVOID, ULONG, BOOLEAN, BOOLEAN, PVOID);
void NTAPI MmBuildMdlForNonPagedPool(MDL *);
void NTAPI IoFreeMdl(MDL *);
PVOID NTAPI ExAllocatePoolWithTag(ULONG, SIZE_T, ULONG);
void NTAPI ExFreePool(PVOID);
PVOID NTAPI IoAllocateIrp(char, BOOLEAN);
void NTAPI IoFreeIrp(PVOID);
NTSTATUS NTAPI ExInitializeResourceLite(ERESOURCE *);
BOOLEAN NTAPI ExAcquireResourceExclusiveLite(ERESOURCE *, BOOLEAN);
BOOLEAN NTAPI ExIsResourceAcquiredExclusiveLite(ERESOURCE *);
void FASTCALL ExReleaseResourceLite(ERESOURCE *);
extern char __declspec(dllimport) KeNumberProcessors;
extern ULONG __declspec(dllimport) NtBuildNumber;
extern PVOID __declspec(dllimport) PsInitialSystemProcess;
extern PVOID __declspec(dllimport) SeExports;
PVOID NTAPI PsGetCurrentProcess(void);

#include "check.h"

static void security(void)
{
    SECURITY_DESCRIPTOR sd;
    ULONG aclBuf[32], rel[64], length = sizeof rel;
    ACL *acl = (ACL *)aclBuf, *got = NULL;
    SID2 system = {1, 1, {0, 0, 0, 0, 0, 5}, {18, 0}}, admins = {1, 2, {0, 0, 0, 0, 0, 5}, {32, 544}};
    BOOLEAN present = 0, defaulted = 1;
    LUID tcb = {7, 0};
    CHECK(RtlLengthSid(&admins) == 16 && RtlEqualSid(&system, &system) && !RtlEqualSid(&system, &admins), "RtlLengthSid/RtlEqualSid");
    CHECK(RtlCreateSecurityDescriptor(&sd, 1) == 0 && sd.Revision == 1, "RtlCreateSecurityDescriptor");
    CHECK(RtlCreateAcl(acl, sizeof aclBuf, 2) == 0, "RtlCreateAcl");
    CHECK(RtlAddAccessAllowedAce(acl, 2, 0x1F01FF, &system) == 0 && RtlAddAccessAllowedAce(acl, 2, 0x1F01FF, &admins) == 0 && acl->AceCount == 2, "RtlAddAccessAllowedAce");
    CHECK(RtlSetDaclSecurityDescriptor(&sd, 1, acl, 0) == 0 && (sd.Control & 4), "RtlSetDaclSecurityDescriptor");
    CHECK(RtlGetDaclSecurityDescriptor(&sd, &present, &got, &defaulted) == 0 && present && got == acl && !defaulted, "RtlGetDaclSecurityDescriptor");
    CHECK(RtlSetOwnerSecurityDescriptor(&sd, &system, 0) == 0 && sd.Owner == &system, "RtlSetOwnerSecurityDescriptor");
    CHECK(RtlLengthSecurityDescriptor(&sd) == 20 + 12 + sizeof aclBuf, "RtlLengthSecurityDescriptor");
    CHECK(RtlAbsoluteToSelfRelativeSD(&sd, rel, &length) == 0 && length == 20 + 12 + sizeof aclBuf && ((rel[0] >> 16) & 0x8000), "RtlAbsoluteToSelfRelativeSD");
    CHECK(RtlValidSecurityDescriptor(rel), "RtlValidSecurityDescriptor on the self-relative copy");
    CHECK(SeSinglePrivilegeCheck(tcb, 0), "SeSinglePrivilegeCheck (LUID by value)");
}

static void lists(void)
{
    LIST_ENTRY head = {&head, &head}, a, b;
    SLIST_HEADER s = {{NULL}, 0, 0};
    SINGLE_LIST_ENTRY x, y;
    ULONG lock = 0;
    NPAGED_LOOKASIDE_LIST la;
    PVOID p1, p2;
    CHECK(ExInterlockedInsertTailList(&head, &a, &lock) == NULL && ExInterlockedInsertTailList(&head, &b, &lock) == &a, "ExInterlockedInsertTailList");
    CHECK(ExInterlockedRemoveHeadList(&head, &lock) == &a && head.Flink == &b && b.Blink == &head, "ExInterlockedRemoveHeadList");
    InterlockedPushEntrySList(&s, &x);
    InterlockedPushEntrySList(&s, &y);
    CHECK(s.Depth == 2 && InterlockedPopEntrySList(&s) == &y && InterlockedPopEntrySList(&s) == &x && InterlockedPopEntrySList(&s) == NULL, "S-list LIFO");
    ExInitializeNPagedLookasideList(&la, NULL, NULL, 0, 64, 0x7473694C, 0);
    p1 = ExfAllocateFromNPagedLookasideList(&la);
    CHECK(p1 != NULL, "lookaside allocate");
    ExfFreeToNPagedLookasideList(&la, p1);
    p2 = ExfAllocateFromNPagedLookasideList(&la);
    CHECK(p2 == p1, "lookaside reuses a freed entry");
    ExfFreeToNPagedLookasideList(&la, p2);
    ExDeleteNPagedLookasideList(&la);
}

static void io(void)
{
    char *buffer = ExAllocatePoolWithTag(0, 0x2100, 0x74736554);
    MDL *mdl = IoAllocateMdl(buffer + 0x10, 0x2000, 0, 0, NULL);
    PVOID irp;
    ERESOURCE r;
    CHECK(mdl != NULL && mdl->ByteCount == 0x2000 && mdl->ByteOffset == (((ULONG)buffer + 0x10) & 0xfff), "IoAllocateMdl");
    MmBuildMdlForNonPagedPool(mdl);
    CHECK(mdl->MappedSystemVa == buffer + 0x10 && (mdl->Flags & 4), "MmBuildMdlForNonPagedPool");
    IoFreeMdl(mdl);
    ExFreePool(buffer);
    irp = IoAllocateIrp(3, 0);
    CHECK(irp != NULL && *(USHORT *)irp == 6 && ((UCHAR *)irp)[0x22] == 3, "IoAllocateIrp");
    IoFreeIrp(irp);
    ExInitializeResourceLite(&r);
    CHECK(ExAcquireResourceExclusiveLite(&r, 1) && ExIsResourceAcquiredExclusiveLite(&r), "ERESOURCE exclusive");
    ExReleaseResourceLite(&r);
    CHECK(!ExIsResourceAcquiredExclusiveLite(&r), "ExReleaseResourceLite");
}

/* A device whose AttachedDevice points at itself (guest data): the stack walk ends (it hung the host). */
static void stacks(PVOID driver)
{
    static WCHAR name[] = L"\\Device\\Loop";
    UNICODE_STRING u = {sizeof name - 2, sizeof name, name};
    PVOID device = NULL;
    CHECK(IoCreateDevice(driver, 0, &u, 0x22, 0, 0, &device) == 0 && device, "IoCreateDevice");
    if (!device)
        return;
    ((PVOID *)device)[0x10 / 4] = device; /* DEVICE_OBJECT.AttachedDevice */
    CHECK(IoGetAttachedDevice(device) == device, "IoGetAttachedDevice on a looping chain");
    ((PVOID *)device)[0x10 / 4] = NULL;
    IoDeleteDevice(device);
}

static void data(void)
{
    CHECK(KeNumberProcessors == 1, "KeNumberProcessors");
    CHECK((NtBuildNumber & 0xF0000000) == 0xF0000000, "NtBuildNumber free-build flag");
    CHECK(PsInitialSystemProcess == PsGetCurrentProcess(), "PsInitialSystemProcess");
    CHECK(SeExports != NULL && ((ULONG *)SeExports)[0] == 2, "SeExports->SeCreateTokenPrivilege");
}

NTSTATUS NTAPI DriverEntry(PVOID driver, PVOID path)
{
    (void)path;
    security();
    lists();
    io();
    stacks(driver);
    data();
    DbgPrint("surface2: %d passed, %d failed\n", passed, failed);
    return failed ? 0xC0000001 : 0;
}
