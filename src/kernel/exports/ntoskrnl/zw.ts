// Native system services drivers call (ntoskrnl!Zw*): files, read-only, from the context's file
// provider (an image set's files), and registry keys in the context's in-memory registry model.
import type { KernelContext } from '../../context.js';
import type { KernelObject } from '../../handles.js';
import type { RegistryKey } from '../../hive.js';
import { layoutOf, type StructDescription } from '../../layout.js';
import { defineExport } from '../../registry.js';
import { NTSTATUS } from '../status.js';

/** OBJECT_ATTRIBUTES (ntdef.h), laid out for the guest's pointers (x86: ObjectName at 8; AMD64: 0x10). */
const OBJECT_ATTRIBUTES_D = {
  name: 'OBJECT_ATTRIBUTES',
  fields: [
    ['Length', 'u32'],
    ['RootDirectory', 'ptr'],
    ['ObjectName', 'ptr'],
    ['Attributes', 'u32'],
    ['SecurityDescriptor', 'ptr'],
    ['SecurityQualityOfService', 'ptr'],
  ],
} as const satisfies StructDescription;
type OaField = (typeof OBJECT_ATTRIBUTES_D)['fields'][number][0];
const OBJECT_ATTRIBUTES = {
  4: layoutOf<OaField>(OBJECT_ATTRIBUTES_D, 4),
  8: layoutOf<OaField>(OBJECT_ATTRIBUTES_D, 8),
};

/** Writes a new handle to a PHANDLE: pointer-sized, zero-extended on AMD64. */
export const setHandle = (ctx: KernelContext, out: number, handle: number) =>
  ctx.mem.setUlongPtr(out, handle);
/** Access bits that ask to change a file (FILE_WRITE_DATA, FILE_APPEND_DATA, DELETE, GENERIC_WRITE, GENERIC_ALL). */
const WRITE_ACCESS = 0x2 | 0x4 | 0x10000 | 0x40000000 | 0x10000000;
/** CreateDisposition values that open an existing file without changing it: FILE_OPEN, FILE_OPEN_IF. */
const OPENING = new Set([1, 3]);
const FILE_OPENED = 1;
const REG_CREATED_NEW_KEY = 1;
const REG_OPENED_EXISTING_KEY = 2;

/** The full name an OBJECT_ATTRIBUTES gives: ObjectName, relative to RootDirectory's key if set. */
function objectName(ctx: KernelContext, attributes: number): string | null {
  const oa = OBJECT_ATTRIBUTES[ctx.mem.pointerSize];
  const name = ctx.mem.unicodeString(ctx.mem.ptr(attributes + oa.ObjectName));
  if (name === null) return null;
  const root = ctx.mem.ptr(attributes + oa.RootDirectory);
  if (!root) return name;
  const parent = ctx.ob.get(root);
  return parent?.path !== undefined ? `${parent.path}\\${name}` : null;
}

/** IO_STATUS_BLOCK { union { NTSTATUS Status; PVOID Pointer; }; ULONG_PTR Information; }: `status`, returned. */
export function setIoStatus(ctx: KernelContext, iosb: number, status: number, information: number): number {
  if (iosb) {
    ctx.mem.setUlongPtr(iosb, status);
    ctx.mem.setUlongPtr(iosb + ctx.mem.pointerSize, information);
  }
  return status;
}

/** Opens a file of the provider for reading; write access or a creating disposition is denied. */
function openFile(
  ctx: KernelContext,
  [out, access, attributes, iosb]: number[],
  disposition: number,
): number {
  const path = objectName(ctx, attributes!);
  if (path === null) return NTSTATUS.OBJECT_NAME_INVALID;
  const data = ctx.files?.read(path) ?? null;
  if (data === null) return setIoStatus(ctx, iosb!, NTSTATUS.OBJECT_NAME_NOT_FOUND, 0);
  if (access! & WRITE_ACCESS || !OPENING.has(disposition))
    return setIoStatus(ctx, iosb!, NTSTATUS.ACCESS_DENIED, 0); // model: the files are a read-only view
  setHandle(ctx, out!, ctx.ob.open(ctx.ob.create('file', { path, data, position: 0 })));
  return setIoStatus(ctx, iosb!, NTSTATUS.SUCCESS, FILE_OPENED);
}

