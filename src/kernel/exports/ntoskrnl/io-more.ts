// More of the I/O manager (ntoskrnl!Io*): IRP and MDL allocation, IRPs built for a device, device
// queues (StartPacket/StartNextPacket), the cancel spin lock, timers, interrupts (connected, never
// raised: the model machine has no devices), error log entries, share access, configuration queries.
import type { KernelContext } from '../../context.js';
import { attachedTop, IRP_FLAG } from '../../irp.js';
import { IO_TYPE_IRP } from '../../objects.js';
import { defineExport, type ExportHandler, guestCall, type HandlerResult } from '../../registry.js';
import { acquireLock, DISPATCH_LEVEL, releaseLock, swapIrql } from '../hal/irql.js';
import { NTSTATUS } from '../status.js';
import { currentThread, queueWork } from './ke-dispatcher.js';
import { ZwCreateFile } from './zw.js';

const nt = (prototype: string, impl: ExportHandler['impl']) =>
  defineExport({ module: 'ntoskrnl', prototype, impl });

/** MDL (x86): Next, Size (USHORT), MdlFlags, Process, MappedSystemVa, StartVa, ByteCount, ByteOffset, then PFNs. */
export const MDL = {
  Next: 0,
  Size: 4,
  MdlFlags: 6,
  Process: 8,
  MappedSystemVa: 0xc,
  StartVa: 0x10,
  ByteCount: 0x14,
  ByteOffset: 0x18,
  size: 0x1c,
} as const;
export const pagesSpanned = (va: number, length: number) => ((va & 0xfff) + length + 0xfff) >>> 12 || 1;
/** Bytes of an MDL for [va, va+length): the header and one PFN_NUMBER (ULONG_PTR) per page (MmSizeOfMdl). */
export const mdlBytes = (ctx: KernelContext, va: number, length: number) =>
  ctx.mem.layouts.MDL.size + ctx.mem.pointerSize * pagesSpanned(va, length);

/** Fills an MDL for [va, va+length) (model: physical = virtual - 0x80000000, pages contiguous). */
export function initMdl(ctx: KernelContext, mdl: number, va: number, length: number, flags: number): void {
  const { MDL: M } = ctx.mem.layouts;
  const pages = pagesSpanned(va, length);
  ctx.mem.setPtr(mdl + M.Next, 0);
  ctx.mem.setU16(mdl + M.Size, mdlBytes(ctx, va, length));
  ctx.mem.setU16(mdl + M.MdlFlags, flags);
  ctx.mem.setPtr(mdl + M.Process, 0);
  ctx.mem.setPtr(mdl + M.MappedSystemVa, 0);
  ctx.mem.setPtr(mdl + M.StartVa, (va & ~0xfff) >>> 0);
  ctx.mem.setU32(mdl + M.ByteCount, length);
  ctx.mem.setU32(mdl + M.ByteOffset, va & 0xfff);
  for (let i = 0; i < pages; i++)
    ctx.mem.setUlongPtr(mdl + M.size + ctx.mem.pointerSize * i, (((va & ~0xfff) - 0x80000000) >>> 12) + i);
}
export const setMdlFlags = (ctx: KernelContext, mdl: number, flags: number) => {
  const at = mdl + ctx.mem.layouts.MDL.MdlFlags;
  ctx.mem.setU16(at, ctx.mem.u16(at) | flags);
};

/** IoSizeOfIrp: the IRP and `count` stack locations, at the guest's layouts. */
const irpBytes = (ctx: KernelContext, count: number) =>
  ctx.mem.layouts.IRP.size + count * ctx.mem.layouts.IO_STACK_LOCATION.size;

/** Initialises the IRP at `irp` (`size` bytes, `count` stack locations, none current yet). */
function initIrp(ctx: KernelContext, irp: number, size: number, count: number): void {
  const { IRP: I } = ctx.mem.layouts;
  ctx.mem.write(irp, new Uint8Array(size));
  ctx.mem.setU16(irp + I.Type, IO_TYPE_IRP);
  ctx.mem.setU16(irp + I.Size, size);
  ctx.mem.write(irp + I.StackCount, new Uint8Array([count, count + 1]));
  ctx.mem.setPtr(irp + I.CurrentStackLocation, irp + irpBytes(ctx, count));
}

