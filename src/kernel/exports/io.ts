// I/O manager exports (ntoskrnl!Io*): devices, symbolic links, IRP completion, configuration.
import { callDriver, completeRequest } from '../irp.js';
import { DEVICE_OBJECT, DRIVER_OBJECT, IO_TYPE_DEVICE } from '../objects.js';
import { defineExport } from '../registry.js';
import { NTSTATUS } from './status.js';

/**
 * NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize, PUNICODE_STRING
 * DeviceName, DEVICE_TYPE DeviceType, ULONG DeviceCharacteristics, BOOLEAN Exclusive,
 * PDEVICE_OBJECT *DeviceObject);
 */
export const IoCreateDevice = defineExport({
  module: 'ntoskrnl',
  name: 'IoCreateDevice',
  prototype:
    'NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize, PUNICODE_STRING DeviceName, DEVICE_TYPE DeviceType, ULONG DeviceCharacteristics, BOOLEAN Exclusive, PDEVICE_OBJECT *DeviceObject)',
  conv: 'stdcall',
  args: [
    { name: 'DriverObject', type: 'PVOID' },
    { name: 'DeviceExtensionSize', type: 'ULONG' },
    { name: 'DeviceName', type: 'PUNICODE_STRING' },
    { name: 'DeviceType', type: 'ULONG' },
    { name: 'DeviceCharacteristics', type: 'ULONG' },
    { name: 'Exclusive', type: 'BOOLEAN' },
    { name: 'DeviceObject', type: 'PVOID' },
  ],
  returns: 'NTSTATUS',
  impl(ctx, [driver, extSize, namePtr, type, characteristics, , out]) {
    const name = ctx.mem.unicodeString(namePtr!);
    if (name !== null && ctx.objects.lookup(name)) return NTSTATUS.OBJECT_NAME_COLLISION;
    const device = ctx.pool.allocate(DEVICE_OBJECT.size + extSize!, 0, 'Devi', 'kernel');
    if (device === null) return NTSTATUS.INSUFFICIENT_RESOURCES;
    const D = DEVICE_OBJECT;
    ctx.mem.setU16(device + D.Type, IO_TYPE_DEVICE);
    ctx.mem.setU16(device + D.Size, D.size + extSize!);
    ctx.mem.setU32(device + D.ReferenceCount, 0);
    ctx.mem.setU32(device + D.DriverObject, driver!);
    ctx.mem.setU32(device + D.NextDevice, ctx.mem.u32(driver! + DRIVER_OBJECT.DeviceObject));
    ctx.mem.setU32(device + D.Characteristics, characteristics!);
    ctx.mem.setU32(device + D.DeviceExtension, extSize ? device + D.size : 0);
    ctx.mem.setU32(device + D.DeviceType, type!);
    ctx.mem.write(device + D.StackSize, new Uint8Array([1]));
    ctx.mem.setU32(driver! + DRIVER_OBJECT.DeviceObject, device);
    if (name !== null) ctx.objects.insert(name, { kind: 'device', address: device });
    ctx.mem.setU32(out!, device);
    ctx.log.add({ type: 'device-created', name, device, deviceType: type! });
    return NTSTATUS.SUCCESS;
  },
});

/** VOID IoDeleteDevice(PDEVICE_OBJECT DeviceObject); */
export const IoDeleteDevice = defineExport({
  module: 'ntoskrnl',
  name: 'IoDeleteDevice',
  prototype: 'VOID IoDeleteDevice(PDEVICE_OBJECT DeviceObject)',
  conv: 'stdcall',
  args: [{ name: 'DeviceObject', type: 'PVOID' }],
  returns: 'VOID',
  impl(ctx, [device]) {
    const name = ctx.objects.nameOf(device!, 'device');
    if (name) ctx.objects.remove(name);
    // Unlink from the driver's device list.
    const driver = ctx.mem.u32(device! + DEVICE_OBJECT.DriverObject);
    let link = driver + DRIVER_OBJECT.DeviceObject;
    for (let guard = 0; guard < 4096; guard++) {
      const next = ctx.mem.u32(link);
      if (next === 0) break;
      if (next === device) {
        ctx.mem.setU32(link, ctx.mem.u32(device! + DEVICE_OBJECT.NextDevice));
        break;
      }
      link = next + DEVICE_OBJECT.NextDevice;
    }
    ctx.log.add({ type: 'device-deleted', name, device: device! });
    ctx.pool.free(device!);
    return undefined;
  },
});

