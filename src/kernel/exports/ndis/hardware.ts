// The hardware an NDIS miniport claims while MiniportInitialize runs: I/O port ranges, device memory,
// its interrupt, map registers and shared memory, the resources and PCI configuration the HAL's bus
// model holds (a PC with empty slots), and miniport timers on the virtual clock. Each routine checks
// the MiniportAdapterHandle is one NDIS gave out (ReactOS drivers/network/ndis/ndis/io.c, hardware.c,
// time.c; the NT DDK's descriptions).
import type { KernelContext } from '../../context.js';
import { X86_STRUCTURES } from '../../objects.js';
import { defineExport, type ExportHandler } from '../../registry.js';
import { BusData, getBusData, physicalOf } from '../hal/machine.js';
import { type Adapter, adapterOf, NDIS_STATUS, ndisState } from './state.js';

/** The miniport timers are laid out for x86 (objects.ts' KTIMER and KDPC). */
const { KDPC, KTIMER } = X86_STRUCTURES;

const ndis = (prototype: string, impl: ExportHandler['impl']) =>
  defineExport({ module: 'ndis', prototype, impl });

/** NDIS_MINIPORT_TIMER (x86): KTIMER, KDPC, MiniportTimerFunction, MiniportTimerContext, Miniport, NextDeferredTimer. */
const MINIPORT_TIMER = {
  Dpc: KTIMER.size,
  Function: 0x48,
  Context: 0x4c,
  Miniport: 0x50,
  size: 0x58,
} as const;
/** NDIS_MINIPORT_INTERRUPT (x86): InterruptObject … MiniportIsr, MiniportDpc, InterruptDpc, Miniport … SharedInterrupt, IsrRequested. */
const MINIPORT_INTERRUPT = {
  InterruptObject: 0,
  MiniportIsr: 0x0c,
  MiniportDpc: 0x10,
  Miniport: 0x34,
  SharedInterrupt: 0x4c,
  IsrRequested: 0x4d,
  size: 0x50,
} as const;
/** NdisInterfacePci (NDIS_INTERFACE_TYPE), and the CM_PARTIAL_RESOURCE_LIST header's size. */
const INTERFACE_PCI = 5;
const RESOURCE_LIST_HEADER = 8;

/** A routine's status when `handle` is not an adapter: NDIS's checked build asserts; the free build fails. */
const withAdapter = (ctx: KernelContext, handle: number, body: (a: Adapter) => number): number => {
  const a = adapterOf(ctx, handle);
  return a ? body(a) : NDIS_STATUS.FAILURE;
};

/** The miniport timer's DPC calls the timer function with its context second, as NDIS's does. */
function initializeTimer(ctx: KernelContext, t: number, adapter: number, f: number, context: number): void {
  ctx.mem.write(t, new Uint8Array(MINIPORT_TIMER.size));
  ctx.mem.write(t, new Uint8Array([8])); // TimerNotificationObject
  const dpc = t + MINIPORT_TIMER.Dpc;
  ctx.mem.write(dpc, new Uint8Array([0x13, 0, 1])); // DpcObject, MediumImportance
  ctx.mem.setU32(dpc + KDPC.DeferredRoutine, f);
  ctx.mem.setU32(dpc + KDPC.DeferredContext, context);
  ctx.mem.setU32(t + MINIPORT_TIMER.Function, f);
  ctx.mem.setU32(t + MINIPORT_TIMER.Context, context);
  ctx.mem.setU32(t + MINIPORT_TIMER.Miniport, adapter);
}

function setTimer(ctx: KernelContext, t: number, ms: number, periodMs: number): void {
  ctx.clock.timers.set(t, {
    timer: t,
    due: ctx.clock.elapsed + 10_000 * ms,
    period: 10_000 * periodMs,
    dpc: t + MINIPORT_TIMER.Dpc,
  });
  ctx.mem.write(t + KTIMER.Inserted, new Uint8Array([1]));
  ctx.mem.setU32(t + KTIMER.SignalState, 0);
}