/** An IRP with `stackSize` locations, none current yet (IoAllocateIrp). */
function allocateIrp(ctx: KernelContext, stackSize: number): number {
  const count = Math.max(1, stackSize & 0xff);
  const size = irpBytes(ctx, count);
  const irp = ctx.pool.allocate(size, 0, 'Irp ', 'driver');
  if (irp === null) return 0;
  initIrp(ctx, irp, size, count);
  return irp;
}
/** Makes the IRP's next stack location current with `mj` for `device` (as IoCallDriver will). */
function nextStack(ctx: KernelContext, irp: number, mj: number, device: number): number {
  const { IRP: I, IO_STACK_LOCATION: S } = ctx.mem.layouts;
  const stack = ctx.mem.ptr(irp + I.CurrentStackLocation) - S.size;
  ctx.mem.write(stack + S.MajorFunction, new Uint8Array([mj, 0]));
  ctx.mem.setPtr(stack + S.DeviceObject, device);
  return stack;
}
/**
 * A threaded IRP's requester: the IO_STATUS_BLOCK and event IoCompleteRequest's final stage fills
 * and signals, and the running thread (Tail.Overlay.Thread), as IoBuild*Request set them.
 */
function requestedBy(ctx: KernelContext, irp: number, iosb: number, event: number): void {
  const { IRP: I } = ctx.mem.layouts;
  ctx.mem.setPtr(irp + I.UserIosb, iosb);
  ctx.mem.setPtr(irp + I.UserEvent, event);
  ctx.mem.setPtr(irp + I.Thread, currentThread(ctx));
}
/** The `i`th pointer-sized word of a stack location's Parameters (POINTER_ALIGNMENT on AMD64). */
const parameter = (ctx: KernelContext, stack: number, i: number) =>
  stack + ctx.mem.layouts.IO_STACK_LOCATION.Parameters + i * ctx.mem.pointerSize;
/** A device's stack size (DEVICE_OBJECT.StackSize). */
const stackSizeOf = (ctx: KernelContext, device: number) =>
  ctx.mem.u8(device + ctx.mem.layouts.DEVICE_OBJECT.StackSize);
/** FILE_OBJECT.DeviceObject: after Type and Size, at the first pointer-aligned offset. */
const fileDevice = (ctx: KernelContext) => ctx.mem.pointerSize;

