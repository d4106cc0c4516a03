// Executive synchronisation and lists (ntoskrnl!Ex*): ERESOURCE (model: one thread, so an owner
// count and exclusive flag), interlocked doubly and singly linked lists under a spin lock, and
// lookaside lists over the pool. (ExRaiseStatus is in seh.ts.)
import type { KernelContext } from '../../context.js';
import { layoutOf, type StructDescription } from '../../layout.js';
import { defineExport, type ExportHandler, guestCall, type HandlerResult } from '../../registry.js';
import { NTSTATUS } from '../status.js';
import { currentThread } from './ke-dispatcher.js';

const nt = (prototype: string, impl: ExportHandler['impl']) =>
  defineExport({ module: 'ntoskrnl', prototype, impl });

/** ERESOURCE at the guest's layout (objects.ts): the model keeps ActiveCount and Flag. */
const eresource = (ctx: KernelContext) => ctx.mem.layouts.ERESOURCE;
const ResourceOwnedExclusive = 0x80;

function acquire(ctx: KernelContext, r: number, exclusive: boolean): number {
  const R = eresource(ctx);
  const count = ctx.mem.u16(r + R.ActiveCount);
  const flag = ctx.mem.u16(r + R.Flag);
  // One thread: any current owner is this thread, so re-acquiring succeeds (NT allows recursion),
  // except shared after exclusive, which NT also grants to the exclusive owner.
  ctx.mem.setU16(r + R.ActiveCount, count + 1);
  if (exclusive && count === 0) ctx.mem.setU16(r + R.Flag, flag | ResourceOwnedExclusive);
  return 1;
}
function release(ctx: KernelContext, r: number): undefined {
  const R = eresource(ctx);
  const count = ctx.mem.u16(r + R.ActiveCount);
  if (count === 0) {
    ctx.log.add({ type: 'bugcheck', code: 0xe3, parameters: [r, 0, 0, 2], caller: ctx.caller });
    ctx.stop('bugcheck 0xE3 RESOURCE_NOT_OWNED');
    return undefined;
  }
  ctx.mem.setU16(r + R.ActiveCount, count - 1);
  if (count === 1) ctx.mem.setU16(r + R.Flag, ctx.mem.u16(r + R.Flag) & ~ResourceOwnedExclusive);
  return undefined;
}

/** LIST_ENTRY operations on guest memory (Flink, then Blink one pointer on). */
function insert(ctx: KernelContext, head: number, entry: number, atHead: boolean): number {
  const { mem } = ctx;
  const B = mem.pointerSize;
  const flink = mem.ptr(head);
  const blink = mem.ptr(head + B);
  const wasEmpty = flink === head;
  if (atHead) {
    mem.setPtr(entry, flink);
    mem.setPtr(entry + B, head);
    mem.setPtr(flink + B, entry);
    mem.setPtr(head, entry);
  } else {
    mem.setPtr(entry, head);
    mem.setPtr(entry + B, blink);
    mem.setPtr(blink, entry);
    mem.setPtr(head + B, entry);
  }
  return wasEmpty ? 0 : atHead ? flink : blink;
}
function remove(ctx: KernelContext, head: number, fromHead: boolean): number {
  const { mem } = ctx;
  const B = mem.pointerSize;
  const entry = mem.ptr(fromHead ? head : head + B);
  if (entry === head) return 0;
  const flink = mem.ptr(entry);
  const blink = mem.ptr(entry + B);
  mem.setPtr(blink, flink);
  mem.setPtr(flink + B, blink);
  return entry;
}
/**
 * SLIST_HEADER. x86: { SINGLE_LIST_ENTRY Next; USHORT Depth; USHORT Sequence; }. AMD64 (16 bytes,
 * wdm.h's HeaderX64): Depth in the low 16 bits and Sequence above them in the first quadword, the
 * first entry's address in the second (entries are 16-byte aligned, so NextEntry << 4 is the address).
 */
const slist = (ctx: KernelContext) =>
  ctx.mem.pointerSize === 8 ? { next: 8, depth: 0, sequence: 2 } : { next: 0, depth: 4, sequence: 6 };
