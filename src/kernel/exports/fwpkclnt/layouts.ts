// The Windows Filtering Platform structures fwpkclnt's handlers read, each described once as
// fwpmtypes.h, fwptypes.h and fwpsk.h declare them and laid out for x86 or AMD64 by
// src/kernel/layout.ts (GUIDs are 4-byte aligned: their first member is a ULONG).
import type { KernelContext } from '../../context.js';
import {
  type FieldNames,
  type FieldType,
  layoutOf,
  type PointerSize,
  type StructDescription,
} from '../../layout.js';

const GUID: FieldType = {
  struct: [
    ['Data1', 'u32'],
    ['Data2', 'u16'],
    ['Data3', 'u16'],
    ['Data4', { array: 'u8', count: 8 }],
  ],
};
/** FWPM_DISPLAY_DATA0: name, description (wchar_t *). */
const DISPLAY_DATA: FieldType = {
  struct: [
    ['name', 'ptr'],
    ['description', 'ptr'],
  ],
};
/** FWP_BYTE_BLOB: size, data. */
const BYTE_BLOB: FieldType = {
  struct: [
    ['size', 'u32'],
    ['data', 'ptr'],
  ],
};
/** FWP_VALUE0: type, then a union of scalars and pointers (UINT64 * on x86, so pointer-sized there). */
const VALUE: FieldType = {
  struct: [
    ['type', 'u32'],
    ['value', 'ptr'],
  ],
};

/** FWPM_SESSION0 (fwpmtypes.h). */
const SESSION_D = {
  name: 'FWPM_SESSION0',
  fields: [
    ['sessionKey', GUID],
    ['displayData', DISPLAY_DATA],
    ['flags', 'u32'],
    ['txnWaitTimeoutInMSec', 'u32'],
    ['processId', 'u32'],
    ['sid', 'ptr'],
    ['username', 'ptr'],
    ['kernelMode', 'u32'],
  ],
} as const satisfies StructDescription;
/** FWPM_PROVIDER0. */
const PROVIDER_D = {
  name: 'FWPM_PROVIDER0',
  fields: [
    ['providerKey', GUID],
    ['displayData', DISPLAY_DATA],
    ['flags', 'u32'],
    ['providerData', BYTE_BLOB],
    ['serviceName', 'ptr'],
  ],
} as const satisfies StructDescription;
/** FWPM_SUBLAYER0. */
const SUBLAYER_D = {
  name: 'FWPM_SUBLAYER0',
  fields: [
    ['subLayerKey', GUID],
    ['displayData', DISPLAY_DATA],
    ['flags', 'u16'],
    ['providerKey', 'ptr'],
    ['providerData', BYTE_BLOB],
    ['weight', 'u16'],
  ],
} as const satisfies StructDescription;
/** FWPM_CALLOUT0. */
const CALLOUT_D = {
  name: 'FWPM_CALLOUT0',
  fields: [
    ['calloutKey', GUID],
    ['displayData', DISPLAY_DATA],
    ['flags', 'u32'],
    ['providerKey', 'ptr'],
    ['providerData', BYTE_BLOB],
    ['applicableLayer', GUID],
    ['calloutId', 'u32'],
  ],
} as const satisfies StructDescription;
/** FWPM_FILTER0, up to its action (FWPM_ACTION0: type, then filterType or calloutKey). */
const FILTER_D = {
  name: 'FWPM_FILTER0',
  fields: [
    ['filterKey', GUID],
    ['displayData', DISPLAY_DATA],
    ['flags', 'u32'],
    ['providerKey', 'ptr'],
    ['providerData', BYTE_BLOB],
    ['layerKey', GUID],
    ['subLayerKey', GUID],
    ['weight', VALUE],
    ['numFilterConditions', 'u32'],
    ['filterCondition', 'ptr'],
    ['actionType', 'u32'],
    ['actionCalloutKey', GUID],
  ],
} as const satisfies StructDescription;
/** FWPS_CALLOUT0 (fwpsk.h). */
const FWPS_CALLOUT_D = {
  name: 'FWPS_CALLOUT0',
  fields: [
    ['calloutKey', GUID],
    ['flags', 'u32'],
    ['classifyFn', 'ptr'],
    ['notifyFn', 'ptr'],
    ['flowDeleteFn', 'ptr'],
  ],
} as const satisfies StructDescription;

/** The WFP structures laid out for pointers of `p` bytes. */
export function wfpStructures(p: PointerSize) {
  return {
    SESSION: layoutOf<FieldNames<typeof SESSION_D>>(SESSION_D, p),
    PROVIDER: layoutOf<FieldNames<typeof PROVIDER_D>>(PROVIDER_D, p),
    SUBLAYER: layoutOf<FieldNames<typeof SUBLAYER_D>>(SUBLAYER_D, p),
    CALLOUT: layoutOf<FieldNames<typeof CALLOUT_D>>(CALLOUT_D, p),
    FILTER: layoutOf<FieldNames<typeof FILTER_D>>(FILTER_D, p),
    FWPS_CALLOUT: layoutOf<FieldNames<typeof FWPS_CALLOUT_D>>(FWPS_CALLOUT_D, p),
  };
}
export type WfpStructures = ReturnType<typeof wfpStructures>;
const X86 = wfpStructures(4);
const AMD64 = wfpStructures(8);

/** The WFP structures as the running driver's processor lays them out. */
export const wfpLayouts = (ctx: KernelContext): WfpStructures => (ctx.mem.pointerSize === 8 ? AMD64 : X86);
