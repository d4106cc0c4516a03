// Run-time library memory, bitmap, time and large-integer routines (ntoskrnl!Rtl*), and
// RtlGetVersion answered as the loaded kernel's build.
import type { KernelContext } from '../../context.js';
import { defineExport, type ExportHandler } from '../../registry.js';
import { fillMemory, moveMemory } from '../crt/string.js';
import { NTSTATUS } from '../status.js';

const rtl = (prototype: string, impl: ExportHandler['impl'], pure = true) =>
  defineExport({ module: 'ntoskrnl', prototype, pure, impl });
const q = (lo: number, hi: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const s64 = (lo: number, hi: number) => BigInt.asIntN(64, q(lo, hi));
const u64 = (v: bigint) => BigInt.asUintN(64, v);

/** RTL_BITMAP { ULONG SizeOfBitMap; PULONG Buffer; } at the guest's layout: bit `i`'s byte and mask. */
function bitmap(ctx: KernelContext, header: number) {
  const size = ctx.mem.u32(header);
  const buffer = ctx.mem.ptr(header + ctx.mem.layouts.RTL_BITMAP.Buffer);
  const get = (i: number) => (ctx.mem.u8(buffer + (i >>> 3)) >> (i & 7)) & 1;
  const set = (i: number, v: number) => {
    const b = ctx.mem.u8(buffer + (i >>> 3));
    ctx.mem.write(buffer + (i >>> 3), new Uint8Array([v ? b | (1 << (i & 7)) : b & ~(1 << (i & 7))]));
  };
  return { size, get, set };
}
/** Bits [start, start + n) of the bitmap all equal `v`. */
function allBits(ctx: KernelContext, header: number, start: number, n: number, v: number): boolean {
  const bm = bitmap(ctx, header);
  if (start + n > bm.size) return false;
  for (let i = start; i < start + n; i++) if (bm.get(i) !== v) return false;
  return true;
}
function setRange(ctx: KernelContext, header: number, start: number, n: number, v: number): undefined {
  const bm = bitmap(ctx, header);
  for (let i = start; i < Math.min(start + n, bm.size); i++) bm.set(i, v);
  return undefined;
}
/** The first run of `n` bits equal to `v` at or after `hint` (wrapping), or 0xFFFFFFFF. */
function findBits(ctx: KernelContext, header: number, n: number, hint: number, v: number): number {
  const bm = bitmap(ctx, header);
  if (n === 0 || n > bm.size) return n === 0 ? 0 : 0xffffffff;
  for (let k = 0; k < bm.size; k++) {
    const start = (hint + k) % bm.size;
    if (start + n > bm.size) continue;
    let ok = true;
    for (let i = start; i < start + n && ok; i++) ok = bm.get(i) === v;
    if (ok) return start;
  }
  return 0xffffffff;
}

/**
 * Writes `time` (100 ns since 1601) at `fields` as a TIME_FIELDS
 * { CSHORT Year, Month, Day, Hour, Minute, Second, Milliseconds, Weekday; }.
 */
export function writeTimeFields(ctx: KernelContext, fields: number, time: bigint): void {
  const ms = Number(time / 10_000n) - 11_644_473_600_000;
  const d = new Date(ms);
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  [
    d.getUTCFullYear(),
    d.getUTCMonth() + 1,
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
    d.getUTCDay(),
  ].forEach((x, i) => {
    v.setInt16(2 * i, x, true);
  });
  ctx.mem.write(fields, b);
}

export const rtlMemoryExports: ExportHandler[] = [
  rtl('VOID RtlFillMemory(PVOID Destination, SIZE_T Length, UCHAR Fill)', (ctx, [d, n, v]) => {
    fillMemory(ctx, d!, n!, v!);
    return undefined;
  }),
  rtl('VOID RtlZeroMemory(PVOID Destination, SIZE_T Length)', (ctx, [d, n]) => {
    fillMemory(ctx, d!, n!, 0);
    return undefined;
  }),
  rtl('VOID RtlMoveMemory(PVOID Destination, const VOID *Source, SIZE_T Length)', (ctx, [d, s, n]) => {
    moveMemory(ctx, d!, s!, n!);
    return undefined;
  }),
  rtl('VOID RtlFillMemoryUlong(PVOID Destination, SIZE_T Length, ULONG Pattern)', (ctx, [d, n, v]) => {
    for (let i = 0; i + 4 <= n!; i += 4) ctx.mem.setU32(d! + i, v!);
    return undefined;
  }),
  rtl('SIZE_T RtlCompareMemoryUlong(PVOID Source, SIZE_T Length, ULONG Pattern)', (ctx, [s, n, v]) => {
    let i = 0;
    while (i + 4 <= n! && ctx.mem.u32(s! + i) === v) i += 4;
    return i;
  }),
  rtl(
    'VOID RtlInitializeBitMap(OUT PRTL_BITMAP BitMapHeader, PULONG BitMapBuffer, ULONG SizeOfBitMap)',
    (ctx, [h, b, n]) => {
      ctx.mem.setU32(h!, n!); // SizeOfBitMap
      ctx.mem.setPtr(h! + ctx.mem.layouts.RTL_BITMAP.Buffer, b!);
      return undefined;
    },
  ),
  rtl('VOID RtlClearAllBits(PRTL_BITMAP BitMapHeader)', (ctx, [h]) =>
    setRange(ctx, h!, 0, ctx.mem.u32(h!), 0),
  ),
  rtl('VOID RtlSetAllBits(PRTL_BITMAP BitMapHeader)', (ctx, [h]) => setRange(ctx, h!, 0, ctx.mem.u32(h!), 1)),
  rtl(
    'VOID RtlClearBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG NumberToClear)',
    (ctx, [h, i, n]) => setRange(ctx, h!, i!, n!, 0),
  ),
  rtl('VOID RtlSetBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG NumberToSet)', (ctx, [h, i, n]) =>
    setRange(ctx, h!, i!, n!, 1),
  ),
  rtl(
    'BOOLEAN RtlAreBitsClear(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG Length)',
    (ctx, [h, i, n]) => (allBits(ctx, h!, i!, n!, 0) ? 1 : 0),
  ),
  rtl(
    'BOOLEAN RtlAreBitsSet(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG Length)',
    (ctx, [h, i, n]) => (allBits(ctx, h!, i!, n!, 1) ? 1 : 0),
  ),
  rtl(
    'ULONG RtlFindClearBits(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex)',
    (ctx, [h, n, hint]) => findBits(ctx, h!, n!, hint!, 0),
  ),
  rtl(
    'ULONG RtlFindSetBits(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex)',
    (ctx, [h, n, hint]) => findBits(ctx, h!, n!, hint!, 1),
  ),
  rtl(
    'ULONG RtlFindClearBitsAndSet(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex)',
    (ctx, [h, n, hint]) => {
      const at = findBits(ctx, h!, n!, hint!, 0);
      if (at !== 0xffffffff) setRange(ctx, h!, at, n!, 1);
      return at;
    },
  ),
  rtl('ULONG RtlNumberOfSetBits(PRTL_BITMAP BitMapHeader)', (ctx, [h]) => {
    const bm = bitmap(ctx, h!);
    let n = 0;
    for (let i = 0; i < bm.size; i++) n += bm.get(i);
    return n;
  }),
  rtl('VOID RtlTimeToTimeFields(PLARGE_INTEGER Time, OUT PTIME_FIELDS TimeFields)', (ctx, [t, f]) => {
    writeTimeFields(ctx, f!, q(ctx.mem.u32(t!), ctx.mem.u32(t! + 4)));
    return undefined;
  }),
  rtl('BOOLEAN RtlTimeFieldsToTime(PTIME_FIELDS TimeFields, OUT PLARGE_INTEGER Time)', (ctx, [f, t]) => {
    const v = new DataView(ctx.mem.bytes(f!, 14).slice().buffer);
    const [y, mo, d, h, mi, s, ms] = Array.from({ length: 7 }, (_, i) => v.getInt16(2 * i, true));
    if (y! < 1601 || mo! < 1 || mo! > 12 || d! < 1 || d! > 31 || h! > 23 || mi! > 59 || s! > 59 || ms! > 999)
      return 0;
    const time = (BigInt(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!, ms!)) + 11_644_473_600_000n) * 10_000n;
    ctx.mem.setU32(t!, Number(time & 0xffffffffn));
    ctx.mem.setU32(t! + 4, Number(time >> 32n));
    return 1;
  }),
  rtl('LARGE_INTEGER RtlConvertLongToLargeInteger(LONG SignedInteger)', (_ctx, [v]) => u64(BigInt(v! | 0))),
  rtl('LARGE_INTEGER RtlConvertUlongToLargeInteger(ULONG UnsignedInteger)', (_ctx, [v]) => BigInt(v! >>> 0)),
  rtl('LARGE_INTEGER RtlEnlargedIntegerMultiply(LONG Multiplicand, LONG Multiplier)', (_ctx, [a, b]) =>
    u64(BigInt(a! | 0) * BigInt(b! | 0)),
  ),
  rtl(
    'LARGE_INTEGER RtlEnlargedUnsignedMultiply(ULONG Multiplicand, ULONG Multiplier)',
    (_ctx, [a, b]) => BigInt(a! >>> 0) * BigInt(b! >>> 0),
  ),
  rtl(
    'ULONG RtlEnlargedUnsignedDivide(ULARGE_INTEGER Dividend, ULONG Divisor, PULONG Remainder)',
    (ctx, [lo, hi, d, r]) => {
      if (d === 0) {
        ctx.stop('guest fault: integer divide by zero in RtlEnlargedUnsignedDivide');
        return undefined;
      }
      const n = q(lo!, hi!);
      if (r) ctx.mem.setU32(r, Number(n % BigInt(d!)));
      return Number(BigInt.asUintN(32, n / BigInt(d!)));
    },
  ),
  rtl(
    'LARGE_INTEGER RtlExtendedIntegerMultiply(LARGE_INTEGER Multiplicand, LONG Multiplier)',
    (_ctx, [lo, hi, m]) => u64(s64(lo!, hi!) * BigInt(m! | 0)),
  ),
  rtl(
    'LARGE_INTEGER RtlExtendedLargeIntegerDivide(LARGE_INTEGER Dividend, ULONG Divisor, PULONG Remainder)',
    (ctx, [lo, hi, d, r]) => {
      if (d === 0) {
        ctx.stop('guest fault: integer divide by zero in RtlExtendedLargeIntegerDivide');
        return undefined;
      }
      const n = q(lo!, hi!);
      if (r) ctx.mem.setU32(r, Number(n % BigInt(d!)));
      return n / BigInt(d!);
    },
  ),
  rtl(
    'LARGE_INTEGER RtlLargeIntegerAdd(LARGE_INTEGER Addend1, LARGE_INTEGER Addend2)',
    (_ctx, [a, b, c, d]) => u64(q(a!, b!) + q(c!, d!)),
  ),
  rtl(
    'LARGE_INTEGER RtlLargeIntegerSubtract(LARGE_INTEGER Minuend, LARGE_INTEGER Subtrahend)',
    (_ctx, [a, b, c, d]) => u64(q(a!, b!) - q(c!, d!)),
  ),
  rtl('LARGE_INTEGER RtlLargeIntegerNegate(LARGE_INTEGER Subtrahend)', (_ctx, [a, b]) => u64(-q(a!, b!))),
  rtl(
    'LARGE_INTEGER RtlLargeIntegerShiftLeft(LARGE_INTEGER LargeInteger, CCHAR ShiftCount)',
    (_ctx, [a, b, n]) => u64(q(a!, b!) << BigInt(n! & 63)),
  ),
  rtl(
    'LARGE_INTEGER RtlLargeIntegerShiftRight(LARGE_INTEGER LargeInteger, CCHAR ShiftCount)',
    (_ctx, [a, b, n]) => q(a!, b!) >> BigInt(n! & 63),
  ),
  rtl(
    'LARGE_INTEGER RtlLargeIntegerArithmeticShift(LARGE_INTEGER LargeInteger, CCHAR ShiftCount)',
    (_ctx, [a, b, n]) => u64(s64(a!, b!) >> BigInt(n! & 63)),
  ),
  rtl(
    'NTSTATUS RtlGetVersion(IN OUT PRTL_OSVERSIONINFOW lpVersionInformation)',
    (ctx, [info]) => {
      // RTL_OSVERSIONINFOW: Size, Major, Minor, Build, PlatformId (2: VER_PLATFORM_WIN32_NT), CSD[128].
      const size = ctx.mem.u32(info!);
      if (size !== 0x114 && size !== 0x11c) return NTSTATUS.INVALID_PARAMETER;
      ctx.mem.setU32(info! + 4, ctx.version.major);
      ctx.mem.setU32(info! + 8, ctx.version.minor);
      ctx.mem.setU32(info! + 12, ctx.version.build);
      ctx.mem.setU32(info! + 16, 2);
      ctx.mem.write(info! + 20, new Uint8Array(256));
      return NTSTATUS.SUCCESS;
    },
    false,
  ),
  rtl(
    'VOID RtlAssert(PVOID FailedAssertion, PVOID FileName, ULONG LineNumber, PCHAR Message)',
    (ctx, [a, f, line, m]) => {
      const text = (p: number) => (p ? ctx.mem.cString(p, 256) : '');
      ctx.log.add({
        type: 'dbgprint',
        text: `*** Assertion failed: ${text(m!)}${text(a!)}\n***   Source File: ${text(f!)}, line ${line! >>> 0}\n`,
        caller: ctx.caller,
      });
      return undefined;
    },
    false,
  ),
];
