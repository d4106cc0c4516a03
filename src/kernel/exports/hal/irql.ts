// IRQL and spin locks (hal!KfRaiseIrql, KeAcquireSpinLock…, ntoskrnl!KeAcquireSpinLockAtDpcLevel…) and
// fast mutexes (hal!ExAcquireFastMutex on x86, ntoskrnl's elsewhere). Model: one processor, one
// thread: IRQL is kept by the kernel, a spin lock word is 1 while held, and acquiring one that is
// already held (or a fast mutex already owned) can never succeed, so the run stops there as a hang.
import type { KernelContext } from '../../context.js';
import { defineExport, defineShared, type ExportHandler, type HandlerResult } from '../../registry.js';
import { currentThread } from '../ntoskrnl/ke-dispatcher.js';

export const PASSIVE_LEVEL = 0;
export const APC_LEVEL = 1;
export const DISPATCH_LEVEL = 2;

/** Sets IRQL to `irql`, returning the old one. */
export function swapIrql(ctx: KernelContext, irql: number): number {
  const old = ctx.irql;
  ctx.irql = irql & 0xff;
  return old;
}

/** Takes the spin lock at `lock`; a held lock stops the run (a single processor would spin forever). */
export function acquireLock(ctx: KernelContext, lock: number, what: string): boolean {
  if (ctx.mem.u32(lock) !== 0) {
    ctx.stop(`hang: ${what} at 0x${lock.toString(16)} is already held (deadlock on one processor)`);
    return false;
  }
  ctx.mem.setU32(lock, 1);
  return true;
}
export const releaseLock = (ctx: KernelContext, lock: number) => ctx.mem.setU32(lock, 0);

const hal = (prototype: string, impl: ExportHandler['impl']) =>
  defineExport({ module: 'hal', prototype, impl });
const nt = (prototype: string, impl: ExportHandler['impl']) =>
  defineExport({ module: 'ntoskrnl', prototype, impl });

/** KLOCK_QUEUE_HANDLE { KSPIN_LOCK_QUEUE LockQueue { Next; Lock; }; KIRQL OldIrql; }, pointers of the guest's width. */
const queueHandle = (ctx: KernelContext) => {
  const p = ctx.mem.pointerSize;
  return { Next: 0, Lock: p, OldIrql: 2 * p } as const;
};

function acquireFastMutex(ctx: KernelContext, m: number, raise: boolean, tryOnly: boolean): HandlerResult {
  // FAST_MUTEX { LONG Count; PKTHREAD Owner; ULONG Contention; KEVENT Event; ULONG OldIrql; } (objects.ts)
  const FM = ctx.mem.layouts.FAST_MUTEX;
  if (ctx.mem.u32(m + FM.Count) !== 1) {
    if (tryOnly) return 0;
    ctx.stop(`hang: fast mutex at 0x${m.toString(16)} is already owned (a thread waiting on itself)`);
    return undefined;
  }
  ctx.mem.setU32(m + FM.Count, 0);
  ctx.mem.setPtr(m + FM.Owner, currentThread(ctx));
  if (raise) ctx.mem.setU32(m + FM.OldIrql, swapIrql(ctx, APC_LEVEL));
  return tryOnly ? 1 : undefined;
}
function releaseFastMutex(ctx: KernelContext, m: number, lower: boolean): undefined {
  const FM = ctx.mem.layouts.FAST_MUTEX;
  ctx.mem.setU32(m + FM.Count, 1);
  ctx.mem.setPtr(m + FM.Owner, 0);
  if (lower) swapIrql(ctx, ctx.mem.u32(m + FM.OldIrql));
  return undefined;
}