export const ndisHardwareExports: ExportHandler[] = [
  ndis(
    'NDIS_STATUS NdisMRegisterIoPortRange(OUT PVOID *PortOffset, NDIS_HANDLE MiniportAdapterHandle, UINT InitialPort, UINT NumberOfPorts)',
    (ctx, [out, handle, port, count]) =>
      withAdapter(ctx, handle!, (a) => {
        if (count === 0 || port! + count! > 0x10000) return NDIS_STATUS.RESOURCES;
        a.ports.push({ start: port!, count: count! });
        ctx.mem.setPtr(out!, port!); // x86: ports are addressed directly
        return NDIS_STATUS.SUCCESS;
      }),
  ),
  ndis(
    'VOID NdisMDeregisterIoPortRange(NDIS_HANDLE MiniportAdapterHandle, UINT InitialPort, UINT NumberOfPorts, PVOID PortOffset)',
    (ctx, [handle, port]) => {
      const a = adapterOf(ctx, handle!);
      if (a) a.ports = a.ports.filter((r) => r.start !== port);
      return undefined;
    },
  ),
  ndis(
    'NDIS_STATUS NdisMMapIoSpace(OUT PVOID *VirtualAddress, NDIS_HANDLE MiniportAdapterHandle, NDIS_PHYSICAL_ADDRESS PhysicalAddress, UINT Length)',
    (ctx, [out, handle, lo, hi, length]) =>
      withAdapter(ctx, handle!, () => {
        // Model (as MmMapIoSpace's): device memory is RAM the driver may use, one block per address.
        ctx.mem.setPtr(out!, 0);
        if (hi !== 0 || length === 0) return NDIS_STATUS.RESOURCES;
        const key = `io-space:${lo}`;
        const mapped =
          ctx.statics.get(key) ?? ctx.pool.allocate(length! + (lo! & 0xfff), 0, 'MmIo', 'kernel');
        if (mapped === null || mapped === undefined) return NDIS_STATUS.RESOURCES;
        ctx.statics.set(key, mapped);
        ctx.mem.setPtr(out!, mapped + (lo! & 0xfff));
        return NDIS_STATUS.SUCCESS;
      }),
  ),
  ndis(
    'VOID NdisMUnmapIoSpace(NDIS_HANDLE MiniportAdapterHandle, PVOID VirtualAddress, UINT Length)',
    () => undefined,
  ),
  ndis(
    'NDIS_STATUS NdisMRegisterInterrupt(OUT PNDIS_MINIPORT_INTERRUPT Interrupt, NDIS_HANDLE MiniportAdapterHandle, UINT InterruptVector, UINT InterruptLevel, BOOLEAN RequestIsr, BOOLEAN SharedInterrupt, NDIS_INTERRUPT_MODE InterruptMode)',
    (ctx, [interrupt, handle, vector, level, requestIsr, shared]) =>
      withAdapter(ctx, handle!, (a) => {
        // One interrupt per adapter; a second is the conflict NT reports. Model: none is ever raised.
        if (a.interrupt) return NDIS_STATUS.RESOURCE_CONFLICT;
        const chars = a.driver.handlers;
        const object = ctx.pool.allocate(0x40, 0, 'NDin', 'kernel') ?? 0;
        const m = MINIPORT_INTERRUPT;
        ctx.mem.write(interrupt!, new Uint8Array(m.size));
        ctx.mem.setU32(interrupt! + m.InterruptObject, object);
        ctx.mem.setU32(interrupt! + m.MiniportIsr, chars?.isr ?? 0);
        ctx.mem.setU32(interrupt! + m.MiniportDpc, chars?.handleInterrupt ?? 0);
        ctx.mem.setU32(interrupt! + m.Miniport, a.block);
        ctx.mem.write(interrupt! + m.SharedInterrupt, new Uint8Array([shared! & 0xff, requestIsr! & 0xff]));
        a.interrupt = { vector: vector!, level: level!, object };
        return NDIS_STATUS.SUCCESS;
      }),
  ),
  ndis('VOID NdisMDeregisterInterrupt(PNDIS_MINIPORT_INTERRUPT Interrupt)', (ctx, [interrupt]) => {
    const a = adapterOf(ctx, ctx.mem.u32(interrupt! + MINIPORT_INTERRUPT.Miniport));
    if (a?.interrupt) {
      ctx.pool.free(a.interrupt.object);
      a.interrupt = null;
    }
    return undefined;
  }),
  ndis(
    'NDIS_STATUS NdisMAllocateMapRegisters(NDIS_HANDLE MiniportAdapterHandle, UINT DmaChannel, BOOLEAN Dma32BitAddresses, ULONG PhysicalMapRegistersNeeded, ULONG MaximumPhysicalMapping)',
    (ctx, [handle]) =>
      withAdapter(ctx, handle!, (a) => {
        // Bus-master DMA only: the adapter must have said it is a bus master (NdisMSetAttributes).
        if (!a.attributes?.busMaster) return NDIS_STATUS.NOT_SUPPORTED;
        a.mapRegisters = true;
        return NDIS_STATUS.SUCCESS;
      }),
  ),
  ndis('VOID NdisMFreeMapRegisters(NDIS_HANDLE MiniportAdapterHandle)', (ctx, [handle]) => {
    const a = adapterOf(ctx, handle!);
    if (a) a.mapRegisters = false;
    return undefined;
  }),
  ndis(
    'VOID NdisMAllocateSharedMemory(NDIS_HANDLE MiniportAdapterHandle, ULONG Length, BOOLEAN Cached, OUT PVOID *VirtualAddress, OUT PNDIS_PHYSICAL_ADDRESS PhysicalAddress)',
    (ctx, [handle, length, , out, physical]) => {
      // Shared memory comes from the DMA adapter NdisMAllocateMapRegisters set up (ReactOS checks
      // SystemAdapterObject); without it, or out of pool, *VirtualAddress is NULL.
      ctx.mem.setPtr(out!, 0);
      const a = adapterOf(ctx, handle!);
      const va = a?.mapRegisters && length ? ctx.pool.allocate(length, 0, 'NDsh', 'driver') : null;
      if (!a || va === null || va === undefined) return undefined;
      a.shared.set(va, length!);
      ctx.mem.setPtr(out!, va);
      ctx.mem.setU32(physical!, physicalOf(va));
      ctx.mem.setU32(physical! + 4, 0);
      return undefined;
    },
  ),
  ndis(
    'VOID NdisMFreeSharedMemory(NDIS_HANDLE MiniportAdapterHandle, ULONG Length, BOOLEAN Cached, PVOID VirtualAddress, NDIS_PHYSICAL_ADDRESS PhysicalAddress)',
    (ctx, [handle, , , va]) => {
      const a = adapterOf(ctx, handle!);
      if (a?.shared.delete(va!)) ctx.pool.free(va!);
      return undefined;
    },
  ),
  ndis(
    'VOID NdisMQueryAdapterResources(OUT PNDIS_STATUS Status, NDIS_HANDLE WrapperConfigurationContext, OUT PNDIS_RESOURCE_LIST ResourceList, IN OUT PUINT BufferSize)',
    (ctx, [status, wrapperContext, list, size]) => {
      const a = ndisState(ctx).contexts.get(wrapperContext! >>> 0);
      const put = (s: number) => {
        ctx.mem.setU32(status!, s);
        return undefined;
      };
      if (!a) return put(NDIS_STATUS.FAILURE);
      // The HAL's bus model is a PC whose slots are empty: a PCI adapter is not found there, and no
      // bus assigned resources to any other, so its CM_PARTIAL_RESOURCE_LIST has no descriptors.
      if (busTypeOf(ctx, a) === INTERFACE_PCI) return put(NDIS_STATUS.ADAPTER_NOT_FOUND);
      const room = ctx.mem.u32(size!);
      ctx.mem.setU32(size!, RESOURCE_LIST_HEADER);
      if (room < RESOURCE_LIST_HEADER) return put(NDIS_STATUS.RESOURCES);
      ctx.mem.write(list!, new Uint8Array([1, 0, 1, 0, 0, 0, 0, 0])); // Version 1, Revision 1, Count 0
      return put(NDIS_STATUS.SUCCESS);
    },
  ),
  ndis(
    'ULONG NdisReadPciSlotInformation(NDIS_HANDLE NdisAdapterHandle, ULONG SlotNumber, ULONG Offset, PVOID Buffer, ULONG Length)',
    (ctx, [handle, , offset, buffer, length]) =>
      // HalGetBusDataByOffset(PCIConfiguration, bus 0, slot…): the HAL's answer for an empty slot.
      adapterOf(ctx, handle!) ? getBusData(ctx, BusData.PCIConfiguration, buffer!, offset!, length!) : 0,
  ),
  ndis(
    'ULONG NdisWritePciSlotInformation(NDIS_HANDLE NdisAdapterHandle, ULONG SlotNumber, ULONG Offset, PVOID Buffer, ULONG Length)',
    () => 0, // HalSetBusDataByOffset: nothing to write to in an empty slot
  ),
  ndis(
    'VOID NdisMInitializeTimer(IN OUT PNDIS_MINIPORT_TIMER Timer, NDIS_HANDLE MiniportAdapterHandle, PNDIS_TIMER_FUNCTION TimerFunction, PVOID FunctionContext)',
    (ctx, [t, handle, f, context]) => {
      initializeTimer(ctx, t!, handle!, f!, context!);
      return undefined;
    },
  ),
  ndis('VOID NdisMSetTimer(PNDIS_MINIPORT_TIMER Timer, UINT MillisecondsToDelay)', (ctx, [t, ms]) => {
    setTimer(ctx, t!, ms!, 0);
    return undefined;
  }),
  ndis('VOID NdisMSetPeriodicTimer(PNDIS_MINIPORT_TIMER Timer, UINT MillisecondPeriod)', (ctx, [t, ms]) => {
    setTimer(ctx, t!, ms!, ms!);
    return undefined;
  }),
  ndis('VOID NdisMCancelTimer(PNDIS_MINIPORT_TIMER Timer, OUT PBOOLEAN TimerCancelled)', (ctx, [t, out]) => {
    const was = ctx.clock.timers.delete(t!);
    const dpc = t! + MINIPORT_TIMER.Dpc;
    const queued = ctx.clock.dpcQueue.indexOf(dpc);
    if (queued >= 0) ctx.clock.dpcQueue.splice(queued, 1);
    ctx.mem.write(t! + KTIMER.Inserted, new Uint8Array([0]));
    ctx.mem.write(out!, new Uint8Array([was ? 1 : 0]));
    return undefined;
  }),
];

/** The adapter's bus: what NdisMSetAttributes said, else its BusType parameter, else ISA (1). */
function busTypeOf(ctx: KernelContext, a: Adapter): number {
  if (a.attributes) return a.attributes.interfaceType;
  const v = ctx.registry?.key(a.configKey)?.key.values.get('bustype');
  return v && v.data.length >= 4 ? new DataView(v.data.buffer, v.data.byteOffset, 4).getUint32(0, true) : 1;
}
