// Run-time library string routines (ntoskrnl!Rtl*String*, *Char*, integer conversion): counted
// strings STRING/ANSI_STRING/UNICODE_STRING { USHORT Length, MaximumLength; PCHAR/PWSTR Buffer }.
// Allocating conversions take their buffer from the pool as the driver's own (freed by RtlFree*).
import type { KernelContext } from '../../context.js';
import { defineExport, type ExportHandler } from '../../registry.js';
import { cmp, sign, upW } from '../crt/string.js';
import { NTSTATUS } from '../status.js';
import { ExFreePool } from './ex.js';

const PagedPool = 1;
/** A counted string's fields. */
function counted(ctx: KernelContext, p: number): { length: number; max: number; buffer: number } {
  return {
    length: ctx.mem.u16(p),
    max: ctx.mem.u16(p + 2),
    buffer: ctx.mem.ptr(p + ctx.mem.layouts.UNICODE_STRING.Buffer),
  };
}
const readU = (ctx: KernelContext, p: number) => ctx.mem.unicodeString(p) ?? '';
const readA = (ctx: KernelContext, p: number) => ctx.mem.ansiString(p) ?? '';
const utf16 = (s: string) => {
  const b = new Uint8Array(2 * s.length);
  for (let i = 0; i < s.length; i++) {
    b[2 * i] = s.charCodeAt(i) & 0xff;
    b[2 * i + 1] = s.charCodeAt(i) >>> 8;
  }
  return b;
};
const bytesA = (s: string) => Uint8Array.from(s, (c) => (c.charCodeAt(0) < 0x100 ? c.charCodeAt(0) : 0x3f));
/** ANSI code page 1252's upper half maps to itself in Latin-1 here (model: the C locale's table). */
const upA = (s: string) => s.replace(/[a-z]/g, (c) => c.toUpperCase());

/**
 * Stores `bytes` as the string at `dest`: into its buffer (STATUS_BUFFER_OVERFLOW when it does not
 * fit) or, with `allocate`, into a new pool buffer with room for a NUL.
 */
function store(ctx: KernelContext, dest: number, bytes: Uint8Array, unit: 1 | 2, allocate: boolean): number {
  if (bytes.length > 0xfffe) return NTSTATUS.INVALID_PARAMETER;
  if (allocate) {
    const max = bytes.length + unit;
    const buffer = ctx.pool.allocate(max, PagedPool, unit === 2 ? 'Ustr' : 'Strg', 'driver');
    if (buffer === null) return NTSTATUS.INSUFFICIENT_RESOURCES;
    ctx.mem.write(buffer, bytes);
    ctx.mem.write(buffer + bytes.length, new Uint8Array(unit));
    ctx.mem.setU16(dest, bytes.length);
    ctx.mem.setU16(dest + 2, max);
    ctx.mem.setPtr(dest + ctx.mem.layouts.UNICODE_STRING.Buffer, buffer);
    return NTSTATUS.SUCCESS;
  }
  const { max, buffer } = counted(ctx, dest);
  if (bytes.length > max) return NTSTATUS.BUFFER_OVERFLOW;
  ctx.mem.write(buffer, bytes);
  if (bytes.length + unit <= max) ctx.mem.write(buffer + bytes.length, new Uint8Array(unit));
  ctx.mem.setU16(dest, bytes.length);
  return NTSTATUS.SUCCESS;
}

/** Copies as RtlCopy*String: truncated to the destination's MaximumLength. */
function copyInto(ctx: KernelContext, dest: number, bytes: Uint8Array, unit: 1 | 2): void {
  const { max, buffer } = counted(ctx, dest);
  const n = Math.min(bytes.length, max) & (unit === 2 ? ~1 : ~0);
  ctx.mem.write(buffer, bytes.subarray(0, n));
  if (n + unit <= max) ctx.mem.write(buffer + n, new Uint8Array(unit));
  ctx.mem.setU16(dest, n);
}

/** RtlCharToInteger's and RtlUnicodeStringToInteger's parse: sign, 0x/0o/0b prefix, digits. */
function parseInteger(text: string, base: number): number | null {
  const m = /^[ \t]*([+-]?)(.*)$/.exec(text)!;
  let rest = m[2]!;
  let radix = base;
  if (radix === 0) {
    radix = 10;
    const p = /^0([xob])/i.exec(rest);
    if (p) {
      radix = { x: 16, o: 8, b: 2 }[p[1]!.toLowerCase() as 'x' | 'o' | 'b'];
      rest = rest.slice(2);
    }
  } else if (![2, 8, 10, 16].includes(radix)) return null;
  let v = 0;
  for (const c of rest) {
    const d = Number.parseInt(c, 36);
    if (Number.isNaN(d) || d >= radix) break;
    v = (Math.imul(v, radix) + d) >>> 0;
  }
  return m[1] === '-' ? -v >>> 0 : v;
}

