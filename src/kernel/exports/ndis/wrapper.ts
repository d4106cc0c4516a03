// The NDIS 3.0 wrapper (ndis.sys) a miniport or protocol driver calls: wrapper and driver
// registration (recorded; the model has no adapter to bind, so MiniportInitialize is not called),
// memory, spin locks, timers on the virtual clock, configuration reads (the model's registry holds
// no adapter parameters), packet and buffer pools, I/O port ranges.
import type { KernelContext } from '../../context.js';
import { defineExport, type ExportHandler } from '../../registry.js';
import { acquireLock, DISPATCH_LEVEL, releaseLock, swapIrql } from '../hal/irql.js';
import { initMdl, mdlBytes } from '../ntoskrnl/io-more.js';
import { advanceClock } from '../ntoskrnl/ke-clock.js';
import { RtlInitUnicodeString } from '../ntoskrnl/rtl.js';
import { rtlStringExports } from '../ntoskrnl/rtl-string.js';

const RtlEqualUnicodeString = rtlStringExports.find((h) => h.name === 'RtlEqualUnicodeString')!;

const ndis = (prototype: string, impl: ExportHandler['impl']) =>
  defineExport({ module: 'ndis', prototype, impl });
const NDIS_STATUS_SUCCESS = 0;
const NDIS_STATUS_FAILURE = 0xc0000001;
const NDIS_STATUS_RESOURCES = 0xc000009a;
/** NDIS_TIMER { KTIMER Timer (0x28); KDPC Dpc; } */
const TIMER_DPC = 0x28;

function allocate(ctx: KernelContext, out: number, length: number, tag: string): number {
  const p = ctx.pool.allocate(length, 0, tag, 'driver');
  ctx.mem.setU32(out, p ?? 0);
  return p === null ? NDIS_STATUS_RESOURCES : NDIS_STATUS_SUCCESS;
}
/** A handle the wrapper hands out: a small pool block tagged for what it stands for. */
function handle(ctx: KernelContext, tag: string): number {
  const h = ctx.pool.allocate(0x20, 0, tag, 'kernel') ?? 0;
  if (h) ctx.mem.write(h, new Uint8Array(0x20));
  return h;
}