function pushS(ctx: KernelContext, head: number, entry: number): number {
  const S = slist(ctx);
  const first = ctx.mem.ptr(head + S.next);
  ctx.mem.setPtr(entry, first);
  ctx.mem.setPtr(head + S.next, entry);
  ctx.mem.setU16(head + S.depth, ctx.mem.u16(head + S.depth) + 1);
  ctx.mem.setU16(head + S.sequence, ctx.mem.u16(head + S.sequence) + 1);
  return first;
}
function popS(ctx: KernelContext, head: number): number {
  const S = slist(ctx);
  const first = ctx.mem.ptr(head + S.next);
  if (first === 0) return 0;
  ctx.mem.setPtr(head + S.next, ctx.mem.ptr(first));
  ctx.mem.setU16(head + S.depth, ctx.mem.u16(head + S.depth) - 1);
  ctx.mem.setU16(head + S.sequence, ctx.mem.u16(head + S.sequence) + 1);
  return first;
}
/** Empties the S-list, returning its first entry (the chain stays linked). */
function flushS(ctx: KernelContext, head: number): number {
  const S = slist(ctx);
  const first = ctx.mem.ptr(head + S.next);
  ctx.mem.setPtr(head + S.next, 0);
  ctx.mem.setU16(head + S.depth, 0);
  return first;
}

/**
 * GENERAL_LOOKASIDE (wdm.h), the head of NPAGED_/PAGED_LOOKASIDE_LIST: the SLIST_HEADER (two
 * pointers' room: 8 bytes on x86, 16 on AMD64), then the counters, Type, Tag, Size, Allocate, Free
 * (x86: Depth 8, Allocate 0x28; AMD64: Depth 0x10, Allocate 0x30). Later DDKs' inline
 * ExAllocateFromNPagedLookasideList reads these and calls Allocate itself. Model: blocks come from
 * the pool (or the driver's Allocate/Free routines, called as guest code), the list keeps up to Depth.
 */
const GENERAL_LOOKASIDE_D = {
  name: 'GENERAL_LOOKASIDE',
  fields: [
    ['ListHead', { array: 'ptr', count: 2 }],
    ['Depth', 'u16'],
    ['MaximumDepth', 'u16'],
    ['TotalAllocates', 'u32'],
    ['AllocateMisses', 'u32'],
    ['TotalFrees', 'u32'],
    ['FreeMisses', 'u32'],
    ['Type', 'u32'],
    ['Tag', 'u32'],
    ['Size', 'u32'],
    ['Allocate', 'ptr'],
    ['Free', 'ptr'],
    ['ListEntry', { array: 'ptr', count: 2 }],
    ['LastTotalAllocates', 'u32'],
    ['LastAllocateMisses', 'u32'],
    ['Future', { array: 'u32', count: 2 }],
  ],
} as const satisfies StructDescription;
type LookasideField = (typeof GENERAL_LOOKASIDE_D)['fields'][number][0];
const LOOKASIDE = {
  4: layoutOf<LookasideField>(GENERAL_LOOKASIDE_D, 4),
  8: layoutOf<LookasideField>(GENERAL_LOOKASIDE_D, 8),
};
const tagText = (tag: number) =>
  String.fromCharCode(tag & 0xff, (tag >>> 8) & 0xff, (tag >>> 16) & 0xff, (tag >>> 24) & 0xff).replace(
    /[^\x20-\x7e]/g,
    '.',
  );
