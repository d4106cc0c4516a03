// The KMDF 1.9 structures the framework reads from (and writes for) a driver, each described once as
// the WDK headers declare it and laid out for x86 or AMD64 by src/kernel/layout.ts (ReactOS
// sdk/include/wdf/kmdf/1.9: wdfdriver.h, wdfobject.h, wdfio.h, wdfdevice.h, wdfrequest.h,
// wdfworkitem.h, wdfglobals.h; fxldr.h for WDF_BIND_INFO; drivers/wdf/wdf01000/include/wdf19.h).
import type { KernelContext } from '../../context.js';
import { type FieldNames, layoutOf, type PointerSize, type StructDescription } from '../../layout.js';

/** WDF_BIND_INFO (fxldr.h): Size, Component, Version {Major, Minor, Build}, FuncCount, FuncTable, Module. */
const BIND_INFO_D = {
  name: 'WDF_BIND_INFO',
  fields: [
    ['Size', 'u32'],
    ['Component', 'ptr'],
    ['Major', 'u32'],
    ['Minor', 'u32'],
    ['Build', 'u32'],
    ['FuncCount', 'u32'],
    ['FuncTable', 'ptr'],
    ['Module', 'ptr'],
  ],
} as const satisfies StructDescription;
/** WDF_DRIVER_GLOBALS (wdfglobals.h). */
const DRIVER_GLOBALS_D = {
  name: 'WDF_DRIVER_GLOBALS',
  fields: [
    ['Driver', 'ptr'],
    ['DriverFlags', 'u32'],
    ['DriverTag', 'u32'],
    ['DriverName', { array: 'u8', count: 32 }],
    ['DisplaceDriverUnload', 'u8'],
  ],
} as const satisfies StructDescription;
/** WDF_DRIVER_CONFIG (wdfdriver.h). */
const DRIVER_CONFIG_D = {
  name: 'WDF_DRIVER_CONFIG',
  fields: [
    ['Size', 'u32'],
    ['EvtDriverDeviceAdd', 'ptr'],
    ['EvtDriverUnload', 'ptr'],
    ['DriverInitFlags', 'u32'],
    ['DriverPoolTag', 'u32'],
  ],
} as const satisfies StructDescription;
/** WDF_OBJECT_ATTRIBUTES (wdfobject.h): the two enums are 4 bytes, ContextSizeOverride a size_t. */
const OBJECT_ATTRIBUTES_D = {
  name: 'WDF_OBJECT_ATTRIBUTES',
  fields: [
    ['Size', 'u32'],
    ['EvtCleanupCallback', 'ptr'],
    ['EvtDestroyCallback', 'ptr'],
    ['ExecutionLevel', 'u32'],
    ['SynchronizationScope', 'u32'],
    ['ParentObject', 'ptr'],
    ['ContextSizeOverride', 'ptr'],
    ['ContextTypeInfo', 'ptr'],
  ],
} as const satisfies StructDescription;
/** WDF_OBJECT_CONTEXT_TYPE_INFO (wdfobject.h). */
const CONTEXT_TYPE_INFO_D = {
  name: 'WDF_OBJECT_CONTEXT_TYPE_INFO',
  fields: [
    ['Size', 'u32'],
    ['ContextName', 'ptr'],
    ['ContextSize', 'ptr'],
    ['UniqueType', 'ptr'],
    ['EvtDriverGetUniqueContextType', 'ptr'],
  ],
} as const satisfies StructDescription;
/** WDF_IO_QUEUE_CONFIG (wdfio.h, KMDF 1.9: WDF_IO_QUEUE_CONFIG_V1_9). */
const IO_QUEUE_CONFIG_D = {
  name: 'WDF_IO_QUEUE_CONFIG',
  fields: [
    ['Size', 'u32'],
    ['DispatchType', 'u32'],
    ['PowerManaged', 'u32'],
    ['AllowZeroLengthRequests', 'u8'],
    ['DefaultQueue', 'u8'],
    ['EvtIoDefault', 'ptr'],
    ['EvtIoRead', 'ptr'],
    ['EvtIoWrite', 'ptr'],
    ['EvtIoDeviceControl', 'ptr'],
    ['EvtIoInternalDeviceControl', 'ptr'],
    ['EvtIoStop', 'ptr'],
    ['EvtIoResume', 'ptr'],
    ['EvtIoCanceledOnQueue', 'ptr'],
    ['NumberOfPresentedRequests', 'u32'], // Settings.Parallel
  ],
} as const satisfies StructDescription;
/** WDF_FILEOBJECT_CONFIG (wdfdevice.h). */
const FILEOBJECT_CONFIG_D = {
  name: 'WDF_FILEOBJECT_CONFIG',
  fields: [
    ['Size', 'u32'],
    ['EvtDeviceFileCreate', 'ptr'],
    ['EvtFileClose', 'ptr'],
    ['EvtFileCleanup', 'ptr'],
    ['AutoForwardCleanupClose', 'u32'],
    ['FileObjectClass', 'u32'],
  ],
} as const satisfies StructDescription;
/** WDF_WORKITEM_CONFIG (wdfworkitem.h). */
const WORKITEM_CONFIG_D = {
  name: 'WDF_WORKITEM_CONFIG',
  fields: [
    ['Size', 'u32'],
    ['EvtWorkItemFunc', 'ptr'],
    ['AutomaticSerialization', 'u8'],
  ],
} as const satisfies StructDescription;
/**
 * WDF_REQUEST_PARAMETERS (wdfrequest.h): Size, MinorFunction, Type (WDF_REQUEST_TYPE, the IRP_MJ
 * code), then the Parameters union, 8-aligned on both (its Read member holds a LONGLONG), whose
 * words are laid out as IO_STACK_LOCATION.Parameters' (size_t lengths, POINTER_ALIGNMENT on AMD64).
 */
