// What the KMDF handlers share: their declaration helper (module wdf01000, the library whose
// functions the bound table leads to), counted strings in kernel pool, and WDF_VIOLATION for a
// handle the framework never made.
import type { KernelContext } from '../../context.js';
import { utf16z } from '../../guest.js';
import { defineExport, type ExportHandler } from '../../registry.js';

/** Declares a KMDF library function (reached through WdfFunctions, stdcall like every KMDF DDI on x86). */
export const wdfFunction = (prototype: string, impl: ExportHandler['impl']): ExportHandler =>
  defineExport({ module: 'wdf01000', prototype, impl });

/** A UNICODE_STRING and its buffer in kernel pool (the framework's copy of a driver's string). */
export function poolUnicodeString(ctx: KernelContext, text: string): number | null {
  const { UNICODE_STRING } = ctx.mem.layouts;
  const us = ctx.pool.allocate(UNICODE_STRING.size + text.length * 2 + 2, 0, 'FxUs', 'kernel');
  if (us === null) return null;
  ctx.mem.write(us + UNICODE_STRING.size, utf16z(text));
  ctx.mem.setU16(us + UNICODE_STRING.Length, text.length * 2);
  ctx.mem.setU16(us + UNICODE_STRING.MaximumLength, text.length * 2 + 2);
  ctx.mem.setPtr(us + UNICODE_STRING.Buffer, us + UNICODE_STRING.size);
  return us;
}

/** WDF_VIOLATION (0x10D) bugcheck parameter 1: a bad WDF handle (WDF_INVALID_HANDLE, wdfbugcodes.h). */
const WDF_VIOLATION = 0x10d;
const WDF_INVALID_HANDLE = 0x5;

/** A handle the framework does not know: KMDF's WDF_VIOLATION bugcheck, ending the run. */
export function badHandle(ctx: KernelContext, handle: number, what: string): undefined {
  ctx.log.add({
    type: 'bugcheck',
    code: WDF_VIOLATION,
    parameters: [WDF_INVALID_HANDLE, handle >>> 0, 0, 0],
    caller: ctx.caller,
  });
  ctx.stop(
    `bugcheck 0x10D WDF_VIOLATION: ${what} handle 0x${(handle >>> 0).toString(16)} is not a framework object`,
  );
  return undefined;
}