/** The kernel's own pool routines: a lookaside list's Allocate and Free when the driver gives none. */
const defaultAllocate = (ctx: KernelContext) => ctx.systemRoutine('ExAllocatePoolWithTag') ?? 0;
const defaultFree = (ctx: KernelContext) => ctx.systemRoutine('ExFreePool') ?? 0;
function initLookaside(
  ctx: KernelContext,
  [l, alloc, free, flags, size, tag, depth]: number[],
  type: number,
) {
  const L = LOOKASIDE[ctx.mem.pointerSize];
  ctx.mem.write(l!, new Uint8Array(L.size));
  ctx.mem.setU16(l! + L.Depth, depth! & 0xffff || 4);
  ctx.mem.setU16(l! + L.MaximumDepth, 256);
  ctx.mem.setU32(l! + L.Type, type | flags!);
  ctx.mem.setU32(l! + L.Tag, tag!);
  ctx.mem.setU32(l! + L.Size, size!);
  ctx.mem.setPtr(l! + L.Allocate, alloc || defaultAllocate(ctx));
  ctx.mem.setPtr(l! + L.Free, free || defaultFree(ctx));
  return undefined;
}
function allocateFrom(ctx: KernelContext, l: number): HandlerResult {
  const L = LOOKASIDE[ctx.mem.pointerSize];
  ctx.mem.setU32(l + L.TotalAllocates, ctx.mem.u32(l + L.TotalAllocates) + 1);
  const entry = popS(ctx, l);
  if (entry) return entry;
  ctx.mem.setU32(l + L.AllocateMisses, ctx.mem.u32(l + L.AllocateMisses) + 1);
  const routine = ctx.mem.ptr(l + L.Allocate);
  const type = ctx.mem.u32(l + L.Type);
  const size = ctx.mem.u32(l + L.Size);
  const tag = ctx.mem.u32(l + L.Tag);
  if (routine && routine !== defaultAllocate(ctx)) return guestCall(routine, [type, size, tag], (p) => p);
  return ctx.pool.allocate(size, type, tagText(tag), 'driver') ?? 0;
}
function freeTo(ctx: KernelContext, l: number, entry: number): HandlerResult {
  const L = LOOKASIDE[ctx.mem.pointerSize];
  ctx.mem.setU32(l + L.TotalFrees, ctx.mem.u32(l + L.TotalFrees) + 1);
  if (ctx.mem.u16(l + slist(ctx).depth) < ctx.mem.u16(l + L.Depth)) {
    pushS(ctx, l, entry);
    return undefined;
  }
  ctx.mem.setU32(l + L.FreeMisses, ctx.mem.u32(l + L.FreeMisses) + 1);
  const routine = ctx.mem.ptr(l + L.Free);
  if (routine && routine !== defaultFree(ctx)) return guestCall(routine, [entry], () => undefined);
  ctx.pool.free(entry);
  return undefined;
}

