// The HAL's machine services (model: a uniprocessor ISA/PCI PC with no devices but the CMOS clock):
// bus data, interrupt vectors, bus address translation, DMA adapters, the stall loop and the
// performance counter on the virtual clock, the real-time clock, display and firmware return.

import { READ_COST } from '../../clock.js';
import type { KernelContext } from '../../context.js';
import { defineExport, defineShared, type ExportHandler } from '../../registry.js';
import { advanceClock } from '../ntoskrnl/ke-clock.js';
import { writeTimeFields } from '../ntoskrnl/rtl-memory.js';

const hal = (prototype: string, impl: ExportHandler['impl']) =>
  defineExport({ module: 'hal', prototype, impl });

/** BUS_DATA_TYPE values the HAL knows. */
export const BusData = {
  Cmos: 0,
  EisaConfiguration: 1,
  Pos: 2,
  CbusConfiguration: 3,
  PCIConfiguration: 4,
} as const;
/** PC HAL: vectors start at PRIMARY_VECTOR_BASE 0x30, IRQL = PROFILE_LEVEL (27) - IRQ. */
const PRIMARY_VECTOR_BASE = 0x30;
const PROFILE_LEVEL = 27;
/** Model: physical addresses of pool memory are its virtual ones less the kernel's 0x80000000. */
export const physicalOf = (va: number) => (va - 0x80000000) >>> 0;

/** HalGetBusData(ByOffset): CMOS bytes through ports 0x70/0x71; PCI slots are empty (VendorID 0xFFFF). */
export function getBusData(
  ctx: KernelContext,
  type: number,
  buffer: number,
  offset: number,
  length: number,
): number {
  if (type === BusData.Cmos) {
    const out = new Uint8Array(Math.min(length, 0x40 - Math.min(offset, 0x40)));
    for (let i = 0; i < out.length; i++) {
      ctx.ports.write(0x70, 1, offset + i);
      out[i] = ctx.ports.read(0x71, 1);
    }
    ctx.mem.write(buffer, out);
    return out.length;
  }
  if (type === BusData.PCIConfiguration) {
    // No device in any slot: a read of the vendor id gives PCI_INVALID_VENDORID and the HAL
    // returns 2 (the bytes of VendorID), as the DDK documents for an empty slot.
    if (offset === 0 && length >= 2) ctx.mem.setU16(buffer, 0xffff);
    return offset === 0 && length >= 2 ? 2 : 0;
  }
  return 0; // no such bus
}

