// KMDF's I/O path: the dispatch routine the framework puts in every MajorFunction entry of a bound
// driver (FxDevice::Dispatch), turning IRPs into WDFREQUESTs — create, cleanup and close into the
// file-object callbacks, reads, writes and device controls through EvtIoInCallerContext into the
// device's default queue's EvtIo* callbacks — and the WdfRequest*/WdfIoQueue* functions drivers
// complete and inspect them with. Model: one processor and no scheduler, so a request presented to a
// queue runs its callback at once; work items are recorded, not run.
import type { KernelContext } from '../../context.js';
import { completeRequest } from '../../irp.js';
import { IRP_MJ, SL } from '../../objects.js';
import { defineExport, type ExportHandler, guestCall, type HandlerResult } from '../../registry.js';
import { NTSTATUS } from '../status.js';
import { badHandle, wdfFunction } from './common.js';
import { deviceByObject, deviceData } from './device.js';
import { wdfLayouts } from './layouts.js';
import { callInTurn, createObject, deleteObject, objectOf, type WdfObject, wdf } from './objects.js';

const STATUS_PENDING = 0x103;
const STATUS_CANCELLED = 0xc0000120;
const STATUS_NO_MORE_ENTRIES = 0x8000001a;
const STATUS_BUFFER_TOO_SMALL = 0xc0000023;
/** WdfIoQueueDispatchManual (wdfio.h): requests wait until the driver retrieves them. */
const DISPATCH_MANUAL = 3;
/** IRP_MJ_INTERNAL_DEVICE_CONTROL. */
const IRP_MJ_INTERNAL_DEVICE_CONTROL = 0x0f;

/** A WDFQUEUE's state. */
interface QueueData {
  device: number;
  dispatch: number;
  callbacks: { default: number; read: number; write: number; ioctl: number; internal: number };
  /** Requests waiting in a manual queue, oldest first. */
  waiting: number[];
}
/** A WDFREQUEST's state. */
interface RequestData {
  irp: number;
  device: number;
  file: number;
  queue: number;
  information: number;
  /** The status it was completed with, null while the driver owns it. */
  completedWith: number | null;
}
const queueData = (o: WdfObject) => o.data as unknown as QueueData;
const requestData = (o: WdfObject) => o.data as unknown as RequestData;

const currentStack = (ctx: KernelContext, irp: number) =>
  ctx.mem.ptr(irp + ctx.mem.layouts.IRP.CurrentStackLocation);
const majorOf = (ctx: KernelContext, irp: number) =>
  ctx.mem.u8(currentStack(ctx, irp) + ctx.mem.layouts.IO_STACK_LOCATION.MajorFunction);
/** Parameters word `i` of the current stack location, a length or code: its low 32 bits. */
const parameter = (ctx: KernelContext, irp: number, i: number) => {
  const { IO_STACK_LOCATION, pointerSize } = ctx.mem.layouts;
  return ctx.mem.u32(currentStack(ctx, irp) + IO_STACK_LOCATION.Parameters + pointerSize * i);
};

/** IoStatus of `irp`: Status, and Information (a ULONG_PTR). */
function setIoStatus(ctx: KernelContext, irp: number, status: number, information: number): void {
  const { IRP } = ctx.mem.layouts;
  ctx.mem.setU32(irp + IRP.IoStatusStatus, status);
  ctx.mem.setUlongPtr(irp + IRP.IoStatusInformation, information);
}

/** Completes an IRP the framework answers itself (no WDFREQUEST): IoStatus, then IoCompleteRequest. */
function completeIrp(ctx: KernelContext, irp: number, status: number, information = 0): HandlerResult {
  setIoStatus(ctx, irp, status, information);
  return completeRequest(ctx, irp, () => status);
}

/**
 * WdfRequestComplete: the request's status and information go to the IRP, the request object is
 * deleted (its context callbacks run), then the IRP is completed (IoCompleteRequest). Model: the
 * deletion comes before the completion routines, which sandbox IRPs do not have.
 */