/** Only opening existing files for reading succeeds (read-only view). */
export const ZwCreateFile = defineExport({
  module: 'ntoskrnl',
  prototype:
    'NTSTATUS ZwCreateFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock, PLARGE_INTEGER AllocationSize, ULONG FileAttributes, ULONG ShareAccess, ULONG CreateDisposition, ULONG CreateOptions, PVOID EaBuffer, ULONG EaLength)',
  impl: (ctx, args) => openFile(ctx, args, args[7]!),
});

export const ZwOpenFile = defineExport({
  module: 'ntoskrnl',
  prototype:
    'NTSTATUS ZwOpenFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock, ULONG ShareAccess, ULONG OpenOptions)',
  impl: (ctx, args) => openFile(ctx, args, 1),
});

function fileOf(ctx: KernelContext, handle: number): KernelObject | number {
  const f = ctx.ob.get(handle);
  if (!f) return NTSTATUS.INVALID_HANDLE;
  return f.kind === 'file' ? f : NTSTATUS.OBJECT_TYPE_MISMATCH;
}

/** Synchronous: reads at ByteOffset (or the current position). */
export const ZwReadFile = defineExport({
  module: 'ntoskrnl',
  prototype:
    'NTSTATUS ZwReadFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length, PLARGE_INTEGER ByteOffset, PULONG Key)',
  impl(ctx, [handle, , , , iosb, buffer, length, offsetPtr]) {
    const f = fileOf(ctx, handle!);
    if (typeof f === 'number') return f;
    const data = f.data!;
    let at = f.position!;
    if (offsetPtr) {
      const low = ctx.mem.u32(offsetPtr!);
      const high = ctx.mem.u32(offsetPtr! + 4);
      // FILE_USE_FILE_POINTER_POSITION (-2 as a LARGE_INTEGER) keeps the current position.
      if (!(high === 0xffffffff && low === 0xfffffffe)) at = high ? Number.MAX_SAFE_INTEGER : low;
    }
    if (at >= data.length) return setIoStatus(ctx, iosb!, NTSTATUS.END_OF_FILE, 0);
    const chunk = data.subarray(at, Math.min(data.length, at + length!));
    ctx.mem.write(buffer!, chunk);
    f.position = at + chunk.length;
    return setIoStatus(ctx, iosb!, NTSTATUS.SUCCESS, chunk.length);
  },
});

/** Answers FileStandardInformation (5) and FilePositionInformation (14). */
export const ZwQueryInformationFile = defineExport({
  module: 'ntoskrnl',
  prototype:
    'NTSTATUS ZwQueryInformationFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock, PVOID FileInformation, ULONG Length, FILE_INFORMATION_CLASS FileInformationClass)',
  impl(ctx, [handle, iosb, info, length, infoClass]) {
    const f = fileOf(ctx, handle!);
    if (typeof f === 'number') return f;
    const out = new DataView(new ArrayBuffer(24));
    let size: number;
    if (infoClass === 5) {
      // FILE_STANDARD_INFORMATION: AllocationSize, EndOfFile, NumberOfLinks, DeletePending, Directory.
      const allocation = Math.ceil(f.data!.length / 512) * 512;
      out.setUint32(0, allocation, true);
      out.setUint32(8, f.data!.length, true);
      out.setUint32(16, 1, true);
      size = 24;
    } else if (infoClass === 14) {
      out.setUint32(0, f.position!, true); // FILE_POSITION_INFORMATION.CurrentByteOffset
      size = 8;
    } else {
      return NTSTATUS.INVALID_INFO_CLASS;
    }
    if (length! < size) return NTSTATUS.INFO_LENGTH_MISMATCH;
    ctx.mem.write(info!, new Uint8Array(out.buffer, 0, size));
    return setIoStatus(ctx, iosb!, NTSTATUS.SUCCESS, size);
  },
});

export const ZwClose = defineExport({
  module: 'ntoskrnl',
  prototype: 'NTSTATUS ZwClose(HANDLE Handle)',
  impl: (ctx, [handle]) => (ctx.ob.close(handle!) ? NTSTATUS.SUCCESS : NTSTATUS.INVALID_HANDLE),
});