export const halMachineExports: ExportHandler[] = [
  hal('BOOLEAN HalInitSystem(ULONG Phase, PVOID LoaderBlock)', () => 1),
  hal(
    'ULONG HalGetBusData(BUS_DATA_TYPE BusDataType, ULONG BusNumber, ULONG SlotNumber, PVOID Buffer, ULONG Length)',
    (ctx, [type, bus, , buffer, length]) => (bus === 0 ? getBusData(ctx, type!, buffer!, 0, length!) : 0),
  ),
  hal(
    'ULONG HalGetBusDataByOffset(BUS_DATA_TYPE BusDataType, ULONG BusNumber, ULONG SlotNumber, PVOID Buffer, ULONG Offset, ULONG Length)',
    (ctx, [type, bus, , buffer, offset, length]) =>
      bus === 0 ? getBusData(ctx, type!, buffer!, offset!, length!) : 0,
  ),
  hal(
    'ULONG HalSetBusData(BUS_DATA_TYPE BusDataType, ULONG BusNumber, ULONG SlotNumber, PVOID Buffer, ULONG Length)',
    () => 0,
  ),
  hal(
    'ULONG HalSetBusDataByOffset(BUS_DATA_TYPE BusDataType, ULONG BusNumber, ULONG SlotNumber, PVOID Buffer, ULONG Offset, ULONG Length)',
    () => 0,
  ),
  hal(
    'ULONG HalGetInterruptVector(INTERFACE_TYPE InterfaceType, ULONG BusNumber, ULONG BusInterruptLevel, ULONG BusInterruptVector, OUT PKIRQL Irql, OUT PKAFFINITY Affinity)',
    (ctx, [, , level, , irql, affinity]) => {
      if (level! > 15) return 0;
      ctx.mem.write(irql!, new Uint8Array([PROFILE_LEVEL - level!]));
      ctx.mem.setU32(affinity!, 1);
      return PRIMARY_VECTOR_BASE + level!;
    },
  ),
  hal(
    'BOOLEAN HalTranslateBusAddress(INTERFACE_TYPE InterfaceType, ULONG BusNumber, PHYSICAL_ADDRESS BusAddress, IN OUT PULONG AddressSpace, OUT PPHYSICAL_ADDRESS TranslatedAddress)',
    (ctx, [, , lo, hi, , out]) => {
      // ISA/EISA/PCI on a PC: bus addresses are processor addresses, I/O stays I/O.
      ctx.mem.setU32(out!, lo!);
      ctx.mem.setU32(out! + 4, hi!);
      return 1;
    },
  ),
  hal(
    'PADAPTER_OBJECT HalGetAdapter(PDEVICE_DESCRIPTION DeviceDescription, IN OUT PULONG NumberOfMapRegisters)',
    (ctx, [, n]) => {
      const adapter = ctx.statics.get('hal.adapter') ?? ctx.pool.allocate(0x40, 0, 'Adap', 'kernel') ?? 0;
      ctx.statics.set('hal.adapter', adapter);
      ctx.mem.setU32(n!, 16); // map registers the model grants each adapter
      return adapter;
    },
  ),
  hal(
    'PVOID HalAllocateCommonBuffer(PADAPTER_OBJECT AdapterObject, ULONG Length, OUT PPHYSICAL_ADDRESS LogicalAddress, BOOLEAN CacheEnabled)',
    (ctx, [, length, logical]) => {
      const va = ctx.pool.allocate(length!, 0, 'Dma ', 'driver');
      if (va === null) return 0;
      ctx.mem.setU32(logical!, physicalOf(va));
      ctx.mem.setU32(logical! + 4, 0);
      return va;
    },
  ),
  hal(
    'VOID HalFreeCommonBuffer(PADAPTER_OBJECT AdapterObject, ULONG Length, PHYSICAL_ADDRESS LogicalAddress, PVOID VirtualAddress, BOOLEAN CacheEnabled)',
    (ctx, [, , , , va]) => {
      ctx.pool.free(va!);
      return undefined;
    },
  ),
  hal('VOID KeStallExecutionProcessor(ULONG MicroSeconds)', (ctx, [us]) => {
    advanceClock(ctx, 10 * (us! >>> 0));
    return undefined;
  }),
  // The HAL's on x86; AMD64 drivers import it from ntoskrnl (WinDivert64.sys does).
  ...defineShared(['hal', 'ntoskrnl'], {
    prototype: 'LARGE_INTEGER KeQueryPerformanceCounter(OUT PLARGE_INTEGER PerformanceFrequency)',
    impl: (ctx, [freq]) => {
      if (freq) {
        ctx.mem.setU32(freq, 1_193_182);
        ctx.mem.setU32(freq + 4, 0);
      }
      advanceClock(ctx, READ_COST);
      return ctx.clock.performanceCounter();
    },
  }),
  hal('BOOLEAN HalQueryRealTimeClock(OUT PTIME_FIELDS TimeFields)', (ctx, [f]) => {
    writeTimeFields(ctx, f!, ctx.clock.systemTime());
    return 1;
  }),
  hal('BOOLEAN HalSetRealTimeClock(PTIME_FIELDS TimeFields)', () => 1),
  hal('VOID HalDisplayString(PUCHAR String)', (ctx, [s]) => {
    ctx.log.add({
      type: 'dbgprint',
      text: `[HalDisplayString] ${ctx.mem.cString(s!, 512)}`,
      caller: ctx.caller,
    });
    return undefined;
  }),
  hal('BOOLEAN HalMakeBeep(ULONG Frequency)', () => 1),
  hal('VOID HalRequestIpi(KAFFINITY Mask)', () => undefined),
  hal('BOOLEAN HalStartNextProcessor(PVOID LoaderBlock, PVOID ProcessorState)', () => 0),
  hal('VOID HalReturnToFirmware(FIRMWARE_REENTRY Routine)', (ctx, [routine]) => {
    ctx.stop(`HalReturnToFirmware(${routine}): the machine leaves NT`);
    return undefined;
  }),
  hal('ULONG HalReadDmaCounter(PADAPTER_OBJECT AdapterObject)', () => 0),
];
