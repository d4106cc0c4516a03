// The dispatcher on the virtual clock (model: one processor, deterministic, cooperative threads in
// src/kernel/scheduler.ts): mutexes, semaphores, timers, DPCs, waits and delays, work items, thread
// switches. Nothing runs behind the driver's back: a wait that is not satisfied gives the processor
// to another thread that can run; when none can, time passes to the next timer or timeout (running
// the DPCs it queues) until the object is signalled, the timeout passes, or nothing is left that
// could signal it, where the run stops as a hang. DPCs run when queued below DISPATCH_LEVEL and at
// waits; work items at waits.
import type { KernelContext } from '../../context.js';
import {
  type ContinueContext,
  defineExport,
  type ExportHandler,
  guestCall,
  type HandlerResult,
} from '../../registry.js';
import type { ThreadWait } from '../../scheduler.js';
import { NTSTATUS } from '../status.js';
import { advanceClock, queueDpc } from './ke-clock.js';

/** DISPATCHER_HEADER.Type values. */
const Type = {
  NotificationEvent: 0,
  SynchronizationEvent: 1,
  Mutant: 2,
  Semaphore: 5,
  NotificationTimer: 8,
  SynchronizationTimer: 9,
};
/** DISPATCHER_HEADER: the same offsets on x86 and AMD64 up to the wait list (objects.ts KEVENT). */
const H = { Type: 0, Size: 2, Inserted: 3, SignalState: 4 } as const;
const STATUS_TIMEOUT = 0x102;
const DISPATCH_LEVEL = 2;

/**
 * DISPATCHER_HEADER (Type, Size in ULONGs, SignalState, an empty wait list) and the rest of the
 * object's `sizeBytes` zeroed, at the guest's layouts (objects.ts).
 */
function initObject(ctx: KernelContext, at: number, type: number, sizeBytes: number, state: number): void {
  const list = ctx.mem.layouts.KEVENT.WaitListHead;
  const b = new Uint8Array(sizeBytes);
  b[H.Type] = type;
  b[H.Size] = sizeBytes >>> 2;
  new DataView(b.buffer).setInt32(H.SignalState, state, true);
  ctx.mem.write(at, b);
  ctx.mem.setPtr(at + list, at + list);
  ctx.mem.setPtr(at + list + ctx.mem.pointerSize, at + list);
}
const owner = (ctx: KernelContext, m: number) => ctx.mem.ptr(m + ctx.mem.layouts.KMUTANT.OwnerThread);
const setOwner = (ctx: KernelContext, m: number, thread: number) =>
  ctx.mem.setPtr(m + ctx.mem.layouts.KMUTANT.OwnerThread, thread);
const state = (ctx: KernelContext, o: number) => ctx.mem.u32(o + H.SignalState) | 0;
const setState = (ctx: KernelContext, o: number, v: number) => ctx.mem.setU32(o + H.SignalState, v);

/** The running thread's ETHREAD (the System thread until a system thread runs). */
export const currentThread = (ctx: KernelContext): number =>
  ctx.threads ? ctx.threads.current.body : ctx.ob.systemContext().thread.body;

/** Whether `thread` (default: the running one) could acquire `o` now. */
function signalled(ctx: KernelContext, o: number, thread?: number): boolean {
  const type = ctx.mem.u8(o + H.Type);
  if (type === Type.Mutant) return state(ctx, o) > 0 || owner(ctx, o) === (thread ?? currentThread(ctx));
  return state(ctx, o) > 0;
}
/** Satisfies a wait on `o`: synchronization objects are reset, semaphores counted down, mutexes owned. */
function satisfy(ctx: KernelContext, o: number): void {
  const type = ctx.mem.u8(o + H.Type);
  if (type === Type.SynchronizationEvent || type === Type.SynchronizationTimer) setState(ctx, o, 0);
  else if (type === Type.Semaphore) setState(ctx, o, state(ctx, o) - 1);
  else if (type === Type.Mutant) {
    setState(ctx, o, state(ctx, o) - 1);
    setOwner(ctx, o, currentThread(ctx));
  }
}