const REQUEST_PARAMETERS_D = {
  name: 'WDF_REQUEST_PARAMETERS',
  fields: [
    ['Size', 'u16'],
    ['MinorFunction', 'u8'],
    ['Type', 'u32'],
    [
      'Parameters',
      {
        union: [
          ['Others', { array: 'ptr', count: 4 }],
          ['DeviceOffset', { array: 'u64', count: 2 }],
        ],
      },
    ],
  ],
} as const satisfies StructDescription;

/** The KMDF structures laid out for pointers of `p` bytes. */
export function wdfStructures(p: PointerSize) {
  return {
    BIND_INFO: layoutOf<FieldNames<typeof BIND_INFO_D>>(BIND_INFO_D, p),
    DRIVER_GLOBALS: layoutOf<FieldNames<typeof DRIVER_GLOBALS_D>>(DRIVER_GLOBALS_D, p),
    DRIVER_CONFIG: layoutOf<FieldNames<typeof DRIVER_CONFIG_D>>(DRIVER_CONFIG_D, p),
    OBJECT_ATTRIBUTES: layoutOf<FieldNames<typeof OBJECT_ATTRIBUTES_D>>(OBJECT_ATTRIBUTES_D, p),
    CONTEXT_TYPE_INFO: layoutOf<FieldNames<typeof CONTEXT_TYPE_INFO_D>>(CONTEXT_TYPE_INFO_D, p),
    IO_QUEUE_CONFIG: layoutOf<FieldNames<typeof IO_QUEUE_CONFIG_D>>(IO_QUEUE_CONFIG_D, p),
    FILEOBJECT_CONFIG: layoutOf<FieldNames<typeof FILEOBJECT_CONFIG_D>>(FILEOBJECT_CONFIG_D, p),
    WORKITEM_CONFIG: layoutOf<FieldNames<typeof WORKITEM_CONFIG_D>>(WORKITEM_CONFIG_D, p),
    REQUEST_PARAMETERS: layoutOf<FieldNames<typeof REQUEST_PARAMETERS_D>>(REQUEST_PARAMETERS_D, p),
  };
}
export type WdfStructures = ReturnType<typeof wdfStructures>;
const X86 = wdfStructures(4);
const AMD64 = wdfStructures(8);

/** The KMDF structures as the running driver's processor lays them out. */
export const wdfLayouts = (ctx: KernelContext): WdfStructures => (ctx.mem.pointerSize === 8 ? AMD64 : X86);