/** NTSTATUS IoCreateSymbolicLink(PUNICODE_STRING SymbolicLinkName, PUNICODE_STRING DeviceName); */
export const IoCreateSymbolicLink = defineExport({
  module: 'ntoskrnl',
  name: 'IoCreateSymbolicLink',
  prototype: 'NTSTATUS IoCreateSymbolicLink(PUNICODE_STRING SymbolicLinkName, PUNICODE_STRING DeviceName)',
  conv: 'stdcall',
  args: [
    { name: 'SymbolicLinkName', type: 'PUNICODE_STRING' },
    { name: 'DeviceName', type: 'PUNICODE_STRING' },
  ],
  returns: 'NTSTATUS',
  impl(ctx, [linkPtr, targetPtr]) {
    const link = ctx.mem.unicodeString(linkPtr!);
    const target = ctx.mem.unicodeString(targetPtr!);
    if (!link || target === null) return NTSTATUS.OBJECT_NAME_INVALID;
    // NT keeps the name and the target in paged pool: charged there, so host memory stays in NT's bound.
    if (!ctx.pool.chargePaged(2 * (link.length + target.length))) return NTSTATUS.INSUFFICIENT_RESOURCES;
    if (!ctx.objects.insert(link, { kind: 'symlink', address: 0, target })) {
      ctx.pool.releasePaged(2 * (link.length + target.length));
      return NTSTATUS.OBJECT_NAME_COLLISION;
    }
    ctx.log.add({ type: 'symlink-created', link, target });
    return NTSTATUS.SUCCESS;
  },
});

/** NTSTATUS IoDeleteSymbolicLink(PUNICODE_STRING SymbolicLinkName); */
export const IoDeleteSymbolicLink = defineExport({
  module: 'ntoskrnl',
  name: 'IoDeleteSymbolicLink',
  prototype: 'NTSTATUS IoDeleteSymbolicLink(PUNICODE_STRING SymbolicLinkName)',
  conv: 'stdcall',
  args: [{ name: 'SymbolicLinkName', type: 'PUNICODE_STRING' }],
  returns: 'NTSTATUS',
  impl(ctx, [linkPtr]) {
    const link = ctx.mem.unicodeString(linkPtr!);
    const entry = link ? ctx.objects.lookup(link) : undefined;
    if (!link || entry?.kind !== 'symlink') return NTSTATUS.OBJECT_NAME_NOT_FOUND;
    ctx.objects.remove(link);
    ctx.pool.releasePaged(2 * (link.length + ('target' in entry ? String(entry.target).length : 0)));
    ctx.log.add({ type: 'symlink-deleted', link });
    return NTSTATUS.SUCCESS;
  },
});

/** VOID IoCompleteRequest(PIRP Irp, CCHAR PriorityBoost); */
export const IoCompleteRequest = defineExport({
  module: 'ntoskrnl',
  name: 'IoCompleteRequest',
  prototype: 'VOID IoCompleteRequest(PIRP Irp, CCHAR PriorityBoost)',
  conv: 'stdcall',
  args: [
    { name: 'Irp', type: 'PVOID' },
    { name: 'PriorityBoost', type: 'UCHAR' },
  ],
  returns: 'VOID',
  impl: (ctx, [irp]) => completeRequest(ctx, irp!),
});

/** VOID FASTCALL IofCompleteRequest(PIRP Irp, CCHAR PriorityBoost); */
export const IofCompleteRequest = defineExport({
  ...IoCompleteRequest,
  name: 'IofCompleteRequest',
  prototype: 'VOID FASTCALL IofCompleteRequest(PIRP Irp, CCHAR PriorityBoost)',
  conv: 'fastcall',
});

/** NTSTATUS IoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp); transfers to the dispatch routine. */
export const IoCallDriver = defineExport({
  module: 'ntoskrnl',
  name: 'IoCallDriver',
  prototype: 'NTSTATUS IoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)',
  conv: 'stdcall',
  args: [
    { name: 'DeviceObject', type: 'PVOID' },
    { name: 'Irp', type: 'PVOID' },
  ],
  returns: 'NTSTATUS',
  impl: (ctx, [device, irp]) => callDriver(ctx, device!, irp!),
});

/** NTSTATUS FASTCALL IofCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp); */
export const IofCallDriver = defineExport({
  ...IoCallDriver,
  name: 'IofCallDriver',
  prototype: 'NTSTATUS FASTCALL IofCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)',
  conv: 'fastcall',
});

/**
 * PDEVICE_OBJECT IoAttachDeviceToDeviceStack(PDEVICE_OBJECT SourceDevice, PDEVICE_OBJECT
 * TargetDevice); (NT 4 and later) attaches to the top of the target's stack: the new device's
 * StackSize becomes the top's plus one. Returns the device attached to, NULL if none.
 */
