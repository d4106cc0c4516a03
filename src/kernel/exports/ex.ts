// Executive exports (ntoskrnl!Ex*): pool allocation with use-after-free and double-free detection.
import type { KernelContext } from '../context.js';
import { isMustSucceedPool } from '../pool.js';
import { defineExport } from '../registry.js';
import { NTSTATUS } from './status.js';

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
  const p = ctx.pool.allocate(size, type, tag, 'driver');
  if (p !== null) return p;
  if (isMustSucceedPool(type)) {
    ctx.log.add({ type: 'bugcheck', code: 0x41, parameters: [size, 0, 0, 0], caller: ctx.caller });
    ctx.stop('bugcheck 0x41 MUST_SUCCEED_POOL_EMPTY');
  }
  return 0;
}

/** PVOID ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes); */
export const ExAllocatePool = defineExport({
  module: 'ntoskrnl',
  name: 'ExAllocatePool',
  prototype: 'PVOID ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes)',
  conv: 'stdcall',
  args: [
    { name: 'PoolType', type: 'ULONG' },
    { name: 'NumberOfBytes', type: 'ULONG' },
  ],
  returns: 'PVOID',
  impl: (ctx, [type, size]) => allocate(ctx, type!, size!, null),
});

/** PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag); */
export const ExAllocatePoolWithTag = defineExport({
  module: 'ntoskrnl',
  name: 'ExAllocatePoolWithTag',
  prototype: 'PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)',
  conv: 'stdcall',
  args: [
    { name: 'PoolType', type: 'ULONG' },
    { name: 'NumberOfBytes', type: 'ULONG' },
    { name: 'Tag', type: 'ULONG' },
  ],
  returns: 'PVOID',
  impl: (ctx, [type, size, tag]) => allocate(ctx, type!, size!, tagText(tag!)),
});

/** VOID ExFreePool(PVOID P); a bad or repeated free is NT's BAD_POOL_CALLER (0xC2) bugcheck. */
export const ExFreePool = defineExport({
  module: 'ntoskrnl',
  name: 'ExFreePool',
  prototype: 'VOID ExFreePool(PVOID P)',
  conv: 'stdcall',
  args: [{ name: 'P', type: 'PVOID' }],
  returns: 'VOID',
  impl(ctx, [p]) {
    const r = ctx.pool.free(p!);
    if (r === 'ok') return undefined;
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

/** VOID ExFreePoolWithTag(PVOID P, ULONG Tag); (NT 4 and later kernels) */
export const ExFreePoolWithTag = defineExport({
  ...ExFreePool,
  name: 'ExFreePoolWithTag',
  prototype: 'VOID ExFreePoolWithTag(PVOID P, ULONG Tag)',
  args: [
    { name: 'P', type: 'PVOID' },
    { name: 'Tag', type: 'ULONG' },
  ],
});

/** NTSTATUS ExInitializeResource(PERESOURCE Resource); (model: zero the 0x38-byte ERESOURCE) */
export const ExInitializeResource = defineExport({
  module: 'ntoskrnl',
  name: 'ExInitializeResource',
  prototype: 'NTSTATUS ExInitializeResource(PERESOURCE Resource)',
  conv: 'stdcall',
  args: [{ name: 'Resource', type: 'PVOID' }],
  returns: 'NTSTATUS',
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