export const halIrqlExports: ExportHandler[] = [
  hal('KIRQL KeGetCurrentIrql(VOID)', (ctx) => ctx.irql),
  hal('KIRQL FASTCALL KfRaiseIrql(KIRQL NewIrql)', (ctx, [irql]) => swapIrql(ctx, irql!)),
  hal('VOID FASTCALL KfLowerIrql(KIRQL NewIrql)', (ctx, [irql]) => {
    swapIrql(ctx, irql!);
    return undefined;
  }),
  hal('VOID KeRaiseIrql(KIRQL NewIrql, OUT PKIRQL OldIrql)', (ctx, [irql, old]) => {
    ctx.mem.write(old!, new Uint8Array([swapIrql(ctx, irql!)]));
    return undefined;
  }),
  hal('VOID KeLowerIrql(KIRQL NewIrql)', (ctx, [irql]) => {
    swapIrql(ctx, irql!);
    return undefined;
  }),
  hal('KIRQL KeRaiseIrqlToDpcLevel(VOID)', (ctx) => swapIrql(ctx, DISPATCH_LEVEL)),
  hal('KIRQL KeRaiseIrqlToSynchLevel(VOID)', (ctx) => swapIrql(ctx, 27)),
  hal('KIRQL FASTCALL KfAcquireSpinLock(PKSPIN_LOCK SpinLock)', (ctx, [lock]) =>
    acquireLock(ctx, lock!, 'spin lock') ? swapIrql(ctx, DISPATCH_LEVEL) : undefined,
  ),
  hal('VOID FASTCALL KfReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)', (ctx, [lock, irql]) => {
    releaseLock(ctx, lock!);
    swapIrql(ctx, irql!);
    return undefined;
  }),
  hal('VOID KeAcquireSpinLock(PKSPIN_LOCK SpinLock, OUT PKIRQL OldIrql)', (ctx, [lock, old]) => {
    if (acquireLock(ctx, lock!, 'spin lock'))
      ctx.mem.write(old!, new Uint8Array([swapIrql(ctx, DISPATCH_LEVEL)]));
    return undefined;
  }),
  // The HAL's on x86; AMD64's ntoskrnl exports these (its HAL has no spin locks).
  ...defineShared(['hal', 'ntoskrnl'], {
    prototype: 'VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)',
    impl: (ctx, [lock, irql]) => {
      releaseLock(ctx, lock!);
      swapIrql(ctx, irql!);
      return undefined;
    },
  }),
  ...defineShared(['hal', 'ntoskrnl'], {
    prototype:
      'VOID FASTCALL KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock, OUT PKLOCK_QUEUE_HANDLE LockHandle)',
    impl: (ctx, [lock, h]) => {
      if (!acquireLock(ctx, lock!, 'queued spin lock')) return undefined;
      const q = queueHandle(ctx);
      ctx.mem.setPtr(h! + q.Next, 0);
      ctx.mem.setPtr(h! + q.Lock, lock!);
      ctx.mem.write(h! + q.OldIrql, new Uint8Array([swapIrql(ctx, DISPATCH_LEVEL)]));
      return undefined;
    },
  }),
  ...defineShared(['hal', 'ntoskrnl'], {
    prototype: 'VOID FASTCALL KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle)',
    impl: (ctx, [h]) => {
      const q = queueHandle(ctx);
      releaseLock(ctx, ctx.mem.ptr(h! + q.Lock));
      swapIrql(ctx, ctx.mem.u8(h! + q.OldIrql));
      return undefined;
    },
  }),
  nt('VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)', (ctx, [lock]) => {
    acquireLock(ctx, lock!, 'spin lock');
    return undefined;
  }),
  nt('VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)', (ctx, [lock]) => {
    releaseLock(ctx, lock!);
    return undefined;
  }),
  nt('VOID FASTCALL KefAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)', (ctx, [lock]) => {
    acquireLock(ctx, lock!, 'spin lock');
    return undefined;
  }),
  nt('VOID FASTCALL KefReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)', (ctx, [lock]) => {
    releaseLock(ctx, lock!);
    return undefined;
  }),
  nt('KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock)', (ctx, [lock]) =>
    acquireLock(ctx, lock!, 'spin lock') ? swapIrql(ctx, DISPATCH_LEVEL) : undefined,
  ),
  ...defineShared(['hal', 'ntoskrnl'], {
    prototype: 'VOID FASTCALL ExAcquireFastMutex(PFAST_MUTEX FastMutex)',
    impl: (ctx, [m]) => acquireFastMutex(ctx, m!, true, false),
  }),
  ...defineShared(['hal', 'ntoskrnl'], {
    prototype: 'VOID FASTCALL ExReleaseFastMutex(PFAST_MUTEX FastMutex)',
    impl: (ctx, [m]) => releaseFastMutex(ctx, m!, true),
  }),
  ...defineShared(['hal', 'ntoskrnl'], {
    prototype: 'BOOLEAN FASTCALL ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex)',
    impl: (ctx, [m]) => acquireFastMutex(ctx, m!, true, true),
  }),
  nt('VOID FASTCALL ExAcquireFastMutexUnsafe(PFAST_MUTEX FastMutex)', (ctx, [m]) =>
    acquireFastMutex(ctx, m!, false, false),
  ),
  nt('VOID FASTCALL ExReleaseFastMutexUnsafe(PFAST_MUTEX FastMutex)', (ctx, [m]) =>
    releaseFastMutex(ctx, m!, false),
  ),
];
