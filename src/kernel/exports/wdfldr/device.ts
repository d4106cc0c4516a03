// KMDF devices: WDFDEVICE_INIT for control devices (WdfControlDeviceInitAllocate with its SDDL,
// name, type, I/O type, file-object callbacks, in-caller-context callback), WdfDeviceCreate making
// the DEVICE_OBJECT through the I/O manager with the SDDL's security descriptor on it, symbolic
// links, and their teardown when the device object is deleted.
import type { KernelContext } from '../../context.js';
import type { ExportHandler } from '../../registry.js';
import {
  IoCreateDevice,
  IoCreateSymbolicLink,
  IoDeleteDevice,
  IoDeleteSymbolicLink,
} from '../ntoskrnl/io.js';
import { NTSTATUS } from '../status.js';
import { badHandle, poolUnicodeString, wdfFunction } from './common.js';
import { wdfLayouts } from './layouts.js';
import { createObject, objectOf, type WdfObject, wdf } from './objects.js';
import { SddlError, securityDescriptorOf } from './sddl.js';

/** DEVICE_OBJECT.Flags bits (ntddk.h). */
const DO_BUFFERED_IO = 0x4;
const DO_EXCLUSIVE = 0x8;
const DO_DIRECT_IO = 0x10;
const DO_DEVICE_INITIALIZING = 0x80;
/** WDF_DEVICE_IO_TYPE: Undefined, Neither, Buffered, Direct (wdfdevice.h). */
const IO_TYPE_FLAGS = [0, 0, DO_BUFFERED_IO, DO_DIRECT_IO];
const FILE_DEVICE_UNKNOWN = 0x22;

/** What a WDFDEVICE_INIT collects before WdfDeviceCreate. */
interface DeviceInit {
  driver: number;
  sddl: string | null;
  name: string | null;
  deviceType: number;
  characteristics: number;
  exclusive: boolean;
  ioType: number;
  fileCreate: number;
  fileClose: number;
  fileCleanup: number;
  fileAttributes: number;
  inCallerContext: number;
  requestAttributes: number;
}

/** A WDFDEVICE's state (WdfObject.data of kind 'device'). */
export interface DeviceData {
  deviceObject: number;
  name: string | null;
  nameString: number;
  sddl: string | null;
  fileCreate: number;
  fileClose: number;
  fileCleanup: number;
  fileAttributes: number;
  inCallerContext: number;
  requestAttributes: number;
  defaultQueue: number;
  /** Symbolic links made by WdfDeviceCreateSymbolicLink (kernel UNICODE_STRING copies). */
  links: number[];
  /** WDFFILEOBJECTs by the FILE_OBJECT they stand for (0 when the create IRP carried none). */
  files: Map<number, number>;
}

export const deviceData = (o: WdfObject): DeviceData => o.data as unknown as DeviceData;

function initOf(ctx: KernelContext, init: number): DeviceInit | undefined {
  return wdf(ctx).inits.get(init >>> 0) as DeviceInit | undefined;
}

/** The device whose DEVICE_OBJECT is `deviceObject`. */
export function deviceByObject(ctx: KernelContext, deviceObject: number): WdfObject | undefined {
  for (const o of wdf(ctx).objects.values())
    if (o.kind === 'device' && deviceData(o).deviceObject === deviceObject) return o;
  return undefined;
}

/** Tears down a device being deleted: its symbolic links, then its DEVICE_OBJECT (IoDeleteSymbolicLink, IoDeleteDevice). */
export function releaseDevice(ctx: KernelContext, o: WdfObject): void {
  const d = deviceData(o);
  for (const link of d.links) {
    IoDeleteSymbolicLink.impl(ctx, [link]);
    ctx.pool.free(link);
  }
  d.links = [];
  if (d.deviceObject) {
    const sd = ctx.mem.ptr(d.deviceObject + ctx.mem.layouts.DEVICE_OBJECT.SecurityDescriptor);
    IoDeleteDevice.impl(ctx, [d.deviceObject]);
    if (sd) ctx.pool.free(sd);
    d.deviceObject = 0;
  }
  if (d.nameString) ctx.pool.free(d.nameString);
  d.nameString = 0;
  for (const copy of [d.fileAttributes, d.requestAttributes]) if (copy) ctx.pool.free(copy);
  d.fileAttributes = 0;
  d.requestAttributes = 0;
}