export const exSyncExports: ExportHandler[] = [
  nt('NTSTATUS ExInitializeResourceLite(PERESOURCE Resource)', (ctx, [r]) => {
    ctx.mem.write(r!, new Uint8Array(eresource(ctx).size));
    return NTSTATUS.SUCCESS;
  }),
  nt('NTSTATUS ExDeleteResource(PERESOURCE Resource)', () => NTSTATUS.SUCCESS),
  nt('NTSTATUS ExDeleteResourceLite(PERESOURCE Resource)', () => NTSTATUS.SUCCESS),
  nt('BOOLEAN ExAcquireResourceExclusive(PERESOURCE Resource, BOOLEAN Wait)', (ctx, [r]) =>
    acquire(ctx, r!, true),
  ),
  nt('BOOLEAN ExAcquireResourceExclusiveLite(PERESOURCE Resource, BOOLEAN Wait)', (ctx, [r]) =>
    acquire(ctx, r!, true),
  ),
  nt('BOOLEAN ExAcquireResourceShared(PERESOURCE Resource, BOOLEAN Wait)', (ctx, [r]) =>
    acquire(ctx, r!, false),
  ),
  nt('BOOLEAN ExAcquireResourceSharedLite(PERESOURCE Resource, BOOLEAN Wait)', (ctx, [r]) =>
    acquire(ctx, r!, false),
  ),
  nt('BOOLEAN ExAcquireSharedStarveExclusive(PERESOURCE Resource, BOOLEAN Wait)', (ctx, [r]) =>
    acquire(ctx, r!, false),
  ),
  nt('VOID ExReleaseResourceForThread(PERESOURCE Resource, ERESOURCE_THREAD ResourceThreadId)', (ctx, [r]) =>
    release(ctx, r!),
  ),
  nt(
    'VOID ExReleaseResourceForThreadLite(PERESOURCE Resource, ERESOURCE_THREAD ResourceThreadId)',
    (ctx, [r]) => release(ctx, r!),
  ),
  nt('VOID FASTCALL ExReleaseResourceLite(PERESOURCE Resource)', (ctx, [r]) => release(ctx, r!)),
  nt('BOOLEAN ExIsResourceAcquiredExclusiveLite(PERESOURCE Resource)', (ctx, [r]) =>
    ctx.mem.u16(r! + eresource(ctx).Flag) & ResourceOwnedExclusive ? 1 : 0,
  ),
  nt('ULONG ExIsResourceAcquiredSharedLite(PERESOURCE Resource)', (ctx, [r]) =>
    ctx.mem.u16(r! + eresource(ctx).ActiveCount),
  ),
  // NT: #define ExGetCurrentResourceThread() ((ERESOURCE_THREAD)PsGetCurrentThread())
  nt('ERESOURCE_THREAD ExGetCurrentResourceThread(VOID)', (ctx) => currentThread(ctx)),
  nt('PVOID ExAllocatePoolWithQuota(POOL_TYPE PoolType, SIZE_T NumberOfBytes)', (ctx, [type, size]) => {
    const p = ctx.pool.allocate(size!, type!, null, 'driver');
    if (p === null) ctx.stop('ExAllocatePoolWithQuota raised STATUS_INSUFFICIENT_RESOURCES');
    return p ?? undefined;
  }),
  nt(
    'PVOID ExAllocatePoolWithQuotaTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)',
    (ctx, [type, size, tag]) => ctx.pool.allocate(size!, type!, tagText(tag!), 'driver') ?? 0,
  ),
  nt(
    'LARGE_INTEGER ExInterlockedAddLargeInteger(PLARGE_INTEGER Addend, LARGE_INTEGER Increment, PKSPIN_LOCK Lock)',
    (ctx, [a, lo, hi]) => {
      const old = (BigInt(ctx.mem.u32(a! + 4)) << 32n) | BigInt(ctx.mem.u32(a!));
      const sum = BigInt.asUintN(64, old + ((BigInt(hi! >>> 0) << 32n) | BigInt(lo! >>> 0)));
      ctx.mem.setU32(a!, Number(sum & 0xffffffffn));
      ctx.mem.setU32(a! + 4, Number(sum >> 32n));
      return old;
    },
  ),
  nt('ULONG ExInterlockedAddUlong(PULONG Addend, ULONG Increment, PKSPIN_LOCK Lock)', (ctx, [a, inc]) => {
    const old = ctx.mem.u32(a!);
    ctx.mem.setU32(a!, old + inc!);
    return old;
  }),
  nt(
    'PLIST_ENTRY ExInterlockedInsertHeadList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock)',
    (ctx, [h, e]) => insert(ctx, h!, e!, true),
  ),
  nt(
    'PLIST_ENTRY ExInterlockedInsertTailList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock)',
    (ctx, [h, e]) => insert(ctx, h!, e!, false),
  ),
  // Later x86 kernels' fastcall names for the same (what an XP-or-later x86 DDK's wdm.h imports).
  nt(
    'PLIST_ENTRY FASTCALL ExfInterlockedInsertHeadList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock)',
    (ctx, [h, e]) => insert(ctx, h!, e!, true),
  ),
  nt(
    'PLIST_ENTRY FASTCALL ExfInterlockedInsertTailList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock)',
    (ctx, [h, e]) => insert(ctx, h!, e!, false),
  ),
  nt(
    'PLIST_ENTRY FASTCALL ExfInterlockedRemoveHeadList(PLIST_ENTRY ListHead, PKSPIN_LOCK Lock)',
    (ctx, [h]) => remove(ctx, h!, true),
  ),
  nt('PLIST_ENTRY ExInterlockedRemoveHeadList(PLIST_ENTRY ListHead, PKSPIN_LOCK Lock)', (ctx, [h]) =>
    remove(ctx, h!, true),
  ),
  nt(
    'PSINGLE_LIST_ENTRY ExInterlockedPushEntryList(PSINGLE_LIST_ENTRY ListHead, PSINGLE_LIST_ENTRY ListEntry, PKSPIN_LOCK Lock)',
    (ctx, [h, e]) => {
      const first = ctx.mem.ptr(h!);
      ctx.mem.setPtr(e!, first);
      ctx.mem.setPtr(h!, e!);
      return first;
    },
  ),
  nt(
    'PSINGLE_LIST_ENTRY ExInterlockedPopEntryList(PSINGLE_LIST_ENTRY ListHead, PKSPIN_LOCK Lock)',
    (ctx, [h]) => {
      const first = ctx.mem.ptr(h!);
      if (first) ctx.mem.setPtr(h!, ctx.mem.ptr(first));
      return first;
    },
  ),
  nt(
    'PSINGLE_LIST_ENTRY FASTCALL ExInterlockedPushEntrySList(PSLIST_HEADER ListHead, PSINGLE_LIST_ENTRY ListEntry, PKSPIN_LOCK Lock)',
    (ctx, [h, e]) => pushS(ctx, h!, e!),
  ),
  nt(
    'PSINGLE_LIST_ENTRY FASTCALL ExInterlockedPopEntrySList(PSLIST_HEADER ListHead, PKSPIN_LOCK Lock)',
    (ctx, [h]) => popS(ctx, h!),
  ),
  nt(
    'PSINGLE_LIST_ENTRY FASTCALL InterlockedPushEntrySList(PSLIST_HEADER ListHead, PSINGLE_LIST_ENTRY ListEntry)',
    (ctx, [h, e]) => pushS(ctx, h!, e!),
  ),
  nt('PSINGLE_LIST_ENTRY FASTCALL InterlockedPopEntrySList(PSLIST_HEADER ListHead)', (ctx, [h]) =>
    popS(ctx, h!),
  ),
  nt('USHORT ExQueryDepthSList(PSLIST_HEADER SListHead)', (ctx, [h]) => ctx.mem.u16(h! + slist(ctx).depth)),
  // AMD64's names for the S-list routines (wdm.h's InterlockedPushEntrySList… call them there).
  nt(
    'PSLIST_ENTRY ExpInterlockedPushEntrySList(PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry)',
    (ctx, [h, e]) => pushS(ctx, h!, e!),
  ),
  nt('PSLIST_ENTRY ExpInterlockedPopEntrySList(PSLIST_HEADER ListHead)', (ctx, [h]) => popS(ctx, h!)),
  nt('PSLIST_ENTRY ExpInterlockedFlushSList(PSLIST_HEADER ListHead)', (ctx, [h]) => flushS(ctx, h!)),
  nt('LONG FASTCALL InterlockedIncrement(PLONG Addend)', (ctx, [a]) => {
    const v = (ctx.mem.u32(a!) + 1) >>> 0;
    ctx.mem.setU32(a!, v);
    return v;
  }),
  nt('LONG FASTCALL InterlockedDecrement(PLONG Addend)', (ctx, [a]) => {
    const v = (ctx.mem.u32(a!) - 1) >>> 0;
    ctx.mem.setU32(a!, v);
    return v;
  }),
  nt('LONG FASTCALL InterlockedExchange(PLONG Target, LONG Value)', (ctx, [a, v]) => {
    const old = ctx.mem.u32(a!);
    ctx.mem.setU32(a!, v!);
    return old;
  }),
  nt('LONG FASTCALL InterlockedExchangeAdd(PLONG Addend, LONG Value)', (ctx, [a, v]) => {
    const old = ctx.mem.u32(a!);
    ctx.mem.setU32(a!, old + v!);
    return old;
  }),
  nt(
    'LONG FASTCALL InterlockedCompareExchange(PLONG Destination, LONG Exchange, LONG Comparand)',
    (ctx, [a, x, c]) => {
      const old = ctx.mem.u32(a!);
      if (old === c! >>> 0) ctx.mem.setU32(a!, x!);
      return old;
    },
  ),
  nt(
    'VOID ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate, PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)',
    (ctx, args) => initLookaside(ctx, args, 0),
  ),
  nt(
    'VOID ExInitializePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate, PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)',
    (ctx, args) => initLookaside(ctx, args, 1),
  ),
  nt('VOID ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)', (ctx, [l]) => {
    for (let e = popS(ctx, l!); e; e = popS(ctx, l!)) ctx.pool.free(e);
    return undefined;
  }),
  nt('VOID ExDeletePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside)', (ctx, [l]) => {
    for (let e = popS(ctx, l!); e; e = popS(ctx, l!)) ctx.pool.free(e);
    return undefined;
  }),
  nt('PVOID FASTCALL ExfAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)', (ctx, [l]) =>
    allocateFrom(ctx, l!),
  ),
  nt(
    'VOID FASTCALL ExfFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry)',
    (ctx, [l, e]) => freeTo(ctx, l!, e!),
  ),
  nt('PVOID ExAllocateFromPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside)', (ctx, [l]) =>
    allocateFrom(ctx, l!),
  ),
  nt('VOID ExFreeToPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry)', (ctx, [l, e]) =>
    freeTo(ctx, l!, e!),
  ),
];
