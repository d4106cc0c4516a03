// Executive exports (ntoskrnl!Ex*): pool allocation with use-after-free and double-free detection.
import type { KernelContext } from '../../context.js';
import { isMustSucceedPool } from '../../pool.js';
import { defineExport } from '../../registry.js';
import { NTSTATUS } from '../status.js';

const tagText = (tag: number) =>
  String.fromCharCode(tag & 0xff, (tag >>> 8) & 0xff, (tag >>> 16) & 0xff, (tag >>> 24) & 0xff).replace(
    /[^\x20-\x7e]/g,
    '.',
  );

/**
 * An allocation from the pool; NULL when it is exhausted, except for NonPagedPoolMustSucceed, which
 * NT's MiAllocatePoolPages answers with MUST_SUCCEED_POOL_EMPTY (0x41: size, then pool page counts
 * this model does not keep).
 */
function allocate(ctx: KernelContext, type: number, size: number, tag: string | null): number {
  const p = ctx.pool.allocate(size, type, tag, 'driver', { header: true });
  if (p !== null) return p;
  if (isMustSucceedPool(type)) {
    ctx.log.add({ type: 'bugcheck', code: 0x41, parameters: [size, 0, 0, 0], caller: ctx.caller });
    ctx.stop('bugcheck 0x41 MUST_SUCCEED_POOL_EMPTY');
  }
  return 0;
}

export const ExAllocatePool = defineExport({
  module: 'ntoskrnl',
  prototype: 'PVOID ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes)',
  impl: (ctx, [type, size]) => allocate(ctx, type!, size!, null),
});

export const ExAllocatePoolWithTag = defineExport({
  module: 'ntoskrnl',
  prototype: 'PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)',
  impl: (ctx, [type, size, tag]) => allocate(ctx, type!, size!, tagText(tag!)),
});

/**
 * A bad or repeated free is NT's BAD_POOL_CALLER (0xC2) bugcheck; a block whose POOL_HEADER or
 * neighbour's header was overwritten is BAD_POOL_HEADER (0x19), as NT's ExFreePool finds it.
 */
export const ExFreePool = defineExport({
  module: 'ntoskrnl',
  prototype: 'VOID ExFreePool(PVOID P)',
  impl(ctx, [p]) {
    const r = ctx.pool.free(p!);
    if (r === 'ok') return undefined;
    if (typeof r === 'object') {
      const block = ctx.pool.blockAt(p!)!;
      ctx.log.add({
        type: 'pool-overrun',
        address: p!,
        size: block.size,
        tag: block.tag,
        header: r.header,
        caller: ctx.caller,
      });
      ctx.log.add({ type: 'bugcheck', code: r.code, parameters: r.parameters, caller: ctx.caller });
      ctx.stop('bugcheck 0x19 BAD_POOL_HEADER');
      return undefined;
    }
    ctx.log.add({
      type: r === 'double-free' ? 'pool-double-free' : 'pool-bad-free',
      address: p!,
      caller: ctx.caller,
    });
    ctx.log.add({
      type: 'bugcheck',
      code: 0xc2,
      parameters: [r === 'double-free' ? 7 : 0x46, 0, p!, 0],
      caller: ctx.caller,
    });
    ctx.stop('bugcheck 0xC2 BAD_POOL_CALLER');
    return undefined;
  },
});

/** (NT 4 and later kernels) */
export const ExFreePoolWithTag = defineExport({
  ...ExFreePool,
  prototype: 'VOID ExFreePoolWithTag(PVOID P, ULONG Tag)',
});

/** (model: zero the 0x38-byte ERESOURCE) */
export const ExInitializeResource = defineExport({
  module: 'ntoskrnl',
  prototype: 'NTSTATUS ExInitializeResource(PERESOURCE Resource)',
  impl(ctx, [resource]) {
    ctx.mem.write(resource!, new Uint8Array(0x38));
    return NTSTATUS.SUCCESS;
  },
});

export const exExports = [
  ExAllocatePool,
  ExAllocatePoolWithTag,
  ExFreePool,
  ExFreePoolWithTag,
  ExInitializeResource,
];