function keyOf(ctx: KernelContext, handle: number): { object: KernelObject; key: RegistryKey } | number {
  const object = ctx.ob.get(handle);
  if (!object) return NTSTATUS.INVALID_HANDLE;
  if (object.kind !== 'key') return NTSTATUS.OBJECT_TYPE_MISMATCH;
  const key = ctx.registry?.key(object.path!)?.key;
  return key ? { object, key } : NTSTATUS.INVALID_HANDLE;
}

export const ZwOpenKey = defineExport({
  module: 'ntoskrnl',
  prototype:
    'NTSTATUS ZwOpenKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes)',
  impl(ctx, [out, , attributes]) {
    const path = objectName(ctx, attributes!);
    if (path === null) return NTSTATUS.OBJECT_NAME_INVALID;
    if (!ctx.registry?.key(path)) return NTSTATUS.OBJECT_NAME_NOT_FOUND;
    setHandle(ctx, out!, ctx.ob.open(ctx.ob.create('key', { path })));
    return NTSTATUS.SUCCESS;
  },
});

/** Creates the key in the in-memory model (the parent must exist, as in NT). */
export const ZwCreateKey = defineExport({
  module: 'ntoskrnl',
  prototype:
    'NTSTATUS ZwCreateKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes, ULONG TitleIndex, PUNICODE_STRING Class, ULONG CreateOptions, PULONG Disposition)',
  impl(ctx, [out, , attributes, , , , disposition]) {
    const path = objectName(ctx, attributes!);
    if (path === null) return NTSTATUS.OBJECT_NAME_INVALID;
    const registry = ctx.registry;
    if (!registry) return NTSTATUS.OBJECT_NAME_NOT_FOUND;
    const parent = path.replace(/\\+[^\\]*\\*$/, '');
    if (!registry.key(parent)) return NTSTATUS.OBJECT_PATH_NOT_FOUND;
    const { created } = registry.key(path, true)!;
    setHandle(ctx, out!, ctx.ob.open(ctx.ob.create('key', { path })));
    if (disposition) ctx.mem.setU32(disposition!, created ? REG_CREATED_NEW_KEY : REG_OPENED_EXISTING_KEY);
    return NTSTATUS.SUCCESS;
  },
});

/** Writes `bytes` (a structure of which `fixed` bytes are the fixed part) as NT's query routines do. */
function answer(
  ctx: KernelContext,
  bytes: Uint8Array,
  fixed: number,
  buffer: number,
  length: number,
  resultLength: number,
): number {
  if (resultLength) ctx.mem.setU32(resultLength, bytes.length);
  if (length < fixed) return NTSTATUS.BUFFER_TOO_SMALL;
  ctx.mem.write(buffer, bytes.subarray(0, Math.min(length, bytes.length)));
  return length < bytes.length ? NTSTATUS.BUFFER_OVERFLOW : NTSTATUS.SUCCESS;
}

const utf16 = (s: string) => {
  const b = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) new DataView(b.buffer).setUint16(2 * i, s.charCodeAt(i), true);
  return b;
};

/**
 * KeyValueBasicInformation (0), KeyValueFullInformation (1) and KeyValuePartialInformation (2).
 */
