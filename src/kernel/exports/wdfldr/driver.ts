// The KMDF driver object and generic object functions: WdfDriverCreate (the framework takes over
// the driver's dispatch table and, for a non-PnP driver with EvtDriverUnload, its DriverUnload),
// the framework's unload routine that calls EvtDriverUnload and deletes what the driver left, and
// WdfObject* (typed contexts, references, deletion), locks and memory objects.
import type { KernelContext } from '../../context.js';
import { IRP_MJ_COUNT } from '../../objects.js';
import { defineExport, type ExportHandler, guestCall } from '../../registry.js';
import { acquireLock, DISPATCH_LEVEL, releaseLock, swapIrql } from '../hal/irql.js';
import { NTSTATUS } from '../status.js';
import { badHandle, wdfFunction } from './common.js';
import { releaseDevice } from './device.js';
import { FxDeviceDispatch } from './io.js';
import { wdfLayouts } from './layouts.js';
import {
  addContext,
  contextOf,
  createObject,
  deleteObject,
  objectOf,
  ownerOfContext,
  type WdfObject,
  wdf,
} from './objects.js';

const WdfDriverInitNonPnpDriver = 1;
const STATUS_OBJECT_NAME_EXISTS = 0x40000000;

/** What deleting an object of each kind releases beyond its pool (a device's DEVICE_OBJECT and links). */
export function release(ctx: KernelContext, o: WdfObject): void {
  if (o.kind === 'device') releaseDevice(ctx, o);
  if (o.kind === 'driver') wdf(ctx).driver = null;
}

/** A host routine's address for this kernel, made once (FxDeviceDispatch, FxDriverUnload). */
function routineAddress(ctx: KernelContext, h: ExportHandler): number {
  const key = `wdf:${h.name}`;
  let address = ctx.statics.get(key);
  if (address === undefined) {
    if (!ctx.hostRoutine) throw new Error('KMDF needs a kernel that can place host routines');
    address = ctx.hostRoutine(h);
    ctx.statics.set(key, address);
  }
  return address;
}

/**
 * FxDriver::Unload, which WdfDriverCreate puts in DriverObject->DriverUnload (the KMDF stub then
 * displaces it behind its own, which calls WdfVersionUnbind after it): EvtDriverUnload, then the
 * driver object's deletion with every object under it (control devices, queues…).
 */
export const FxDriverUnload = defineExport({
  module: 'wdf01000',
  prototype: 'VOID FxDriverUnload(PDRIVER_OBJECT DriverObject)',
  impl(ctx) {
    const s = wdf(ctx);
    const driver = s.driver !== null ? objectOf(ctx, s.driver, 'driver') : undefined;
    if (!driver) return undefined;
    const evt = driver.data.unload as number;
    const finish = () =>
      deleteObject(
        ctx,
        driver,
        (o) => release(ctx, o),
        () => undefined,
      );
    return evt ? guestCall(evt, [driver.handle], finish) : finish();
  },
});

