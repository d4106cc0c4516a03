// Run-time library exports (ntoskrnl!Rtl*). Pure routines: when the loaded kernel image has real
// code for one, that code runs and these handlers stand in only for kernels without it
// (`--kernel registry`, or a routine in the fixture kernel's .stub section).
import { defineExport } from '../../registry.js';

export const RtlInitUnicodeString = defineExport({
  module: 'ntoskrnl',
  prototype: 'VOID RtlInitUnicodeString(OUT PUNICODE_STRING DestinationString, PCWSTR SourceString)',
  pure: true,
  impl(ctx, [dest, src]) {
    const chars = src ? Math.min(ctx.mem.wString(src!, 0x7ffe).length, 0x7ffe) : 0;
    ctx.mem.setU16(dest!, chars * 2);
    ctx.mem.setU16(dest! + 2, src ? chars * 2 + 2 : 0);
    ctx.mem.setPtr(dest! + ctx.mem.layouts.UNICODE_STRING.Buffer, src!);
    return undefined;
  },
});

export const RtlInitAnsiString = defineExport({
  module: 'ntoskrnl',
  prototype: 'VOID RtlInitAnsiString(OUT PANSI_STRING DestinationString, PCSZ SourceString)',
  pure: true,
  impl(ctx, [dest, src]) {
    const length = src ? Math.min(ctx.mem.cString(src!, 0xfffe).length, 0xfffe) : 0;
    ctx.mem.setU16(dest!, length);
    ctx.mem.setU16(dest! + 2, src ? length + 1 : 0);
    ctx.mem.setPtr(dest! + ctx.mem.layouts.UNICODE_STRING.Buffer, src!);
    return undefined;
  },
});

export const RtlCompareMemory = defineExport({
  module: 'ntoskrnl',
  prototype: 'SIZE_T RtlCompareMemory(const VOID *Source1, const VOID *Source2, SIZE_T Length)',
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
