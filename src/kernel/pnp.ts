// The Plug and Play side of run-driver for WDM drivers (model): a bus driver made by the kernel
// owns a physical device object (PDO) that is handed to the driver's AddDevice; its dispatch
// routine, a host routine, completes every IRP it gets with STATUS_SUCCESS, as a bus driver does for
// a device it has no more to say about.
import { NTSTATUS } from './exports/status.js';
import { createDriverObject } from './io-manager.js';
import { completeRequest } from './irp.js';
import type { EmulatedKernel } from './kernel.js';
import { IO_TYPE_DEVICE, IRP_MJ_COUNT } from './objects.js';
import { defineExport } from './registry.js';

/** The model bus driver's dispatch. */
export const BusDriverDispatch = defineExport({
  module: 'nt351',
  prototype: 'NTSTATUS BusDriverDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)',
  impl(ctx, [, irp]) {
    ctx.mem.setU32(irp! + ctx.mem.layouts.IRP.IoStatusStatus, NTSTATUS.SUCCESS);
    return completeRequest(ctx, irp!, () => NTSTATUS.SUCCESS);
  },
});

/** Creates the bus driver (`\Driver\nt351bus`) and its PDO (`\Device\00000001`); returns the PDO. */
export function createPhysicalDevice(kernel: EmulatedKernel): number {
  const { driverObject } = createDriverObject(kernel, {
    service: 'nt351bus',
    base: 0,
    size: 0,
    entryPoint: null,
  });
  const dispatch = kernel.hostRoutine(BusDriverDispatch);
  const { DEVICE_OBJECT: D, DRIVER_OBJECT: DO, pointerSize } = kernel.mem.layouts;
  for (let i = 0; i < IRP_MJ_COUNT; i++)
    kernel.mem.setPtr(driverObject + DO.MajorFunction + pointerSize * i, dispatch);
  const pdo = kernel.pool.allocate(D.size, 0, 'Devi', 'kernel')!;
  kernel.mem.setU16(pdo + D.Type, IO_TYPE_DEVICE);
  kernel.mem.setU16(pdo + D.Size, D.size);
  kernel.mem.setPtr(pdo + D.DriverObject, driverObject);
  kernel.mem.setPtr(driverObject + DO.DeviceObject, pdo);
  kernel.mem.setU32(pdo + D.DeviceType, 0x22); // FILE_DEVICE_UNKNOWN
  kernel.mem.write(pdo + D.StackSize, new Uint8Array([1]));
  const name = '\\Device\\00000001';
  kernel.objects.insert(name, { kind: 'device', address: pdo });
  kernel.log.add({ type: 'device-created', name, device: pdo, deviceType: 0x22 });
  return pdo;
}