/** Runs queued DPCs as guest calls (at DISPATCH_LEVEL), then `then`. */
export function runDpcs(ctx: KernelContext, then: () => HandlerResult): HandlerResult {
  const dpc = ctx.clock.dpcQueue.shift();
  if (dpc === undefined) return then();
  const D = ctx.mem.layouts.KDPC;
  const routine = ctx.mem.ptr(dpc + D.DeferredRoutine);
  const args = [
    dpc,
    ctx.mem.ptr(dpc + D.DeferredContext),
    ctx.mem.ptr(dpc + D.SystemArgument1),
    ctx.mem.ptr(dpc + D.SystemArgument2),
  ];
  const irql = ctx.irql;
  ctx.irql = DISPATCH_LEVEL;
  return guestCall(routine, args, () => {
    ctx.irql = irql;
    return runDpcs(ctx, then);
  });
}

/** Pending work items (routine and its arguments), run in order at the next wait or delay. */
const workQueues = new WeakMap<object, [number, number[]][]>();
export function queueWork(ctx: KernelContext, routine: number, args: number[]): void {
  const q = workQueues.get(ctx.clock) ?? [];
  q.push([routine, args]);
  workQueues.set(ctx.clock, q);
}
function runWork(ctx: KernelContext, then: () => HandlerResult): HandlerResult {
  const item = workQueues.get(ctx.clock)?.shift();
  if (!item) return then();
  return guestCall(item[0], item[1], () => runWork(ctx, then));
}

const read64 = (ctx: KernelContext, at: number) =>
  BigInt.asIntN(64, (BigInt(ctx.mem.u32(at + 4)) << 32n) | BigInt(ctx.mem.u32(at)));

const earliest = (...times: (number | null)[]): number | null =>
  times.reduce<number | null>((a, t) => (t === null ? a : a === null || t < a ? t : a), null);
const CONTINUE: ContinueContext = { kind: 'continue' };

/**
 * The current thread cannot go on until `wait.ready()`: another thread that can run gets the
 * processor (the wait is a guest call of the switch routine, and `retry` runs when this thread is
 * switched back in); when none can, time passes to the next timer or timeout, any thread's, running
 * the DPCs due, and `retry` runs; when nothing is due either, the run stops as a hang.
 */
function block(ctx: KernelContext, wait: ThreadWait, retry: () => HandlerResult): HandlerResult {
  const threads = ctx.threads?.active ? ctx.threads : null;
  if (threads && threads.next() !== null && ctx.hostRoutine) {
    threads.current.wait = wait;
    return guestCall(threadRoutines(ctx).swap, [], retry);
  }
  const until = earliest(ctx.clock.nextDue(), wait.deadline, threads?.nextDeadline() ?? null);
  if (until === null) {
    const others = threads?.othersWaiting().length ?? 0;
    ctx.stop(
      `hang: the thread waits for ${wait.what}, which nothing can signal${others ? `; ${others} other thread${others > 1 ? 's wait' : ' waits'} too` : ''}`,
    );
    return undefined;
  }
  advanceClock(ctx, until - ctx.clock.elapsed);
  return runDpcs(ctx, retry);
}

/**
 * Waits for `objects` (all of them, or any) until `timeout` (a PLARGE_INTEGER, 0 for none) passes;
 * while it cannot be satisfied, other threads run or time passes (block).
 */
function wait(ctx: KernelContext, objects: number[], all: boolean, timeout: number): HandlerResult {
  const deadline = timeout ? ctx.clock.dueTime(read64(ctx, timeout)) : null;
  // The waiting thread, for other threads asking whether it could go on (a mutex it owns).
  const thread = ctx.threads?.active ? ctx.threads.current.body : undefined;
  const can = (o: number) => signalled(ctx, o, thread);
  const ready = () =>
    (all ? objects.every(can) : objects.some(can)) || (deadline !== null && ctx.clock.elapsed >= deadline);
  const what = objects.map((o) => `0x${o.toString(16)}`).join(', ');
  const attempt = (): HandlerResult => {
    if (all ? objects.every(can) : objects.some(can)) {
      if (all) {
        for (const o of objects) satisfy(ctx, o);
        return NTSTATUS.SUCCESS;
      }
      const i = objects.findIndex(can);
      satisfy(ctx, objects[i]!);
      return i;
    }
    if (deadline !== null && ctx.clock.elapsed >= deadline) return STATUS_TIMEOUT;
    return block(ctx, { ready, deadline, what }, attempt);
  };
  return runDpcs(ctx, () => runWork(ctx, attempt));
}

