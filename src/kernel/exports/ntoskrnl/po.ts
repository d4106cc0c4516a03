// Power manager exports (ntoskrnl!Po*, Windows 2000 WDM): passing power IRPs down a device stack.
import { callDriver } from '../../irp.js';
import { defineExport } from '../../registry.js';

/** As IoCallDriver (model: no power IRP queueing). */
export const PoCallDriver = defineExport({
  module: 'ntoskrnl',
  prototype: 'NTSTATUS PoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)',
  impl: (ctx, [device, irp]) => callDriver(ctx, device!, irp!),
});

/** Model: nothing is queued, so there is nothing to start. */
export const PoStartNextPowerIrp = defineExport({
  module: 'ntoskrnl',
  prototype: 'VOID PoStartNextPowerIrp(PIRP Irp)',
  impl: () => undefined,
});

export const poExports = [PoCallDriver, PoStartNextPowerIrp];
