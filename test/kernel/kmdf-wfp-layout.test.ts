// The KMDF 1.9 and WFP structures the wdfldr and fwpkclnt handlers read, from one description each:
// the x86 offsets nt351's handlers always used, and the AMD64 offsets the WDK headers give (ReactOS
// sdk/include/wdf/kmdf/1.9 and drivers/wdf/wdf01000/include/wdf19.h; fwpmtypes.h, fwpsk.h) with C's
// natural alignment: each pointer and size_t 8-aligned, enums and ULONGs 4 bytes, GUIDs 4-aligned.
import { describe, expect, it } from 'vitest';
import { wfpStructures } from '../../src/kernel/exports/fwpkclnt/layouts.js';
import { wdfStructures } from '../../src/kernel/exports/wdfldr/layouts.js';

const [W86, W64] = [wdfStructures(4), wdfStructures(8)];
const [F86, F64] = [wfpStructures(4), wfpStructures(8)];

describe('KMDF structure layouts', () => {
  it('WDF_BIND_INFO and WDF_DRIVER_GLOBALS', () => {
    expect(W86.BIND_INFO).toMatchObject({ Component: 4, Major: 8, FuncCount: 20, FuncTable: 24, size: 32 });
    expect(W64.BIND_INFO).toMatchObject({ Component: 8, Major: 16, FuncCount: 28, FuncTable: 32, size: 48 });
    expect(W86.DRIVER_GLOBALS).toMatchObject({
      DriverFlags: 4,
      DriverName: 12,
      DisplaceDriverUnload: 44,
      size: 0x30,
    });
    expect(W64.DRIVER_GLOBALS).toMatchObject({
      DriverFlags: 8,
      DriverName: 16,
      DisplaceDriverUnload: 48,
      size: 0x38,
    });
  });

  it('WDF_DRIVER_CONFIG, WDF_OBJECT_ATTRIBUTES and WDF_OBJECT_CONTEXT_TYPE_INFO', () => {
    expect(W86.DRIVER_CONFIG).toMatchObject({ EvtDriverUnload: 8, DriverInitFlags: 12, DriverPoolTag: 16 });
    expect(W64.DRIVER_CONFIG).toMatchObject({ EvtDriverUnload: 16, DriverInitFlags: 24, DriverPoolTag: 28 });
    expect(W86.OBJECT_ATTRIBUTES).toMatchObject({
      ParentObject: 20,
      ContextSizeOverride: 24,
      ContextTypeInfo: 28,
      size: 32,
    });
    expect(W64.OBJECT_ATTRIBUTES).toMatchObject({
      EvtDestroyCallback: 16,
      ExecutionLevel: 24,
      SynchronizationScope: 28,
      ParentObject: 32,
      ContextSizeOverride: 40,
      ContextTypeInfo: 48,
      size: 56,
    });
    expect(W86.CONTEXT_TYPE_INFO).toMatchObject({ ContextName: 4, ContextSize: 8, UniqueType: 12 });
    expect(W64.CONTEXT_TYPE_INFO).toMatchObject({ ContextName: 8, ContextSize: 16, UniqueType: 24 });
  });

  it('WDF_IO_QUEUE_CONFIG, WDF_FILEOBJECT_CONFIG, WDF_WORKITEM_CONFIG, WDF_REQUEST_PARAMETERS', () => {
    expect(W86.IO_QUEUE_CONFIG).toMatchObject({ DefaultQueue: 13, EvtIoDefault: 16, EvtIoDeviceControl: 28 });
    expect(W64.IO_QUEUE_CONFIG).toMatchObject({
      DefaultQueue: 13,
      EvtIoDefault: 16,
      EvtIoRead: 24,
      EvtIoWrite: 32,
      EvtIoDeviceControl: 40,
      EvtIoInternalDeviceControl: 48,
    });
    expect(W86.FILEOBJECT_CONFIG).toMatchObject({
      EvtDeviceFileCreate: 4,
      EvtFileClose: 8,
      EvtFileCleanup: 12,
    });
    expect(W64.FILEOBJECT_CONFIG).toMatchObject({
      EvtDeviceFileCreate: 8,
      EvtFileClose: 16,
      EvtFileCleanup: 24,
    });
    expect(W86.WORKITEM_CONFIG.EvtWorkItemFunc).toBe(4);
    expect(W64.WORKITEM_CONFIG.EvtWorkItemFunc).toBe(8);
    expect(W86.REQUEST_PARAMETERS).toMatchObject({ MinorFunction: 2, Type: 4, Parameters: 8 });
    expect(W64.REQUEST_PARAMETERS).toMatchObject({ MinorFunction: 2, Type: 4, Parameters: 8, size: 40 });
  });
});

describe('WFP structure layouts', () => {
  it('FWPM_SESSION0, FWPM_PROVIDER0, FWPM_SUBLAYER0, FWPM_CALLOUT0', () => {
    expect(F86.SESSION.flags).toBe(24);
    expect(F64.SESSION.flags).toBe(32);
    expect(F86.PROVIDER.displayData).toBe(16);
    expect(F64.PROVIDER.displayData).toBe(16);
    expect(F86.SUBLAYER).toMatchObject({ flags: 24, providerKey: 28, providerData: 32, weight: 40 });
    expect(F64.SUBLAYER).toMatchObject({ flags: 32, providerKey: 40, providerData: 48, weight: 64 });
    expect(F86.CALLOUT).toMatchObject({ providerKey: 28, applicableLayer: 40, calloutId: 56 });
    expect(F64.CALLOUT).toMatchObject({ providerKey: 40, applicableLayer: 64, calloutId: 80 });
  });

  it('FWPM_FILTER0 and FWPS_CALLOUT0', () => {
    expect(F86.FILTER).toMatchObject({
      providerKey: 28,
      layerKey: 40,
      subLayerKey: 56,
      weight: 72,
      numFilterConditions: 80,
      filterCondition: 84,
      actionType: 88,
      actionCalloutKey: 92,
    });
    expect(F64.FILTER).toMatchObject({
      providerKey: 40,
      layerKey: 64,
      subLayerKey: 80,
      weight: 96,
      numFilterConditions: 112,
      filterCondition: 120,
      actionType: 128,
      actionCalloutKey: 132,
    });
    expect(F86.FWPS_CALLOUT).toMatchObject({ flags: 16, classifyFn: 20, notifyFn: 24, flowDeleteFn: 28 });
    expect(F64.FWPS_CALLOUT).toMatchObject({ flags: 16, classifyFn: 24, notifyFn: 32, flowDeleteFn: 40 });
  });
});