/**
 * The scheduler's two routines of the emulator's own (made at the first PsCreateSystemThread): `swap`,
 * which a waiting thread calls to give the processor to the next, and `exit`, where a system thread's
 * start routine returns (PsTerminateSystemThread(STATUS_SUCCESS), as PspSystemThreadStartup does).
 */
export function threadRoutines(ctx: KernelContext): { swap: number; exit: number } {
  let swap = ctx.statics.get('KiSwapThread');
  let exit = ctx.statics.get('PspExitThread');
  if (swap === undefined || exit === undefined) {
    swap = ctx.hostRoutine!(KiSwapThread, { silent: true });
    exit = ctx.hostRoutine!(PspExitThread, { silent: true });
    ctx.statics.set('KiSwapThread', swap);
    ctx.statics.set('PspExitThread', exit);
  }
  return { swap, exit };
}

const KiSwapThread = defineExport({
  module: 'nt351',
  prototype: 'VOID KiSwapThread(VOID)',
  impl(ctx) {
    const threads = ctx.threads!;
    if (threads.next() === null) return undefined; // nobody else can run after all: retry at once
    threads.switchFromCall();
    return CONTINUE;
  },
});

const PspExitThread = defineExport({
  module: 'nt351',
  prototype: 'VOID PspExitThread(VOID)',
  impl: (ctx) => exitThread(ctx, NTSTATUS.SUCCESS, 'returned'),
});

/**
 * Ends the current system thread (its object is signalled) and runs the next thread that can run;
 * while none can, time passes for the waiting ones as in `block`, or the run stops as a hang.
 */
export function exitThread(
  ctx: KernelContext,
  status: number,
  how: 'returned' | 'terminated',
): HandlerResult {
  const threads = ctx.threads!;
  threads.end(how, status);
  const idle = (): HandlerResult => {
    if (threads.leave()) return CONTINUE;
    const until = earliest(ctx.clock.nextDue(), threads.nextDeadline());
    if (until === null) {
      const waiting = threads.othersWaiting().map((t) => t.wait?.what ?? '?');
      ctx.stop(
        `hang: a system thread ended and every other thread waits for what nothing can signal (${waiting.join('; ')})`,
      );
      return undefined;
    }
    advanceClock(ctx, until - ctx.clock.elapsed);
    return runDpcs(ctx, idle);
  };
  return idle();
}

const nt = (prototype: string, impl: ExportHandler['impl']) =>
  defineExport({ module: 'ntoskrnl', prototype, impl });

