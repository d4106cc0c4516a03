/* Guest-level checks of handlers that lay out structures, built for AMD64 against mingw-w64's own
 * <ddk/wdm.h> (an independent statement of the x64 layouts): IRPs (IoAllocateIrp, IoInitializeIrp,
 * IoSizeOfIrp, IoBuildDeviceIoControlRequest, IoBuildSynchronousFsdRequest), MDLs (IoAllocateMdl,
 * MmBuildMdlForNonPagedPool, MmMapLockedPagesSpecifyCache, MmSizeOfMdl, MmCreateMdl), the spin locks
 * and performance counter AMD64's ntoskrnl exports, IoAttachDevice, IoStartPacket and the string
 * conversions Wine's drivers import. Output as surface.c. */
#include <ddk/wdm.h>
#include "check.h"

#undef IoSizeOfIrp
NTKERNELAPI USHORT NTAPI IoSizeOfIrp(CCHAR StackSize);
NTKERNELAPI SIZE_T NTAPI MmSizeOfMdl(PVOID Base, SIZE_T Length);
NTKERNELAPI PMDL NTAPI MmCreateMdl(PMDL Mdl, PVOID Base, SIZE_T Length);
NTKERNELAPI NTSTATUS NTAPI IoAttachDevice(PDEVICE_OBJECT, PUNICODE_STRING, PDEVICE_OBJECT *);

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
    KIRQL old = KeAcquireSpinLockRaiseToDpc(&lock);
    CHECK(lock != 0, "KeAcquireSpinLockRaiseToDpc holds the lock");
    KeReleaseSpinLock(&lock, old);
    CHECK(lock == 0, "ntoskrnl!KeReleaseSpinLock frees it");
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
    UNICODE_STRING n = name(L"\\Device\\Amd64Io");
    st = IoAttachDevice(filter, &n, &below);
    CHECK(st == STATUS_SUCCESS && below == target, "IoAttachDevice: the device below");
    CHECK(target->AttachedDevice == filter, "IoAttachDevice: AttachedDevice");
    CHECK(filter->StackSize == target->StackSize + 1, "IoAttachDevice: StackSize");
    CHECK(IoGetAttachedDevice(target) == filter, "IoGetAttachedDevice");
    IoDetachDevice(target);
    IoDeleteDevice(filter);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING path) {
    (void)path;
    PDEVICE_OBJECT dev;
    UNICODE_STRING n = name(L"\\Device\\Amd64Io");
    driver->DriverStartIo = StartIo;
    NTSTATUS st = IoCreateDevice(driver, 0, &n, FILE_DEVICE_UNKNOWN, 0, FALSE, &dev);
    CHECK(st == STATUS_SUCCESS, "IoCreateDevice");
    if (st == STATUS_SUCCESS) {
        irps(dev);
        attach(driver, dev);
        IoDeleteDevice(dev);
    }
    mdls();
    locks();
    DbgPrint("amd64-io: %d passed, %d failed\n", passed, failed);
    return STATUS_SUCCESS;
}
