// Debugger exports (ntoskrnl!Dbg*): DbgPrint with the DDK's printf formatting.
import type { GuestMemory } from '../../guest.js';
import { defineExport } from '../../registry.js';

/** Most characters one DbgPrint produces (NT's buffer was 512; more is cut, as NT did). */
const MAX_OUTPUT = 512;
/**
 * Most DbgPrint messages kept per kernel: a guest printing in a loop would otherwise grow the host's
 * event log by up to 512 characters per call until its budget ends (measured: 500 000 messages,
 * 1 GB of heap in 5 s). One further message says output was cut; later ones are dropped.
 */
export const MAX_DBGPRINT_EVENTS = 10_000;
const printed = new WeakMap<object, number>();

/** The next 64-bit argument: one slot where variadic arguments are 64-bit (`slot64`), else two, low first. */
function next64(next: () => number, slot64?: () => bigint): bigint {
  if (slot64) return BigInt.asUintN(64, slot64());
  const lo = BigInt(next() >>> 0);
  return lo | (BigInt(next() >>> 0) << 32n);
}

/**
 * Formats like the kernel's _vsnprintf: flags, width, precision, h/l/w/I64 sizes, and the
 * conversions %c %C %d %i %u %x %X %o %p %s %S %ws %Z %wZ %%. `next()` yields successive 32-bit args.
 * `wide` formats as swprintf does (%s and %c take wide characters, %S and %C narrow ones); the
 * output is cut at `max` characters (DbgPrint's 512 by default). With `slot64` (AMD64, where each
 * variadic argument is one 64-bit slot) %p, %I64/%ll and %I take the next slot whole: %p prints 16
 * digits, a 64-bit integer is one argument, not two.
 */
export function formatDbgPrint(
  mem: GuestMemory,
  format: string,
  next: () => number,
  options: { max?: number; wide?: boolean; slot64?: () => bigint } = {},
): string {
  const { max: limit = MAX_OUTPUT, slot64 } = options;
  const wideMode = options.wide === true;
  let out = '';
  const re = /%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?(hh|h|ll|l|w|I64|I32|I)?([cCdiouxXpsSZn%])/g;
  let last = 0;
  for (let m = re.exec(format); m; m = re.exec(format)) {
    out += format.slice(last, m.index);
    last = re.lastIndex;
    const [, flags = '', widthSpec, precSpec, size, conv] = m;
    if (conv === '%') {
      out += '%';
      continue;
    }
    // Guest-controlled: clamped to the output limit (a width of 0x7fffffff must not pad on the host).
    const width = Math.min(widthSpec === '*' ? next() | 0 : widthSpec ? Number(widthSpec) : 0, limit);
    const precision = Math.min(
      precSpec === '*' ? next() | 0 : precSpec !== undefined ? Number(precSpec) : -1,
      limit,
    );
    const wideArg =
      size === 'l' || size === 'w'
        ? true
        : size === 'h'
          ? false
          : (conv === 'S' || conv === 'C') !== wideMode;
    let text: string;
    const str = (s: string | null) => (s === null ? '(null)' : precision >= 0 ? s.slice(0, precision) : s);
    switch (conv) {
      case 'c':
      case 'C':
        text = String.fromCharCode(next() & (wideArg ? 0xffff : 0xff));
        break;
      case 'd':
      case 'i':
      case 'u':
      case 'o':
      case 'x':
      case 'X': {
        let v: bigint;
        if (size === 'I64' || size === 'll' || (size === 'I' && slot64)) {
          v = next64(next, slot64);
          if (conv === 'd' || conv === 'i') v = BigInt.asIntN(64, v);
        } else {
          const raw = next();
          v =
            conv === 'd' || conv === 'i'
              ? BigInt(size === 'h' ? (raw << 16) >> 16 : raw | 0)
              : BigInt(size === 'h' ? raw & 0xffff : raw >>> 0);
        }
        const base = conv === 'o' ? 8 : conv === 'x' || conv === 'X' ? 16 : 10;
        let digits = (v < 0n ? -v : v).toString(base);
        if (conv === 'X') digits = digits.toUpperCase();
        if (precision >= 0) digits = digits.padStart(precision, '0');
        const sign = v < 0n ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
        const prefix =
          flags.includes('#') && v !== 0n
            ? conv === 'x'
              ? '0x'
              : conv === 'X'
                ? '0X'
                : conv === 'o'
                  ? '0'
                  : ''
            : '';
        const body = sign + prefix + digits;
        text =
          flags.includes('0') && !flags.includes('-') && precision < 0
            ? sign + prefix + digits.padStart(width - sign.length - prefix.length, '0')
            : body;
        break;
      }
      case 'p':
        text = slot64
          ? next64(next, slot64).toString(16).toUpperCase().padStart(16, '0')
          : (next() >>> 0).toString(16).toUpperCase().padStart(8, '0');
        break;
      case 's':
      case 'S': {
        const p = next();
        text = str(p === 0 ? null : wideArg ? mem.wString(p, 4096) : mem.cString(p, 4096));
        break;
      }
      case 'Z': {
        const p = next();
        text = str(size === 'w' ? mem.unicodeString(p) : mem.ansiString(p));
        break;
      }
      default:
        text = ''; // %n writes nothing here: the kernel's DbgPrint ignored it
    }
    out += flags.includes('-') ? text.padEnd(width) : text.padStart(width);
  }
  return (out + format.slice(last)).slice(0, limit);
}

/** Formats as _vsnprintf into a `dbgprint` event (variadic, so cdecl). */
export const DbgPrint = defineExport({
  module: 'ntoskrnl',
  prototype: 'ULONG DbgPrint(PCSTR Format, ...)',
  impl(ctx, [format]) {
    const count = (printed.get(ctx.log) ?? 0) + 1;
    printed.set(ctx.log, count);
    if (count > MAX_DBGPRINT_EVENTS) {
      if (count === MAX_DBGPRINT_EVENTS + 1)
        ctx.log.add({
          type: 'dbgprint',
          text: `[nt351: more than ${MAX_DBGPRINT_EVENTS} DbgPrint messages; further output is dropped]`,
          caller: ctx.caller,
        });
      return 0;
    }
    let index = 1; // the arguments after Format
    const slot64 = ctx.argSlot64 && (() => ctx.argSlot64!(index++));
    const text = formatDbgPrint(ctx.mem, ctx.mem.cString(format!, 1024), () => ctx.arg(index++), {
      ...(slot64 ? { slot64 } : {}),
    });
    ctx.log.add({ type: 'dbgprint', text, caller: ctx.caller });
    return 0;
  },
});

/** Reported, then execution goes on (no debugger is attached). */
export const DbgBreakPoint = defineExport({
  module: 'ntoskrnl',
  prototype: 'VOID DbgBreakPoint(VOID)',
  impl(ctx) {
    ctx.log.add({
      type: 'dbgprint',
      text: '[DbgBreakPoint: no kernel debugger attached; continuing]',
      caller: ctx.caller,
    });
    return undefined;
  },
});

export const dbgExports = [DbgPrint, DbgBreakPoint];
