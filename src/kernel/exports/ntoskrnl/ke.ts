// Kernel exports (ntoskrnl!Ke*): bugchecks, events, spin locks.
import { defineExport } from '../../registry.js';

export const KeBugCheckEx = defineExport({
  module: 'ntoskrnl',
  prototype:
    'VOID KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR BugCheckParameter1, ULONG_PTR BugCheckParameter2, ULONG_PTR BugCheckParameter3, ULONG_PTR BugCheckParameter4)',
  impl(ctx, [code, p1, p2, p3, p4]) {
    ctx.log.add({ type: 'bugcheck', code: code!, parameters: [p1!, p2!, p3!, p4!], caller: ctx.caller });
    ctx.stop(`bugcheck 0x${code!.toString(16).toUpperCase()}`);
    return undefined;
  },
});

export const KeBugCheck = defineExport({
  ...KeBugCheckEx,
  prototype: 'VOID KeBugCheck(ULONG BugCheckCode)',
  impl: (ctx, [code]) => KeBugCheckEx.impl(ctx, [code!, 0, 0, 0, 0]),
});

export const KeInitializeSpinLock = defineExport({
  module: 'ntoskrnl',
  prototype: 'VOID KeInitializeSpinLock(PKSPIN_LOCK SpinLock)',
  pure: true,
  impl(ctx, [lock]) {
    ctx.mem.setUlongPtr(lock!, 0); // KSPIN_LOCK is a ULONG_PTR
    return undefined;
  },
});

/** DISPATCHER_HEADER + an empty wait list, at the guest's KEVENT layout (objects.ts). */
export const KeInitializeEvent = defineExport({
  module: 'ntoskrnl',
  prototype: 'VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State)',
  impl(ctx, [event, type, state]) {
    const K = ctx.mem.layouts.KEVENT;
    const header = new Uint8Array(K.size);
    header[K.Type] = type!; // NotificationEvent 0, SynchronizationEvent 1
    header[K.Size] = K.size >>> 2; // in ULONGs
    new DataView(header.buffer).setUint32(K.SignalState, state! & 0xff, true);
    ctx.mem.write(event!, header);
    ctx.mem.setPtr(event! + K.WaitListHead, event! + K.WaitListHead); // Flink = Blink = itself
    ctx.mem.setPtr(event! + K.WaitListHead + ctx.mem.pointerSize, event! + K.WaitListHead);
    return undefined;
  },
});

/** Returns the previous state. */
export const KeSetEvent = defineExport({
  module: 'ntoskrnl',
  prototype: 'LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)',
  impl(ctx, [event]) {
    const previous = ctx.mem.u32(event! + 4);
    ctx.mem.setU32(event! + 4, 1);
    return previous;
  },
});

export const keExports = [KeBugCheckEx, KeBugCheck, KeInitializeSpinLock, KeInitializeEvent, KeSetEvent];
