// I/O manager exports (ntoskrnl!Io*): devices, symbolic links, IRP completion, configuration.
import { attachedTop, callDriver, completeRequest } from '../../irp.js';
import { IO_TYPE_DEVICE } from '../../objects.js';
import { defineExport } from '../../registry.js';
import { StructBuffer } from '../../struct-buffer.js';
import { NTSTATUS } from '../status.js';

export const IoCreateDevice = defineExport({
  module: 'ntoskrnl',
  prototype:
    'NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize, PUNICODE_STRING DeviceName, DEVICE_TYPE DeviceType, ULONG DeviceCharacteristics, BOOLEAN Exclusive, PDEVICE_OBJECT *DeviceObject)',
  impl(ctx, [driver, extSize, namePtr, type, characteristics, , out]) {
    const name = ctx.mem.unicodeString(namePtr!);
    if (name !== null && ctx.objects.lookup(name)) return NTSTATUS.OBJECT_NAME_COLLISION;
    const { DEVICE_OBJECT: D, DRIVER_OBJECT: DO } = ctx.mem.layouts;
    const device = ctx.pool.allocate(D.size + extSize!, 0, 'Devi', 'kernel');
    if (device === null) return NTSTATUS.INSUFFICIENT_RESOURCES;
    const next = ctx.mem.ptr(driver! + DO.DeviceObject);
    // Fresh pool pages are zero: the DEVICE_OBJECT goes in as one write (ReferenceCount 0).
    const d = new StructBuffer(ctx, device, D.size);
    d.u16(D.Type, IO_TYPE_DEVICE);
    d.u16(D.Size, D.size + extSize!);
    d.ptr(D.DriverObject, driver!);
    d.ptr(D.NextDevice, next);
    d.u32(D.Characteristics, characteristics!);
    d.ptr(D.DeviceExtension, extSize ? device + D.size : 0);
    d.u32(D.DeviceType, type!);
    d.u8(D.StackSize, 1);
    d.write();
    ctx.mem.setPtr(driver! + DO.DeviceObject, device);
    if (name !== null) ctx.objects.insert(name, { kind: 'device', address: device });
    ctx.mem.setPtr(out!, device);
    ctx.log.add({ type: 'device-created', name, device, deviceType: type! });
    return NTSTATUS.SUCCESS;
  },
});

export const IoDeleteDevice = defineExport({
  module: 'ntoskrnl',
  prototype: 'VOID IoDeleteDevice(PDEVICE_OBJECT DeviceObject)',
  impl(ctx, [device]) {
    const name = ctx.objects.nameOf(device!, 'device');
    if (name) ctx.objects.remove(name);
    // Unlink from the driver's device list.
    const { DEVICE_OBJECT: D, DRIVER_OBJECT: DO } = ctx.mem.layouts;
    const driver = ctx.mem.ptr(device! + D.DriverObject);
    let link = driver + DO.DeviceObject;
    for (let guard = 0; guard < 4096; guard++) {
      const next = ctx.mem.ptr(link);
      if (next === 0) break;
      if (next === device) {
        ctx.mem.setPtr(link, ctx.mem.ptr(device! + D.NextDevice));
        break;
      }
      link = next + D.NextDevice;
    }
    ctx.log.add({ type: 'device-deleted', name, device: device! });
    ctx.pool.free(device!);
    return undefined;
  },
});

export const IoCreateSymbolicLink = defineExport({
  module: 'ntoskrnl',
  prototype: 'NTSTATUS IoCreateSymbolicLink(PUNICODE_STRING SymbolicLinkName, PUNICODE_STRING DeviceName)',
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

export const IoDeleteSymbolicLink = defineExport({
  module: 'ntoskrnl',
  prototype: 'NTSTATUS IoDeleteSymbolicLink(PUNICODE_STRING SymbolicLinkName)',
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

export const IoCompleteRequest = defineExport({
  module: 'ntoskrnl',
  prototype: 'VOID IoCompleteRequest(PIRP Irp, CCHAR PriorityBoost)',
  impl: (ctx, [irp]) => completeRequest(ctx, irp!),
});

export const IofCompleteRequest = defineExport({
  ...IoCompleteRequest,
  prototype: 'VOID FASTCALL IofCompleteRequest(PIRP Irp, CCHAR PriorityBoost)',
});

/** Transfers to the dispatch routine. */
export const IoCallDriver = defineExport({
  module: 'ntoskrnl',
  prototype: 'NTSTATUS IoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)',
  impl: (ctx, [device, irp]) => callDriver(ctx, device!, irp!),
});

export const IofCallDriver = defineExport({
  ...IoCallDriver,
  prototype: 'NTSTATUS FASTCALL IofCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)',
});

/**
 * (NT 4 and later) attaches to the top of the target's stack: the new device's StackSize becomes
 * the top's plus one. Returns the device attached to, NULL if none.
 */
export const IoAttachDeviceToDeviceStack = defineExport({
  module: 'ntoskrnl',
  prototype:
    'PDEVICE_OBJECT IoAttachDeviceToDeviceStack(PDEVICE_OBJECT SourceDevice, PDEVICE_OBJECT TargetDevice)',
  impl(ctx, [source, target]) {
    const D = ctx.mem.layouts.DEVICE_OBJECT;
    const top = attachedTop(ctx.mem, target!);
    if (top === 0) return 0;
    ctx.mem.setPtr(top + D.AttachedDevice, source!);
    ctx.mem.write(source! + D.StackSize, new Uint8Array([ctx.mem.u8(top + D.StackSize) + 1]));
    return top;
  },
});

export const IoDetachDevice = defineExport({
  module: 'ntoskrnl',
  prototype: 'VOID IoDetachDevice(PDEVICE_OBJECT TargetDevice)',
  impl(ctx, [target]) {
    ctx.mem.setPtr(target! + ctx.mem.layouts.DEVICE_OBJECT.AttachedDevice, 0);
    return undefined;
  },
});

/**
 * (Windows 98/2000 and later kernels; NT 3.51 kernels do not export it, so a driver importing it
 * fails to load there.) Answers for the registry kernel as WDM 1.10 (Windows 2000's level), the
 * oldest with this routine.
 */
export const IoIsWdmVersionAvailable = defineExport({
  module: 'ntoskrnl',
  prototype: 'BOOLEAN IoIsWdmVersionAvailable(UCHAR MajorVersion, UCHAR MinorVersion)',
  impl(ctx, [major, minor]) {
    const [haveMajor, haveMinor] = ctx.version.wdm;
    const m = major! & 0xff;
    return m < haveMajor || (m === haveMajor && (minor! & 0xff) <= haveMinor) ? 1 : 0;
  },
});

export const IoGetConfigurationInformation = defineExport({
  module: 'ntoskrnl',
  prototype: 'PCONFIGURATION_INFORMATION IoGetConfigurationInformation(VOID)',
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

export const IoRegisterFileSystem = defineExport({
  module: 'ntoskrnl',
  prototype: 'VOID IoRegisterFileSystem(PDEVICE_OBJECT DeviceObject)',
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