export const ioMoreExports: ExportHandler[] = [
  nt('PIRP IoAllocateIrp(CCHAR StackSize, BOOLEAN ChargeQuota)', (ctx, [n]) => allocateIrp(ctx, n!)),
  nt('VOID IoFreeIrp(PIRP Irp)', (ctx, [irp]) => {
    ctx.pool.free(irp!);
    return undefined;
  }),
  nt('VOID IoInitializeIrp(PIRP Irp, USHORT PacketSize, CCHAR StackSize)', (ctx, [irp, size, n]) => {
    initIrp(ctx, irp!, size! & 0xffff, n! & 0xff);
    return undefined;
  }),
  nt('USHORT IoSizeOfIrp(CCHAR StackSize)', (ctx, [n]) => irpBytes(ctx, n! & 0xff)),
  nt(
    'PIRP IoBuildDeviceIoControlRequest(ULONG IoControlCode, PDEVICE_OBJECT DeviceObject, PVOID InputBuffer, ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength, BOOLEAN InternalDeviceIoControl, PKEVENT Event, PIO_STATUS_BLOCK IoStatusBlock)',
    (ctx, [code, device, inBuf, inLen, outBuf, outLen, internal, event, iosb]) => {
      const { IRP: I } = ctx.mem.layouts;
      const irp = allocateIrp(ctx, stackSizeOf(ctx, device!));
      if (!irp) return 0;
      const stack = nextStack(ctx, irp, internal! & 0xff ? 0x0f : 0x0e, device!);
      // Parameters.DeviceIoControl: OutputBufferLength, InputBufferLength, IoControlCode, Type3InputBuffer.
      ctx.mem.setU32(parameter(ctx, stack, 0), outLen!);
      ctx.mem.setU32(parameter(ctx, stack, 1), inLen!);
      ctx.mem.setU32(parameter(ctx, stack, 2), code!);
      ctx.mem.setPtr(parameter(ctx, stack, 3), inBuf!);
      // Model of METHOD_BUFFERED: one system buffer holding the input, large enough for the output.
      // IoCompleteRequest copies the output back and frees the buffer (IRP_FLAG, finishRequest).
      const size = Math.max(inLen!, outLen!);
      if (size) {
        const buffer = ctx.pool.allocate(size, 0, 'IoSb', 'kernel') ?? 0;
        if (inLen) ctx.mem.write(buffer, ctx.mem.bytes(inBuf!, inLen!));
        ctx.mem.setPtr(irp + I.SystemBuffer, buffer);
        const flags = IRP_FLAG.BUFFERED_IO | IRP_FLAG.DEALLOCATE_BUFFER;
        ctx.mem.setU32(irp + I.Flags, outLen ? flags | IRP_FLAG.INPUT_OPERATION : flags);
      }
      ctx.mem.setPtr(irp + I.UserBuffer, outBuf!);
      requestedBy(ctx, irp, iosb!, event!);
      return irp;
    },
  ),
  nt(
    'PIRP IoBuildSynchronousFsdRequest(ULONG MajorFunction, PDEVICE_OBJECT DeviceObject, PVOID Buffer, ULONG Length, PLARGE_INTEGER StartingOffset, PKEVENT Event, PIO_STATUS_BLOCK IoStatusBlock)',
    (ctx, [mj, device, buffer, length, offset, event, iosb]) => {
      const { IRP: I } = ctx.mem.layouts;
      const irp = allocateIrp(ctx, stackSizeOf(ctx, device!));
      if (!irp) return 0;
      const stack = nextStack(ctx, irp, mj!, device!);
      // Parameters.Read/Write: Length, Key, ByteOffset (a LARGE_INTEGER, the third word).
      ctx.mem.setU32(parameter(ctx, stack, 0), length!);
      if (offset) ctx.mem.write(parameter(ctx, stack, 2), ctx.mem.bytes(offset, 8, 'StartingOffset'));
      ctx.mem.setPtr(irp + I.UserBuffer, buffer!);
      requestedBy(ctx, irp, iosb!, event!);
      return irp;
    },
  ),
  nt(
    'PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer, BOOLEAN ChargeQuota, PIRP Irp)',
    (ctx, [va, length, , , irp]) => {
      const mdl = ctx.pool.allocate(mdlBytes(ctx, va!, length!), 0, 'Mdl ', 'driver');
      if (mdl === null) return 0;
      initMdl(ctx, mdl, va!, length!, 0);
      if (irp) ctx.mem.setPtr(irp + ctx.mem.layouts.IRP.MdlAddress, mdl);
      return mdl;
    },
  ),
  nt('VOID IoFreeMdl(PMDL Mdl)', (ctx, [mdl]) => {
    ctx.pool.free(mdl!);
    return undefined;
  }),
  nt(
    'NTSTATUS IoAttachDevice(PDEVICE_OBJECT SourceDevice, PUNICODE_STRING TargetDevice, OUT PDEVICE_OBJECT *AttachedDevice)',
    (ctx, [source, name, out]) => {
      const target = ctx.objects.lookup(ctx.mem.unicodeString(name!) ?? '');
      if (target?.kind !== 'device') return NTSTATUS.OBJECT_NAME_NOT_FOUND;
      const { DEVICE_OBJECT: D } = ctx.mem.layouts;
      const top = attachedTop(ctx.mem, target.address);
      ctx.mem.setPtr(top + D.AttachedDevice, source!);
      ctx.mem.write(source! + D.StackSize, new Uint8Array([stackSizeOf(ctx, top) + 1]));
      ctx.mem.setPtr(out!, top);
      return NTSTATUS.SUCCESS;
    },
  ),
  nt('PDEVICE_OBJECT IoGetRelatedDeviceObject(PFILE_OBJECT FileObject)', (ctx, [file]) => {
    // FILE_OBJECT.DeviceObject; the top of its stack (NULL for none).
    const device = ctx.mem.ptr(file! + fileDevice(ctx));
    return device && attachedTop(ctx.mem, device);
  }),
  nt('PDEVICE_OBJECT IoGetAttachedDevice(PDEVICE_OBJECT DeviceObject)', (ctx, [d]) =>
    attachedTop(ctx.mem, d!),
  ),
  nt('VOID IoAcquireCancelSpinLock(OUT PKIRQL Irql)', (ctx, [out]) => {
    const lock = cancelLock(ctx);
    if (acquireLock(ctx, lock, 'the cancel spin lock'))
      ctx.mem.write(out!, new Uint8Array([swapIrql(ctx, DISPATCH_LEVEL)]));
    return undefined;
  }),
  nt('VOID IoReleaseCancelSpinLock(KIRQL Irql)', (ctx, [irql]) => {
    const lock = ctx.statics.get('io.cancel-lock');
    if (lock !== undefined) releaseLock(ctx, lock);
    swapIrql(ctx, irql!);
    return undefined;
  }),
  /**
   * Cancels the IRP: sets Irp->Cancel, takes the cancel spin lock (CancelIrql gets the old IRQL) and
   * calls the IRP's CancelRoutine(DeviceObject, Irp), cleared first, which releases the lock; without
   * one, releases the lock itself and returns FALSE (NT 4 IoCancelIrp; ReactOS irp.c).
   */
  nt('BOOLEAN IoCancelIrp(PIRP Irp)', (ctx, [irp]) => {
    const { IRP: I, IO_STACK_LOCATION: S } = ctx.mem.layouts;
    const lock = cancelLock(ctx);
    if (!acquireLock(ctx, lock, 'the cancel spin lock')) return undefined;
    const old = swapIrql(ctx, DISPATCH_LEVEL);
    ctx.mem.write(irp! + I.Cancel, new Uint8Array([1]));
    const routine = ctx.mem.ptr(irp! + I.CancelRoutine);
    if (!routine) {
      releaseLock(ctx, lock);
      swapIrql(ctx, old);
      return 0;
    }
    ctx.mem.setPtr(irp! + I.CancelRoutine, 0);
    ctx.mem.write(irp! + I.CancelIrql, new Uint8Array([old]));
    const device = ctx.mem.ptr(ctx.mem.ptr(irp! + I.CurrentStackLocation) + S.DeviceObject);
    return guestCall(routine, [device, irp!], () => 1);
  }),
  nt(
    'VOID IoStartPacket(PDEVICE_OBJECT DeviceObject, PIRP Irp, PULONG Key, PDRIVER_CANCEL CancelFunction)',
    (ctx, [device, irp]) => {
      // Model: the device is idle unless CurrentIrp is set; a busy device's packets wait in a host queue.
      if (ctx.mem.ptr(device! + ctx.mem.layouts.DEVICE_OBJECT.CurrentIrp)) {
        const q = queues(ctx, device!);
        q.push(irp!);
        return undefined;
      }
      return startPacket(ctx, device!, irp!);
    },
  ),
  nt('VOID IoStartNextPacket(PDEVICE_OBJECT DeviceObject, BOOLEAN Cancelable)', (ctx, [device]) => {
    const next = queues(ctx, device!).shift() ?? 0;
    if (!next) {
      ctx.mem.setPtr(device! + ctx.mem.layouts.DEVICE_OBJECT.CurrentIrp, 0);
      return undefined;
    }
    return startPacket(ctx, device!, next);
  }),
  nt(
    'NTSTATUS IoInitializeTimer(PDEVICE_OBJECT DeviceObject, PIO_TIMER_ROUTINE TimerRoutine, PVOID Context)',
    (ctx, [d, r, c]) => {
      ctx.statics.set(`io.timer.routine:${d}`, r!);
      ctx.statics.set(`io.timer.context:${d}`, c!);
      return NTSTATUS.SUCCESS;
    },
  ),
  nt('VOID IoStartTimer(PDEVICE_OBJECT DeviceObject)', (ctx, [d]) => {
    // Model: the once-a-second timer is recorded as started; its routine runs as a work item once.
    const r = ctx.statics.get(`io.timer.routine:${d}`);
    if (r) ctx.statics.set(`io.timer.started:${d}`, 1);
    return undefined;
  }),
  nt('VOID IoStopTimer(PDEVICE_OBJECT DeviceObject)', (ctx, [d]) => {
    ctx.statics.delete(`io.timer.started:${d}`);
    return undefined;
  }),
  nt(
    'NTSTATUS IoConnectInterrupt(OUT PKINTERRUPT *InterruptObject, PKSERVICE_ROUTINE ServiceRoutine, PVOID ServiceContext, PKSPIN_LOCK SpinLock, ULONG Vector, KIRQL Irql, KIRQL SynchronizeIrql, KINTERRUPT_MODE InterruptMode, BOOLEAN ShareVector, KAFFINITY ProcessorEnableMask, BOOLEAN FloatingSave)',
    (ctx, [out, routine, context, , vector]) => {
      // KINTERRUPT, model: the interrupt is connected but the machine has no device to raise it.
      const k = ctx.pool.allocate(0x1e4, 0, 'Intr', 'driver');
      if (k === null) return NTSTATUS.INSUFFICIENT_RESOURCES;
      ctx.mem.write(k, new Uint8Array(0x1e4));
      ctx.mem.setU32(k + 0x0c, routine!);
      ctx.mem.setU32(k + 0x10, context!);
      ctx.mem.setU32(k + 0x20, vector!);
      ctx.mem.setPtr(out!, k);
      return NTSTATUS.SUCCESS;
    },
  ),
  nt('VOID IoDisconnectInterrupt(PKINTERRUPT InterruptObject)', (ctx, [k]) => {
    ctx.pool.free(k!);
    return undefined;
  }),
  nt(
    'NTSTATUS IoCheckShareAccess(ACCESS_MASK DesiredAccess, ULONG DesiredShareAccess, PFILE_OBJECT FileObject, PSHARE_ACCESS ShareAccess, BOOLEAN Update)',
    () => NTSTATUS.SUCCESS, // model: one opener at a time, so no sharing conflict
  ),
  nt(
    'VOID IoSetShareAccess(ACCESS_MASK DesiredAccess, ULONG DesiredShareAccess, PFILE_OBJECT FileObject, OUT PSHARE_ACCESS ShareAccess)',
    (ctx, [, , , sa]) => {
      ctx.mem.write(sa!, new Uint8Array(0x1c));
      return undefined;
    },
  ),
  nt('VOID IoRemoveShareAccess(PFILE_OBJECT FileObject, PSHARE_ACCESS ShareAccess)', () => undefined),
  nt('VOID IoSetHardErrorOrVerifyDevice(PIRP Irp, PDEVICE_OBJECT DeviceObject)', () => undefined),
  nt('VOID IoUnregisterFileSystem(PDEVICE_OBJECT DeviceObject)', () => undefined),
  nt(
    'NTSTATUS IoQueryDeviceDescription(PINTERFACE_TYPE BusType, PULONG BusNumber, PCONFIGURATION_TYPE ControllerType, PULONG ControllerNumber, PCONFIGURATION_TYPE PeripheralType, PULONG PeripheralNumber, PIO_QUERY_DEVICE_ROUTINE CalloutRoutine, PVOID Context)',
    () => NTSTATUS.OBJECT_NAME_NOT_FOUND, // the model machine's hardware tree has no such device
  ),
  nt(
    'NTSTATUS IoCreateFile(OUT PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes, OUT PIO_STATUS_BLOCK IoStatusBlock, PLARGE_INTEGER AllocationSize, ULONG FileAttributes, ULONG ShareAccess, ULONG Disposition, ULONG CreateOptions, PVOID EaBuffer, ULONG EaLength, CREATE_FILE_TYPE CreateFileType, PVOID ExtraCreateParameters, ULONG Options)',
    (ctx, args) => ZwCreateFileImpl(ctx, args),
  ),
  nt('PIO_WORKITEM IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject)', (ctx, [d]) => {
    const item = ctx.pool.allocate(0x20, 0, 'IoWI', 'driver');
    if (item !== null) ctx.mem.setU32(item + 0x10, d!);
    return item ?? 0;
  }),
  nt('VOID IoFreeWorkItem(PIO_WORKITEM IoWorkItem)', (ctx, [item]) => {
    ctx.pool.free(item!);
    return undefined;
  }),
  nt(
    'VOID IoQueueWorkItem(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE WorkerRoutine, WORK_QUEUE_TYPE QueueType, PVOID Context)',
    (ctx, [item, routine, , context]) => {
      queueDeviceWork(ctx, routine!, ctx.mem.u32(item! + 0x10), context!);
      return undefined;
    },
  ),
  nt(
    'NTSTATUS IoGetDeviceObjectPointer(PUNICODE_STRING ObjectName, ACCESS_MASK DesiredAccess, OUT PFILE_OBJECT *FileObject, OUT PDEVICE_OBJECT *DeviceObject)',
    (ctx, [name, , fileOut, deviceOut]) => {
      const target = ctx.objects.lookup(ctx.mem.unicodeString(name!) ?? '');
      if (target?.kind !== 'device') return NTSTATUS.OBJECT_NAME_NOT_FOUND;
      const top = attachedTop(ctx.mem, target.address);
      const file = ctx.ob.create('file', { path: ctx.mem.unicodeString(name!) ?? '' });
      ctx.mem.setPtr(file.body + fileDevice(ctx), target.address);
      ctx.mem.setPtr(fileOut!, file.body);
      ctx.mem.setPtr(deviceOut!, top);
      return NTSTATUS.SUCCESS;
    },
  ),
];

