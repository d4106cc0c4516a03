// Time on the virtual clock (src/kernel/clock.ts): KeQuerySystemTime, KeQueryTickCount,
// KeQueryInterruptTime, KeQueryTimeIncrement, the KeTickCount data export, and advanceClock, which
// every routine that lets time pass calls: it keeps KeTickCount current, signals due timers and
// queues their DPCs.
import { READ_COST, TIME_INCREMENT } from '../../clock.js';
import type { KernelContext } from '../../context.js';
import { defineData, defineExport, type ExportHandler } from '../../registry.js';

const put64 = (ctx: KernelContext, at: number, v: bigint) => {
  ctx.mem.setU32(at, Number(v & 0xffffffffn));
  ctx.mem.setU32(at + 4, Number((v >> 32n) & 0xffffffffn));
};

/** Queues a KDPC unless it is queued already; returns whether it was queued now. */
export function queueDpc(ctx: KernelContext, dpc: number, arg1: number, arg2: number): boolean {
  if (ctx.clock.dpcQueue.includes(dpc)) return false;
  const D = ctx.mem.layouts.KDPC;
  ctx.mem.setPtr(dpc + D.SystemArgument1, arg1);
  ctx.mem.setPtr(dpc + D.SystemArgument2, arg2);
  ctx.clock.dpcQueue.push(dpc);
  return true;
}

/** Lets `units` (100 ns) pass: KeTickCount follows, due timers are signalled and their DPCs queued. */
export function advanceClock(ctx: KernelContext, units: number): void {
  const due = ctx.clock.advance(units);
  const ticks = ctx.clock.tickCount();
  for (const at of ctx.clock.tickCounters) {
    ctx.mem.setU32(at, ticks);
    ctx.mem.setU32(at + 4, 0);
    ctx.mem.setU32(at + 8, 0);
  }
  for (const t of due) {
    const T = ctx.mem.layouts.KTIMER;
    ctx.mem.setU32(t.timer + T.SignalState, 1);
    if (t.period === 0) ctx.mem.write(t.timer + T.Inserted, new Uint8Array([0]));
    const time = ctx.clock.systemTime();
    if (t.dpc) queueDpc(ctx, t.dpc, Number(time & 0xffffffffn), Number(time >> 32n));
  }
}

const nt = (prototype: string, impl: ExportHandler['impl']) =>
  defineExport({ module: 'ntoskrnl', prototype, impl });

export const keClockExports: ExportHandler[] = [
  nt('VOID KeQuerySystemTime(OUT PLARGE_INTEGER CurrentTime)', (ctx, [out]) => {
    advanceClock(ctx, READ_COST);
    put64(ctx, out!, ctx.clock.systemTime());
    return undefined;
  }),
  nt('VOID KeQueryTickCount(OUT PLARGE_INTEGER TickCount)', (ctx, [out]) => {
    advanceClock(ctx, READ_COST);
    put64(ctx, out!, BigInt(ctx.clock.tickCount()));
    return undefined;
  }),
  nt('ULONGLONG KeQueryInterruptTime(VOID)', (ctx) => {
    advanceClock(ctx, READ_COST);
    return BigInt(ctx.clock.elapsed);
  }),
  nt('ULONG KeQueryTimeIncrement(VOID)', () => TIME_INCREMENT),
  nt(
    'VOID ExSystemTimeToLocalTime(PLARGE_INTEGER SystemTime, OUT PLARGE_INTEGER LocalTime)',
    (ctx, [s, l]) => {
      // Model: the machine's time zone is UTC.
      ctx.mem.setU32(l!, ctx.mem.u32(s!));
      ctx.mem.setU32(l! + 4, ctx.mem.u32(s! + 4));
      return undefined;
    },
  ),
  nt(
    'VOID ExLocalTimeToSystemTime(PLARGE_INTEGER LocalTime, OUT PLARGE_INTEGER SystemTime)',
    (ctx, [l, s]) => {
      ctx.mem.setU32(s!, ctx.mem.u32(l!));
      ctx.mem.setU32(s! + 4, ctx.mem.u32(l! + 4));
      return undefined;
    },
  ),
  defineData({
    module: 'ntoskrnl',
    declaration: 'KSYSTEM_TIME KeTickCount',
    size: 12,
    init: (ctx, at) => {
      ctx.clock.tickCounters.push(at);
      ctx.mem.setU32(at, ctx.clock.tickCount());
    },
  }),
];
