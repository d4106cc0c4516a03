// The NDIS 3.0 wrapper (ndis.sys) a miniport or protocol driver calls: protocol registration, memory,
// spin locks, timers on the virtual clock, packet and buffer pools, strings; with the miniport side
// (miniport.ts: registration and adapter initialisation; config.ts: configuration reads;
// hardware.ts: ports, memory, interrupts, DMA, bus data and miniport timers).
import type { KernelContext } from '../../context.js';
import { defineExport, type ExportHandler } from '../../registry.js';
import { acquireLock, DISPATCH_LEVEL, releaseLock, swapIrql } from '../hal/irql.js';
import { initMdl, mdlBytes } from '../ntoskrnl/io-more.js';
import { advanceClock } from '../ntoskrnl/ke-clock.js';
import { runDpcs } from '../ntoskrnl/ke-dispatcher.js';
import { RtlInitUnicodeString } from '../ntoskrnl/rtl.js';
import { rtlStringExports } from '../ntoskrnl/rtl-string.js';
import { ndisConfigExports } from './config.js';
import { ndisHardwareExports } from './hardware.js';
import { ndisMiniportExports } from './miniport.js';

const RtlEqualUnicodeString = rtlStringExports.find((h) => h.name === 'RtlEqualUnicodeString')!;

const ndis = (prototype: string, impl: ExportHandler['impl']) =>
  defineExport({ module: 'ndis', prototype, impl });
const NDIS_STATUS_SUCCESS = 0;
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
    'VOID NdisInitUnicodeString(OUT PNDIS_STRING DestinationString, PCWSTR SourceString)',
    RtlInitUnicodeString.impl,
  ),
  ndis(
    'BOOLEAN NdisEqualString(PNDIS_STRING String1, PNDIS_STRING String2, BOOLEAN CaseInsensitive)',
    RtlEqualUnicodeString.impl,
  ),
  // KeDelayExecutionThread's: time passes and the DPCs of timers it made due run.
  ndis('VOID NdisMSleep(ULONG MicrosecondsToSleep)', (ctx, [us]) => {
    advanceClock(ctx, 10 * us!);
    return runDpcs(ctx, () => undefined);
  }),
  ...ndisMiniportExports,
  ...ndisConfigExports,
  ...ndisHardwareExports,
];