const initSetter = (
  prototype: string,
  set: (init: DeviceInit, args: number[], ctx: KernelContext) => void,
): ExportHandler =>
  wdfFunction(prototype, (ctx, args) => {
    const init = initOf(ctx, args[1]!);
    if (!init) return badHandle(ctx, args[1]!, 'PWDFDEVICE_INIT');
    set(init, args, ctx);
    return undefined;
  });

/**
 * The framework's own copy of attributes a driver passes for later use (file objects, requests):
 * the driver's structure is usually on its stack. 0 for none.
 */
function copyAttributes(ctx: KernelContext, attributes: number): number {
  if (!attributes) return 0;
  const { size } = wdfLayouts(ctx).OBJECT_ATTRIBUTES;
  const copy = ctx.pool.allocate(size, 0, 'FxOa', 'kernel');
  if (copy === null) return 0;
  ctx.mem.write(copy, ctx.mem.bytes(attributes, size));
  return copy;
}

export const wdfDeviceExports: ExportHandler[] = [
  wdfFunction(
    'PWDFDEVICE_INIT WdfControlDeviceInitAllocate(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDRIVER Driver, PCUNICODE_STRING SDDLString)',
    (ctx, [, driver, sddlPtr]) => {
      if (!objectOf(ctx, driver!, 'driver')) return badHandle(ctx, driver!, 'WDFDRIVER');
      const sddl = sddlPtr ? ctx.mem.unicodeString(sddlPtr) : null;
      // KMDF refuses a control device without SDDL (it must be secured) and checks the string parses.
      if (sddl === null) return 0;
      try {
        securityDescriptorOf(sddl);
      } catch (e) {
        if (e instanceof SddlError) return 0;
        throw e;
      }
      const block = ctx.pool.allocate(0x10, 0, 'FxDI', 'kernel');
      if (block === null) return 0;
      ctx.mem.write(block, new Uint8Array(0x10));
      const init: DeviceInit = {
        driver: driver!,
        sddl,
        name: null,
        deviceType: FILE_DEVICE_UNKNOWN,
        characteristics: 0,
        exclusive: false,
        ioType: 2, // WdfDeviceIoBuffered, KMDF's default
        fileCreate: 0,
        fileClose: 0,
        fileCleanup: 0,
        fileAttributes: 0,
        inCallerContext: 0,
        requestAttributes: 0,
      };
      wdf(ctx).inits.set(block, init as unknown as Record<string, unknown>);
      return block;
    },
  ),
  wdfFunction(
    'VOID WdfDeviceInitFree(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit)',
    (ctx, [, init]) => {
      if (wdf(ctx).inits.delete(init! >>> 0)) ctx.pool.free(init!);
      return undefined;
    },
  ),
  initSetter(
    'VOID WdfDeviceInitSetDeviceType(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, DEVICE_TYPE DeviceType)',
    (init, [, , type]) => {
      init.deviceType = type!;
    },
  ),
  initSetter(
    'VOID WdfDeviceInitSetIoType(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, WDF_DEVICE_IO_TYPE IoType)',
    (init, [, , ioType]) => {
      init.ioType = ioType! & 3;
    },
  ),
  initSetter(
    'VOID WdfDeviceInitSetExclusive(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, BOOLEAN IsExclusive)',
    (init, [, , exclusive]) => {
      init.exclusive = (exclusive! & 0xff) !== 0;
    },
  ),
  initSetter(
    'VOID WdfDeviceInitSetCharacteristics(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, ULONG DeviceCharacteristics, BOOLEAN OrInValues)',
    (init, [, , characteristics, orIn]) => {
      init.characteristics =
        (orIn! & 0xff ? init.characteristics | characteristics! : characteristics!) >>> 0;
    },
  ),
  wdfFunction(
    'NTSTATUS WdfDeviceInitAssignName(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, PCUNICODE_STRING DeviceName)',
    (ctx, [, block, namePtr]) => {
      const init = initOf(ctx, block!);
      if (!init) return badHandle(ctx, block!, 'PWDFDEVICE_INIT');
      init.name = namePtr ? ctx.mem.unicodeString(namePtr) : null;
      return NTSTATUS.SUCCESS;
    },
  ),
  wdfFunction(
    'NTSTATUS WdfDeviceInitAssignSDDLString(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, PCUNICODE_STRING SDDLString)',
    (ctx, [, block, sddlPtr]) => {
      const init = initOf(ctx, block!);
      if (!init) return badHandle(ctx, block!, 'PWDFDEVICE_INIT');
      const sddl = sddlPtr ? ctx.mem.unicodeString(sddlPtr) : null;
      if (sddl !== null) {
        try {
          securityDescriptorOf(sddl);
        } catch (e) {
          if (e instanceof SddlError) return NTSTATUS.INVALID_PARAMETER;
          throw e;
        }
      }
      init.sddl = sddl;
      return NTSTATUS.SUCCESS;
    },
  ),
  wdfFunction(
    'VOID WdfDeviceInitSetFileObjectConfig(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, PWDF_FILEOBJECT_CONFIG FileObjectConfig, PWDF_OBJECT_ATTRIBUTES FileObjectAttributes)',
    (ctx, [, block, config, attributes]) => {
      const init = initOf(ctx, block!);
      if (!init) return badHandle(ctx, block!, 'PWDFDEVICE_INIT');
      if (config) {
        const { FILEOBJECT_CONFIG } = wdfLayouts(ctx);
        init.fileCreate = ctx.mem.ptr(config + FILEOBJECT_CONFIG.EvtDeviceFileCreate);
        init.fileClose = ctx.mem.ptr(config + FILEOBJECT_CONFIG.EvtFileClose);
        init.fileCleanup = ctx.mem.ptr(config + FILEOBJECT_CONFIG.EvtFileCleanup);
      }
      init.fileAttributes = copyAttributes(ctx, attributes!);
      return undefined;
    },
  ),
  initSetter(
    'VOID WdfDeviceInitSetIoInCallerContextCallback(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, PFN_WDF_IO_IN_CALLER_CONTEXT EvtIoInCallerContext)',
    (init, [, , routine]) => {
      init.inCallerContext = routine!;
    },
  ),
  initSetter(
    'VOID WdfDeviceInitSetRequestAttributes(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, PWDF_OBJECT_ATTRIBUTES RequestAttributes)',
    (init, [, , attributes], ctx) => {
      init.requestAttributes = copyAttributes(ctx, attributes!);
    },
  ),
  wdfFunction(
    'NTSTATUS WdfDeviceCreate(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT *DeviceInit, PWDF_OBJECT_ATTRIBUTES DeviceAttributes, WDFDEVICE *Device)',
    (ctx, [, initPtr, attributes, out]) => createDevice(ctx, initPtr!, attributes!, out!),
  ),
  wdfFunction(
    'NTSTATUS WdfDeviceCreateSymbolicLink(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device, PCUNICODE_STRING SymbolicLinkName)',
    (ctx, [, device, linkPtr]) => {
      const o = objectOf(ctx, device!, 'device');
      if (!o) return badHandle(ctx, device!, 'WDFDEVICE');
      const d = deviceData(o);
      if (!d.nameString) return NTSTATUS.INVALID_DEVICE_STATE; // KMDF: a link needs a named device
      const text = linkPtr ? ctx.mem.unicodeString(linkPtr) : null;
      if (!text) return NTSTATUS.INVALID_PARAMETER;
      const link = poolUnicodeString(ctx, text);
      if (link === null) return NTSTATUS.INSUFFICIENT_RESOURCES;
      const status = IoCreateSymbolicLink.impl(ctx, [link, d.nameString]) as number;
      if (status !== NTSTATUS.SUCCESS) ctx.pool.free(link);
      else d.links.push(link);
      return status;
    },
  ),
  wdfFunction(
    'VOID WdfControlFinishInitializing(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device)',
    (ctx, [, device]) => {
      const o = objectOf(ctx, device!, 'device');
      if (!o) return badHandle(ctx, device!, 'WDFDEVICE');
      const at = deviceData(o).deviceObject + ctx.mem.layouts.DEVICE_OBJECT.Flags;
      ctx.mem.setU32(at, ctx.mem.u32(at) & ~DO_DEVICE_INITIALIZING);
      return undefined;
    },
  ),
  wdfFunction(
    'PDEVICE_OBJECT WdfDeviceWdmGetDeviceObject(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device)',
    (ctx, [, device]) => {
      const o = objectOf(ctx, device!, 'device');
      return o ? deviceData(o).deviceObject : badHandle(ctx, device!, 'WDFDEVICE');
    },
  ),
  wdfFunction(
    'WDFDEVICE WdfWdmDeviceGetWdfDeviceHandle(PWDF_DRIVER_GLOBALS DriverGlobals, PDEVICE_OBJECT DeviceObject)',
    (ctx, [, deviceObject]) => deviceByObject(ctx, deviceObject!)?.handle ?? 0,
  ),
  wdfFunction(
    'WDFDRIVER WdfDeviceGetDriver(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device)',
    (ctx, [, device]) =>
      objectOf(ctx, device!, 'device') ? (wdf(ctx).driver ?? 0) : badHandle(ctx, device!, 'WDFDEVICE'),
  ),
  wdfFunction(
    'WDFQUEUE WdfDeviceGetDefaultQueue(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device)',
    (ctx, [, device]) => {
      const o = objectOf(ctx, device!, 'device');
      return o ? deviceData(o).defaultQueue : badHandle(ctx, device!, 'WDFDEVICE');
    },
  ),
];

