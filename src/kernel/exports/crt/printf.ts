// The C runtime's formatted output (sprintf, swprintf, _snprintf, _snwprintf, _vsnprintf…) over the
// DDK printf DbgPrint uses (ntoskrnl/dbg.ts), writing into the caller's buffer.
import type { KernelContext } from '../../context.js';
import { defineShared, type ExportHandler } from '../../registry.js';
import { formatDbgPrint } from '../ntoskrnl/dbg.js';
import { CRT_MODULES, putC, putW } from './string.js';

/** Longest output formatted without a count (sprintf, swprintf): guest-controlled, so bounded. */
const UNBOUNDED = 0x10000;

/** Where a formatting routine's variable arguments come from. */
type Args = { stack: number } | { vaList: number };

function format(
  ctx: KernelContext,
  wide: boolean,
  buffer: number,
  count: number | null,
  fmt: number,
  from: Args,
): number {
  const text = wide ? ctx.mem.wString(fmt, 4096) : ctx.mem.cString(fmt, 4096);
  let i = 0;
  // A va_list walks pointer-sized slots: 8 bytes each on AMD64, where %p and 64-bit integers take
  // one slot whole (slot64) and other conversions its low 32 bits (a pointer: its window offset).
  const p = ctx.mem.pointerSize;
  const next =
    'stack' in from
      ? () => ctx.arg(from.stack + i++)
      : () =>
          p === 8
            ? ctx.mem.ptr(from.vaList + 8 * i++, 'va_list')
            : ctx.mem.u32(from.vaList + 4 * i++, 'va_list');
  const slot64 =
    p !== 8
      ? undefined
      : 'stack' in from
        ? ctx.argSlot64 && (() => ctx.argSlot64!(from.stack + i++))
        : () => {
            const b = ctx.mem.bytes(from.vaList + 8 * i++, 8, 'va_list');
            return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
          };
  const out = formatDbgPrint(ctx.mem, text, next, {
    wide,
    max: count === null ? UNBOUNDED : count + 1,
    ...(slot64 ? { slot64 } : {}),
  });
  // _snprintf: when the output fills Count, no NUL is written and the result is -1.
  if (count !== null && out.length >= count) {
    const cut = out.slice(0, count);
    if (wide) {
      const b = new Uint8Array(2 * cut.length);
      for (let k = 0; k < cut.length; k++) {
        b[2 * k] = cut.charCodeAt(k) & 0xff;
        b[2 * k + 1] = cut.charCodeAt(k) >>> 8;
      }
      ctx.mem.write(buffer, b);
    } else
      ctx.mem.write(
        buffer,
        Uint8Array.from(cut, (c) => c.charCodeAt(0) & 0xff),
      );
    return out.length === count ? count : 0xffffffff;
  }
  if (wide) putW(ctx, buffer, out);
  else putC(ctx, buffer, out);
  return out.length;
}

const printf = (prototype: string, impl: ExportHandler['impl']) =>
  defineShared(CRT_MODULES, { prototype, pure: true, impl });

export const crtPrintfExports: ExportHandler[] = [
  ...printf('int __cdecl sprintf(PCHAR Buffer, PCSTR Format, ...)', (ctx, [b, f]) =>
    format(ctx, false, b!, null, f!, { stack: 2 }),
  ),
  ...printf('int __cdecl swprintf(PWCHAR Buffer, PCWSTR Format, ...)', (ctx, [b, f]) =>
    format(ctx, true, b!, null, f!, { stack: 2 }),
  ),
  ...printf('int __cdecl _snprintf(PCHAR Buffer, SIZE_T Count, PCSTR Format, ...)', (ctx, [b, n, f]) =>
    format(ctx, false, b!, n!, f!, { stack: 3 }),
  ),
  ...printf('int __cdecl _snwprintf(PWCHAR Buffer, SIZE_T Count, PCWSTR Format, ...)', (ctx, [b, n, f]) =>
    format(ctx, true, b!, n!, f!, { stack: 3 }),
  ),
  ...printf('int __cdecl vsprintf(PCHAR Buffer, PCSTR Format, va_list ArgList)', (ctx, [b, f, va]) =>
    format(ctx, false, b!, null, f!, { vaList: va! }),
  ),
  ...printf(
    'int __cdecl _vsnprintf(PCHAR Buffer, SIZE_T Count, PCSTR Format, va_list ArgList)',
    (ctx, [b, n, f, va]) => format(ctx, false, b!, n!, f!, { vaList: va! }),
  ),
  ...printf(
    'int __cdecl _vsnwprintf(PWCHAR Buffer, SIZE_T Count, PCWSTR Format, va_list ArgList)',
    (ctx, [b, n, f, va]) => format(ctx, true, b!, n!, f!, { vaList: va! }),
  ),
];