export const ZwQueryValueKey = defineExport({
  module: 'ntoskrnl',
  prototype:
    'NTSTATUS ZwQueryValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName, KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass, PVOID KeyValueInformation, ULONG Length, PULONG ResultLength)',
  impl(ctx, [handle, namePtr, infoClass, buffer, length, resultLength]) {
    const k = keyOf(ctx, handle!);
    if (typeof k === 'number') return k;
    const name = ctx.mem.unicodeString(namePtr!) ?? '';
    const value = k.key.values.get(name.toLowerCase());
    if (!value) return NTSTATUS.OBJECT_NAME_NOT_FOUND;
    const nameBytes = utf16(value.name);
    let out: Uint8Array;
    let fixed: number;
    if (infoClass === 0) {
      fixed = 12; // TitleIndex, Type, NameLength, Name[]
      out = new Uint8Array(fixed + nameBytes.length);
      const v = new DataView(out.buffer);
      v.setUint32(4, value.type, true);
      v.setUint32(8, nameBytes.length, true);
      out.set(nameBytes, 12);
    } else if (infoClass === 1) {
      fixed = 20; // TitleIndex, Type, DataOffset, DataLength, NameLength, Name[], data (4-aligned)
      const dataOffset = (fixed + nameBytes.length + 3) & ~3;
      out = new Uint8Array(dataOffset + value.data.length);
      const v = new DataView(out.buffer);
      v.setUint32(4, value.type, true);
      v.setUint32(8, dataOffset, true);
      v.setUint32(12, value.data.length, true);
      v.setUint32(16, nameBytes.length, true);
      out.set(nameBytes, 20);
      out.set(value.data, dataOffset);
    } else if (infoClass === 2) {
      fixed = 12; // TitleIndex, Type, DataLength, Data[]
      out = new Uint8Array(fixed + value.data.length);
      const v = new DataView(out.buffer);
      v.setUint32(4, value.type, true);
      v.setUint32(8, value.data.length, true);
      out.set(value.data, 12);
    } else {
      return NTSTATUS.INVALID_PARAMETER;
    }
    return answer(ctx, out, fixed, buffer!, length!, resultLength!);
  },
});

/** Writes the in-memory copy only. */
export const ZwSetValueKey = defineExport({
  module: 'ntoskrnl',
  prototype:
    'NTSTATUS ZwSetValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName, ULONG TitleIndex, ULONG Type, PVOID Data, ULONG DataSize)',
  impl(ctx, [handle, namePtr, , type, data, size]) {
    const k = keyOf(ctx, handle!);
    if (typeof k === 'number') return k;
    const name = ctx.mem.unicodeString(namePtr!) ?? '';
    // The registry's size quota (Pool.registryQuota) is charged before the data is read.
    const old = k.key.values.get(name.toLowerCase());
    const delta = 2 * name.length + size! - (old ? 2 * old.name.length + old.data.length : 0);
    if (!ctx.pool.chargeRegistry(delta)) return NTSTATUS.INSUFFICIENT_RESOURCES;
    const bytes = size ? ctx.mem.bytes(data!, size!, 'value data') : new Uint8Array(0);
    k.key.values.set(name.toLowerCase(), { name, type: type!, data: new Uint8Array(bytes) });
    return NTSTATUS.SUCCESS;
  },
});

/** Subkeys in creation order; KeyBasicInformation (0) and KeyNodeInformation (1). */
export const ZwEnumerateKey = defineExport({
  module: 'ntoskrnl',
  prototype:
    'NTSTATUS ZwEnumerateKey(HANDLE KeyHandle, ULONG Index, KEY_INFORMATION_CLASS KeyInformationClass, PVOID KeyInformation, ULONG Length, PULONG ResultLength)',
  impl(ctx, [handle, index, infoClass, buffer, length, resultLength]) {
    const k = keyOf(ctx, handle!);
    if (typeof k === 'number') return k;
    const sub = [...k.key.subkeys.values()][index!];
    if (!sub) return NTSTATUS.NO_MORE_ENTRIES;
    const nameBytes = utf16(sub.name);
    // Basic: LastWriteTime, TitleIndex, NameLength, Name[]. Node: … ClassOffset, ClassLength, NameLength, Name[].
    const fixed = infoClass === 0 ? 16 : infoClass === 1 ? 24 : -1;
    if (fixed < 0) return NTSTATUS.INVALID_PARAMETER;
    const out = new Uint8Array(fixed + nameBytes.length);
    const v = new DataView(out.buffer);
    if (infoClass === 1) v.setUint32(12, 0xffffffff, true); // ClassOffset: no class
    v.setUint32(fixed - 4, nameBytes.length, true);
    out.set(nameBytes, fixed);
    return answer(ctx, out, fixed, buffer!, length!, resultLength!);
  },
});

export const zwExports = [
  ZwCreateFile,
  ZwOpenFile,
  ZwReadFile,
  ZwQueryInformationFile,
  ZwClose,
  ZwOpenKey,
  ZwCreateKey,
  ZwQueryValueKey,
  ZwSetValueKey,
  ZwEnumerateKey,
];