function completeWdfRequest(
  ctx: KernelContext,
  o: WdfObject,
  status: number,
  information?: number,
): HandlerResult {
  const r = requestData(o);
  if (r.completedWith !== null) return badHandle(ctx, o.handle, 'completed WDFREQUEST');
  r.completedWith = status >>> 0;
  if (information !== undefined) r.information = information;
  const queue = objectOf(ctx, r.queue, 'queue');
  if (queue) queueData(queue).waiting = queueData(queue).waiting.filter((h) => h !== o.handle);
  return deleteObject(
    ctx,
    o,
    () => undefined,
    () => {
      setIoStatus(ctx, r.irp, status, r.information);
      return completeRequest(ctx, r.irp, () => undefined);
    },
  );
}

/** What the dispatch routine returns once the driver's callbacks are done: the status, or pending. */
function outcomeOf(ctx: KernelContext, o: WdfObject): number {
  const r = requestData(o);
  if (r.completedWith !== null) return r.completedWith;
  // IoMarkIrpPending: the driver still owns the request.
  const control = currentStack(ctx, r.irp) + ctx.mem.layouts.IO_STACK_LOCATION.Control;
  ctx.mem.write(control, new Uint8Array([ctx.mem.u8(control) | SL.PENDING_RETURNED]));
  return STATUS_PENDING;
}

/**
 * Presents a request to `queue` as KMDF's dispatcher does: a manual queue keeps it; otherwise the
 * callback for its type runs (EvtIoRead/Write/DeviceControl/InternalDeviceControl, else EvtIoDefault),
 * and a queue with none for it fails it with STATUS_INVALID_DEVICE_REQUEST.
 */
function present(ctx: KernelContext, queue: WdfObject, request: WdfObject): HandlerResult {
  const q = queueData(queue);
  const r = requestData(request);
  r.queue = queue.handle;
  if (q.dispatch === DISPATCH_MANUAL) {
    q.waiting.push(request.handle);
    return NTSTATUS.SUCCESS;
  }
  const mj = majorOf(ctx, r.irp);
  const c = q.callbacks;
  // The lengths (size_t) and the control code are integers, not pointers (scalars: passed as such on AMD64).
  let call: { routine: number; args: number[]; scalars?: number[] } | null = null;
  if (mj === IRP_MJ.READ && c.read)
    call = { routine: c.read, args: [queue.handle, request.handle, parameter(ctx, r.irp, 0)], scalars: [2] };
  else if (mj === IRP_MJ.WRITE && c.write)
    call = { routine: c.write, args: [queue.handle, request.handle, parameter(ctx, r.irp, 0)], scalars: [2] };
  else if (
    (mj === IRP_MJ.DEVICE_CONTROL && c.ioctl) ||
    (mj === IRP_MJ_INTERNAL_DEVICE_CONTROL && c.internal)
  ) {
    const routine = mj === IRP_MJ.DEVICE_CONTROL ? c.ioctl : c.internal;
    // EvtIoDeviceControl(Queue, Request, OutputBufferLength, InputBufferLength, IoControlCode)
    call = {
      routine,
      args: [
        queue.handle,
        request.handle,
        parameter(ctx, r.irp, 0),
        parameter(ctx, r.irp, 1),
        parameter(ctx, r.irp, 2),
      ],
      scalars: [2, 3, 4],
    };
  } else if (c.default) call = { routine: c.default, args: [queue.handle, request.handle] };
  if (!call) return completeWdfRequest(ctx, request, NTSTATUS.INVALID_DEVICE_REQUEST);
  return guestCall(call.routine, call.args, () => NTSTATUS.SUCCESS, call.scalars);
}

/** The WDFFILEOBJECT for the IRP's FILE_OBJECT (0 when the IRP has none: the sandbox's opens). */
function fileFor(ctx: KernelContext, device: WdfObject, irp: number): number {
  const fileObject = ctx.mem.ptr(currentStack(ctx, irp) + ctx.mem.layouts.IO_STACK_LOCATION.FileObject);
  return deviceData(device).files.get(fileObject) ?? 0;
}

function newRequest(ctx: KernelContext, device: WdfObject, irp: number): WdfObject | null {
  const data: RequestData = {
    irp,
    device: device.handle,
    file: fileFor(ctx, device, irp),
    queue: 0,
    information: 0,
    completedWith: null,
  };
  return createObject(
    ctx,
    'request',
    deviceData(device).requestAttributes,
    device.handle,
    data as unknown as Record<string, unknown>,
  );
}