export const IoAttachDeviceToDeviceStack = defineExport({
  module: 'ntoskrnl',
  name: 'IoAttachDeviceToDeviceStack',
  prototype:
    'PDEVICE_OBJECT IoAttachDeviceToDeviceStack(PDEVICE_OBJECT SourceDevice, PDEVICE_OBJECT TargetDevice)',
  conv: 'stdcall',
  args: [
    { name: 'SourceDevice', type: 'PVOID' },
    { name: 'TargetDevice', type: 'PVOID' },
  ],
  returns: 'PVOID',
  impl(ctx, [source, target]) {
    const D = DEVICE_OBJECT;
    let top = target!;
    for (let guard = 0; guard < 64; guard++) {
      const above = ctx.mem.u32(top + D.AttachedDevice);
      if (above === 0) break;
      top = above;
    }
    if (top === 0) return 0;
    ctx.mem.setU32(top + D.AttachedDevice, source!);
    ctx.mem.write(source! + D.StackSize, new Uint8Array([ctx.mem.u8(top + D.StackSize) + 1]));
    return top;
  },
});

/** VOID IoDetachDevice(PDEVICE_OBJECT TargetDevice); */
export const IoDetachDevice = defineExport({
  module: 'ntoskrnl',
  name: 'IoDetachDevice',
  prototype: 'VOID IoDetachDevice(PDEVICE_OBJECT TargetDevice)',
  conv: 'stdcall',
  args: [{ name: 'TargetDevice', type: 'PVOID' }],
  returns: 'VOID',
  impl(ctx, [target]) {
    ctx.mem.setU32(target! + DEVICE_OBJECT.AttachedDevice, 0);
    return undefined;
  },
});

/**
 * BOOLEAN IoIsWdmVersionAvailable(UCHAR MajorVersion, UCHAR MinorVersion); (Windows 98/2000 and
 * later kernels; NT 3.51 kernels do not export it, so a driver importing it fails to load there.)
 * Answers for the registry kernel as WDM 1.10 (Windows 2000's level), the oldest with this routine.
 */
export const IoIsWdmVersionAvailable = defineExport({
  module: 'ntoskrnl',
  name: 'IoIsWdmVersionAvailable',
  prototype: 'BOOLEAN IoIsWdmVersionAvailable(UCHAR MajorVersion, UCHAR MinorVersion)',
  conv: 'stdcall',
  args: [
    { name: 'MajorVersion', type: 'UCHAR' },
    { name: 'MinorVersion', type: 'UCHAR' },
  ],
  returns: 'BOOLEAN',
  impl(ctx, [major, minor]) {
    const [haveMajor, haveMinor] = ctx.version.wdm;
    const m = major! & 0xff;
    return m < haveMajor || (m === haveMajor && (minor! & 0xff) <= haveMinor) ? 1 : 0;
  },
});

/** PCONFIGURATION_INFORMATION IoGetConfigurationInformation(VOID); */
export const IoGetConfigurationInformation = defineExport({
  module: 'ntoskrnl',
  name: 'IoGetConfigurationInformation',
  prototype: 'PCONFIGURATION_INFORMATION IoGetConfigurationInformation(VOID)',
  conv: 'stdcall',
  args: [],
  returns: 'PVOID',
  impl(ctx) {
    let info = ctx.statics.get('CONFIGURATION_INFORMATION');
    if (info === undefined) {
      // DiskCount, FloppyCount, CdRomCount, TapeCount, ScsiPortCount, SerialCount, ParallelCount,
      // AtDiskPrimaryAddressClaimed, AtDiskSecondaryAddressClaimed (model: one disk on the AT port).
      info = ctx.pool.allocate(0x24, 0, 'Conf', 'kernel') ?? 0;
      if (info) ctx.mem.setU32(info, 1);
      ctx.statics.set('CONFIGURATION_INFORMATION', info);
    }
    return info;
  },
});

/** VOID IoRegisterFileSystem(PDEVICE_OBJECT DeviceObject); */
export const IoRegisterFileSystem = defineExport({
  module: 'ntoskrnl',
  name: 'IoRegisterFileSystem',
  prototype: 'VOID IoRegisterFileSystem(PDEVICE_OBJECT DeviceObject)',
  conv: 'stdcall',
  args: [{ name: 'DeviceObject', type: 'PVOID' }],
  returns: 'VOID',
  impl: () => undefined,
});

export const ioExports = [
  IoCreateDevice,
  IoDeleteDevice,
  IoCreateSymbolicLink,
  IoDeleteSymbolicLink,
  IoCompleteRequest,
  IofCompleteRequest,
  IoCallDriver,
  IofCallDriver,
  IoAttachDeviceToDeviceStack,
  IoDetachDevice,
  IoIsWdmVersionAvailable,
  IoGetConfigurationInformation,
  IoRegisterFileSystem,
];
