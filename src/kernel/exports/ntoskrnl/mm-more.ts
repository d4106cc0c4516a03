// Memory manager routines drivers use (ntoskrnl!Mm*): contiguous and non-cached memory from the
// pool, MDL building, probing, locking and mapping (model: all memory is resident and mapped, so
// physical = virtual - 0x80000000 for the pool), I/O space mapping, pageable sections (no paging).
import { defineExport, type ExportHandler } from '../../registry.js';
import { physicalOf } from '../hal/machine.js';
import { initMdl, mdlBytes, setMdlFlags } from './io-more.js';

const nt = (prototype: string, impl: ExportHandler['impl']) =>
  defineExport({ module: 'ntoskrnl', prototype, impl });
const MDL_MAPPED_TO_SYSTEM_VA = 0x1;
const MDL_PAGES_LOCKED = 0x2;
const MDL_SOURCE_IS_NONPAGED_POOL = 0x4;
type Ctx = Parameters<ExportHandler['impl']>[0];
/** The MDL's buffer: StartVa + ByteOffset. */
const mdlVa = (ctx: Ctx, mdl: number) =>
  (ctx.mem.ptr(mdl + ctx.mem.layouts.MDL.StartVa) + ctx.mem.u32(mdl + ctx.mem.layouts.MDL.ByteOffset)) >>> 0;
const byteCount = (ctx: Ctx, mdl: number) => ctx.mem.u32(mdl + ctx.mem.layouts.MDL.ByteCount);
/** Maps the MDL's pages to system space (all resident: its own address) and says so in MdlFlags. */
function mapLocked(ctx: Ctx, mdl: number): number {
  const va = mdlVa(ctx, mdl);
  ctx.mem.setPtr(mdl + ctx.mem.layouts.MDL.MappedSystemVa, va);
  setMdlFlags(ctx, mdl, MDL_MAPPED_TO_SYSTEM_VA);
  return va;
}

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
    initMdl(ctx, mdl!, va, byteCount(ctx, mdl!), MDL_SOURCE_IS_NONPAGED_POOL);
    ctx.mem.setPtr(mdl! + ctx.mem.layouts.MDL.MappedSystemVa, va);
    return undefined;
  }),
  nt(
    'VOID MmProbeAndLockPages(IN OUT PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode, LOCK_OPERATION Operation)',
    (ctx, [mdl]) => {
      const va = mdlVa(ctx, mdl!);
      const length = byteCount(ctx, mdl!);
      // Probing touches every page: an unmapped one is the access violation NT raises (no SEH yet: a stop).
      ctx.mem.bytes(va, Math.min(length, 1), 'probed buffer');
      if (length > 1) ctx.mem.bytes(va + length - 1, 1, 'probed buffer');
      setMdlFlags(ctx, mdl!, MDL_PAGES_LOCKED);
      return undefined;
    },
  ),
  nt('VOID MmUnlockPages(IN OUT PMDL MemoryDescriptorList)', (ctx, [mdl]) => {
    const flags = mdl! + ctx.mem.layouts.MDL.MdlFlags;
    ctx.mem.setU16(flags, ctx.mem.u16(flags) & ~MDL_PAGES_LOCKED);
    return undefined;
  }),
  nt('PVOID MmMapLockedPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode)', (ctx, [mdl]) =>
    mapLocked(ctx, mdl!),
  ),
  nt(
    'PVOID MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode, MEMORY_CACHING_TYPE CacheType, PVOID BaseAddress, ULONG BugCheckOnFailure, ULONG Priority)',
    (ctx, [mdl]) => mapLocked(ctx, mdl!),
  ),
  nt('VOID MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList)', () => undefined),
  nt('SIZE_T MmSizeOfMdl(PVOID Base, SIZE_T Length)', (ctx, [va, n]) => mdlBytes(ctx, va!, n!)),
  nt('PMDL MmCreateMdl(PMDL MemoryDescriptorList, PVOID Base, SIZE_T Length)', (ctx, [mdl, va, n]) => {
    const at = mdl || ctx.pool.allocate(mdlBytes(ctx, va!, n!), 0, 'Mdl ', 'driver');
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