/** IopCancelSpinLock: one KSPIN_LOCK for every IRP's cancellation. */
function cancelLock(ctx: KernelContext): number {
  const lock = ctx.statics.get('io.cancel-lock') ?? ctx.pool.allocateStatic(4);
  ctx.statics.set('io.cancel-lock', lock);
  return lock;
}

/** Makes `irp` the device's CurrentIrp and calls its driver's StartIo(DeviceObject, Irp), if any. */
function startPacket(ctx: KernelContext, device: number, irp: number): HandlerResult {
  const { DEVICE_OBJECT: D, DRIVER_OBJECT: R } = ctx.mem.layouts;
  ctx.mem.setPtr(device + D.CurrentIrp, irp);
  const startIo = ctx.mem.ptr(ctx.mem.ptr(device + D.DriverObject) + R.DriverStartIo);
  return startIo ? guestCall(startIo, [device, irp], () => undefined) : undefined;
}

const startQueues = new WeakMap<object, Map<number, number[]>>();
function queues(ctx: KernelContext, device: number): number[] {
  const all = startQueues.get(ctx.log) ?? new Map<number, number[]>();
  startQueues.set(ctx.log, all);
  const q = all.get(device) ?? [];
  all.set(device, q);
  return q;
}
/** An IO_WORKITEM's routine takes (DeviceObject, Context); it runs at the next wait or delay. */
function queueDeviceWork(ctx: KernelContext, routine: number, device: number, context: number): void {
  queueWork(ctx, routine, [device, context]);
}
const ZwCreateFileImpl = (ctx: KernelContext, args: number[]) => ZwCreateFile.impl(ctx, args.slice(0, 11));
