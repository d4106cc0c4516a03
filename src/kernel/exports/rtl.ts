// Run-time library exports (ntoskrnl!Rtl*). Pure routines: when the loaded kernel image has real
// code for one, that code runs and these handlers stand in only for kernels without it
// (`--kernel registry`, or a routine in the fixture kernel's .stub section).
import { defineExport } from '../registry.js';

/** VOID RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString); */
export const RtlInitUnicodeString = defineExport({
  module: 'ntoskrnl',
  name: 'RtlInitUnicodeString',
  prototype: 'VOID RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString)',
  conv: 'stdcall',
  args: [
    { name: 'DestinationString', type: 'PVOID' },
    { name: 'SourceString', type: 'PCWSTR' },
  ],
  returns: 'VOID',
  pure: true,
  impl(ctx, [dest, src]) {
    const chars = src ? Math.min(ctx.mem.wString(src!, 0x7ffe).length, 0x7ffe) : 0;
    ctx.mem.setU16(dest!, chars * 2);
    ctx.mem.setU16(dest! + 2, src ? chars * 2 + 2 : 0);
    ctx.mem.setU32(dest! + 4, src!);
    return undefined;
  },
});

/** VOID RtlInitAnsiString(PANSI_STRING DestinationString, PCSZ SourceString); */
export const RtlInitAnsiString = defineExport({
  module: 'ntoskrnl',
  name: 'RtlInitAnsiString',
  prototype: 'VOID RtlInitAnsiString(PANSI_STRING DestinationString, PCSZ SourceString)',
  conv: 'stdcall',
  args: [
    { name: 'DestinationString', type: 'PVOID' },
    { name: 'SourceString', type: 'PCSTR' },
  ],
  returns: 'VOID',
  pure: true,
  impl(ctx, [dest, src]) {
    const length = src ? Math.min(ctx.mem.cString(src!, 0xfffe).length, 0xfffe) : 0;
    ctx.mem.setU16(dest!, length);
    ctx.mem.setU16(dest! + 2, src ? length + 1 : 0);
    ctx.mem.setU32(dest! + 4, src!);
    return undefined;
  },
});

/** SIZE_T RtlCompareMemory(const VOID *Source1, const VOID *Source2, SIZE_T Length); */
export const RtlCompareMemory = defineExport({
  module: 'ntoskrnl',
  name: 'RtlCompareMemory',
  prototype: 'SIZE_T RtlCompareMemory(const VOID *Source1, const VOID *Source2, SIZE_T Length)',
  conv: 'stdcall',
  args: [
    { name: 'Source1', type: 'PVOID' },
    { name: 'Source2', type: 'PVOID' },
    { name: 'Length', type: 'ULONG' },
  ],
  returns: 'ULONG',
  pure: true,
  impl(ctx, [a, b, length]) {
    const x = ctx.mem.bytes(a!, length!);
    const y = ctx.mem.bytes(b!, length!);
    let i = 0;
    while (i < length! && x[i] === y[i]) i++;
    return i;
  },
});

export const rtlExports = [RtlInitUnicodeString, RtlInitAnsiString, RtlCompareMemory];