export const keDispatcherExports: ExportHandler[] = [
  nt('VOID KeClearEvent(PRKEVENT Event)', (ctx, [e]) => {
    setState(ctx, e!, 0);
    return undefined;
  }),
  nt('LONG KeResetEvent(PRKEVENT Event)', (ctx, [e]) => {
    const old = state(ctx, e!);
    setState(ctx, e!, 0);
    return old;
  }),
  nt('LONG KeReadStateEvent(PRKEVENT Event)', (ctx, [e]) => state(ctx, e!)),
  nt('LONG KePulseEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)', (ctx, [e]) => {
    const old = state(ctx, e!);
    setState(ctx, e!, 0);
    return old;
  }),
  nt('VOID KeInitializeMutex(PRKMUTEX Mutex, ULONG Level)', (ctx, [m]) => {
    initObject(ctx, m!, Type.Mutant, ctx.mem.layouts.KMUTANT.size, 1);
    return undefined;
  }),
  nt('LONG KeReleaseMutex(PRKMUTEX Mutex, BOOLEAN Wait)', (ctx, [m]) => {
    const old = state(ctx, m!);
    if (owner(ctx, m!) !== currentThread(ctx)) {
      // Releasing a mutex the thread does not own: THREAD_NOT_MUTEX_OWNER (0x11).
      ctx.log.add({ type: 'bugcheck', code: 0x11, parameters: [m!, 0, 0, 0], caller: ctx.caller });
      ctx.stop('bugcheck 0x11 THREAD_NOT_MUTEX_OWNER');
      return undefined;
    }
    setState(ctx, m!, old + 1);
    if (old + 1 > 0) setOwner(ctx, m!, 0);
    return old;
  }),
  nt('LONG KeReadStateMutex(PRKMUTEX Mutex)', (ctx, [m]) => state(ctx, m!)),
  nt(
    'VOID KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count, LONG Limit)',
    (ctx, [s, count, limit]) => {
      const S = ctx.mem.layouts.KSEMAPHORE;
      initObject(ctx, s!, Type.Semaphore, S.size, count! | 0);
      ctx.mem.setU32(s! + S.Limit, limit!);
      return undefined;
    },
  ),
  nt(
    'LONG KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment, LONG Adjustment, BOOLEAN Wait)',
    (ctx, [s, , adj]) => {
      const old = state(ctx, s!);
      const limit = ctx.mem.u32(s! + ctx.mem.layouts.KSEMAPHORE.Limit) | 0;
      if (old + (adj! | 0) > limit || (adj! | 0) <= 0) {
        // NT raises STATUS_SEMAPHORE_LIMIT_EXCEEDED; without structured exception handling the run stops.
        ctx.stop('KeReleaseSemaphore raised STATUS_SEMAPHORE_LIMIT_EXCEEDED (0xC0000047)');
        return undefined;
      }
      setState(ctx, s!, old + (adj! | 0));
      return old;
    },
  ),
  nt('LONG KeReadStateSemaphore(PRKSEMAPHORE Semaphore)', (ctx, [s]) => state(ctx, s!)),
  nt('VOID KeInitializeTimer(PKTIMER Timer)', (ctx, [t]) => {
    initObject(ctx, t!, Type.NotificationTimer, ctx.mem.layouts.KTIMER.size, 0);
    return undefined;
  }),
  nt('VOID KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type)', (ctx, [t, type]) => {
    const kind = type === 1 ? Type.SynchronizationTimer : Type.NotificationTimer;
    initObject(ctx, t!, kind, ctx.mem.layouts.KTIMER.size, 0);
    return undefined;
  }),
  nt('BOOLEAN KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc)', (ctx, [t, lo, hi, dpc]) =>
    setTimer(ctx, t!, lo!, hi!, 0, dpc!),
  ),
  nt(
    'BOOLEAN KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc)',
    (ctx, [t, lo, hi, period, dpc]) => setTimer(ctx, t!, lo!, hi!, period!, dpc!),
  ),
  nt('BOOLEAN KeCancelTimer(PKTIMER Timer)', (ctx, [t]) => {
    const was = ctx.clock.timers.delete(t!);
    ctx.mem.write(t! + H.Inserted, new Uint8Array([0]));
    return was ? 1 : 0;
  }),
  nt('BOOLEAN KeReadStateTimer(PKTIMER Timer)', (ctx, [t]) => (state(ctx, t!) !== 0 ? 1 : 0)),
  nt(
    'VOID KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext)',
    (ctx, [d, r, c]) => {
      const D = ctx.mem.layouts.KDPC;
      const b = new Uint8Array(D.size);
      b[D.Type] = 0x13; // DpcObject
      b[3] = 1; // MediumImportance (NT 4's x86 KDPC: Type USHORT, Number, Importance)
      ctx.mem.write(d!, b);
      ctx.mem.setPtr(d! + D.DeferredRoutine, r!);
      ctx.mem.setPtr(d! + D.DeferredContext, c!);
      return undefined;
    },
  ),
  nt(
    'BOOLEAN KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2)',
    (ctx, [d, a, b]) => {
      if (!queueDpc(ctx, d!, a!, b!)) return 0;
      // Below DISPATCH_LEVEL the DPC interrupt is taken at once, before the caller goes on.
      return ctx.irql < DISPATCH_LEVEL ? runDpcs(ctx, () => 1) : 1;
    },
  ),
  nt('BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc)', (ctx, [d]) => {
    const i = ctx.clock.dpcQueue.indexOf(d!);
    if (i >= 0) ctx.clock.dpcQueue.splice(i, 1);
    return i >= 0 ? 1 : 0;
  }),
  nt(
    'NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Timeout)',
    (ctx, [o, , , , timeout]) => wait(ctx, [o!], false, timeout!),
  ),
  nt(
    'NTSTATUS KeWaitForMutexObject(PVOID Mutex, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Timeout)',
    (ctx, [o, , , , timeout]) => wait(ctx, [o!], false, timeout!),
  ),
  nt(
    'NTSTATUS KeWaitForMultipleObjects(ULONG Count, PVOID Object[], WAIT_TYPE WaitType, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Timeout, PKWAIT_BLOCK WaitBlockArray)',
    (ctx, [count, array, type, , , , timeout]) => {
      if (count! === 0 || count! > 64) return NTSTATUS.INVALID_PARAMETER;
      const objects = Array.from({ length: count! }, (_, i) => ctx.mem.ptr(array! + ctx.mem.pointerSize * i));
      return wait(ctx, objects, type === 0, timeout!);
    },
  ),
  nt(
    'NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Interval)',
    (ctx, [, , interval]) => {
      const until = ctx.clock.dueTime(read64(ctx, interval!));
      const ready = () => ctx.clock.elapsed >= until;
      const step = (): HandlerResult =>
        ready() ? NTSTATUS.SUCCESS : block(ctx, { ready, deadline: until, what: 'a delay' }, step);
      return runDpcs(ctx, () => runWork(ctx, step));
    },
  ),
  nt('VOID KeEnterCriticalRegion(VOID)', () => undefined),
  nt('VOID KeLeaveCriticalRegion(VOID)', () => undefined),
  nt('PKTHREAD KeGetCurrentThread(VOID)', (ctx) => currentThread(ctx)),
  nt('KPRIORITY KeSetPriorityThread(PKTHREAD Thread, KPRIORITY Priority)', (ctx, [t, p]) => {
    const key = `priority:${t}`;
    const old = ctx.statics.get(key) ?? 8;
    ctx.statics.set(key, p!);
    return old;
  }),
  nt('KPRIORITY KeQueryPriorityThread(PKTHREAD Thread)', (ctx, [t]) => ctx.statics.get(`priority:${t}`) ?? 8),
  nt(
    'BOOLEAN KeSynchronizeExecution(PKINTERRUPT Interrupt, PKSYNCHRONIZE_ROUTINE SynchronizeRoutine, PVOID SynchronizeContext)',
    (ctx, [, routine, context]) => {
      const irql = ctx.irql;
      ctx.irql = Math.max(irql, 3);
      return guestCall(routine!, [context!], (r) => {
        ctx.irql = irql;
        return r & 0xff;
      });
    },
  ),
  nt('VOID ExQueueWorkItem(PWORK_QUEUE_ITEM WorkItem, WORK_QUEUE_TYPE QueueType)', (ctx, [item]) => {
    const W = ctx.mem.layouts.WORK_QUEUE_ITEM;
    queueWork(ctx, ctx.mem.ptr(item! + W.WorkerRoutine), [ctx.mem.ptr(item! + W.Parameter)]);
    return undefined;
  }),
];

function setTimer(
  ctx: KernelContext,
  t: number,
  lo: number,
  hi: number,
  period: number,
  dpc: number,
): number {
  const was = ctx.clock.timers.has(t);
  const due = ctx.clock.dueTime(BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)));
  setState(ctx, t, 0);
  ctx.mem.write(t + H.Inserted, new Uint8Array([1]));
  ctx.mem.setPtr(t + ctx.mem.layouts.KTIMER.Dpc, dpc);
  ctx.mem.setU32(t + ctx.mem.layouts.KTIMER.Period, period);
  ctx.clock.timers.set(t, { timer: t, due, period: 10_000 * (period | 0), dpc });
  return was ? 1 : 0;
}
