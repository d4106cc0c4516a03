// The requests a sandbox run sends a driver (create, each IOCTL, read, write, cleanup, close, and for
// WDM drivers the PnP start/remove and power requests around them) and the IRPs that carry them,
// built as the I/O manager builds them.
import type { EmulatedKernel } from '../kernel/index.js';
import {
  DEVICE_OBJECT,
  IO_STACK_LOCATION,
  IO_TYPE_IRP,
  IRP,
  IRP_MJ,
  IRP_MJ_NAMES,
  IRP_MN,
} from '../kernel/index.js';

/** One request of the plan: major (and minor) function, the IOCTL code, the name the report shows. */
export interface DispatchStep {
  mj: number;
  minor?: number;
  ioctl?: number;
  name: string;
}

/**
 * The requests in NT's order. WDM drivers (model of the PnP manager) get IRP_MN_START_DEVICE before
 * any other request and IRP_MN_REMOVE_DEVICE after the last.
 */
export function dispatchPlan(ioctls: readonly number[], wdm: boolean): DispatchStep[] {
  const plain = (mj: number, ioctl?: number): DispatchStep => ({
    mj,
    ...(ioctl !== undefined ? { ioctl } : {}),
    name: `${IRP_MJ_NAMES[mj]}${ioctl !== undefined ? ` 0x${ioctl.toString(16).padStart(8, '0')}` : ''}`,
  });
  return [
    ...(wdm
      ? [
          { mj: IRP_MJ.PNP, minor: IRP_MN.START_DEVICE, name: 'IRP_MJ_PNP IRP_MN_START_DEVICE' },
          { mj: IRP_MJ.POWER, minor: IRP_MN.SET_POWER, name: 'IRP_MJ_POWER IRP_MN_SET_POWER D0' },
        ]
      : []),
    plain(IRP_MJ.CREATE),
    ...ioctls.map((ioctl) => plain(IRP_MJ.DEVICE_CONTROL, ioctl)),
    plain(IRP_MJ.READ),
    plain(IRP_MJ.WRITE),
    plain(IRP_MJ.CLEANUP),
    plain(IRP_MJ.CLOSE),
    ...(wdm
      ? [{ mj: IRP_MJ.PNP, minor: IRP_MN.REMOVE_DEVICE, name: 'IRP_MJ_PNP IRP_MN_REMOVE_DEVICE' }]
      : []),
  ];
}

/**
 * An IRP set up as the I/O manager would for `mj`, with the device's StackSize stack locations and
 * the top one current (as IoCallDriver leaves it for the top driver's dispatch routine).
 */
export function buildIrp(
  kernel: EmulatedKernel,
  device: number,
  mj: number,
  ioctl?: number,
  minor = 0,
): number {
  const count = Math.max(1, device ? kernel.mem.u8(device + DEVICE_OBJECT.StackSize) : 1);
  const size = IRP.size + count * IO_STACK_LOCATION.size;
  const irp = kernel.pool.allocate(size, 0, 'nt35', 'kernel')!;
  const buffer = kernel.pool.allocate(0x200, 0, 'nt35', 'kernel')!;
  const stack = irp + IRP.size + (count - 1) * IO_STACK_LOCATION.size;
  kernel.mem.setU16(irp + IRP.Type, IO_TYPE_IRP);
  kernel.mem.setU16(irp + IRP.Size, size);
  kernel.mem.write(irp + IRP.StackCount, new Uint8Array([count, count]));
  kernel.mem.setU32(irp + IRP.SystemBuffer, buffer);
  kernel.mem.setU32(irp + IRP.UserBuffer, buffer);
  kernel.mem.setU32(irp + IRP.CurrentStackLocation, stack);
  // The requesting thread, as the I/O manager records it (IoGetRequestorProcess reads it): the System thread.
  kernel.mem.setU32(irp + IRP.Thread, kernel.ob.systemContext().thread.body);
  kernel.mem.write(stack + IO_STACK_LOCATION.MajorFunction, new Uint8Array([mj, minor]));
  kernel.mem.setU32(stack + IO_STACK_LOCATION.DeviceObject, device);
  const P = stack + IO_STACK_LOCATION.Parameters;
  if (mj === IRP_MJ.DEVICE_CONTROL) {
    kernel.mem.setU32(P, 0x200); // OutputBufferLength
    kernel.mem.setU32(P + 4, 0x200); // InputBufferLength
    kernel.mem.setU32(P + 8, ioctl ?? 0); // IoControlCode
    kernel.mem.setU32(P + 12, buffer); // Type3InputBuffer
  } else if (mj === IRP_MJ.READ || mj === IRP_MJ.WRITE) {
    kernel.mem.setU32(P, 0x200); // Length
  } else if (mj === IRP_MJ.POWER) {
    kernel.mem.setU32(P + 4, 1); // Parameters.Power.Type = DevicePowerState
    kernel.mem.setU32(P + 8, 1); // Parameters.Power.State = PowerDeviceD0
  }
  return irp;
}