export const wdfDriverExports: ExportHandler[] = [
  wdfFunction(
    'NTSTATUS WdfDriverCreate(PWDF_DRIVER_GLOBALS DriverGlobals, PDRIVER_OBJECT DriverObject, PCUNICODE_STRING RegistryPath, PWDF_OBJECT_ATTRIBUTES DriverAttributes, PWDF_DRIVER_CONFIG DriverConfig, WDFDRIVER *Driver)',
    (ctx, [globals, driverObject, , attributes, config, out]) => {
      const s = wdf(ctx);
      if (s.driver !== null || globals !== s.globals) return NTSTATUS.INVALID_DEVICE_STATE;
      const { DRIVER_CONFIG, DRIVER_GLOBALS } = wdfLayouts(ctx);
      const { DRIVER_OBJECT, pointerSize } = ctx.mem.layouts;
      const flags = ctx.mem.u32(config! + DRIVER_CONFIG.DriverInitFlags);
      const unload = ctx.mem.ptr(config! + DRIVER_CONFIG.EvtDriverUnload);
      const o = createObject(ctx, 'driver', attributes!, null, {
        deviceAdd: ctx.mem.ptr(config! + DRIVER_CONFIG.EvtDriverDeviceAdd),
        unload,
        flags,
      });
      if (!o) return NTSTATUS.INSUFFICIENT_RESOURCES;
      s.driver = o.handle;
      s.driverObject = driverObject!;
      // FxDriver::Initialize: every major function goes to the framework's dispatcher.
      const dispatch = routineAddress(ctx, FxDeviceDispatch);
      for (let i = 0; i < IRP_MJ_COUNT; i++)
        ctx.mem.setPtr(driverObject! + DRIVER_OBJECT.MajorFunction + pointerSize * i, dispatch);
      if (unload || !(flags & WdfDriverInitNonPnpDriver)) {
        ctx.mem.setPtr(driverObject! + DRIVER_OBJECT.DriverUnload, routineAddress(ctx, FxDriverUnload));
        ctx.mem.write(globals! + DRIVER_GLOBALS.DisplaceDriverUnload, new Uint8Array([1]));
      }
      ctx.mem.setPtr(globals! + DRIVER_GLOBALS.Driver, o.handle);
      ctx.mem.setU32(globals! + DRIVER_GLOBALS.DriverFlags, flags);
      const tag = ctx.mem.u32(config! + DRIVER_CONFIG.DriverPoolTag);
      if (tag) ctx.mem.setU32(globals! + DRIVER_GLOBALS.DriverTag, tag);
      if (out) ctx.mem.setPtr(out, o.handle);
      return NTSTATUS.SUCCESS;
    },
  ),
  wdfFunction(
    'PDRIVER_OBJECT WdfDriverWdmGetDriverObject(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDRIVER Driver)',
    (ctx, [, driver]) =>
      objectOf(ctx, driver!, 'driver') ? wdf(ctx).driverObject : badHandle(ctx, driver!, 'WDFDRIVER'),
  ),
  wdfFunction(
    'WDFDRIVER WdfWdmDriverGetWdfDriverHandle(PWDF_DRIVER_GLOBALS DriverGlobals, PDRIVER_OBJECT DriverObject)',
    (ctx, [, d]) => (d === wdf(ctx).driverObject ? (wdf(ctx).driver ?? 0) : 0),
  ),
  wdfFunction(
    'PWSTR WdfDriverGetRegistryPath(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDRIVER Driver)',
    (ctx, [, driver]) =>
      objectOf(ctx, driver!, 'driver')
        ? ctx.mem.ptr(wdf(ctx).registryPath + ctx.mem.layouts.UNICODE_STRING.Buffer)
        : badHandle(ctx, driver!, 'WDFDRIVER'),
  ),
  // Declared FASTCALL in wdfobject.h (DriverGlobals in ECX, Handle in EDX), unlike the other DDIs.
  wdfFunction(
    'PVOID FASTCALL WdfObjectGetTypedContextWorker(PWDF_DRIVER_GLOBALS DriverGlobals, WDFOBJECT Handle, PCWDF_OBJECT_CONTEXT_TYPE_INFO TypeInfo)',
    (ctx, [, handle, typeInfo]) => {
      const o = objectOf(ctx, handle!);
      return o ? contextOf(ctx, o, typeInfo!) : badHandle(ctx, handle!, 'WDFOBJECT');
    },
  ),
  wdfFunction(
    'NTSTATUS WdfObjectAllocateContext(PWDF_DRIVER_GLOBALS DriverGlobals, WDFOBJECT Handle, PWDF_OBJECT_ATTRIBUTES ContextAttributes, PVOID *Context)',
    (ctx, [, handle, attributes, out]) => {
      const o = objectOf(ctx, handle!);
      if (!o) return badHandle(ctx, handle!, 'WDFOBJECT');
      const info = ctx.mem.ptr(attributes! + wdfLayouts(ctx).OBJECT_ATTRIBUTES.ContextTypeInfo);
      if (!info) return NTSTATUS.INVALID_PARAMETER;
      const existing = contextOf(ctx, o, info);
      if (existing) {
        if (out) ctx.mem.setPtr(out, existing);
        return STATUS_OBJECT_NAME_EXISTS;
      }
      if (!addContext(ctx, o, attributes!)) return NTSTATUS.INSUFFICIENT_RESOURCES;
      if (out) ctx.mem.setPtr(out, contextOf(ctx, o, info));
      return NTSTATUS.SUCCESS;
    },
  ),
  wdfFunction(
    'WDFOBJECT WdfObjectContextGetObject(PWDF_DRIVER_GLOBALS DriverGlobals, PVOID ContextPointer)',
    (ctx, [, p]) => ownerOfContext(ctx, p!)?.handle ?? 0,
  ),
  wdfFunction(
    'NTSTATUS WdfObjectCreate(PWDF_DRIVER_GLOBALS DriverGlobals, PWDF_OBJECT_ATTRIBUTES Attributes, WDFOBJECT *Object)',
    (ctx, [, attributes, out]) => {
      const o = createObject(ctx, 'object', attributes!, wdf(ctx).driver);
      if (!o) return NTSTATUS.INSUFFICIENT_RESOURCES;
      ctx.mem.setPtr(out!, o.handle);
      return NTSTATUS.SUCCESS;
    },
  ),
  wdfFunction(
    'VOID WdfObjectDelete(PWDF_DRIVER_GLOBALS DriverGlobals, WDFOBJECT Object)',
    (ctx, [, handle]) => {
      const o = objectOf(ctx, handle!);
      if (!o) return badHandle(ctx, handle!, 'WDFOBJECT');
      return deleteObject(
        ctx,
        o,
        (x) => release(ctx, x),
        () => undefined,
      );
    },
  ),
  ...(['WdfObjectReferenceActual', 'WdfObjectDereferenceActual'] as const).map((name) =>
    wdfFunction(
      `VOID ${name}(PWDF_DRIVER_GLOBALS DriverGlobals, WDFOBJECT Handle, PVOID Tag, LONG Line, PCHAR File)`,
      (ctx, [, handle]) => {
        const o = objectOf(ctx, handle!);
        if (!o) return badHandle(ctx, handle!, 'WDFOBJECT');
        o.references += name === 'WdfObjectReferenceActual' ? 1 : -1;
        return undefined;
      },
    ),
  ),
  wdfFunction(
    'NTSTATUS WdfSpinLockCreate(PWDF_DRIVER_GLOBALS DriverGlobals, PWDF_OBJECT_ATTRIBUTES SpinLockAttributes, WDFSPINLOCK *SpinLock)',
    (ctx, [, attributes, out]) => {
      const o = createObject(ctx, 'spinlock', attributes!, wdf(ctx).driver, { irql: 0 });
      if (!o) return NTSTATUS.INSUFFICIENT_RESOURCES;
      ctx.mem.setPtr(out!, o.handle);
      return NTSTATUS.SUCCESS;
    },
  ),
  wdfFunction(
    'VOID WdfSpinLockAcquire(PWDF_DRIVER_GLOBALS DriverGlobals, WDFSPINLOCK SpinLock)',
    (ctx, [, handle]) => {
      const o = objectOf(ctx, handle!, 'spinlock');
      if (!o) return badHandle(ctx, handle!, 'WDFSPINLOCK');
      if (acquireLock(ctx, o.handle, 'WDF spin lock')) o.data.irql = swapIrql(ctx, DISPATCH_LEVEL);
      return undefined;
    },
  ),
  wdfFunction(
    'VOID WdfSpinLockRelease(PWDF_DRIVER_GLOBALS DriverGlobals, WDFSPINLOCK SpinLock)',
    (ctx, [, handle]) => {
      const o = objectOf(ctx, handle!, 'spinlock');
      if (!o) return badHandle(ctx, handle!, 'WDFSPINLOCK');
      releaseLock(ctx, o.handle);
      swapIrql(ctx, o.data.irql as number);
      return undefined;
    },
  ),
  wdfFunction(
    'NTSTATUS WdfMemoryCreatePreallocated(PWDF_DRIVER_GLOBALS DriverGlobals, PWDF_OBJECT_ATTRIBUTES Attributes, PVOID Buffer, size_t BufferSize, WDFMEMORY *Memory)',
    (ctx, [, attributes, buffer, size, out]) => {
      const o = createObject(ctx, 'memory', attributes!, wdf(ctx).driver, {
        buffer: buffer!,
        size: size!,
        owned: false,
      });
      if (!o) return NTSTATUS.INSUFFICIENT_RESOURCES;
      ctx.mem.setPtr(out!, o.handle);
      return NTSTATUS.SUCCESS;
    },
  ),
  wdfFunction(
    'PVOID WdfMemoryGetBuffer(PWDF_DRIVER_GLOBALS DriverGlobals, WDFMEMORY Memory, size_t *BufferSize)',
    (ctx, [, handle, size]) => {
      const o = objectOf(ctx, handle!, 'memory');
      if (!o) return badHandle(ctx, handle!, 'WDFMEMORY');
      if (size) ctx.mem.setUlongPtr(size, o.data.size as number);
      return o.data.buffer as number;
    },
  ),
];
