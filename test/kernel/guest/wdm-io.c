/* Guest-level checks of handlers that lay out structures, built for x86 and for AMD64 against
 * mingw-w64's own <ddk/wdm.h> (an independent statement of both layouts): IRPs (IoAllocateIrp,
 * IoInitializeIrp, IoSizeOfIrp, IoBuildDeviceIoControlRequest, IoBuildSynchronousFsdRequest), MDLs (IoAllocateMdl,
 * MmBuildMdlForNonPagedPool, MmMapLockedPagesSpecifyCache, MmSizeOfMdl, MmCreateMdl), the spin locks
 * and performance counter AMD64's ntoskrnl exports, IoAttachDevice, IoStartPacket, IoCancelIrp, and
 * what Wine's drivers import: the string conversions and, in AddDevice with the model's PDO, device
 * interfaces; OBJECT_ATTRIBUTES, IO_STATUS_BLOCK and handles through the Zw and Ob routines; an
 * error log entry for a device; absolute and self-relative security descriptors (ntifs.h); lookaside
 * lists (allocated inline on AMD64), S-lists and interlocked lists. Output as surface.c; AddDevice
 * prints the final count. */
#include <ddk/ntifs.h> /* wdm.h, and SECURITY_DESCRIPTOR, SID, the security Rtl routines */
#include "check.h"

#undef IoSizeOfIrp
NTKERNELAPI USHORT NTAPI IoSizeOfIrp(CCHAR StackSize);
NTKERNELAPI SIZE_T NTAPI MmSizeOfMdl(PVOID Base, SIZE_T Length);
NTKERNELAPI PMDL NTAPI MmCreateMdl(PMDL Mdl, PVOID Base, SIZE_T Length);
NTKERNELAPI NTSTATUS NTAPI IoAttachDevice(PDEVICE_OBJECT, PUNICODE_STRING, PDEVICE_OBJECT *);
NTSYSAPI NTSTATUS NTAPI RtlMultiByteToUnicodeN(PWCH, ULONG, PULONG, const CHAR *, ULONG);
NTSYSAPI NTSTATUS NTAPI RtlUnicodeToMultiByteN(PCHAR, ULONG, PULONG, PCWCH, ULONG);
NTSYSAPI NTSTATUS NTAPI RtlUnicodeToMultiByteSize(PULONG, PCWCH, ULONG);

/* GUID_DEVINTERFACE_HID {4d1e55b2-f16f-11cf-88cb-001111000030} */
static const GUID hid = {0x4d1e55b2, 0xf16f, 0x11cf, {0x88, 0xcb, 0x00, 0x11, 0x11, 0x00, 0x00, 0x30}};

static UNICODE_STRING name(const WCHAR *s) {
    UNICODE_STRING u;
    RtlInitUnicodeString(&u, s);
    return u;
}

static int started;
static PIRP startedIrp;
static VOID NTAPI StartIo(PDEVICE_OBJECT d, PIRP irp) {
    (void)d;
    started++;
    startedIrp = irp;
}

static int cancelled;
static VOID NTAPI Cancel(PDEVICE_OBJECT d, PIRP irp) {
    cancelled++;
    CHECK(irp->Cancel && irp->CancelRoutine == NULL, "CancelRoutine: Cancel set, routine cleared");
    CHECK(d == IoGetCurrentIrpStackLocation(irp)->DeviceObject, "CancelRoutine: the current location's device");
    IoReleaseCancelSpinLock(irp->CancelIrql);
}

