// The C runtime's memory and string routines as NT's kernel exports them (ntoskrnl!memcpy, strlen,
// wcs*…; ReactOS sdk/lib/crt). Pure: a kernel image with real code for one runs that code instead.
import type { KernelContext } from '../../context.js';
import { MAX_GUEST_STRING } from '../../guest.js';
import { defineShared, type ExportHandler, type ExportModule } from '../../registry.js';

/** Modules exporting the C runtime: NT's kernel (drivers of every class import it from there). */
export const CRT_MODULES: readonly ExportModule[] = ['ntoskrnl'];

/** Longest string a CRT routine reads (characters), guest-controlled so bounded. */
const MAX = MAX_GUEST_STRING;
const CHUNK = 0x10000;

/** Copies `n` bytes as memmove does (overlap-safe: the source is read before writing each chunk). */
export function moveMemory(ctx: KernelContext, dst: number, src: number, n: number): void {
  if (n <= 0) return;
  if (dst > src && dst < src + n) {
    for (let left = n; left > 0; ) {
      const size = Math.min(CHUNK, left);
      left -= size;
      ctx.mem.write(dst + left, ctx.mem.bytes(src + left, size));
    }
    return;
  }
  for (let done = 0; done < n; done += CHUNK) {
    const size = Math.min(CHUNK, n - done);
    ctx.mem.write(dst + done, ctx.mem.bytes(src + done, size));
  }
}

/** Fills `n` bytes with `value`. */
export function fillMemory(ctx: KernelContext, dst: number, n: number, value: number): void {
  for (let done = 0; done < n; done += CHUNK) {
    const size = Math.min(CHUNK, n - done);
    ctx.mem.write(dst + done, new Uint8Array(size).fill(value & 0xff));
  }
}

const cstr = (ctx: KernelContext, p: number) => ctx.mem.cString(p, MAX);
const wstr = (ctx: KernelContext, p: number) => ctx.mem.wString(p, MAX);
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
/** Writes `s` and a NUL as 8-bit characters. */
export const putC = (ctx: KernelContext, p: number, s: string) => ctx.mem.write(p, latin1(`${s}\0`));
/** Writes `s` and a NUL as UTF-16. */
export function putW(ctx: KernelContext, p: number, s: string): void {
  const b = new Uint8Array(2 * s.length + 2);
  for (let i = 0; i < s.length; i++) {
    b[2 * i] = s.charCodeAt(i) & 0xff;
    b[2 * i + 1] = s.charCodeAt(i) >>> 8;
  }
  ctx.mem.write(p, b);
}
/** C's comparison of two strings by code unit: negative, zero or positive. */
export const cmp = (a: string, b: string): number => {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++)
    if (a.charCodeAt(i) !== b.charCodeAt(i)) return a.charCodeAt(i) - b.charCodeAt(i);
  return a.length - b.length;
};
/** A comparison result as C returns it: -1, 0 or 1, as a 32-bit value. */
export const sign = (v: number) => (v < 0 ? -1 : v > 0 ? 1 : 0) >>> 0;
/** ASCII-only case mapping, as the kernel CRT's C locale does for 8-bit strings. */
const upA = (s: string) => s.replace(/[a-z]/g, (c) => c.toUpperCase());
const lowA = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
/** Unicode upcase as RtlUpcaseUnicodeChar (NLS table; here JavaScript's simple mapping per unit). */
export const upW = (s: string) =>
  [...s].map((c) => (c.toUpperCase().length === 1 ? c.toUpperCase() : c)).join('');
const lowW = (s: string) => [...s].map((c) => (c.toLowerCase().length === 1 ? c.toLowerCase() : c)).join('');

const crt = (prototype: string, impl: ExportHandler['impl']) =>
  defineShared(CRT_MODULES, { prototype, pure: true, impl });