export const ndisWrapperExports: ExportHandler[] = [
  ndis(
    'VOID NdisMInitializeWrapper(OUT PNDIS_HANDLE NdisWrapperHandle, PVOID SystemSpecific1, PVOID SystemSpecific2, PVOID SystemSpecific3)',
    (ctx, [out, driver]) => {
      const h = handle(ctx, 'NdWr');
      if (h) ctx.mem.setU32(h, driver!);
      ctx.mem.setU32(out!, h);
      return undefined;
    },
  ),
  ndis('VOID NdisTerminateWrapper(NDIS_HANDLE NdisWrapperHandle, PVOID SystemSpecific)', () => undefined),
  ndis(
    'NDIS_STATUS NdisMRegisterMiniport(NDIS_HANDLE NdisWrapperHandle, PNDIS_MINIPORT_CHARACTERISTICS MiniportCharacteristics, UINT CharacteristicsLength)',
    (ctx, [h, chars, length]) => {
      // NDIS_MINIPORT_CHARACTERISTICS starts with MajorNdisVersion, MinorNdisVersion (UCHARs).
      const major = ctx.mem.u8(chars!);
      if (major !== 3 && major !== 4 && major !== 5) return 0xc0010024; // NDIS_STATUS_BAD_VERSION
      if (length! < 0x34) return 0xc0010025; // NDIS_STATUS_BAD_CHARACTERISTICS
      ctx.mem.setU32(h! + 4, chars!);
      return NDIS_STATUS_SUCCESS;
    },
  ),
  ndis(
    'VOID NdisRegisterProtocol(OUT PNDIS_STATUS Status, OUT PNDIS_HANDLE NdisProtocolHandle, PNDIS_PROTOCOL_CHARACTERISTICS ProtocolCharacteristics, UINT CharacteristicsLength)',
    (ctx, [status, out]) => {
      ctx.mem.setU32(out!, handle(ctx, 'NdPr'));
      ctx.mem.setU32(status!, NDIS_STATUS_SUCCESS);
      return undefined;
    },
  ),
  ndis(
    'VOID NdisDeregisterProtocol(OUT PNDIS_STATUS Status, NDIS_HANDLE NdisProtocolHandle)',
    (ctx, [status]) => {
      ctx.mem.setU32(status!, NDIS_STATUS_SUCCESS);
      return undefined;
    },
  ),
  ndis(
    'VOID NdisMSetAttributes(NDIS_HANDLE MiniportAdapterHandle, NDIS_HANDLE MiniportAdapterContext, BOOLEAN BusMaster, NDIS_INTERFACE_TYPE AdapterType)',
    () => undefined,
  ),
  ndis(
    'NDIS_STATUS NdisAllocateMemory(OUT PVOID *VirtualAddress, UINT Length, UINT MemoryFlags, NDIS_PHYSICAL_ADDRESS HighestAcceptableAddress)',
    (ctx, [out, n]) => allocate(ctx, out!, n!, 'NDmm'),
  ),
  ndis(
    'NDIS_STATUS NdisAllocateMemoryWithTag(OUT PVOID *VirtualAddress, UINT Length, ULONG Tag)',
    (ctx, [out, n]) => allocate(ctx, out!, n!, 'NDmt'),
  ),
  ndis('VOID NdisFreeMemory(PVOID VirtualAddress, UINT Length, UINT MemoryFlags)', (ctx, [p]) => {
    ctx.pool.free(p!);
    return undefined;
  }),
  ndis('VOID NdisAllocateSpinLock(OUT PNDIS_SPIN_LOCK SpinLock)', (ctx, [l]) => {
    ctx.mem.setU32(l!, 0);
    ctx.mem.setU32(l! + 4, 0);
    return undefined;
  }),
  ndis('VOID NdisFreeSpinLock(PNDIS_SPIN_LOCK SpinLock)', () => undefined),
  ndis('VOID NdisAcquireSpinLock(PNDIS_SPIN_LOCK SpinLock)', (ctx, [l]) => {
    if (acquireLock(ctx, l!, 'NDIS spin lock'))
      ctx.mem.write(l! + 4, new Uint8Array([swapIrql(ctx, DISPATCH_LEVEL)]));
    return undefined;
  }),
  ndis('VOID NdisReleaseSpinLock(PNDIS_SPIN_LOCK SpinLock)', (ctx, [l]) => {
    releaseLock(ctx, l!);
    swapIrql(ctx, ctx.mem.u8(l! + 4));
    return undefined;
  }),
  ndis('VOID NdisDprAcquireSpinLock(PNDIS_SPIN_LOCK SpinLock)', (ctx, [l]) => {
    acquireLock(ctx, l!, 'NDIS spin lock');
    return undefined;
  }),
  ndis('VOID NdisDprReleaseSpinLock(PNDIS_SPIN_LOCK SpinLock)', (ctx, [l]) => {
    releaseLock(ctx, l!);
    return undefined;
  }),
  ndis(
    'VOID NdisInitializeTimer(IN OUT PNDIS_TIMER Timer, PNDIS_TIMER_FUNCTION TimerFunction, PVOID FunctionContext)',
    (ctx, [t, f, c]) => {
      ctx.mem.write(t!, new Uint8Array(TIMER_DPC + 0x20));
      ctx.mem.setU32(t! + TIMER_DPC + 0x0c, f!); // KDPC.DeferredRoutine
      ctx.mem.setU32(t! + TIMER_DPC + 0x10, c!); // KDPC.DeferredContext
      return undefined;
    },
  ),
  ndis('VOID NdisSetTimer(PNDIS_TIMER Timer, UINT MillisecondsToDelay)', (ctx, [t, ms]) => {
    ctx.clock.timers.set(t!, {
      timer: t!,
      due: ctx.clock.elapsed + 10_000 * ms!,
      period: 0,
      dpc: t! + TIMER_DPC,
    });
    return undefined;
  }),
  ndis('VOID NdisCancelTimer(PNDIS_TIMER Timer, OUT PBOOLEAN TimerCancelled)', (ctx, [t, out]) => {
    ctx.mem.write(out!, new Uint8Array([ctx.clock.timers.delete(t!) ? 1 : 0]));
    return undefined;
  }),
  ndis('VOID NdisStallExecution(UINT MicrosecondsToStall)', (ctx, [us]) => {
    advanceClock(ctx, 10 * us!);
    return undefined;
  }),
  ndis(
    'VOID NdisOpenConfiguration(OUT PNDIS_STATUS Status, OUT PNDIS_HANDLE ConfigurationHandle, NDIS_HANDLE WrapperConfigurationContext)',
    (ctx, [status, out]) => {
      ctx.mem.setU32(out!, handle(ctx, 'NdCf'));
      ctx.mem.setU32(status!, NDIS_STATUS_SUCCESS);
      return undefined;
    },
  ),
  ndis(
    'VOID NdisReadConfiguration(OUT PNDIS_STATUS Status, OUT PNDIS_CONFIGURATION_PARAMETER *ParameterValue, NDIS_HANDLE ConfigurationHandle, PNDIS_STRING Keyword, NDIS_PARAMETER_TYPE ParameterType)',
    (ctx, [status, out]) => {
      ctx.mem.setU32(out!, 0);
      ctx.mem.setU32(status!, NDIS_STATUS_FAILURE); // the model's adapter key has no parameters
      return undefined;
    },
  ),
  ndis('VOID NdisCloseConfiguration(NDIS_HANDLE ConfigurationHandle)', () => undefined),
  ndis(
    'VOID NdisWriteErrorLogEntry(NDIS_HANDLE NdisAdapterHandle, NDIS_ERROR_CODE ErrorCode, ULONG NumberOfErrorValues, ...)',
    (ctx, [, code, n]) => {
      ctx.log.add({
        type: 'dbgprint',
        text: `[NdisWriteErrorLogEntry] error 0x${code!.toString(16).padStart(8, '0')} with ${n} values\n`,
        caller: ctx.caller,
      });
      return undefined;
    },
  ),
  ndis(
    'VOID NdisAllocatePacketPool(OUT PNDIS_STATUS Status, OUT PNDIS_HANDLE PoolHandle, UINT NumberOfDescriptors, UINT ProtocolReservedLength)',
    (ctx, [status, out, , reserved]) => {
      const h = handle(ctx, 'NdPP');
      if (h) ctx.mem.setU32(h, reserved!);
      ctx.mem.setU32(out!, h);
      ctx.mem.setU32(status!, h ? NDIS_STATUS_SUCCESS : NDIS_STATUS_RESOURCES);
      return undefined;
    },
  ),
  ndis('VOID NdisFreePacketPool(NDIS_HANDLE PoolHandle)', (ctx, [h]) => {
    ctx.pool.free(h!);
    return undefined;
  }),
  ndis(
    'VOID NdisAllocatePacket(OUT PNDIS_STATUS Status, OUT PNDIS_PACKET *Packet, NDIS_HANDLE PoolHandle)',
    (ctx, [status, out, pool]) => {
      // NDIS_PACKET (3.0): Private (0x48 bytes: PhysicalCount, TotalLength, Head, Tail, Pool…), ProtocolReserved.
      const size = 0x48 + ctx.mem.u32(pool!);
      const p = ctx.pool.allocate(size, 0, 'NdPk', 'driver');
      if (p) {
        ctx.mem.write(p, new Uint8Array(size));
        ctx.mem.setU32(p + 0x10, pool!);
      }
      ctx.mem.setU32(out!, p ?? 0);
      ctx.mem.setU32(status!, p ? NDIS_STATUS_SUCCESS : NDIS_STATUS_RESOURCES);
      return undefined;
    },
  ),
  ndis('VOID NdisFreePacket(PNDIS_PACKET Packet)', (ctx, [p]) => {
    ctx.pool.free(p!);
    return undefined;
  }),
  ndis(
    'VOID NdisAllocateBufferPool(OUT PNDIS_STATUS Status, OUT PNDIS_HANDLE PoolHandle, UINT NumberOfDescriptors)',
    (ctx, [status, out]) => {
      ctx.mem.setU32(out!, handle(ctx, 'NdBP'));
      ctx.mem.setU32(status!, NDIS_STATUS_SUCCESS);
      return undefined;
    },
  ),
  ndis('VOID NdisFreeBufferPool(NDIS_HANDLE PoolHandle)', (ctx, [h]) => {
    ctx.pool.free(h!);
    return undefined;
  }),
  ndis(
    'VOID NdisAllocateBuffer(OUT PNDIS_STATUS Status, OUT PNDIS_BUFFER *Buffer, NDIS_HANDLE PoolHandle, PVOID VirtualAddress, UINT Length)',
    (ctx, [status, out, , va, n]) => {
      // NDIS_BUFFER is an MDL.
      const mdl = ctx.pool.allocate(mdlBytes(ctx, va!, n!), 0, 'NdBf', 'driver');
      if (mdl) initMdl(ctx, mdl, va!, n!, 0);
      ctx.mem.setU32(out!, mdl ?? 0);
      ctx.mem.setU32(status!, mdl ? NDIS_STATUS_SUCCESS : NDIS_STATUS_RESOURCES);
      return undefined;
    },
  ),
  ndis('VOID NdisFreeBuffer(PNDIS_BUFFER Buffer)', (ctx, [b]) => {
    ctx.pool.free(b!);
    return undefined;
  }),
  ndis(
    'NDIS_STATUS NdisMRegisterIoPortRange(OUT PVOID *PortOffset, NDIS_HANDLE MiniportAdapterHandle, UINT InitialPort, UINT NumberOfPorts)',
    (ctx, [out, , port]) => {
      ctx.mem.setU32(out!, port!); // x86: ports are addressed directly
      return NDIS_STATUS_SUCCESS;
    },
  ),
  ndis(
    'VOID NdisMDeregisterIoPortRange(NDIS_HANDLE MiniportAdapterHandle, UINT InitialPort, UINT NumberOfPorts, PVOID PortOffset)',
    () => undefined,
  ),
  ndis(
    'VOID NdisInitUnicodeString(OUT PNDIS_STRING DestinationString, PCWSTR SourceString)',
    RtlInitUnicodeString.impl,
  ),
  ndis(
    'BOOLEAN NdisEqualString(PNDIS_STRING String1, PNDIS_STRING String2, BOOLEAN CaseInsensitive)',
    RtlEqualUnicodeString.impl,
  ),
  ndis('VOID NdisMSleep(ULONG MicrosecondsToSleep)', (ctx, [us]) => {
    advanceClock(ctx, 10 * us!);
    return undefined;
  }),
];