/**
 * FxDevice::Dispatch, in every MajorFunction entry of a KMDF driver: the framework's one switch over
 * the major functions. Returns the request's status once the driver's callbacks are done, or
 * STATUS_PENDING when the driver kept it.
 */
export const FxDeviceDispatch = defineExport({
  module: 'wdf01000',
  prototype: 'NTSTATUS FxDeviceDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)',
  impl(ctx, [deviceObject, irp]) {
    const device = deviceByObject(ctx, deviceObject!);
    if (!device) return completeIrp(ctx, irp!, NTSTATUS.INVALID_DEVICE_REQUEST);
    const d = deviceData(device);
    const mj = majorOf(ctx, irp!);
    const fileObject = ctx.mem.ptr(currentStack(ctx, irp!) + ctx.mem.layouts.IO_STACK_LOCATION.FileObject);
    if (mj === IRP_MJ.CREATE) {
      const file = createObject(ctx, 'file', d.fileAttributes, device.handle, {
        fileObject,
        device: device.handle,
      });
      if (!file) return completeIrp(ctx, irp!, NTSTATUS.INSUFFICIENT_RESOURCES);
      d.files.set(fileObject, file.handle);
      const request = newRequest(ctx, device, irp!);
      if (!request) return completeIrp(ctx, irp!, NTSTATUS.INSUFFICIENT_RESOURCES);
      requestData(request).file = file.handle;
      if (!d.fileCreate)
        return then(completeWdfRequest(ctx, request, NTSTATUS.SUCCESS), () => outcomeOf(ctx, request));
      return guestCall(d.fileCreate, [device.handle, request.handle, file.handle], () => {
        const status = outcomeOf(ctx, request);
        // A failed create leaves no open behind: KMDF deletes the file object.
        if (status >>> 0 !== STATUS_PENDING && status >> 0 < 0) {
          d.files.delete(fileObject);
          return deleteObject(
            ctx,
            file,
            () => undefined,
            () => status,
          );
        }
        return status;
      });
    }
    if (mj === IRP_MJ.CLEANUP || mj === IRP_MJ.CLOSE) {
      const file = objectOf(ctx, d.files.get(fileObject) ?? 0, 'file');
      const routine = mj === IRP_MJ.CLEANUP ? d.fileCleanup : d.fileClose;
      return callInTurn([{ routine: file ? routine : 0, args: [file?.handle ?? 0] }], () => {
        if (mj === IRP_MJ.CLEANUP || !file) return completeIrp(ctx, irp!, NTSTATUS.SUCCESS);
        d.files.delete(fileObject);
        return deleteObject(
          ctx,
          file,
          () => undefined,
          () => completeIrp(ctx, irp!, NTSTATUS.SUCCESS),
        );
      });
    }
    if (
      mj !== IRP_MJ.READ &&
      mj !== IRP_MJ.WRITE &&
      mj !== IRP_MJ.DEVICE_CONTROL &&
      mj !== IRP_MJ_INTERNAL_DEVICE_CONTROL
    )
      return completeIrp(ctx, irp!, NTSTATUS.INVALID_DEVICE_REQUEST);
    const request = newRequest(ctx, device, irp!);
    if (!request) return completeIrp(ctx, irp!, NTSTATUS.INSUFFICIENT_RESOURCES);
    if (d.inCallerContext)
      return guestCall(d.inCallerContext, [device.handle, request.handle], () => outcomeOf(ctx, request));
    const queue = objectOf(ctx, d.defaultQueue, 'queue');
    if (!queue)
      return then(completeWdfRequest(ctx, request, NTSTATUS.INVALID_DEVICE_REQUEST), () =>
        outcomeOf(ctx, request),
      );
    return then(present(ctx, queue, request), () => outcomeOf(ctx, request));
  },
});

/** Runs `next` after `r` (a handler result that may be a guest call), returning what `next` returns. */
function then(r: HandlerResult, next: () => HandlerResult): HandlerResult {
  if (typeof r === 'object' && r.kind === 'guest-call') {
    return guestCall(r.routine, r.args, (eax) => then(r.onReturn(eax), next), r.scalars);
  }
  return next();
}

