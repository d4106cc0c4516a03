// System services drivers call by their Nt names (ntoskrnl!NtClose, NtCreateFile…): the same
// handlers as the Zw names (in kernel mode the two differ only in the previous-mode check), plus
// ZwDeleteKey, ZwWriteFile (the file view is read-only), ZwDeviceIoControlFile, and registry
// helpers (RtlWriteRegistryValue) over the Zw key routines.
import type { KernelContext } from '../../context.js';
import { defineExport, type ExportHandler } from '../../registry.js';
import { NTSTATUS } from '../status.js';
import { setIoStatus, ZwClose, ZwCreateFile, ZwQueryInformationFile, ZwReadFile } from './zw.js';

const nt = (prototype: string, impl: ExportHandler['impl']) =>
  defineExport({ module: 'ntoskrnl', prototype, impl });
const alias = (prototype: string, of: ExportHandler) => nt(prototype, of.impl);

function writeDenied(ctx: KernelContext, handle: number, iosb: number): number {
  if (!ctx.ob.get(handle)) return NTSTATUS.INVALID_HANDLE;
  return setIoStatus(ctx, iosb, NTSTATUS.ACCESS_DENIED, 0); // model: files are a read-only view of the image set
}

export const ntServiceExports: ExportHandler[] = [
  alias('NTSTATUS NtClose(HANDLE Handle)', ZwClose),
  alias(
    'NTSTATUS NtCreateFile(OUT PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes, OUT PIO_STATUS_BLOCK IoStatusBlock, PLARGE_INTEGER AllocationSize, ULONG FileAttributes, ULONG ShareAccess, ULONG CreateDisposition, ULONG CreateOptions, PVOID EaBuffer, ULONG EaLength)',
    ZwCreateFile,
  ),
  alias(
    'NTSTATUS NtReadFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext, OUT PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length, PLARGE_INTEGER ByteOffset, PULONG Key)',
    ZwReadFile,
  ),
  alias(
    'NTSTATUS NtQueryInformationFile(HANDLE FileHandle, OUT PIO_STATUS_BLOCK IoStatusBlock, PVOID FileInformation, ULONG Length, FILE_INFORMATION_CLASS FileInformationClass)',
    ZwQueryInformationFile,
  ),
  nt(
    'NTSTATUS NtWriteFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext, OUT PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length, PLARGE_INTEGER ByteOffset, PULONG Key)',
    (ctx, [h, , , , iosb]) => writeDenied(ctx, h!, iosb!),
  ),
  nt(
    'NTSTATUS ZwWriteFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext, OUT PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length, PLARGE_INTEGER ByteOffset, PULONG Key)',
    (ctx, [h, , , , iosb]) => writeDenied(ctx, h!, iosb!),
  ),
  nt(
    'NTSTATUS NtDeviceIoControlFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext, OUT PIO_STATUS_BLOCK IoStatusBlock, ULONG IoControlCode, PVOID InputBuffer, ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength)',
    (ctx, [h]) => (ctx.ob.get(h!) ? NTSTATUS.INVALID_DEVICE_REQUEST : NTSTATUS.INVALID_HANDLE),
  ),
  nt(
    'NTSTATUS ZwDeviceIoControlFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext, OUT PIO_STATUS_BLOCK IoStatusBlock, ULONG IoControlCode, PVOID InputBuffer, ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength)',
    (ctx, [h]) => (ctx.ob.get(h!) ? NTSTATUS.INVALID_DEVICE_REQUEST : NTSTATUS.INVALID_HANDLE),
  ),
  nt('NTSTATUS ZwDeleteKey(HANDLE KeyHandle)', (ctx, [h]) => {
    const object = ctx.ob.get(h!);
    if (object?.kind !== 'key' || !object.path || !ctx.registry) return NTSTATUS.INVALID_HANDLE;
    const parts = object.path.split('\\').filter(Boolean);
    const name = parts.pop()!;
    let key = ctx.registry.root;
    for (const p of parts.slice(1)) {
      const next = key.subkeys.get(p.toLowerCase());
      if (!next) return NTSTATUS.OBJECT_NAME_NOT_FOUND;
      key = next;
    }
    const child = key.subkeys.get(name.toLowerCase());
    if (!child) return NTSTATUS.OBJECT_NAME_NOT_FOUND;
    if (child.subkeys.size > 0) return NTSTATUS.ACCESS_DENIED; // NT deletes only keys without subkeys
    key.subkeys.delete(name.toLowerCase());
    return NTSTATUS.SUCCESS;
  }),
  nt('NTSTATUS ZwFlushKey(HANDLE KeyHandle)', (ctx, [h]) =>
    ctx.ob.get(h!) ? NTSTATUS.SUCCESS : NTSTATUS.INVALID_HANDLE,
  ),
  nt('NTSTATUS ZwMakeTemporaryObject(HANDLE Handle)', (ctx, [h]) =>
    ctx.ob.get(h!) ? NTSTATUS.SUCCESS : NTSTATUS.INVALID_HANDLE,
  ),
];
