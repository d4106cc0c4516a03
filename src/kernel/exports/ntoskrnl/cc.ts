// Cache manager and file-system run-time library routines a file system calls (ntoskrnl!Cc*,
// FsRtl*). Model: there is no cache; cached reads and writes report "not done" (FALSE) so the file
// system takes its non-cached path, as NT lets it when Wait is FALSE; the other calls keep no state.
import { defineExport, type ExportHandler } from '../../registry.js';
import { nameInExpression } from './fsrtl.js';

const nt = (prototype: string, impl: ExportHandler['impl'], pure = false) =>
  defineExport({ module: 'ntoskrnl', prototype, impl, pure });

export const ccExports: ExportHandler[] = [
  nt(
    'BOOLEAN CcCopyRead(PFILE_OBJECT FileObject, PLARGE_INTEGER FileOffset, ULONG Length, BOOLEAN Wait, PVOID Buffer, OUT PIO_STATUS_BLOCK IoStatus)',
    () => 0,
  ),
  nt(
    'BOOLEAN CcCopyWrite(PFILE_OBJECT FileObject, PLARGE_INTEGER FileOffset, ULONG Length, BOOLEAN Wait, PVOID Buffer)',
    () => 0,
  ),
  nt(
    'VOID CcFlushCache(PSECTION_OBJECT_POINTERS SectionObjectPointer, PLARGE_INTEGER FileOffset, ULONG Length, OUT PIO_STATUS_BLOCK IoStatus)',
    (ctx, [, , , iosb]) => {
      if (iosb) {
        ctx.mem.setU32(iosb, 0);
        ctx.mem.setU32(iosb + 4, 0);
      }
      return undefined;
    },
  ),
  nt(
    'VOID CcInitializeCacheMap(PFILE_OBJECT FileObject, PCC_FILE_SIZES FileSizes, BOOLEAN PinAccess, PCACHE_MANAGER_CALLBACKS Callbacks, PVOID LazyWriteContext)',
    () => undefined,
  ),
  nt(
    'BOOLEAN CcUninitializeCacheMap(PFILE_OBJECT FileObject, PLARGE_INTEGER TruncateSize, PCACHE_UNINITIALIZE_EVENT UninitializeCompleteEvent)',
    () => 1,
  ),
  nt('VOID CcSetFileSizes(PFILE_OBJECT FileObject, PCC_FILE_SIZES FileSizes)', () => undefined),
  nt(
    'BOOLEAN CcMapData(PFILE_OBJECT FileObject, PLARGE_INTEGER FileOffset, ULONG Length, BOOLEAN Wait, OUT PVOID *Bcb, OUT PVOID *Buffer)',
    () => 0,
  ),
  nt(
    'BOOLEAN CcPinRead(PFILE_OBJECT FileObject, PLARGE_INTEGER FileOffset, ULONG Length, BOOLEAN Wait, OUT PVOID *Bcb, OUT PVOID *Buffer)',
    () => 0,
  ),
  nt('VOID CcUnpinData(PVOID Bcb)', () => undefined),
  nt(
    'BOOLEAN FsRtlAreNamesEqual(PCUNICODE_STRING ConstantNameA, PCUNICODE_STRING ConstantNameB, BOOLEAN IgnoreCase, PCWCH UpcaseTable)',
    (ctx, [a, b, ic]) => {
      const x = ctx.mem.unicodeString(a!) ?? '';
      const y = ctx.mem.unicodeString(b!) ?? '';
      return (ic! & 0xff ? x.toUpperCase() === y.toUpperCase() : x === y) ? 1 : 0;
    },
    true,
  ),
  nt(
    'BOOLEAN FsRtlDoesNameContainWildCards(PUNICODE_STRING Name)',
    (ctx, [n]) => (/[*?<>"]/.test(ctx.mem.unicodeString(n!) ?? '') ? 1 : 0),
    true,
  ),
  nt(
    'VOID FsRtlDissectName(UNICODE_STRING Path, OUT PUNICODE_STRING FirstName, OUT PUNICODE_STRING RemainingName)',
    (ctx, [lengths, buffer, first, rest]) => {
      // UNICODE_STRING by value: Length/MaximumLength in one slot, Buffer in the next (x86).
      const length = lengths! & 0xffff;
      let start = 0;
      if (length >= 2 && ctx.mem.u16(buffer!) === 0x5c) start = 2;
      let end = start;
      while (end < length && ctx.mem.u16(buffer! + end) !== 0x5c) end += 2;
      const set = (s: number, from: number, to: number) => {
        ctx.mem.setU16(s, to - from);
        ctx.mem.setU16(s + 2, to - from);
        ctx.mem.setU32(s + 4, to > from ? buffer! + from : 0);
      };
      set(first!, start, end);
      set(rest!, Math.min(end + 2, length), length);
      return undefined;
    },
    true,
  ),
  nt(
    'VOID FsRtlInitializeFileLock(PFILE_LOCK FileLock, PCOMPLETE_LOCK_IRP_ROUTINE CompleteLockIrpRoutine, PUNLOCK_ROUTINE UnlockRoutine)',
    (ctx, [l]) => {
      ctx.mem.write(l!, new Uint8Array(0x20));
      return undefined;
    },
  ),
  nt('NTSTATUS FsRtlProcessFileLock(PFILE_LOCK FileLock, PIRP Irp, PVOID Context)', () => 0xc0000010), // no byte-range locks in the model
  nt(
    'BOOLEAN FsRtlFastCheckLockForRead(PFILE_LOCK FileLock, PLARGE_INTEGER StartingByte, PLARGE_INTEGER Length, ULONG Key, PFILE_OBJECT FileObject, PVOID ProcessId)',
    () => 1,
  ),
  nt(
    'BOOLEAN FsRtlCopyRead(PFILE_OBJECT FileObject, PLARGE_INTEGER FileOffset, ULONG Length, BOOLEAN Wait, ULONG LockKey, PVOID Buffer, OUT PIO_STATUS_BLOCK IoStatus, PDEVICE_OBJECT DeviceObject)',
    () => 0,
  ),
  nt(
    'BOOLEAN FsRtlCopyWrite(PFILE_OBJECT FileObject, PLARGE_INTEGER FileOffset, ULONG Length, BOOLEAN Wait, ULONG LockKey, PVOID Buffer, OUT PIO_STATUS_BLOCK IoStatus, PDEVICE_OBJECT DeviceObject)',
    () => 0,
  ),
  nt(
    'BOOLEAN FsRtlAddLargeMcbEntry(PLARGE_MCB Mcb, LONGLONG Vbn, LONGLONG Lbn, LONGLONG SectorCount)',
    () => 1,
  ),
  nt(
    'VOID FsRtlNotifyFullChangeDirectory(PNOTIFY_SYNC NotifySync, PLIST_ENTRY NotifyList, PVOID FsContext, PSTRING FullDirectoryName, BOOLEAN WatchTree, BOOLEAN IgnoreBuffer, ULONG CompletionFilter, PIRP NotifyIrp, PCHECK_FOR_TRAVERSE_ACCESS TraverseCallback, PSECURITY_SUBJECT_CONTEXT SubjectContext)',
    () => undefined,
  ),
  nt('VOID FsRtlNotifyUninitializeSync(IN OUT PNOTIFY_SYNC *NotifySync)', (ctx, [p]) => {
    ctx.mem.setU32(p!, 0);
    return undefined;
  }),
  nt(
    'BOOLEAN FsRtlIsDbcsInExpression(PANSI_STRING Expression, PANSI_STRING Name)',
    (ctx, [e, n]) =>
      nameInExpression(ctx.mem.ansiString(e!) ?? '', ctx.mem.ansiString(n!) ?? '', false) ? 1 : 0,
    true,
  ),
];