/* IRP_MJ_DEVICE_CONTROL: answers two bytes in the system buffer and completes the IRP. */
static NTSTATUS NTAPI Control(PDEVICE_OBJECT d, PIRP irp) {
    UCHAR *b = irp->AssociatedIrp.SystemBuffer;
    (void)d;
    b[0] = b[7] + 1;
    b[1] = 0x5a;
    irp->IoStatus.Status = STATUS_SUCCESS;
    irp->IoStatus.Information = 2;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static void irps(PDEVICE_OBJECT dev) {
    PIRP irp = IoAllocateIrp(3, FALSE);
    CHECK(irp != NULL, "IoAllocateIrp");
    if (!irp) return;
    CHECK(IoSizeOfIrp(3) == sizeof(IRP) + 3 * sizeof(IO_STACK_LOCATION), "IoSizeOfIrp(3)");
    CHECK(irp->Type == IO_TYPE_IRP, "IRP.Type");
    CHECK(irp->Size == IoSizeOfIrp(3), "IRP.Size");
    CHECK(irp->StackCount == 3 && irp->CurrentLocation == 4, "IRP.StackCount, CurrentLocation");
    CHECK(irp->Tail.Overlay.CurrentStackLocation == (PIO_STACK_LOCATION)(irp + 1) + 3,
          "IRP.Tail.Overlay.CurrentStackLocation past the last location");
    CHECK(IoGetNextIrpStackLocation(irp) == (PIO_STACK_LOCATION)(irp + 1) + 2, "IoGetNextIrpStackLocation");
    irp->Cancel = 1;
    IoInitializeIrp(irp, IoSizeOfIrp(3), 3);
    CHECK(irp->Cancel == 0 && irp->Type == IO_TYPE_IRP && irp->CurrentLocation == 4, "IoInitializeIrp");
    IoFreeIrp(irp);

    UCHAR in[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[16];
    KEVENT event;
    IO_STATUS_BLOCK iosb;
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    irp = IoBuildDeviceIoControlRequest(0x222004, dev, in, sizeof in, out, sizeof out, FALSE, &event, &iosb);
    CHECK(irp != NULL, "IoBuildDeviceIoControlRequest");
    if (!irp) return;
    PIO_STACK_LOCATION s = IoGetNextIrpStackLocation(irp);
    CHECK(s->MajorFunction == IRP_MJ_DEVICE_CONTROL, "ioctl: MajorFunction");
    CHECK(s->DeviceObject == dev, "ioctl: DeviceObject");
    CHECK(s->Parameters.DeviceIoControl.IoControlCode == 0x222004, "ioctl: IoControlCode");
    CHECK(s->Parameters.DeviceIoControl.InputBufferLength == sizeof in, "ioctl: InputBufferLength");
    CHECK(s->Parameters.DeviceIoControl.OutputBufferLength == sizeof out, "ioctl: OutputBufferLength");
    CHECK(s->Parameters.DeviceIoControl.Type3InputBuffer == in, "ioctl: Type3InputBuffer");
    CHECK(irp->UserIosb == &iosb && irp->UserEvent == &event, "ioctl: UserIosb, UserEvent");
    CHECK(irp->UserBuffer == out, "ioctl: UserBuffer");
    CHECK(irp->AssociatedIrp.SystemBuffer != NULL && ((UCHAR *)irp->AssociatedIrp.SystemBuffer)[7] == 8,
          "ioctl: SystemBuffer holds the input");
    IoFreeIrp(irp);

    /* The driver completes it: IoCompleteRequest's final stage copies the output to the caller's
     * buffer, fills the IO_STATUS_BLOCK, signals the event and frees the IRP (no pool leak). */
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    out[0] = out[1] = 0;
    iosb.Status = 0x55;
    iosb.Information = 0x55;
    irp = IoBuildDeviceIoControlRequest(0x222004, dev, in, sizeof in, out, sizeof out, FALSE, &event, &iosb);
    if (irp) {
        CHECK(IoCallDriver(dev, irp) == STATUS_SUCCESS, "ioctl: IoCallDriver");
        CHECK(iosb.Status == STATUS_SUCCESS && iosb.Information == 2, "ioctl: the IO_STATUS_BLOCK filled");
        CHECK(out[0] == 9 && out[1] == 0x5a, "ioctl: the output copied to the caller's buffer");
        CHECK(event.Header.SignalState == 1, "ioctl: UserEvent signalled");
    }

    LARGE_INTEGER at;
    at.QuadPart = 0x123456789abLL;
    irp = IoBuildSynchronousFsdRequest(IRP_MJ_READ, dev, out, sizeof out, &at, &event, &iosb);
    CHECK(irp != NULL, "IoBuildSynchronousFsdRequest");
    if (!irp) return;
    s = IoGetNextIrpStackLocation(irp);
    CHECK(s->MajorFunction == IRP_MJ_READ, "read: MajorFunction");
    CHECK(s->Parameters.Read.Length == sizeof out, "read: Length");
    CHECK(s->Parameters.Read.ByteOffset.QuadPart == 0x123456789abLL, "read: ByteOffset");
    CHECK(irp->UserBuffer == out && irp->UserIosb == &iosb && irp->UserEvent == &event, "read: user fields");
    IoFreeIrp(irp);

    /* IoStartPacket with an idle device calls StartIo with the IRP, which becomes CurrentIrp. */
    irp = IoAllocateIrp(1, FALSE);
    IoStartPacket(dev, irp, NULL, NULL);
    CHECK(started == 1 && startedIrp == irp && dev->CurrentIrp == irp, "IoStartPacket");
    IoStartNextPacket(dev, FALSE);
    CHECK(dev->CurrentIrp == NULL && started == 1, "IoStartNextPacket with nothing queued");
    IoFreeIrp(irp);

    irp = IoAllocateIrp(2, FALSE);
    IoSetNextIrpStackLocation(irp);
    IoGetCurrentIrpStackLocation(irp)->DeviceObject = dev;
    CHECK(IoCancelIrp(irp) == FALSE && irp->Cancel, "IoCancelIrp without a cancel routine");
    irp->Cancel = FALSE;
    IoSetCancelRoutine(irp, Cancel);
    CHECK(IoCancelIrp(irp) == TRUE && cancelled == 1, "IoCancelIrp calls the cancel routine");
    KIRQL irql;
    IoAcquireCancelSpinLock(&irql);
    CHECK(1, "the cancel routine released the cancel spin lock");
    IoReleaseCancelSpinLock(irql);
    IoFreeIrp(irp);
}

static void objects(PUNICODE_STRING path, PDEVICE_OBJECT dev) {
    OBJECT_ATTRIBUTES oa;
    HANDLE h = (HANDLE)(ULONG_PTR)-1;
    PVOID key = NULL;
    InitializeObjectAttributes(&oa, path, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    NTSTATUS st = ZwOpenKey(&h, KEY_READ, &oa);
    CHECK(st == STATUS_SUCCESS, "ZwOpenKey(the service key) through OBJECT_ATTRIBUTES.ObjectName");
    CHECK(st != STATUS_SUCCESS || (ULONG64)(ULONG_PTR)h < 0x100000000ULL, "ZwOpenKey: the handle fills the HANDLE");
    if (st == STATUS_SUCCESS) {
        CHECK(ObReferenceObjectByHandle(h, KEY_READ, NULL, KernelMode, &key, NULL) == STATUS_SUCCESS && key,
              "ObReferenceObjectByHandle");
        if (key) ObDereferenceObject(key);
        CHECK(ZwClose(h) == STATUS_SUCCESS, "ZwClose");
    }
    UNICODE_STRING none;
    IO_STATUS_BLOCK iosb;
    RtlInitUnicodeString(&none, L"\\SystemRoot\\no-such-file.txt");
    InitializeObjectAttributes(&oa, &none, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    iosb.Status = 0x55;
    iosb.Information = 0x55;
    st = ZwCreateFile(&h, GENERIC_READ, &oa, &iosb, NULL, 0, FILE_SHARE_READ, FILE_OPEN, 0, NULL, 0);
    CHECK(st == STATUS_OBJECT_NAME_NOT_FOUND && iosb.Status == st, "ZwCreateFile: IO_STATUS_BLOCK.Status");
    CHECK(iosb.Information == 0, "ZwCreateFile: IO_STATUS_BLOCK.Information");

    PIO_ERROR_LOG_PACKET p = IoAllocateErrorLogEntry(dev, sizeof(IO_ERROR_LOG_PACKET));
    CHECK(p != NULL, "IoAllocateErrorLogEntry(device)");
    if (p) {
        p->ErrorCode = 0xc0040006;
        p->UniqueErrorValue = 0x64;
        IoWriteErrorLogEntry(p);
    }
}

static void security(void) {
    static const SID_IDENTIFIER_AUTHORITY nt = SECURITY_NT_AUTHORITY;
    UCHAR sidBuf[12], aclBuf[64];
    ULONG rel[32], len = sizeof rel;
    SID *sid = (SID *)sidBuf;
    ACL *acl = (ACL *)aclBuf, *dacl = NULL;
    PSID owner = NULL;
    BOOLEAN present = FALSE, defaulted = TRUE;
    SECURITY_DESCRIPTOR sd;
    sid->Revision = 1;
    sid->SubAuthorityCount = 1;
    sid->IdentifierAuthority = nt;
    sid->SubAuthority[0] = SECURITY_LOCAL_SYSTEM_RID;
    CHECK(RtlCreateSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION) == STATUS_SUCCESS, "RtlCreateSecurityDescriptor");
    CHECK(RtlCreateAcl(acl, sizeof aclBuf, ACL_REVISION) == STATUS_SUCCESS, "RtlCreateAcl");
    CHECK(RtlAddAccessAllowedAce(acl, ACL_REVISION, GENERIC_ALL, sid) == STATUS_SUCCESS, "RtlAddAccessAllowedAce");
    CHECK(RtlSetDaclSecurityDescriptor(&sd, TRUE, acl, FALSE) == STATUS_SUCCESS, "RtlSetDaclSecurityDescriptor");
    CHECK(RtlSetOwnerSecurityDescriptor(&sd, sid, FALSE) == STATUS_SUCCESS, "RtlSetOwnerSecurityDescriptor");
    CHECK(sd.Dacl == acl && sd.Owner == sid && (sd.Control & SE_DACL_PRESENT), "SECURITY_DESCRIPTOR: Dacl, Owner, Control");
    CHECK(RtlGetDaclSecurityDescriptor(&sd, &present, &dacl, &defaulted) == STATUS_SUCCESS && present && dacl == acl
          && !defaulted, "RtlGetDaclSecurityDescriptor (absolute)");
    CHECK(RtlGetOwnerSecurityDescriptor(&sd, &owner, &defaulted) == STATUS_SUCCESS && owner == sid, "RtlGetOwnerSecurityDescriptor");
    ULONG need = sizeof(SECURITY_DESCRIPTOR_RELATIVE) + 12 + acl->AclSize;
    CHECK(RtlLengthSecurityDescriptor(&sd) == need, "RtlLengthSecurityDescriptor");
    CHECK(RtlAbsoluteToSelfRelativeSD(&sd, rel, &len) == STATUS_SUCCESS && len == need, "RtlAbsoluteToSelfRelativeSD");
    SECURITY_DESCRIPTOR_RELATIVE *r = (SECURITY_DESCRIPTOR_RELATIVE *)rel;
    CHECK((r->Control & SE_SELF_RELATIVE) && r->Owner == sizeof *r && RtlEqualSid((PSID)((UCHAR *)r + r->Owner), sid),
          "SECURITY_DESCRIPTOR_RELATIVE: Owner offset");
    CHECK(RtlGetDaclSecurityDescriptor(r, &present, &dacl, &defaulted) == STATUS_SUCCESS && present
          && dacl == (ACL *)((UCHAR *)r + r->Dacl), "RtlGetDaclSecurityDescriptor (self-relative)");
    CHECK(RtlValidSecurityDescriptor(r), "RtlValidSecurityDescriptor");
}

static NPAGED_LOOKASIDE_LIST lookasideList;
static void lookaside(void) {
    NPAGED_LOOKASIDE_LIST *la = &lookasideList;
    ExInitializeNPagedLookasideList(la, NULL, NULL, 0, 48, 0x6b6f6f4c, 0);
    CHECK(la->L.Size == 48 && la->L.Tag == 0x6b6f6f4c && la->L.Type == NonPagedPool,
          "ExInitializeNPagedLookasideList: Size, Tag, Type");
    CHECK(la->L.Allocate != NULL && la->L.Free != NULL, "ExInitializeNPagedLookasideList: default Allocate, Free");
    PVOID a = ExAllocateFromNPagedLookasideList(la); /* inline on AMD64: pops ListHead, calls L.Allocate */
    CHECK(a != NULL && la->L.TotalAllocates == 1, "ExAllocateFromNPagedLookasideList");
    ExFreeToNPagedLookasideList(la, a);
    CHECK(ExQueryDepthSList(&la->L.ListHead) == 1, "ExFreeToNPagedLookasideList keeps the block (ExQueryDepthSList)");
    PVOID b = ExAllocateFromNPagedLookasideList(la);
    CHECK(b == a && ExQueryDepthSList(&la->L.ListHead) == 0, "the kept block comes back");
    ExFreeToNPagedLookasideList(la, b);
    ExDeleteNPagedLookasideList(la);

    LIST_ENTRY head, e1, e2;
    KSPIN_LOCK lock;
    KeInitializeSpinLock(&lock);
    InitializeListHead(&head);
    CHECK(ExInterlockedInsertTailList(&head, &e1, &lock) == NULL, "ExInterlockedInsertTailList (empty)");
    CHECK(ExInterlockedInsertHeadList(&head, &e2, &lock) == &e1, "ExInterlockedInsertHeadList");
    CHECK(head.Flink == &e2 && e2.Flink == &e1 && e1.Flink == &head && head.Blink == &e1, "LIST_ENTRY links");
    CHECK(ExInterlockedRemoveHeadList(&head, &lock) == &e2 && head.Flink == &e1, "ExInterlockedRemoveHeadList");
}

static void strings(void) {
    WCHAR w[8];
    CHAR a[8];
    ULONG n = 0;
    CHECK(RtlMultiByteToUnicodeN(w, sizeof w, &n, "Wine\xe9", 5) == STATUS_SUCCESS && n == 10, "RtlMultiByteToUnicodeN");
    CHECK(w[0] == L'W' && w[4] == 0xe9, "RtlMultiByteToUnicodeN: Latin-1");
    CHECK(RtlMultiByteToUnicodeN(w, 4, &n, "abcdef", 6) == STATUS_SUCCESS && n == 4 && w[1] == L'b',
          "RtlMultiByteToUnicodeN truncates to the buffer");
    CHECK(RtlUnicodeToMultiByteN(a, sizeof a, &n, L"hid\x20ac", 8) == STATUS_SUCCESS && n == 4, "RtlUnicodeToMultiByteN");
    CHECK(a[0] == 'h' && a[2] == 'd' && a[3] == '?', "RtlUnicodeToMultiByteN: unmappable is '?'");
    CHECK(RtlUnicodeToMultiByteN(a, 2, NULL, L"xyz", 6) == STATUS_SUCCESS && a[1] == 'y', "RtlUnicodeToMultiByteN: no count out");
    CHECK(RtlUnicodeToMultiByteSize(&n, L"four", 8) == STATUS_SUCCESS && n == 4, "RtlUnicodeToMultiByteSize");
}

static VOID NTAPI Unload(PDRIVER_OBJECT driver) {
    (void)driver;
}

static NTSTATUS NTAPI AddDevice(PDRIVER_OBJECT driver, PDEVICE_OBJECT pdo) {
    UNICODE_STRING link, expect;
    PDEVICE_OBJECT fdo;
    NTSTATUS st = IoCreateDevice(driver, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &fdo);
    CHECK(st == STATUS_SUCCESS, "AddDevice: IoCreateDevice");
    if (st == STATUS_SUCCESS) {
        CHECK(IoRegisterDeviceInterface(fdo, &hid, NULL, &link) == STATUS_INVALID_DEVICE_REQUEST,
              "IoRegisterDeviceInterface refuses a device that is not a PDO");
        IoDeleteDevice(fdo);
    }
    st = IoRegisterDeviceInterface(pdo, &hid, NULL, &link);
    CHECK(st == STATUS_SUCCESS, "IoRegisterDeviceInterface on the PDO");
    if (st == STATUS_SUCCESS) {
        RtlInitUnicodeString(&expect, L"\\??\\ROOT#NT351BUS#0000#{4d1e55b2-f16f-11cf-88cb-001111000030}");
        CHECK(RtlEqualUnicodeString(&link, &expect, TRUE), "IoRegisterDeviceInterface: the link name");
        CHECK(IoSetDeviceInterfaceState(&link, TRUE) == STATUS_SUCCESS, "IoSetDeviceInterfaceState(TRUE)");
        CHECK(IoSetDeviceInterfaceState(&link, FALSE) == STATUS_SUCCESS, "IoSetDeviceInterfaceState(FALSE)");
        RtlFreeUnicodeString(&link);
    }
    RtlInitUnicodeString(&expect, L"\\??\\ROOT#NT351BUS#0000#{00000000-0000-0000-0000-000000000000}");
    CHECK(IoSetDeviceInterfaceState(&expect, TRUE) == STATUS_OBJECT_NAME_NOT_FOUND,
          "IoSetDeviceInterfaceState: an unregistered name");
    IoInvalidateDeviceRelations(pdo, BusRelations);
    DbgPrint("wdm-io: %d passed, %d failed\n", passed, failed);
    return STATUS_SUCCESS; /* with no device of its own over the PDO: the PnP IRPs go to the bus driver */
}

static void mdls(void) {
    UCHAR *buf = ExAllocatePoolWithTag(NonPagedPool, 0x1800, 0x74736554);
    CHECK(buf != NULL, "ExAllocatePoolWithTag");
    if (!buf) return;
    PVOID va = buf + 0x10;
    PMDL mdl = IoAllocateMdl(va, 0x1000, FALSE, FALSE, NULL);
    CHECK(mdl != NULL, "IoAllocateMdl");
    if (!mdl) return;
    ULONG pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(va, 0x1000);
    CHECK(mdl->Size == sizeof(MDL) + pages * sizeof(PFN_NUMBER), "MDL.Size");
    CHECK(MmGetMdlVirtualAddress(mdl) == va, "MDL StartVa + ByteOffset");
    CHECK(MmGetMdlByteCount(mdl) == 0x1000, "MDL.ByteCount");
    CHECK(MmGetMdlByteOffset(mdl) == ((ULONG_PTR)va & 0xfff), "MDL.ByteOffset");
    CHECK(mdl->Next == NULL && mdl->Process == NULL, "MDL.Next, Process");
    CHECK(MmSizeOfMdl(va, 0x1000) == mdl->Size, "MmSizeOfMdl");
    MmBuildMdlForNonPagedPool(mdl);
    CHECK(mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL, "MmBuildMdlForNonPagedPool: MdlFlags");
    CHECK(mdl->MappedSystemVa == va, "MmBuildMdlForNonPagedPool: MappedSystemVa");
    PFN_NUMBER *pfn = MmGetMdlPfnArray(mdl);
    CHECK(pages == 1 || pfn[1] == pfn[0] + 1, "PFN array of ULONG_PTRs");
    CHECK(MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority) == va,
          "MmMapLockedPagesSpecifyCache");
    CHECK(mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA, "MmMapLockedPagesSpecifyCache: MdlFlags");
    IoFreeMdl(mdl);
    mdl = MmCreateMdl(NULL, buf, 0x1800);
    CHECK(mdl != NULL && MmGetMdlVirtualAddress(mdl) == buf && MmGetMdlByteCount(mdl) == 0x1800, "MmCreateMdl");
    if (mdl) ExFreePool(mdl);
    ExFreePoolWithTag(buf, 0x74736554);
}

static void locks(void) {
    KSPIN_LOCK lock;
    KLOCK_QUEUE_HANDLE h;
    KeInitializeSpinLock(&lock);
    KIRQL old;
    KeAcquireSpinLock(&lock, &old); /* AMD64: KeAcquireSpinLockRaiseToDpc; x86: hal!KfAcquireSpinLock */
    CHECK(lock != 0, "KeAcquireSpinLock holds the lock");
    KeReleaseSpinLock(&lock, old); /* AMD64: ntoskrnl!KeReleaseSpinLock; x86: hal!KfReleaseSpinLock */
    CHECK(lock == 0, "KeReleaseSpinLock frees it");
    KeAcquireInStackQueuedSpinLock(&lock, &h);
    CHECK(lock != 0 && h.LockQueue.Lock == &lock, "KeAcquireInStackQueuedSpinLock: LockQueue.Lock");
    CHECK(h.OldIrql == old, "KeAcquireInStackQueuedSpinLock: OldIrql");
    KeReleaseInStackQueuedSpinLock(&h);
    CHECK(lock == 0, "KeReleaseInStackQueuedSpinLock");
    LARGE_INTEGER f, a = KeQueryPerformanceCounter(&f), b = KeQueryPerformanceCounter(NULL);
    CHECK(f.QuadPart == 1193182, "KeQueryPerformanceCounter: frequency");
    CHECK(b.QuadPart > a.QuadPart, "KeQueryPerformanceCounter: counts up");
}

static void attach(PDRIVER_OBJECT driver, PDEVICE_OBJECT target) {
    PDEVICE_OBJECT filter, below = NULL;
    NTSTATUS st = IoCreateDevice(driver, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &filter);
    CHECK(st == STATUS_SUCCESS, "IoCreateDevice (filter)");
    if (st) return;
    UNICODE_STRING n = name(L"\\Device\\WdmIo");
    st = IoAttachDevice(filter, &n, &below);
    CHECK(st == STATUS_SUCCESS && below == target, "IoAttachDevice: the device below");
    CHECK(target->AttachedDevice == filter, "IoAttachDevice: AttachedDevice");
    CHECK(filter->StackSize == target->StackSize + 1, "IoAttachDevice: StackSize");
    CHECK(IoGetAttachedDevice(target) == filter, "IoGetAttachedDevice");
    IoDetachDevice(target);
    IoDeleteDevice(filter);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING path) {
    PDEVICE_OBJECT dev;
    UNICODE_STRING n = name(L"\\Device\\WdmIo");
    driver->DriverStartIo = StartIo;
    driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = Control;
    driver->DriverExtension->AddDevice = AddDevice;
    driver->DriverUnload = Unload;
    NTSTATUS st = IoCreateDevice(driver, 0, &n, FILE_DEVICE_UNKNOWN, 0, FALSE, &dev);
    CHECK(st == STATUS_SUCCESS, "IoCreateDevice");
    if (st == STATUS_SUCCESS) {
        irps(dev);
        attach(driver, dev);
        objects(path, dev);
        IoDeleteDevice(dev);
    }
    mdls();
    locks();
    strings();
    security();
    lookaside();
    DbgPrint("wdm-io: %d passed, %d failed\n", passed, failed);
    return STATUS_SUCCESS;
}
