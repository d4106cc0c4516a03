// NDIS 6 NET_BUFFER and NET_BUFFER_LIST pools (ndis.h, Windows Vista and later): a pool handle
// records the parameters it was made with (tag, data size, whether lists carry a NET_BUFFER).
// Model: no packets flow, so the pools are made and freed but nothing is allocated from them.
import type { KernelContext } from '../../context.js';
import { defineExport, type ExportHandler } from '../../registry.js';

const ndis = (prototype: string, impl: ExportHandler['impl']) =>
  defineExport({ module: 'ndis', prototype, impl });

/** NDIS_OBJECT_HEADER.Type for pool parameters (NDIS_OBJECT_TYPE_DEFAULT). */
const NDIS_OBJECT_TYPE_DEFAULT = 0x80;
/** NET_BUFFER_LIST_POOL_PARAMETERS and NET_BUFFER_POOL_PARAMETERS sizes at revision 1 (x86). */
const NBL_POOL_PARAMETERS_SIZE = 16;
const NB_POOL_PARAMETERS_SIZE = 12;

type PoolKind = 'NET_BUFFER_LIST' | 'NET_BUFFER';
const pools = new WeakMap<KernelContext, Map<number, PoolKind>>();
function poolsOf(ctx: KernelContext): Map<number, PoolKind> {
  let m = pools.get(ctx);
  if (!m) {
    m = new Map();
    pools.set(ctx, m);
  }
  return m;
}

/** A pool handle for valid parameters (header type and revision 1 size checked as NDIS does), else NULL. */
function makePool(ctx: KernelContext, params: number, kind: PoolKind, minSize: number): number {
  if (!params) return 0;
  const type = ctx.mem.u8(params);
  const revision = ctx.mem.u8(params + 1);
  const size = ctx.mem.u16(params + 2);
  if (type !== NDIS_OBJECT_TYPE_DEFAULT || revision < 1 || size < minSize) return 0;
  const tag = ctx.mem.u32(params + (kind === 'NET_BUFFER_LIST' ? 8 : 4));
  const handle = ctx.pool.allocate(0x20, 0, 'NdPl', 'kernel');
  if (handle === null) return 0;
  ctx.mem.write(handle, new Uint8Array(0x20));
  ctx.mem.write(handle, ctx.mem.bytes(params, minSize));
  ctx.mem.setU32(handle + 0x1c, tag);
  poolsOf(ctx).set(handle, kind);
  return handle;
}

function freePool(ctx: KernelContext, handle: number, kind: PoolKind): undefined {
  if (poolsOf(ctx).get(handle >>> 0) !== kind) {
    // Freeing what is not such a pool: NDIS would corrupt itself; the report shows the bad free.
    ctx.log.add({ type: 'pool-bad-free', address: handle >>> 0, caller: ctx.caller });
    return undefined;
  }
  poolsOf(ctx).delete(handle >>> 0);
  ctx.pool.free(handle);
  return undefined;
}

export const ndisNetBufferExports: ExportHandler[] = [
  ndis(
    'NDIS_HANDLE NdisAllocateNetBufferListPool(NDIS_HANDLE NdisHandle, PNET_BUFFER_LIST_POOL_PARAMETERS Parameters)',
    (ctx, [, params]) => makePool(ctx, params!, 'NET_BUFFER_LIST', NBL_POOL_PARAMETERS_SIZE),
  ),
  ndis('VOID NdisFreeNetBufferListPool(NDIS_HANDLE PoolHandle)', (ctx, [h]) =>
    freePool(ctx, h!, 'NET_BUFFER_LIST'),
  ),
  ndis(
    'NDIS_HANDLE NdisAllocateNetBufferPool(NDIS_HANDLE NdisHandle, PNET_BUFFER_POOL_PARAMETERS Parameters)',
    (ctx, [, params]) => makePool(ctx, params!, 'NET_BUFFER', NB_POOL_PARAMETERS_SIZE),
  ),
  ndis('VOID NdisFreeNetBufferPool(NDIS_HANDLE PoolHandle)', (ctx, [h]) => freePool(ctx, h!, 'NET_BUFFER')),
];