export const crtStringExports: ExportHandler[] = [
  ...crt('PVOID __cdecl memcpy(PVOID Destination, const VOID *Source, SIZE_T Count)', (ctx, [d, s, n]) => {
    moveMemory(ctx, d!, s!, n!);
    return d!;
  }),
  ...crt('PVOID __cdecl memmove(PVOID Destination, const VOID *Source, SIZE_T Count)', (ctx, [d, s, n]) => {
    moveMemory(ctx, d!, s!, n!);
    return d!;
  }),
  ...crt('PVOID __cdecl memset(PVOID Destination, int Value, SIZE_T Count)', (ctx, [d, v, n]) => {
    fillMemory(ctx, d!, n!, v!);
    return d!;
  }),
  ...crt('int __cdecl memcmp(const VOID *Buffer1, const VOID *Buffer2, SIZE_T Count)', (ctx, [a, b, n]) => {
    for (let done = 0; done < n!; done += CHUNK) {
      const size = Math.min(CHUNK, n! - done);
      const x = ctx.mem.bytes(a! + done, size);
      const y = ctx.mem.bytes(b! + done, size);
      for (let i = 0; i < size; i++) if (x[i] !== y[i]) return sign(x[i]! - y[i]!);
    }
    return 0;
  }),
  ...crt('PVOID __cdecl memchr(const VOID *Buffer, int Character, SIZE_T Count)', (ctx, [p, c, n]) => {
    for (let done = 0; done < n!; done += CHUNK) {
      const size = Math.min(CHUNK, n! - done);
      const i = ctx.mem.bytes(p! + done, size).indexOf(c! & 0xff);
      if (i >= 0) return p! + done + i;
    }
    return 0;
  }),
  ...crt('SIZE_T __cdecl strlen(PCSTR String)', (ctx, [p]) => cstr(ctx, p!).length),
  ...crt('SIZE_T __cdecl wcslen(PCWSTR String)', (ctx, [p]) => wstr(ctx, p!).length),
  ...crt('PCHAR __cdecl strcpy(PCHAR Destination, PCSTR Source)', (ctx, [d, s]) => {
    putC(ctx, d!, cstr(ctx, s!));
    return d!;
  }),
  ...crt('PWCHAR __cdecl wcscpy(PWCHAR Destination, PCWSTR Source)', (ctx, [d, s]) => {
    putW(ctx, d!, wstr(ctx, s!));
    return d!;
  }),
  ...crt('PCHAR __cdecl strncpy(PCHAR Destination, PCSTR Source, SIZE_T Count)', (ctx, [d, s, n]) => {
    const text = ctx.mem.cString(s!, Math.min(n!, MAX));
    const out = new Uint8Array(n!);
    out.set(latin1(text));
    ctx.mem.write(d!, out); // padded with NULs to Count, not terminated when Source is longer
    return d!;
  }),
  ...crt('PWCHAR __cdecl wcsncpy(PWCHAR Destination, PCWSTR Source, SIZE_T Count)', (ctx, [d, s, n]) => {
    const text = ctx.mem.wString(s!, Math.min(n!, MAX));
    const out = new Uint8Array(2 * n!);
    for (let i = 0; i < text.length; i++) {
      out[2 * i] = text.charCodeAt(i) & 0xff;
      out[2 * i + 1] = text.charCodeAt(i) >>> 8;
    }
    ctx.mem.write(d!, out);
    return d!;
  }),
  ...crt('PCHAR __cdecl strcat(PCHAR Destination, PCSTR Source)', (ctx, [d, s]) => {
    putC(ctx, d! + cstr(ctx, d!).length, cstr(ctx, s!));
    return d!;
  }),
  ...crt('PWCHAR __cdecl wcscat(PWCHAR Destination, PCWSTR Source)', (ctx, [d, s]) => {
    putW(ctx, d! + 2 * wstr(ctx, d!).length, wstr(ctx, s!));
    return d!;
  }),
  ...crt('PCHAR __cdecl strncat(PCHAR Destination, PCSTR Source, SIZE_T Count)', (ctx, [d, s, n]) => {
    putC(ctx, d! + cstr(ctx, d!).length, ctx.mem.cString(s!, Math.min(n!, MAX)));
    return d!;
  }),
  ...crt('PWCHAR __cdecl wcsncat(PWCHAR Destination, PCWSTR Source, SIZE_T Count)', (ctx, [d, s, n]) => {
    putW(ctx, d! + 2 * wstr(ctx, d!).length, ctx.mem.wString(s!, Math.min(n!, MAX)));
    return d!;
  }),
  ...crt('int __cdecl strcmp(PCSTR String1, PCSTR String2)', (ctx, [a, b]) =>
    sign(cmp(cstr(ctx, a!), cstr(ctx, b!))),
  ),
  ...crt('int __cdecl wcscmp(PCWSTR String1, PCWSTR String2)', (ctx, [a, b]) =>
    sign(cmp(wstr(ctx, a!), wstr(ctx, b!))),
  ),
  ...crt('int __cdecl strncmp(PCSTR String1, PCSTR String2, SIZE_T Count)', (ctx, [a, b, n]) =>
    sign(cmp(ctx.mem.cString(a!, Math.min(n!, MAX)), ctx.mem.cString(b!, Math.min(n!, MAX)))),
  ),
  ...crt('int __cdecl wcsncmp(PCWSTR String1, PCWSTR String2, SIZE_T Count)', (ctx, [a, b, n]) =>
    sign(cmp(ctx.mem.wString(a!, Math.min(n!, MAX)), ctx.mem.wString(b!, Math.min(n!, MAX)))),
  ),
  ...crt('int __cdecl _stricmp(PCSTR String1, PCSTR String2)', (ctx, [a, b]) =>
    sign(cmp(lowA(cstr(ctx, a!)), lowA(cstr(ctx, b!)))),
  ),
  ...crt('int __cdecl _strnicmp(PCSTR String1, PCSTR String2, SIZE_T Count)', (ctx, [a, b, n]) =>
    sign(cmp(lowA(ctx.mem.cString(a!, Math.min(n!, MAX))), lowA(ctx.mem.cString(b!, Math.min(n!, MAX))))),
  ),
  ...crt('int __cdecl _wcsicmp(PCWSTR String1, PCWSTR String2)', (ctx, [a, b]) =>
    sign(cmp(lowW(wstr(ctx, a!)), lowW(wstr(ctx, b!)))),
  ),
  ...crt('int __cdecl _wcsnicmp(PCWSTR String1, PCWSTR String2, SIZE_T Count)', (ctx, [a, b, n]) =>
    sign(cmp(lowW(ctx.mem.wString(a!, Math.min(n!, MAX))), lowW(ctx.mem.wString(b!, Math.min(n!, MAX))))),
  ),
  ...crt('PCHAR __cdecl strchr(PCSTR String, int Character)', (ctx, [p, c]) => {
    const s = cstr(ctx, p!);
    const ch = c! & 0xff;
    if (ch === 0) return p! + s.length;
    const i = s.indexOf(String.fromCharCode(ch));
    return i < 0 ? 0 : p! + i;
  }),
  ...crt('PCHAR __cdecl strrchr(PCSTR String, int Character)', (ctx, [p, c]) => {
    const s = cstr(ctx, p!);
    const ch = c! & 0xff;
    if (ch === 0) return p! + s.length;
    const i = s.lastIndexOf(String.fromCharCode(ch));
    return i < 0 ? 0 : p! + i;
  }),
  ...crt('PWCHAR __cdecl wcschr(PCWSTR String, WCHAR Character)', (ctx, [p, c]) => {
    const s = wstr(ctx, p!);
    const ch = c! & 0xffff;
    if (ch === 0) return p! + 2 * s.length;
    const i = s.indexOf(String.fromCharCode(ch));
    return i < 0 ? 0 : p! + 2 * i;
  }),
  ...crt('PWCHAR __cdecl wcsrchr(PCWSTR String, WCHAR Character)', (ctx, [p, c]) => {
    const s = wstr(ctx, p!);
    const ch = c! & 0xffff;
    if (ch === 0) return p! + 2 * s.length;
    const i = s.lastIndexOf(String.fromCharCode(ch));
    return i < 0 ? 0 : p! + 2 * i;
  }),
  ...crt('PCHAR __cdecl strstr(PCSTR String, PCSTR SubString)', (ctx, [p, q]) => {
    const i = cstr(ctx, p!).indexOf(cstr(ctx, q!));
    return i < 0 ? 0 : p! + i;
  }),
  ...crt('PWCHAR __cdecl wcsstr(PCWSTR String, PCWSTR SubString)', (ctx, [p, q]) => {
    const i = wstr(ctx, p!).indexOf(wstr(ctx, q!));
    return i < 0 ? 0 : p! + 2 * i;
  }),
  ...crt('PCHAR __cdecl _strupr(PCHAR String)', (ctx, [p]) => {
    putC(ctx, p!, upA(cstr(ctx, p!)));
    return p!;
  }),
  ...crt('PCHAR __cdecl _strlwr(PCHAR String)', (ctx, [p]) => {
    putC(ctx, p!, lowA(cstr(ctx, p!)));
    return p!;
  }),
  ...crt('PWCHAR __cdecl _wcsupr(PWCHAR String)', (ctx, [p]) => {
    putW(ctx, p!, upW(wstr(ctx, p!)));
    return p!;
  }),
  ...crt('PWCHAR __cdecl _wcslwr(PWCHAR String)', (ctx, [p]) => {
    putW(ctx, p!, lowW(wstr(ctx, p!)));
    return p!;
  }),
  ...crt('int __cdecl toupper(int Character)', (_ctx, [c]) => (c! >= 0x61 && c! <= 0x7a ? c! - 0x20 : c!)),
  ...crt('int __cdecl tolower(int Character)', (_ctx, [c]) => (c! >= 0x41 && c! <= 0x5a ? c! + 0x20 : c!)),
  ...crt('WCHAR __cdecl towupper(WCHAR Character)', (_ctx, [c]) =>
    upW(String.fromCharCode(c! & 0xffff)).charCodeAt(0),
  ),
  ...crt('WCHAR __cdecl towlower(WCHAR Character)', (_ctx, [c]) =>
    lowW(String.fromCharCode(c! & 0xffff)).charCodeAt(0),
  ),
  ...crt('int __cdecl isdigit(int Character)', (_ctx, [c]) => (c! >= 0x30 && c! <= 0x39 ? 4 : 0)),
  ...crt('int __cdecl isxdigit(int Character)', (_ctx, [c]) =>
    /[0-9a-fA-F]/.test(String.fromCharCode(c! & 0xff)) && c! < 0x80 ? 0x80 : 0,
  ),
  ...crt('int __cdecl isspace(int Character)', (_ctx, [c]) => ((c! >= 9 && c! <= 13) || c! === 32 ? 8 : 0)),
  ...crt('int __cdecl isalpha(int Character)', (_ctx, [c]) =>
    /[A-Za-z]/.test(String.fromCharCode(c! & 0xff)) && c! < 0x80 ? 0x103 : 0,
  ),
  ...crt('int __cdecl isupper(int Character)', (_ctx, [c]) => (c! >= 0x41 && c! <= 0x5a ? 1 : 0)),
  ...crt('int __cdecl islower(int Character)', (_ctx, [c]) => (c! >= 0x61 && c! <= 0x7a ? 2 : 0)),
  ...crt('int __cdecl atoi(PCSTR String)', (ctx, [p]) => parseC(cstr(ctx, p!)) >>> 0),
  ...crt('LONG __cdecl atol(PCSTR String)', (ctx, [p]) => parseC(cstr(ctx, p!)) >>> 0),
  ...crt('int __cdecl _wtoi(PCWSTR String)', (ctx, [p]) => parseC(wstr(ctx, p!)) >>> 0),
  ...crt('PCHAR __cdecl _itoa(int Value, PCHAR Buffer, int Radix)', (ctx, [v, p, r]) => {
    const radix = r! >= 2 && r! <= 36 ? r! : 10;
    putC(ctx, p!, radix === 10 ? String(v! | 0) : (v! >>> 0).toString(radix));
    return p!;
  }),
  ...crt('PCHAR __cdecl _ultoa(ULONG Value, PCHAR Buffer, int Radix)', (ctx, [v, p, r]) => {
    putC(ctx, p!, (v! >>> 0).toString(r! >= 2 && r! <= 36 ? r! : 10));
    return p!;
  }),
  ...crt('PWCHAR __cdecl _itow(int Value, PWCHAR Buffer, int Radix)', (ctx, [v, p, r]) => {
    const radix = r! >= 2 && r! <= 36 ? r! : 10;
    putW(ctx, p!, radix === 10 ? String(v! | 0) : (v! >>> 0).toString(radix));
    return p!;
  }),
];

/** atoi: optional white space and sign, then decimal digits; wraps to 32 bits as MSVC's does. */
function parseC(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d*)/.exec(s)!;
  let v = 0;
  for (const d of m[2]!) v = (v * 10 + Number(d)) | 0;
  return m[1] === '-' ? -v | 0 : v;
}
