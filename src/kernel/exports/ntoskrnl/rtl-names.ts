// RtlIsNameLegalDOS8Dot3 (NT 3.51 SP1 and later; KB Q138713): FAT's 8.3 short-name rules, the same
// algorithm as the fixture kernels' C code (fixtures/src/nt351/rtl.c), for kernels without it.
// RtlWriteRegistryValue over the configuration registry model.
import type { KernelContext } from '../../context.js';
import { defineExport, type ExportHandler } from '../../registry.js';
import { upW } from '../crt/string.js';
import { NTSTATUS } from '../status.js';

const ILLEGAL = new Set('"*+,/:;<=>?[\\]|');

/** [legal, NameContainsSpaces] for an upcased OEM name of `length` characters. */
export function legal8dot3(name: string): [boolean, boolean] {
  const b = [...upW(name)].map((c) => (c.charCodeAt(0) < 0x80 ? c : '_'));
  const n = b.length;
  if (n === 0 || n > 12) return [false, false];
  if ((n === 1 && b[0] === '.') || (n === 2 && b[0] === '.' && b[1] === '.')) return [true, false];
  let dot = -1;
  let spaces = false;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c === '.') {
      if (dot >= 0 || i === 0 || b[i - 1] === ' ') return [false, false];
      dot = i;
    } else if (c === ' ') {
      if (i === 0) return [false, false];
      spaces = true;
    } else if (c.charCodeAt(0) < 0x20 || ILLEGAL.has(c)) return [false, false];
  }
  if (b[n - 1] === ' ') return [false, false];
  if (dot < 0 ? n > 8 : dot > 8 || n - dot - 1 > 3 || dot === n - 1) return [false, false];
  return [true, spaces];
}

/** RelativeTo values of RtlWriteRegistryValue/RtlQueryRegistryValues (ntddk.h). */
const RELATIVE_TO: Record<number, string> = {
  0: '', // RTL_REGISTRY_ABSOLUTE
  1: '\\Registry\\Machine\\System\\CurrentControlSet\\Services\\',
  2: '\\Registry\\Machine\\System\\CurrentControlSet\\Control\\',
  3: '\\Registry\\Machine\\Software\\Microsoft\\Windows NT\\CurrentVersion\\',
  4: '\\Registry\\Machine\\Hardware\\DeviceMap\\',
  5: '\\Registry\\User\\.Default\\',
};

/**
 * The absolute key path RelativeTo and Path name (RtlWriteRegistryValue, RtlQueryRegistryValues;
 * `path` 0 names the RelativeTo key itself), or null for a RelativeTo nt351 does not know or
 * RTL_REGISTRY_HANDLE (not modelled).
 */
export function registryPathOf(ctx: KernelContext, relativeTo: number, path: number | null): string | null {
  const base = RELATIVE_TO[relativeTo & 0xff];
  if (base === undefined || relativeTo & 0x40000000) return null;
  return base + (path === null ? '' : ctx.mem.wString(path, 512));
}

function writeValue(ctx: KernelContext, [relativeTo, path, valueName, type, data, length]: number[]): number {
  if (!ctx.registry) return NTSTATUS.OBJECT_NAME_NOT_FOUND;
  const full = registryPathOf(ctx, relativeTo!, path!);
  if (full === null) return NTSTATUS.INVALID_PARAMETER;
  let key = ctx.registry.root;
  for (const part of full.split('\\').filter(Boolean).slice(1)) {
    const next = key.subkeys.get(part.toLowerCase());
    if (!next) return NTSTATUS.OBJECT_NAME_NOT_FOUND; // NT does not create the key
    key = next;
  }
  const name = valueName ? ctx.mem.wString(valueName, 256) : '';
  const bytes = length ? ctx.mem.bytes(data!, length!, 'value data') : new Uint8Array(0);
  key.values.set(name.toLowerCase(), { name, type: type!, data: new Uint8Array(bytes) });
  return NTSTATUS.SUCCESS;
}

export const rtlNameExports: ExportHandler[] = [
  defineExport({
    module: 'ntoskrnl',
    prototype:
      'BOOLEAN RtlIsNameLegalDOS8Dot3(PUNICODE_STRING Name, IN OUT POEM_STRING OemName, OUT PBOOLEAN NameContainsSpaces)',
    pure: true,
    impl(ctx, [name, oem, spacesOut]) {
      const text = ctx.mem.unicodeString(name!) ?? '';
      if (text.length === 0 || text.length > 12) return 0;
      if (oem) {
        if (ctx.mem.u16(oem + 2) < text.length) return 0;
        const bytes = Uint8Array.from([...upW(text)], (c) =>
          c.charCodeAt(0) < 0x80 ? c.charCodeAt(0) : 0x5f,
        );
        ctx.mem.write(ctx.mem.u32(oem + 4), bytes);
        ctx.mem.setU16(oem, bytes.length);
      }
      const [ok, spaces] = legal8dot3(text);
      if (spacesOut) ctx.mem.write(spacesOut, new Uint8Array([ok && spaces ? 1 : 0]));
      return ok ? 1 : 0;
    },
  }),
  defineExport({
    module: 'ntoskrnl',
    prototype:
      'NTSTATUS RtlWriteRegistryValue(ULONG RelativeTo, PCWSTR Path, PCWSTR ValueName, ULONG ValueType, PVOID ValueData, ULONG ValueLength)',
    impl: (ctx, args) => writeValue(ctx, args),
  }),
];
