// The I/O manager's part of loading a driver (IopLoadDriver): the DRIVER_OBJECT with its name and
// extension, the registry path DriverEntry receives, and counted strings in kernel pool.
import { utf16z } from './guest.js';
import type { EmulatedKernel } from './kernel.js';
import { DRIVER_EXTENSION, DRIVER_OBJECT, IO_TYPE_DRIVER, IRP_MJ_COUNT } from './objects.js';

/** The services key NT passes to DriverEntry and DllInitialize. */
export const servicesKey = (service: string): string =>
  `\\Registry\\Machine\\System\\CurrentControlSet\\Services\\${service}`;

/** A UNICODE_STRING and its buffer in kernel-owned pool; returns the UNICODE_STRING's address. */
export function kernelUnicodeString(kernel: EmulatedKernel, text: string): number {
  const buf = kernel.pool.allocateStatic(text.length * 2 + 2);
  kernel.mem.write(buf, utf16z(text));
  const us = kernel.pool.allocateStatic(8);
  kernel.mem.setU16(us, text.length * 2);
  kernel.mem.setU16(us + 2, text.length * 2 + 2);
  kernel.mem.setU32(us + 4, buf);
  return us;
}

export interface DriverObjectSpec {
  service: string;
  base: number;
  size: number;
  entryPoint: number | null;
}

/**
 * Builds the DRIVER_OBJECT as IopLoadDriver does and names it `\Driver\<service>` in the object
 * namespace. NT points unset dispatch entries at IopInvalidDeviceRequest; model: they are NULL here,
 * and callers treat NULL as "not handled". Returns the object and the registry path string.
 */
export function createDriverObject(
  kernel: EmulatedKernel,
  spec: DriverObjectSpec,
): { driverObject: number; registryPath: number } {
  const D = DRIVER_OBJECT;
  const { mem } = kernel;
  const driverObject = kernel.pool.allocateStatic(D.size + DRIVER_EXTENSION.size);
  mem.setU16(driverObject + D.Type, IO_TYPE_DRIVER);
  mem.setU16(driverObject + D.Size, D.size);
  mem.setU32(driverObject + D.DriverStart, spec.base);
  mem.setU32(driverObject + D.DriverSize, spec.size);
  mem.setU32(driverObject + D.DriverExtension, driverObject + D.size);
  mem.setU32(driverObject + D.size + DRIVER_EXTENSION.DriverObject, driverObject);
  const name = kernelUnicodeString(kernel, `\\Driver\\${spec.service}`);
  mem.write(driverObject + D.DriverName, mem.bytes(name, 8));
  mem.setU32(driverObject + D.DriverInit, spec.entryPoint ?? 0);
  for (let i = 0; i < IRP_MJ_COUNT; i++) mem.setU32(driverObject + D.MajorFunction + 4 * i, 0);
  kernel.objects.insert(`\\Driver\\${spec.service}`, { kind: 'driver', address: driverObject });
  return { driverObject, registryPath: kernelUnicodeString(kernel, servicesKey(spec.service)) };
}