const rtl = (prototype: string, impl: ExportHandler['impl'], pure = true) =>
  defineExport({ module: 'ntoskrnl', prototype, pure, impl });

/** ANSI (code page 1252's Latin-1 model, bytesA's) bytes of `n` UTF-16 units at `at`. */
const unitsToAnsi = (ctx: KernelContext, at: number, n: number) => {
  const b = ctx.mem.bytes(at, 2 * n, 'WCHAR string');
  return Uint8Array.from({ length: n }, (_, i) => (b[2 * i + 1] ? 0x3f : b[2 * i]!));
};
/** UTF-16 of `n` ANSI bytes at `at` (Latin-1: each byte is its own code point). */
const ansiToUnits = (ctx: KernelContext, at: number, n: number) => {
  const b = ctx.mem.bytes(at, n, 'CHAR string');
  const out = new Uint8Array(2 * n);
  b.forEach((c, i) => {
    out[2 * i] = c;
  });
  return out;
};
/** Writes ULONG `value` at `out` when the pointer is not NULL. */
const setOptional = (ctx: KernelContext, out: number, value: number) => {
  if (out) ctx.mem.setU32(out, value);
};

export const rtlStringExports: ExportHandler[] = [
  // The counted-buffer conversions (no UNICODE_STRING): as many characters as fit, STATUS_SUCCESS.
  rtl(
    'NTSTATUS RtlMultiByteToUnicodeN(PWCH UnicodeString, ULONG MaxBytesInUnicodeString, OUT PULONG BytesInUnicodeString, const CHAR *MultiByteString, ULONG BytesInMultiByteString)',
    (ctx, [dest, max, out, src, n]) => {
      const count = Math.min(n!, Math.floor(max! / 2));
      ctx.mem.write(dest!, ansiToUnits(ctx, src!, count));
      setOptional(ctx, out!, 2 * count);
      return NTSTATUS.SUCCESS;
    },
  ),
  rtl(
    'NTSTATUS RtlUnicodeToMultiByteN(PCHAR MultiByteString, ULONG MaxBytesInMultiByteString, OUT PULONG BytesInMultiByteString, PCWCH UnicodeString, ULONG BytesInUnicodeString)',
    (ctx, [dest, max, out, src, n]) => {
      const count = Math.min(Math.floor(n! / 2), max!);
      ctx.mem.write(dest!, unitsToAnsi(ctx, src!, count));
      setOptional(ctx, out!, count);
      return NTSTATUS.SUCCESS;
    },
  ),
  rtl(
    'NTSTATUS RtlUnicodeToMultiByteSize(OUT PULONG BytesInMultiByteString, PCWCH UnicodeString, ULONG BytesInUnicodeString)',
    (ctx, [out, , n]) => {
      ctx.mem.setU32(out!, Math.floor(n! / 2)); // a single-byte code page: one byte per character
      return NTSTATUS.SUCCESS;
    },
  ),
  rtl(
    'NTSTATUS RtlMultiByteToUnicodeSize(OUT PULONG BytesInUnicodeString, const CHAR *MultiByteString, ULONG BytesInMultiByteString)',
    (ctx, [out, , n]) => {
      ctx.mem.setU32(out!, 2 * n!);
      return NTSTATUS.SUCCESS;
    },
  ),
  rtl('VOID RtlInitString(OUT PSTRING DestinationString, PCSZ SourceString)', (ctx, [dest, src]) => {
    const length = src ? Math.min(ctx.mem.cString(src, 0xfffe).length, 0xfffe) : 0;
    ctx.mem.setU16(dest!, length);
    ctx.mem.setU16(dest! + 2, src ? length + 1 : 0);
    ctx.mem.setPtr(dest! + ctx.mem.layouts.UNICODE_STRING.Buffer, src!);
    return undefined;
  }),
  rtl(
    'VOID RtlCopyUnicodeString(IN OUT PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString)',
    (ctx, [d, s]) => {
      if (s === 0) ctx.mem.setU16(d!, 0);
      else copyInto(ctx, d!, utf16(readU(ctx, s!)), 2);
      return undefined;
    },
  ),
  rtl('VOID RtlCopyString(IN OUT PSTRING DestinationString, const STRING *SourceString)', (ctx, [d, s]) => {
    if (s === 0) ctx.mem.setU16(d!, 0);
    else copyInto(ctx, d!, bytesA(readA(ctx, s!)), 1);
    return undefined;
  }),
  rtl(
    'NTSTATUS RtlAppendUnicodeStringToString(IN OUT PUNICODE_STRING Destination, PCUNICODE_STRING Source)',
    (ctx, [d, s]) =>
      store(ctx, d!, utf16(readU(ctx, d!) + readU(ctx, s!)), 2, false) === NTSTATUS.SUCCESS
        ? NTSTATUS.SUCCESS
        : NTSTATUS.BUFFER_TOO_SMALL,
  ),
  rtl(
    'NTSTATUS RtlAppendUnicodeToString(IN OUT PUNICODE_STRING Destination, PCWSTR Source)',
    (ctx, [d, s]) =>
      store(ctx, d!, utf16(readU(ctx, d!) + (s ? ctx.mem.wString(s, 0x7fff) : '')), 2, false) ===
      NTSTATUS.SUCCESS
        ? NTSTATUS.SUCCESS
        : NTSTATUS.BUFFER_TOO_SMALL,
  ),
  rtl('NTSTATUS RtlAppendStringToString(IN OUT PSTRING Destination, const STRING *Source)', (ctx, [d, s]) =>
    store(ctx, d!, bytesA(readA(ctx, d!) + readA(ctx, s!)), 1, false) === NTSTATUS.SUCCESS
      ? NTSTATUS.SUCCESS
      : NTSTATUS.BUFFER_TOO_SMALL,
  ),
  rtl(
    'LONG RtlCompareUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)',
    (ctx, [a, b, ci]) => {
      const f = (s: string) => ((ci! & 0xff) !== 0 ? upW(s) : s);
      return sign(cmp(f(readU(ctx, a!)), f(readU(ctx, b!))));
    },
  ),
  rtl(
    'LONG RtlCompareString(const STRING *String1, const STRING *String2, BOOLEAN CaseInSensitive)',
    (ctx, [a, b, ci]) => {
      const f = (s: string) => ((ci! & 0xff) !== 0 ? upA(s) : s);
      return sign(cmp(f(readA(ctx, a!)), f(readA(ctx, b!))));
    },
  ),
  rtl(
    'BOOLEAN RtlEqualUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)',
    (ctx, [a, b, ci]) => {
      const f = (s: string) => ((ci! & 0xff) !== 0 ? upW(s) : s);
      return f(readU(ctx, a!)) === f(readU(ctx, b!)) ? 1 : 0;
    },
  ),
  rtl(
    'BOOLEAN RtlEqualString(const STRING *String1, const STRING *String2, BOOLEAN CaseInSensitive)',
    (ctx, [a, b, ci]) => {
      const f = (s: string) => ((ci! & 0xff) !== 0 ? upA(s) : s);
      return f(readA(ctx, a!)) === f(readA(ctx, b!)) ? 1 : 0;
    },
  ),
  rtl(
    'BOOLEAN RtlPrefixUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)',
    (ctx, [a, b, ci]) => {
      const f = (s: string) => ((ci! & 0xff) !== 0 ? upW(s) : s);
      return f(readU(ctx, b!)).startsWith(f(readU(ctx, a!))) ? 1 : 0;
    },
  ),
  rtl('WCHAR RtlUpcaseUnicodeChar(WCHAR SourceCharacter)', (_ctx, [c]) =>
    upW(String.fromCharCode(c! & 0xffff)).charCodeAt(0),
  ),
  rtl('CHAR RtlUpperChar(CHAR Character)', (_ctx, [c]) => upA(String.fromCharCode(c! & 0xff)).charCodeAt(0)),
  rtl('WCHAR RtlAnsiCharToUnicodeChar(IN OUT PUCHAR *SourceCharacter)', (ctx, [pp]) => {
    const p = ctx.mem.u32(pp!);
    const c = ctx.mem.u8(p);
    ctx.mem.setU32(pp!, p + 1);
    return c;
  }),
  rtl(
    'NTSTATUS RtlUpcaseUnicodeString(IN OUT PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString, BOOLEAN AllocateDestinationString)',
    (ctx, [d, s, alloc]) => store(ctx, d!, utf16(upW(readU(ctx, s!))), 2, (alloc! & 0xff) !== 0),
    false,
  ),
  rtl('VOID RtlUpperString(IN OUT PSTRING DestinationString, const STRING *SourceString)', (ctx, [d, s]) => {
    copyInto(ctx, d!, bytesA(upA(readA(ctx, s!))), 1);
    return undefined;
  }),
  rtl(
    'NTSTATUS RtlAnsiStringToUnicodeString(IN OUT PUNICODE_STRING DestinationString, PCANSI_STRING SourceString, BOOLEAN AllocateDestinationString)',
    (ctx, [d, s, alloc]) => store(ctx, d!, utf16(readA(ctx, s!)), 2, (alloc! & 0xff) !== 0),
    false,
  ),
  rtl(
    'NTSTATUS RtlUnicodeStringToAnsiString(IN OUT PANSI_STRING DestinationString, PCUNICODE_STRING SourceString, BOOLEAN AllocateDestinationString)',
    (ctx, [d, s, alloc]) => store(ctx, d!, bytesA(readU(ctx, s!)), 1, (alloc! & 0xff) !== 0),
    false,
  ),
  rtl(
    'NTSTATUS RtlOemStringToUnicodeString(IN OUT PUNICODE_STRING DestinationString, PCOEM_STRING SourceString, BOOLEAN AllocateDestinationString)',
    (ctx, [d, s, alloc]) => store(ctx, d!, utf16(readA(ctx, s!)), 2, (alloc! & 0xff) !== 0),
    false,
  ),
  rtl(
    'NTSTATUS RtlUnicodeStringToOemString(IN OUT POEM_STRING DestinationString, PCUNICODE_STRING SourceString, BOOLEAN AllocateDestinationString)',
    (ctx, [d, s, alloc]) => store(ctx, d!, bytesA(readU(ctx, s!)), 1, (alloc! & 0xff) !== 0),
    false,
  ),
  rtl(
    'ULONG RtlxAnsiStringToUnicodeSize(PCANSI_STRING AnsiString)',
    (ctx, [s]) => 2 * counted(ctx, s!).length + 2,
  ),
  rtl(
    'ULONG RtlxUnicodeStringToAnsiSize(PCUNICODE_STRING UnicodeString)',
    (ctx, [s]) => (counted(ctx, s!).length >>> 1) + 1,
  ),
  rtl(
    'BOOLEAN RtlCreateUnicodeString(OUT PUNICODE_STRING DestinationString, PCWSTR SourceString)',
    (ctx, [d, s]) =>
      store(ctx, d!, utf16(ctx.mem.wString(s!, 0x7ffe)), 2, true) === NTSTATUS.SUCCESS ? 1 : 0,
    false,
  ),
  rtl('VOID RtlFreeUnicodeString(IN OUT PUNICODE_STRING UnicodeString)', freeString, false),
  rtl('VOID RtlFreeAnsiString(IN OUT PANSI_STRING AnsiString)', freeString, false),
  rtl('VOID RtlFreeOemString(IN OUT POEM_STRING OemString)', freeString, false),
  rtl(
    'NTSTATUS RtlIntegerToUnicodeString(ULONG Value, ULONG Base, IN OUT PUNICODE_STRING String)',
    (ctx, [v, base, d]) => {
      const radix = base === 0 ? 10 : base!;
      if (![2, 8, 10, 16].includes(radix)) return NTSTATUS.INVALID_PARAMETER;
      return store(ctx, d!, utf16((v! >>> 0).toString(radix).toUpperCase()), 2, false);
    },
  ),
  rtl(
    'NTSTATUS RtlIntegerToChar(ULONG Value, ULONG Base, LONG OutputLength, PSZ String)',
    (ctx, [v, base, n, p]) => {
      const radix = base === 0 ? 10 : base!;
      if (![2, 8, 10, 16].includes(radix)) return NTSTATUS.INVALID_PARAMETER;
      const text = (v! >>> 0).toString(radix).toUpperCase();
      const length = n! | 0;
      if (length !== 0 && text.length > Math.abs(length)) return NTSTATUS.BUFFER_OVERFLOW;
      ctx.mem.write(p!, bytesA(text.length < Math.abs(length) || length === 0 ? `${text}\0` : text));
      return NTSTATUS.SUCCESS;
    },
  ),
  rtl(
    'NTSTATUS RtlUnicodeStringToInteger(PCUNICODE_STRING String, ULONG Base, PULONG Value)',
    (ctx, [s, base, out]) => {
      const v = parseInteger(readU(ctx, s!), base!);
      if (v === null) return NTSTATUS.INVALID_PARAMETER;
      ctx.mem.setU32(out!, v);
      return NTSTATUS.SUCCESS;
    },
  ),
  rtl('NTSTATUS RtlCharToInteger(PCSZ String, ULONG Base, PULONG Value)', (ctx, [s, base, out]) => {
    const v = parseInteger(ctx.mem.cString(s!, 0x1000), base!);
    if (v === null) return NTSTATUS.INVALID_PARAMETER;
    ctx.mem.setU32(out!, v);
    return NTSTATUS.SUCCESS;
  }),
];

/** RtlFree*String: frees the buffer (a bad free is ExFreePool's bugcheck) and empties the string. */
function freeString(ctx: KernelContext, [s]: number[]) {
  const { buffer } = counted(ctx, s!);
  if (buffer !== 0) {
    ExFreePool.impl(ctx, [buffer]);
    ctx.mem.setPtr(s! + ctx.mem.layouts.UNICODE_STRING.Buffer, 0);
    ctx.mem.setU16(s!, 0);
    ctx.mem.setU16(s! + 2, 0);
  }
  return undefined;
}
