// Memory manager routines drivers use (ntoskrnl!Mm*): contiguous and non-cached memory from the
// pool, MDL building, probing, locking and mapping (model: all memory is resident and mapped, so
// physical = virtual - 0x80000000 for the pool), I/O space mapping, pageable sections (no paging).
import { defineExport, type ExportHandler } from '../../registry.js';
import { physicalOf } from '../hal/machine.js';
import { initMdl, MDL, setMdlFlags } from './io-more.js';

const nt = (prototype: string, impl: ExportHandler['impl']) =>
  defineExport({ module: 'ntoskrnl', prototype, impl });
const MDL_MAPPED_TO_SYSTEM_VA = 0x1;
const MDL_PAGES_LOCKED = 0x2;
const MDL_SOURCE_IS_NONPAGED_POOL = 0x4;
const mdlVa = (ctx: Parameters<ExportHandler['impl']>[0], mdl: number) =>
  (ctx.mem.u32(mdl + MDL.StartVa) + ctx.mem.u32(mdl + MDL.ByteOffset)) >>> 0;

export const mmMoreExports: ExportHandler[] = [
  nt(
    'PVOID MmAllocateContiguousMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS HighestAcceptableAddress)',
    (ctx, [n]) => ctx.pool.allocate(n!, 0, 'MmCm', 'driver') ?? 0,
  ),
  nt('VOID MmFreeContiguousMemory(PVOID BaseAddress)', (ctx, [p]) => {
    ctx.pool.free(p!);
    return undefined;
  }),
  nt(
    'PVOID MmAllocateNonCachedMemory(SIZE_T NumberOfBytes)',
    (ctx, [n]) => ctx.pool.allocate(n!, 0, 'MmNc', 'driver') ?? 0,
  ),
  nt('VOID MmFreeNonCachedMemory(PVOID BaseAddress, SIZE_T NumberOfBytes)', (ctx, [p]) => {
    ctx.pool.free(p!);
    return undefined;
  }),
  nt('PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress)', (_ctx, [va]) => BigInt(physicalOf(va!))),
  nt('VOID MmBuildMdlForNonPagedPool(IN OUT PMDL MemoryDescriptorList)', (ctx, [mdl]) => {
    const va = mdlVa(ctx, mdl!);
    initMdl(ctx, mdl!, va, ctx.mem.u32(mdl! + MDL.ByteCount), MDL_SOURCE_IS_NONPAGED_POOL);
    ctx.mem.setU32(mdl! + MDL.MappedSystemVa, va);
    return undefined;
  }),
  nt(
    'VOID MmProbeAndLockPages(IN OUT PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode, LOCK_OPERATION Operation)',
    (ctx, [mdl]) => {
      const va = mdlVa(ctx, mdl!);
      const length = ctx.mem.u32(mdl! + MDL.ByteCount);
      // Probing touches every page: an unmapped one is the access violation NT raises (no SEH yet: a stop).
      ctx.mem.bytes(va, Math.min(length, 1), 'probed buffer');
      if (length > 1) ctx.mem.bytes(va + length - 1, 1, 'probed buffer');
      setMdlFlags(ctx, mdl!, MDL_PAGES_LOCKED);
      return undefined;
    },
  ),
  nt('VOID MmUnlockPages(IN OUT PMDL MemoryDescriptorList)', (ctx, [mdl]) => {
    ctx.mem.setU16(mdl! + MDL.Size + 2, ctx.mem.u16(mdl! + MDL.Size + 2) & ~MDL_PAGES_LOCKED);
    return undefined;
  }),
  nt('PVOID MmMapLockedPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode)', (ctx, [mdl]) => {
    const va = mdlVa(ctx, mdl!);
    ctx.mem.setU32(mdl! + MDL.MappedSystemVa, va);
    setMdlFlags(ctx, mdl!, MDL_MAPPED_TO_SYSTEM_VA);
    return va;
  }),
  nt(
    'PVOID MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode, MEMORY_CACHING_TYPE CacheType, PVOID BaseAddress, ULONG BugCheckOnFailure, ULONG Priority)',
    (ctx, [mdl]) => {
      const va = mdlVa(ctx, mdl!);
      ctx.mem.setU32(mdl! + MDL.MappedSystemVa, va);
      setMdlFlags(ctx, mdl!, MDL_MAPPED_TO_SYSTEM_VA);
      return va;
    },
  ),
  nt('VOID MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList)', () => undefined),
  nt(
    'SIZE_T MmSizeOfMdl(PVOID Base, SIZE_T Length)',
    (_ctx, [va, n]) => MDL.size + 4 * (((va! & 0xfff) + n! + 0xfff) >>> 12 || 1),
  ),
  nt('PMDL MmCreateMdl(PMDL MemoryDescriptorList, PVOID Base, SIZE_T Length)', (ctx, [mdl, va, n]) => {
    const at =
      mdl ||
      ctx.pool.allocate(MDL.size + 4 * (((va! & 0xfff) + n! + 0xfff) >>> 12 || 1), 0, 'Mdl ', 'driver');
    if (!at) return 0;
    initMdl(ctx, at, va!, n!, 0);
    return at;
  }),
  nt(
    'PVOID MmMapIoSpace(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes, MEMORY_CACHING_TYPE CacheType)',
    (ctx, [lo, hi, n]) => {
      // Model: device memory is plain RAM the driver may read and write, mapped on first use.
      if (hi !== 0 || n === 0) return 0;
      const key = `io-space:${lo}`;
      const mapped = ctx.statics.get(key) ?? ctx.pool.allocate(n! + (lo! & 0xfff), 0, 'MmIo', 'kernel');
      if (mapped === null || mapped === undefined) return 0;
      ctx.statics.set(key, mapped);
      return mapped + (lo! & 0xfff);
    },
  ),
  nt('VOID MmUnmapIoSpace(PVOID BaseAddress, SIZE_T NumberOfBytes)', () => undefined),
  nt('PVOID MmLockPagableCodeSection(PVOID AddressWithinSection)', (_ctx, [va]) => va!),
  nt('PVOID MmLockPagableDataSection(PVOID AddressWithinSection)', (_ctx, [va]) => va!),
  nt('VOID MmUnlockPagableImageSection(PVOID ImageSectionHandle)', () => undefined),
  nt('PVOID MmPageEntireDriver(PVOID AddressWithinSection)', (_ctx, [va]) => va!),
  nt('VOID MmResetDriverPaging(PVOID AddressWithinSection)', () => undefined),
  nt('MM_SYSTEMSIZE MmQuerySystemSize(VOID)', () => 1), // MmMediumSystem: the model has 16 MB
  nt('BOOLEAN MmIsThisAnNtAsSystem(VOID)', () => 0),
];
