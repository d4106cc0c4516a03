// The I/O manager's part of loading a driver (IopLoadDriver): the DRIVER_OBJECT with its name and
// extension, the registry path DriverEntry receives, and counted strings in kernel pool.
import { utf16z } from './guest.js';
import type { EmulatedKernel } from './kernel.js';
import { IO_TYPE_DRIVER, IRP_MJ_COUNT } from './objects.js';

/** The services key NT passes to DriverEntry and DllInitialize. */
export const servicesKey = (service: string): string =>
  `\\Registry\\Machine\\System\\CurrentControlSet\\Services\\${service}`;

/** A UNICODE_STRING and its buffer in kernel-owned pool; returns the UNICODE_STRING's address. */
export function kernelUnicodeString(kernel: EmulatedKernel, text: string): number {
  const buf = kernel.pool.allocateStatic(text.length * 2 + 2);
  kernel.mem.write(buf, utf16z(text));
  const U = kernel.mem.layouts.UNICODE_STRING;
  const us = kernel.pool.allocateStatic(U.size);
  kernel.mem.setU16(us + U.Length, text.length * 2);
  kernel.mem.setU16(us + U.MaximumLength, text.length * 2 + 2);
  kernel.mem.setPtr(us + U.Buffer, buf);
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
  const { mem } = kernel;
  const { DRIVER_OBJECT: D, DRIVER_EXTENSION: E, UNICODE_STRING: U, pointerSize } = mem.layouts;
  const driverObject = kernel.pool.allocateStatic(D.size + E.size);
  mem.setU16(driverObject + D.Type, IO_TYPE_DRIVER);
  mem.setU16(driverObject + D.Size, D.size);
  mem.setPtr(driverObject + D.DriverStart, spec.base);
  mem.setU32(driverObject + D.DriverSize, spec.size);
  mem.setPtr(driverObject + D.DriverExtension, driverObject + D.size);
  mem.setPtr(driverObject + D.size + E.DriverObject, driverObject);
  const name = kernelUnicodeString(kernel, `\\Driver\\${spec.service}`);
  mem.write(driverObject + D.DriverName, mem.bytes(name, U.size));
  mem.setPtr(driverObject + D.DriverInit, spec.entryPoint ?? 0);
  for (let i = 0; i < IRP_MJ_COUNT; i++) mem.setPtr(driverObject + D.MajorFunction + pointerSize * i, 0);
  kernel.objects.insert(`\\Driver\\${spec.service}`, { kind: 'driver', address: driverObject });
  return { driverObject, registryPath: kernelUnicodeString(kernel, servicesKey(spec.service)) };
}
