// Power manager exports (ntoskrnl!Po*, Windows 2000 WDM): passing power IRPs down a device stack.
import { callDriver } from '../irp.js';
import { defineExport } from '../registry.js';

/** NTSTATUS PoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp); as IoCallDriver (model: no power IRP queueing). */
export const PoCallDriver = defineExport({
  module: 'ntoskrnl',
  name: 'PoCallDriver',
  prototype: 'NTSTATUS PoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)',
  conv: 'stdcall',
  args: [
    { name: 'DeviceObject', type: 'PVOID' },
    { name: 'Irp', type: 'PVOID' },
  ],
  returns: 'NTSTATUS',
  impl: (ctx, [device, irp]) => callDriver(ctx, device!, irp!),
});

/** VOID PoStartNextPowerIrp(PIRP Irp); model: nothing is queued, so there is nothing to start. */
export const PoStartNextPowerIrp = defineExport({
  module: 'ntoskrnl',
  name: 'PoStartNextPowerIrp',
  prototype: 'VOID PoStartNextPowerIrp(PIRP Irp)',
  conv: 'stdcall',
  args: [{ name: 'Irp', type: 'PVOID' }],
  returns: 'VOID',
  impl: () => undefined,
});

export const poExports = [PoCallDriver, PoStartNextPowerIrp];
