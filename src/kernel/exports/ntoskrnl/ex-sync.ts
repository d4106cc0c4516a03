// Executive synchronisation and lists (ntoskrnl!Ex*): ERESOURCE (model: one thread, so an owner
// count and exclusive flag), interlocked doubly and singly linked lists under a spin lock, and
// lookaside lists over the pool. (ExRaiseStatus is in seh.ts.)
import type { KernelContext } from '../../context.js';
import { defineExport, type ExportHandler, guestCall, type HandlerResult } from '../../registry.js';
import { NTSTATUS } from '../status.js';

const nt = (prototype: string, impl: ExportHandler['impl']) =>
  defineExport({ module: 'ntoskrnl', prototype, impl });

/** ERESOURCE fields the model keeps (NT's layout, 0x38 bytes): ActiveCount 0x0C (USHORT), Flag 0x0E. */
const R = { ActiveCount: 0x0c, Flag: 0x0e, size: 0x38 } as const;
const ResourceOwnedExclusive = 0x80;

function acquire(ctx: KernelContext, r: number, exclusive: boolean): number {
  const count = ctx.mem.u16(r + R.ActiveCount);
  const flag = ctx.mem.u16(r + R.Flag);
  // One thread: any current owner is this thread, so re-acquiring succeeds (NT allows recursion),
  // except shared after exclusive, which NT also grants to the exclusive owner.
  ctx.mem.setU16(r + R.ActiveCount, count + 1);
  if (exclusive && count === 0) ctx.mem.setU16(r + R.Flag, flag | ResourceOwnedExclusive);
  return 1;
}
function release(ctx: KernelContext, r: number): undefined {
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

/** LIST_ENTRY operations on guest memory. */
function insert(ctx: KernelContext, head: number, entry: number, atHead: boolean): number {
  const flink = ctx.mem.u32(head);
  const blink = ctx.mem.u32(head + 4);
  const wasEmpty = flink === head;
  if (atHead) {
    ctx.mem.setU32(entry, flink);
    ctx.mem.setU32(entry + 4, head);
    ctx.mem.setU32(flink + 4, entry);
    ctx.mem.setU32(head, entry);
  } else {
    ctx.mem.setU32(entry, head);
    ctx.mem.setU32(entry + 4, blink);
    ctx.mem.setU32(blink, entry);
    ctx.mem.setU32(head + 4, entry);
  }
  return wasEmpty ? 0 : atHead ? flink : blink;
}
function remove(ctx: KernelContext, head: number, fromHead: boolean): number {
  const entry = ctx.mem.u32(fromHead ? head : head + 4);
  if (entry === head) return 0;
  const flink = ctx.mem.u32(entry);
  const blink = ctx.mem.u32(entry + 4);
  ctx.mem.setU32(blink, flink);
  ctx.mem.setU32(flink + 4, blink);
  return entry;
}
/** SLIST_HEADER { SINGLE_LIST_ENTRY Next; USHORT Depth; USHORT Sequence; } */
function pushS(ctx: KernelContext, head: number, entry: number): number {
  const first = ctx.mem.u32(head);
  ctx.mem.setU32(entry, first);
  ctx.mem.setU32(head, entry);
  ctx.mem.setU16(head + 4, ctx.mem.u16(head + 4) + 1);
  ctx.mem.setU16(head + 6, ctx.mem.u16(head + 6) + 1);
  return first;
}
function popS(ctx: KernelContext, head: number): number {
  const first = ctx.mem.u32(head);
  if (first === 0) return 0;
  ctx.mem.setU32(head, ctx.mem.u32(first));
  ctx.mem.setU16(head + 4, ctx.mem.u16(head + 4) - 1);
  ctx.mem.setU16(head + 6, ctx.mem.u16(head + 6) + 1);
  return first;
}

/**
 * NPAGED_LOOKASIDE_LIST (x86): SLIST_HEADER ListHead 0; Depth 8; MaximumDepth 0xA; TotalAllocates
 * 0xC; AllocateMisses 0x10; TotalFrees 0x14; FreeMisses 0x18; Type 0x1C; Tag 0x20; Size 0x24;
 * Allocate 0x28; Free 0x2C; ListEntry 0x30; … Lock 0x40. Model: blocks come from the pool (or
 * the driver's Allocate/Free routines, called as guest code), the list keeps up to Depth.
 */
const L = { Depth: 8, Total: 0xc, Type: 0x1c, Tag: 0x20, Size: 0x24, Allocate: 0x28, Free: 0x2c } as const;
const tagText = (tag: number) =>
  String.fromCharCode(tag & 0xff, (tag >>> 8) & 0xff, (tag >>> 16) & 0xff, (tag >>> 24) & 0xff).replace(
    /[^\x20-\x7e]/g,
    '.',
  );
function initLookaside(
  ctx: KernelContext,
  [l, alloc, free, flags, size, tag, depth]: number[],
  type: number,
) {
  ctx.mem.write(l!, new Uint8Array(0x50));
  ctx.mem.setU16(l! + L.Depth, depth! & 0xffff || 4);
  ctx.mem.setU16(l! + L.Depth + 2, 256);
  ctx.mem.setU32(l! + L.Type, type | flags!);
  ctx.mem.setU32(l! + L.Tag, tag!);
  ctx.mem.setU32(l! + L.Size, size!);
  ctx.mem.setU32(l! + L.Allocate, alloc!);
  ctx.mem.setU32(l! + L.Free, free!);
  return undefined;
}
function allocateFrom(ctx: KernelContext, l: number): HandlerResult {
  ctx.mem.setU32(l + L.Total, ctx.mem.u32(l + L.Total) + 1);
  const entry = popS(ctx, l);
  if (entry) return entry;
  const routine = ctx.mem.u32(l + L.Allocate);
  const type = ctx.mem.u32(l + L.Type);
  const size = ctx.mem.u32(l + L.Size);
  const tag = ctx.mem.u32(l + L.Tag);
  if (routine) return guestCall(routine, [type, size, tag], (p) => p);
  return ctx.pool.allocate(size, type, tagText(tag), 'driver') ?? 0;
}
function freeTo(ctx: KernelContext, l: number, entry: number): HandlerResult {
  if (ctx.mem.u16(l + 4) < ctx.mem.u16(l + L.Depth)) {
    pushS(ctx, l, entry);
    return undefined;
  }
  const routine = ctx.mem.u32(l + L.Free);
  if (routine) return guestCall(routine, [entry], () => undefined);
  ctx.pool.free(entry);
  return undefined;
}

export const exSyncExports: ExportHandler[] = [
  nt('NTSTATUS ExInitializeResourceLite(PERESOURCE Resource)', (ctx, [r]) => {
    ctx.mem.write(r!, new Uint8Array(R.size));
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
    ctx.mem.u16(r! + R.Flag) & ResourceOwnedExclusive ? 1 : 0,
  ),
  nt('ULONG ExIsResourceAcquiredSharedLite(PERESOURCE Resource)', (ctx, [r]) =>
    ctx.mem.u16(r! + R.ActiveCount),
  ),
  nt('ERESOURCE_THREAD ExGetCurrentResourceThread(VOID)', (ctx) => ctx.ob.systemContext().thread.body),
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
  nt('PLIST_ENTRY ExInterlockedRemoveHeadList(PLIST_ENTRY ListHead, PKSPIN_LOCK Lock)', (ctx, [h]) =>
    remove(ctx, h!, true),
  ),
  nt(
    'PSINGLE_LIST_ENTRY ExInterlockedPushEntryList(PSINGLE_LIST_ENTRY ListHead, PSINGLE_LIST_ENTRY ListEntry, PKSPIN_LOCK Lock)',
    (ctx, [h, e]) => {
      const first = ctx.mem.u32(h!);
      ctx.mem.setU32(e!, first);
      ctx.mem.setU32(h!, e!);
      return first;
    },
  ),
  nt(
    'PSINGLE_LIST_ENTRY ExInterlockedPopEntryList(PSINGLE_LIST_ENTRY ListHead, PKSPIN_LOCK Lock)',
    (ctx, [h]) => {
      const first = ctx.mem.u32(h!);
      if (first) ctx.mem.setU32(h!, ctx.mem.u32(first));
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
  nt('USHORT ExQueryDepthSList(PSLIST_HEADER SListHead)', (ctx, [h]) => ctx.mem.u16(h! + 4)),
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
