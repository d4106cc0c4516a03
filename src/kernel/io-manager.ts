// The I/O manager's part of loading a driver (IopLoadDriver): the DRIVER_OBJECT with its name and
// extension, the registry path DriverEntry receives, and counted strings in kernel pool.
import type { EmulatedKernel } from './kernel.js';
import { IO_TYPE_DRIVER } from './objects.js';
import { StructBuffer } from './struct-buffer.js';

/** The services key NT passes to DriverEntry and DllInitialize. */
export const servicesKey = (service: string): string =>
  `\\Registry\\Machine\\System\\CurrentControlSet\\Services\\${service}`;

/** A UNICODE_STRING and its buffer in kernel-owned pool; returns the UNICODE_STRING's address. */
export function kernelUnicodeString(kernel: EmulatedKernel, text: string): number {
  const { buf, us, end } = allocateUnicodeString(kernel, text);
  const out = new StructBuffer(kernel.ctx, buf, end - buf);
  fillUnicodeString(out, buf, us, text);
  out.write();
  return us;
}

/**
 * Static blocks for `text` and its UNICODE_STRING, in that order (the addresses NT's allocations had
 * here before); `end` is the end of the second. Static blocks are packed upward and never reused.
 */
function allocateUnicodeString(
  kernel: EmulatedKernel,
  text: string,
): { buf: number; us: number; end: number } {
  const U = kernel.mem.layouts.UNICODE_STRING;
  const buf = kernel.pool.allocateStatic(text.length * 2 + 2);
  const us = kernel.pool.allocateStatic(U.size);
  return { buf, us, end: us + U.size };
}

/** The text and the UNICODE_STRING allocateUnicodeString placed, into `out` (which covers both). */
function fillUnicodeString(out: StructBuffer, buf: number, us: number, text: string): void {
  out.utf16(buf - out.address, text);
  out.unicodeString(us - out.address, text.length * 2, text.length * 2 + 2, buf);
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
  const { DRIVER_OBJECT: D, DRIVER_EXTENSION: E } = kernel.mem.layouts;
  const driverName = `\\Driver\\${spec.service}`;
  const driverObject = kernel.pool.allocateStatic(D.size + E.size);
  const name = allocateUnicodeString(kernel, driverName);
  const path = allocateUnicodeString(kernel, servicesKey(spec.service));
  // All five blocks are fresh static memory, packed upward: one write across them stores the
  // DRIVER_OBJECT, its extension and both strings (MajorFunction stays NULL, the rest zero).
  const out = new StructBuffer(kernel.ctx, driverObject, path.end - driverObject);
  out.u16(D.Type, IO_TYPE_DRIVER);
  out.u16(D.Size, D.size);
  out.ptr(D.DriverStart, spec.base);
  out.u32(D.DriverSize, spec.size);
  out.ptr(D.DriverExtension, driverObject + D.size);
  out.ptr(D.size + E.DriverObject, driverObject);
  fillUnicodeString(out, name.buf, name.us, driverName);
  out.unicodeString(D.DriverName, driverName.length * 2, driverName.length * 2 + 2, name.buf);
  out.ptr(D.DriverInit, spec.entryPoint ?? 0);
  fillUnicodeString(out, path.buf, path.us, servicesKey(spec.service));
  out.write();
  kernel.objects.insert(driverName, { kind: 'driver', address: driverObject });
  return { driverObject, registryPath: path.us };
}