const request = (ctx: KernelContext, handle: number) => objectOf(ctx, handle, 'request');

/** The buffer and length of a request's input (`output` false) or output, per its type and METHOD_*. */
function bufferOf(
  ctx: KernelContext,
  r: RequestData,
  output: boolean,
): { status: number; address: number; length: number } {
  const mj = majorOf(ctx, r.irp);
  const { IRP, MDL } = ctx.mem.layouts;
  const system = ctx.mem.ptr(r.irp + IRP.SystemBuffer);
  if (mj === IRP_MJ.DEVICE_CONTROL || mj === IRP_MJ_INTERNAL_DEVICE_CONTROL) {
    const method = parameter(ctx, r.irp, 2) & 3;
    const length = parameter(ctx, r.irp, output ? 0 : 1);
    // METHOD_NEITHER buffers are user addresses: KMDF hands them out only through the Unsafe calls.
    if (method === 3) return { status: NTSTATUS.INVALID_DEVICE_REQUEST, address: 0, length: 0 };
    if (output && method !== 0) {
      const mdl = ctx.mem.ptr(r.irp + IRP.MdlAddress);
      // Model: with no MDL built for the direct buffer, the IRP's UserBuffer stands for its system address.
      const address = mdl ? ctx.mem.ptr(mdl + MDL.MappedSystemVa) : ctx.mem.ptr(r.irp + IRP.UserBuffer);
      return { status: NTSTATUS.SUCCESS, address, length };
    }
    return { status: NTSTATUS.SUCCESS, address: system, length };
  }
  if ((mj === IRP_MJ.WRITE && !output) || (mj === IRP_MJ.READ && output))
    return {
      status: NTSTATUS.SUCCESS,
      address: system || ctx.mem.ptr(r.irp + IRP.UserBuffer),
      length: parameter(ctx, r.irp, 0),
    };
  return { status: NTSTATUS.INVALID_DEVICE_REQUEST, address: 0, length: 0 };
}

function retrieve(ctx: KernelContext, args: number[], output: boolean): number | undefined {
  const [, handle, minimum, bufferOut, lengthOut] = args;
  const o = request(ctx, handle!);
  if (!o) return badHandle(ctx, handle!, 'WDFREQUEST');
  const b = bufferOf(ctx, requestData(o), output);
  if (b.status !== NTSTATUS.SUCCESS) return b.status;
  if (b.length === 0 || b.length < minimum! || !b.address) return STATUS_BUFFER_TOO_SMALL;
  ctx.mem.setPtr(bufferOut!, b.address);
  if (lengthOut) ctx.mem.setUlongPtr(lengthOut, b.length);
  return NTSTATUS.SUCCESS;
}

const requestGetter = (
  prototype: string,
  get: (ctx: KernelContext, r: RequestData, o: WdfObject) => number,
) =>
  wdfFunction(prototype, (ctx, [, handle]) => {
    const o = request(ctx, handle!);
    return o ? get(ctx, requestData(o), o) : badHandle(ctx, handle!, 'WDFREQUEST');
  });