/**
 * WdfDeviceCreate for a control device: IoCreateDevice with the init's name and type, the DEVICE_OBJECT
 * flags KMDF sets (I/O type, exclusive, DO_DEVICE_INITIALIZING until WdfControlFinishInitializing),
 * the SDDL's security descriptor, and the WDFDEVICE parented to the driver. *DeviceInit becomes NULL
 * on success (the framework owns it), as KMDF documents.
 */
function createDevice(
  ctx: KernelContext,
  initPtr: number,
  attributes: number,
  out: number,
): number | undefined {
  const block = ctx.mem.ptr(initPtr);
  const init = initOf(ctx, block);
  if (!init) return badHandle(ctx, block, 'PWDFDEVICE_INIT');
  const s = wdf(ctx);
  const nameString = init.name !== null ? poolUnicodeString(ctx, init.name) : 0;
  const scratch = ctx.pool.allocate(ctx.mem.pointerSize, 0, 'FxTm', 'kernel');
  if (nameString === null || scratch === null) return NTSTATUS.INSUFFICIENT_RESOURCES;
  const status = IoCreateDevice.impl(ctx, [
    s.driverObject,
    0,
    nameString,
    init.deviceType,
    init.characteristics,
    init.exclusive ? 1 : 0,
    scratch,
  ]) as number;
  const deviceObject = ctx.mem.ptr(scratch);
  ctx.pool.free(scratch);
  if (status !== NTSTATUS.SUCCESS) {
    if (nameString) ctx.pool.free(nameString);
    return status;
  }
  const flags =
    (IO_TYPE_FLAGS[init.ioType] ?? 0) | (init.exclusive ? DO_EXCLUSIVE : 0) | DO_DEVICE_INITIALIZING;
  const { DEVICE_OBJECT } = ctx.mem.layouts;
  ctx.mem.setU32(deviceObject + DEVICE_OBJECT.Flags, flags);
  let sd = 0;
  if (init.sddl !== null) {
    const bytes = securityDescriptorOf(init.sddl);
    sd = ctx.pool.allocate(bytes.length, 0, 'FxSd', 'kernel') ?? 0;
    if (sd) ctx.mem.write(sd, bytes);
    ctx.mem.setPtr(deviceObject + DEVICE_OBJECT.SecurityDescriptor, sd);
  }
  // The I/O manager's device-created event just logged: what secures the device goes with it.
  const created = ctx.log.events[ctx.log.events.length - 1];
  if (created?.type === 'device-created' && created.device === deviceObject && init.sddl !== null) {
    created.sddl = init.sddl;
    created.securityDescriptor = sd;
  }
  const data: DeviceData = {
    deviceObject,
    name: init.name,
    nameString: nameString ?? 0,
    sddl: init.sddl,
    fileCreate: init.fileCreate,
    fileClose: init.fileClose,
    fileCleanup: init.fileCleanup,
    fileAttributes: init.fileAttributes,
    inCallerContext: init.inCallerContext,
    requestAttributes: init.requestAttributes,
    defaultQueue: 0,
    links: [],
    files: new Map(),
  };
  const o = createObject(ctx, 'device', attributes, init.driver, data as unknown as Record<string, unknown>);
  if (!o) {
    releaseDevice(ctx, { data } as unknown as WdfObject);
    return NTSTATUS.INSUFFICIENT_RESOURCES;
  }
  s.inits.delete(block);
  ctx.pool.free(block);
  ctx.mem.setPtr(initPtr, 0);
  if (out) ctx.mem.setPtr(out, o.handle);
  return NTSTATUS.SUCCESS;
}
