// WDFLDR.SYS, the KMDF loader a KMDF driver imports: WdfVersionBind, called by the driver's stub
// (FxDriverEntry) before its DriverEntry, checks the WDF_BIND_INFO the driver was built with, hands
// it WDF_DRIVER_GLOBALS and fills its function table (WdfFunctions) with the library's entries;
// WdfVersionUnbind, called by the stub's unload after EvtDriverUnload, releases the globals.
// Following Microsoft's FxLibraryCommonRegisterClient (Windows-Driver-Frameworks,
// src/framework/kmdf/src/librarycommon/fxlibrarycommon.cpp): a client of KMDF 1.13 or older gets the
// table copied into its own (Info->FuncTable points at the driver's WdfFunctions array).
import type { KernelContext } from '../../context.js';
import { defineExport, type ExportHandler } from '../../registry.js';
import { NTSTATUS } from '../status.js';
import { wdfFunctionHandlers } from './catalog.js';
import { WDF_FUNCTION_COUNT_1_9, WDF_FUNCTIONS_1_9 } from './function-table.js';
import { wdfLayouts } from './layouts.js';
import { wdf } from './objects.js';

/** Model: the library here is KMDF 1.9; a driver built for a later one is refused. */
const STATUS_REVISION_MISMATCH = 0xc0000059;

/** Each table entry's address: the handler's when nt351 has one, else a reported miss. */
function tableAddresses(ctx: KernelContext, count: number): number[] | null {
  if (!ctx.hostRoutine || !ctx.hostMiss) return null;
  const byName = new Map(wdfFunctionHandlers.map((h) => [h.name, h]));
  return WDF_FUNCTIONS_1_9.slice(0, count).map((name) => {
    const key = `wdf:fn:${name}`;
    let address = ctx.statics.get(key);
    if (address === undefined) {
      const h = byName.get(name);
      address = h ? ctx.hostRoutine!(h) : ctx.hostMiss!('wdf01000', name);
      ctx.statics.set(key, address);
    }
    return address;
  });
}

export const wdfLoaderExports: ExportHandler[] = [
  defineExport({
    module: 'wdfldr',
    prototype:
      'NTSTATUS WdfVersionBind(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath, PWDF_BIND_INFO BindInfo, PWDF_COMPONENT_GLOBALS *ComponentGlobals)',
    impl(ctx, [driverObject, registryPath, info, out]) {
      if (!info || !out) return NTSTATUS.INVALID_PARAMETER;
      const { BIND_INFO, DRIVER_GLOBALS } = wdfLayouts(ctx);
      const component = ctx.mem.ptr(info + BIND_INFO.Component);
      if (!component || ctx.mem.wString(component, 64) !== 'KmdfLibrary')
        return NTSTATUS.OBJECT_NAME_NOT_FOUND;
      const major = ctx.mem.u32(info + BIND_INFO.Major);
      const count = ctx.mem.u32(info + BIND_INFO.FuncCount);
      const table = ctx.mem.ptr(info + BIND_INFO.FuncTable);
      if (!table || count === 0) return NTSTATUS.INVALID_PARAMETER;
      if (major !== 1 || count > WDF_FUNCTION_COUNT_1_9) return STATUS_REVISION_MISMATCH;
      const addresses = tableAddresses(ctx, count);
      if (!addresses) return NTSTATUS.NOT_IMPLEMENTED;
      const globals = ctx.pool.allocate(DRIVER_GLOBALS.size, 0, 'FxDg', 'kernel');
      if (globals === null) return NTSTATUS.INSUFFICIENT_RESOURCES;
      ctx.mem.write(globals, new Uint8Array(DRIVER_GLOBALS.size));
      // DriverName: the service name (the registry path's last component), as KMDF fills it.
      const path = registryPath ? (ctx.mem.unicodeString(registryPath) ?? '') : '';
      const name = (path.split('\\').pop() ?? '').slice(0, 31);
      ctx.mem.write(globals + DRIVER_GLOBALS.DriverName, new TextEncoder().encode(name));
      ctx.mem.write(globals + DRIVER_GLOBALS.DriverTag, new TextEncoder().encode('FxDr'));
      // The table's entries are pointers: 8 bytes holding 64-bit addresses on AMD64.
      addresses.forEach((a, i) => {
        ctx.mem.setPtr(table + ctx.mem.pointerSize * i, a, 'WdfFunctions');
      });
      const s = wdf(ctx);
      s.globals = globals;
      s.driverObject = driverObject!;
      s.registryPath = registryPath!;
      ctx.mem.setPtr(out, globals);
      return NTSTATUS.SUCCESS;
    },
  }),
  defineExport({
    module: 'wdfldr',
    prototype:
      'NTSTATUS WdfVersionUnbind(PUNICODE_STRING RegistryPath, PWDF_BIND_INFO BindInfo, PWDF_COMPONENT_GLOBALS ComponentGlobals)',
    impl(ctx, [, info, globals]) {
      const s = wdf(ctx);
      if (!info || !globals || globals !== s.globals) return NTSTATUS.UNSUCCESSFUL;
      ctx.pool.free(globals);
      s.globals = 0;
      return NTSTATUS.SUCCESS;
    },
  }),
];