export const wdfIoExports: ExportHandler[] = [
  wdfFunction(
    'NTSTATUS WdfIoQueueCreate(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device, PWDF_IO_QUEUE_CONFIG Config, PWDF_OBJECT_ATTRIBUTES QueueAttributes, WDFQUEUE *Queue)',
    (ctx, [, device, config, attributes, out]) => {
      const dev = objectOf(ctx, device!, 'device');
      if (!dev) return badHandle(ctx, device!, 'WDFDEVICE');
      const QUEUE_CONFIG = wdfLayouts(ctx).IO_QUEUE_CONFIG;
      const isDefault = ctx.mem.u8(config! + QUEUE_CONFIG.DefaultQueue) !== 0;
      if (isDefault && deviceData(dev).defaultQueue) return NTSTATUS.INVALID_DEVICE_STATE; // one default queue
      const data: QueueData = {
        device: device!,
        dispatch: ctx.mem.u32(config! + QUEUE_CONFIG.DispatchType),
        callbacks: {
          default: ctx.mem.ptr(config! + QUEUE_CONFIG.EvtIoDefault),
          read: ctx.mem.ptr(config! + QUEUE_CONFIG.EvtIoRead),
          write: ctx.mem.ptr(config! + QUEUE_CONFIG.EvtIoWrite),
          ioctl: ctx.mem.ptr(config! + QUEUE_CONFIG.EvtIoDeviceControl),
          internal: ctx.mem.ptr(config! + QUEUE_CONFIG.EvtIoInternalDeviceControl),
        },
        waiting: [],
      };
      const q = createObject(ctx, 'queue', attributes!, device!, data as unknown as Record<string, unknown>);
      if (!q) return NTSTATUS.INSUFFICIENT_RESOURCES;
      if (isDefault) deviceData(dev).defaultQueue = q.handle;
      if (out) ctx.mem.setPtr(out, q.handle);
      return NTSTATUS.SUCCESS;
    },
  ),
  wdfFunction(
    'WDFDEVICE WdfIoQueueGetDevice(PWDF_DRIVER_GLOBALS DriverGlobals, WDFQUEUE Queue)',
    (ctx, [, queue]) => {
      const q = objectOf(ctx, queue!, 'queue');
      return q ? queueData(q).device : badHandle(ctx, queue!, 'WDFQUEUE');
    },
  ),
  wdfFunction(
    'NTSTATUS WdfIoQueueRetrieveNextRequest(PWDF_DRIVER_GLOBALS DriverGlobals, WDFQUEUE Queue, WDFREQUEST *OutRequest)',
    (ctx, [, queue, out]) => {
      const q = objectOf(ctx, queue!, 'queue');
      if (!q) return badHandle(ctx, queue!, 'WDFQUEUE');
      const next = queueData(q).waiting.shift();
      if (next === undefined) return STATUS_NO_MORE_ENTRIES;
      ctx.mem.setPtr(out!, next);
      return NTSTATUS.SUCCESS;
    },
  ),
  ...['WdfIoQueuePurgeSynchronously', 'WdfIoQueueDrainSynchronously'].map((name) =>
    wdfFunction(`VOID ${name}(PWDF_DRIVER_GLOBALS DriverGlobals, WDFQUEUE Queue)`, (ctx, [, queue]) => {
      const q = objectOf(ctx, queue!, 'queue');
      return q ? cancelWaiting(ctx, q, () => undefined) : badHandle(ctx, queue!, 'WDFQUEUE');
    }),
  ),
  ...['WdfIoQueuePurge', 'WdfIoQueueDrain'].map((name) =>
    wdfFunction(
      `VOID ${name}(PWDF_DRIVER_GLOBALS DriverGlobals, WDFQUEUE Queue, PFN_WDF_IO_QUEUE_STATE Complete, WDFCONTEXT Context)`,
      (ctx, [, queue, complete, context]) => {
        const q = objectOf(ctx, queue!, 'queue');
        if (!q) return badHandle(ctx, queue!, 'WDFQUEUE');
        // The queue is empty once its waiting requests are cancelled: the callback runs at once.
        return cancelWaiting(ctx, q, () =>
          callInTurn([{ routine: complete!, args: [queue!, context!] }], () => undefined),
        );
      },
    ),
  ),
  wdfFunction(
    'NTSTATUS WdfDeviceEnqueueRequest(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device, WDFREQUEST Request)',
    (ctx, [, device, handle]) => {
      const dev = objectOf(ctx, device!, 'device');
      if (!dev) return badHandle(ctx, device!, 'WDFDEVICE');
      const o = request(ctx, handle!);
      if (!o) return badHandle(ctx, handle!, 'WDFREQUEST');
      const queue = objectOf(ctx, deviceData(dev).defaultQueue, 'queue');
      if (!queue) return NTSTATUS.INVALID_DEVICE_STATE;
      return then(present(ctx, queue, o), () => NTSTATUS.SUCCESS);
    },
  ),
  wdfFunction(
    'VOID WdfRequestComplete(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, NTSTATUS Status)',
    (ctx, [, handle, status]) => {
      const o = request(ctx, handle!);
      return o ? completeWdfRequest(ctx, o, status!) : badHandle(ctx, handle!, 'WDFREQUEST');
    },
  ),
  wdfFunction(
    'VOID WdfRequestCompleteWithInformation(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, NTSTATUS Status, ULONG_PTR Information)',
    (ctx, [, handle, status, information]) => {
      const o = request(ctx, handle!);
      return o ? completeWdfRequest(ctx, o, status!, information!) : badHandle(ctx, handle!, 'WDFREQUEST');
    },
  ),
  wdfFunction(
    'VOID WdfRequestCompleteWithPriorityBoost(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, NTSTATUS Status, CCHAR PriorityBoost)',
    (ctx, [, handle, status]) => {
      const o = request(ctx, handle!);
      return o ? completeWdfRequest(ctx, o, status!) : badHandle(ctx, handle!, 'WDFREQUEST');
    },
  ),
  wdfFunction(
    'VOID WdfRequestSetInformation(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, ULONG_PTR Information)',
    (ctx, [, handle, information]) => {
      const o = request(ctx, handle!);
      if (!o) return badHandle(ctx, handle!, 'WDFREQUEST');
      requestData(o).information = information!;
      return undefined;
    },
  ),
  requestGetter(
    'ULONG_PTR WdfRequestGetInformation(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request)',
    (_, r) => r.information,
  ),
  requestGetter(
    'NTSTATUS WdfRequestGetStatus(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request)',
    (ctx, r) => ctx.mem.u32(r.irp + ctx.mem.layouts.IRP.IoStatusStatus),
  ),
  requestGetter(
    'PIRP WdfRequestWdmGetIrp(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request)',
    (_, r) => r.irp,
  ),
  requestGetter(
    'WDFFILEOBJECT WdfRequestGetFileObject(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request)',
    (_, r) => r.file,
  ),
  requestGetter(
    'WDFQUEUE WdfRequestGetIoQueue(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request)',
    (_, r) => r.queue,
  ),
  requestGetter(
    'KPROCESSOR_MODE WdfRequestGetRequestorMode(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request)',
    (ctx, r) => ctx.mem.u8(r.irp + ctx.mem.layouts.IRP.RequestorMode),
  ),
  wdfFunction(
    'VOID WdfRequestGetParameters(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, PWDF_REQUEST_PARAMETERS Parameters)',
    (ctx, [, handle, params]) => {
      const o = request(ctx, handle!);
      if (!o) return badHandle(ctx, handle!, 'WDFREQUEST');
      const irp = requestData(o).irp;
      const stack = currentStack(ctx, irp);
      const { IO_STACK_LOCATION, pointerSize } = ctx.mem.layouts;
      const P = wdfLayouts(ctx).REQUEST_PARAMETERS;
      // Type is the IRP_MJ code; the Parameters union is laid out as IO_STACK_LOCATION's words
      // (size_t lengths there are ULONGs here, POINTER_ALIGNMENT padding zeroed).
      ctx.mem.write(
        params! + P.MinorFunction,
        new Uint8Array([ctx.mem.u8(stack + IO_STACK_LOCATION.MinorFunction)]),
      );
      ctx.mem.setU32(params! + P.Type, ctx.mem.u8(stack + IO_STACK_LOCATION.MajorFunction));
      ctx.mem.write(
        params! + P.Parameters,
        ctx.mem.bytes(stack + IO_STACK_LOCATION.Parameters, 4 * pointerSize),
      );
      return undefined;
    },
  ),
  wdfFunction(
    'NTSTATUS WdfRequestRetrieveInputBuffer(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, size_t MinimumRequiredLength, PVOID *Buffer, size_t *Length)',
    (ctx, args) => retrieve(ctx, args, false),
  ),
  wdfFunction(
    'NTSTATUS WdfRequestRetrieveOutputBuffer(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, size_t MinimumRequiredSize, PVOID *Buffer, size_t *Length)',
    (ctx, args) => retrieve(ctx, args, true),
  ),
  wdfFunction(
    'NTSTATUS WdfRequestRetrieveOutputWdmMdl(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, PMDL *Mdl)',
    (ctx, [, handle, out]) => {
      const o = request(ctx, handle!);
      if (!o) return badHandle(ctx, handle!, 'WDFREQUEST');
      const mdl = ctx.mem.ptr(requestData(o).irp + ctx.mem.layouts.IRP.MdlAddress);
      if (!mdl) return STATUS_BUFFER_TOO_SMALL;
      ctx.mem.setPtr(out!, mdl);
      return NTSTATUS.SUCCESS;
    },
  ),
  wdfFunction(
    'WDFDEVICE WdfFileObjectGetDevice(PWDF_DRIVER_GLOBALS DriverGlobals, WDFFILEOBJECT FileObject)',
    (ctx, [, handle]) => {
      const o = objectOf(ctx, handle!, 'file');
      return o ? (o.data.device as number) : badHandle(ctx, handle!, 'WDFFILEOBJECT');
    },
  ),
  wdfFunction(
    'PFILE_OBJECT WdfFileObjectWdmGetFileObject(PWDF_DRIVER_GLOBALS DriverGlobals, WDFFILEOBJECT FileObject)',
    (ctx, [, handle]) => {
      const o = objectOf(ctx, handle!, 'file');
      return o ? (o.data.fileObject as number) : badHandle(ctx, handle!, 'WDFFILEOBJECT');
    },
  ),
  wdfFunction(
    'NTSTATUS WdfWorkItemCreate(PWDF_DRIVER_GLOBALS DriverGlobals, PWDF_WORKITEM_CONFIG Config, PWDF_OBJECT_ATTRIBUTES Attributes, WDFWORKITEM *WorkItem)',
    (ctx, [, config, attributes, out]) => {
      // KMDF requires a parent (device, queue, file object…) in the attributes.
      const { OBJECT_ATTRIBUTES, WORKITEM_CONFIG } = wdfLayouts(ctx);
      if (!attributes || !ctx.mem.ptr(attributes + OBJECT_ATTRIBUTES.ParentObject))
        return NTSTATUS.INVALID_PARAMETER;
      const o = createObject(ctx, 'workitem', attributes, null, {
        routine: ctx.mem.ptr(config! + WORKITEM_CONFIG.EvtWorkItemFunc),
        enqueued: 0,
      });
      if (!o) return NTSTATUS.INSUFFICIENT_RESOURCES;
      ctx.mem.setPtr(out!, o.handle);
      return NTSTATUS.SUCCESS;
    },
  ),
  wdfFunction(
    'VOID WdfWorkItemEnqueue(PWDF_DRIVER_GLOBALS DriverGlobals, WDFWORKITEM WorkItem)',
    (ctx, [, handle]) => {
      const o = objectOf(ctx, handle!, 'workitem');
      if (!o) return badHandle(ctx, handle!, 'WDFWORKITEM');
      // Model: no worker threads; the enqueue is counted, the routine is not run.
      o.data.enqueued = (o.data.enqueued as number) + 1;
      return undefined;
    },
  ),
  wdfFunction(
    'VOID WdfWorkItemFlush(PWDF_DRIVER_GLOBALS DriverGlobals, WDFWORKITEM WorkItem)',
    (ctx, [, handle]) =>
      objectOf(ctx, handle!, 'workitem') ? undefined : badHandle(ctx, handle!, 'WDFWORKITEM'),
  ),
  wdfFunction(
    'WDFOBJECT WdfWorkItemGetParentObject(PWDF_DRIVER_GLOBALS DriverGlobals, WDFWORKITEM WorkItem)',
    (ctx, [, handle]) => {
      const o = objectOf(ctx, handle!, 'workitem');
      return o ? (o.parent ?? 0) : badHandle(ctx, handle!, 'WDFWORKITEM');
    },
  ),
];

/**
 * Purging or draining a queue: the requests waiting in it are cancelled (STATUS_CANCELLED); in this
 * model requests presented to a callback are never still running when it returns.
 */
function cancelWaiting(ctx: KernelContext, q: WdfObject, done: () => HandlerResult): HandlerResult {
  const waiting = queueData(q)
    .waiting.splice(0)
    .map((h) => request(ctx, h))
    .filter((o) => o !== undefined);
  const step = (i: number): HandlerResult => {
    const o = waiting[i];
    return o ? then(completeWdfRequest(ctx, o, STATUS_CANCELLED), () => step(i + 1)) : done();
  };
  return step(0);
}

/** Requests still owned by the driver (neither completed nor deleted), for reports and tests. */
export function pendingRequests(ctx: KernelContext): number {
  return [...wdf(ctx).objects.values()].filter((o) => o.kind === 'request').length;
}
