// Parses a routine's C prototype as the DDK spells it (`NTSTATUS NTAPI IoCreateDevice(IN PDRIVER_OBJECT
// DriverObject, …)`) into what the kernel needs to call it: name, calling convention, each parameter's
// width and how a report decodes it, and the return type. The prototype is a handler's one declaration.
import type { CallingConvention } from '../cpu/abi.js';

/** How a report decodes an argument's value into text (null: shown as a number only). */
export type ArgDecode = 'unicode-string' | 'ansi-string' | 'c-string' | 'wide-string' | null;

/** One parameter of a parsed prototype. */
export interface ParamSpec {
  name: string;
  /** The C type as written, without IN/OUT/OPTIONAL/const (e.g. `PUNICODE_STRING`, `PVOID *`). */
  type: string;
  /** `IN`, `OUT`, `IN OUT`, or null when the prototype does not say. */
  direction: 'in' | 'out' | 'inout' | null;
  /** Bytes the value occupies: 8 for 64-bit scalars passed by value (LONGLONG, LARGE_INTEGER…). */
  width: 4 | 8;
  /** Text decoding for reports; never for OUT-only parameters (not yet written at entry). */
  decode: ArgDecode;
}

/** A parsed prototype. */
export interface Prototype {
  name: string;
  /** The return type as written (`VOID`, `NTSTATUS`, `PVOID`, `LONGLONG`…). */
  returns: string;
  /** 8 when the result is 64 bits (x86 EDX:EAX, Alpha all of v0). */
  returnWidth: 0 | 4 | 8;
  conv: CallingConvention;
  params: ParamSpec[];
  /** Declared with `...` (always cdecl). */
  variadic: boolean;
  /** The declaration as given, whitespace normalised. */
  text: string;
}

/** A prototype the parser cannot read: a bug in a declaration, so a host error at start-up. */
export class PrototypeError extends Error {
  override readonly name = 'PrototypeError';
  constructor(prototype: string, reason: string) {
    super(`bad prototype "${prototype}": ${reason}`);
  }
}

/**
 * Calling-convention words. Without one an export is stdcall: NTAPI, NTKERNELAPI and NTHALAPI routines
 * are compiled __stdcall on x86 (ntdef.h), and a variadic one is cdecl (DbgPrint).
 */
const CONVENTIONS: Record<string, CallingConvention> = {
  NTAPI: 'stdcall',
  WINAPI: 'stdcall',
  __stdcall: 'stdcall',
  STDCALL: 'stdcall',
  __cdecl: 'cdecl',
  CDECL: 'cdecl',
  __fastcall: 'fastcall',
  FASTCALL: 'fastcall',
};
/** Words that say nothing about a value's layout (DDK decoration). */
const DECORATION = new Set([
  'NTKERNELAPI',
  'NTHALAPI',
  'NTSYSAPI',
  'DECLSPEC_NORETURN',
  'EXPORT',
  'const',
  'CONST',
  'volatile',
  'OPTIONAL',
  'struct',
  'unsigned',
]);
/**
 * Scalars passed by value in 64 bits (two stack slots on x86, one register on Alpha and AMD64), and
 * the 8-byte structures NT passes by value (LUID; UNICODE_STRING, two x86 slots: lengths, Buffer).
 */
const WIDE = new Set([
  'LONGLONG',
  'ULONGLONG',
  'LARGE_INTEGER',
  'ULARGE_INTEGER',
  'PHYSICAL_ADDRESS',
  'NDIS_PHYSICAL_ADDRESS',
  'LUID',
  'UNICODE_STRING',
  'LONG64',
  'ULONG64',
  'DWORD64',
  'INT64',
  'UINT64',
  '__int64',
]);
const UNICODE_STRINGS = new Set(['PUNICODE_STRING', 'PCUNICODE_STRING']);
const ANSI_STRINGS = new Set([
  'PANSI_STRING',
  'PCANSI_STRING',
  'PSTRING',
  'PCSTRING',
  'POEM_STRING',
  'PCOEM_STRING',
]);
const C_STRINGS = new Set(['PCSTR', 'PCSZ', 'PSTR', 'PSZ', 'LPCSTR', 'LPSTR', 'char *', 'CHAR *']);
const WIDE_STRINGS = new Set(['PCWSTR', 'PWSTR', 'LPCWSTR', 'LPWSTR', 'wchar_t *', 'WCHAR *']);

function decodeOf(type: string): ArgDecode {
  if (UNICODE_STRINGS.has(type)) return 'unicode-string';
  if (ANSI_STRINGS.has(type)) return 'ansi-string';
  if (C_STRINGS.has(type)) return 'c-string';
  if (WIDE_STRINGS.has(type)) return 'wide-string';
  return null;
}

/** Splits `a, b(c, d), e` at top-level commas (function-pointer parameters keep theirs). */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')') depth--;
    else if (s[i] === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out.map((p) => p.trim());
}

/** Type words of a declarator, stars split off as their own words (`PVOID *Object` → PVOID, *, Object). */
const words = (s: string): string[] => s.replace(/\*/g, ' * ').split(/\s+/).filter(Boolean);

function parseParam(text: string, prototype: string, index: number): ParamSpec {
  let direction: ParamSpec['direction'] = null;
  const typeWords: string[] = [];
  const all = words(text);
  for (const w of all) {
    if (w === 'IN') direction = direction === 'out' ? 'inout' : 'in';
    else if (w === 'OUT') direction = direction === 'in' ? 'inout' : 'out';
    else if (w === '_In_' || w === '_In_opt_') direction = 'in';
    else if (w === '_Out_' || w === '_Out_opt_') direction = 'out';
    else if (w === '_Inout_' || w === '_Inout_opt_') direction = 'inout';
    else if (!DECORATION.has(w)) typeWords.push(w);
  }
  // The last word names the parameter unless the declaration gives only a type (`ULONG`, `PVOID *`).
  let name = `Arg${index + 1}`;
  const last = typeWords[typeWords.length - 1];
  if (typeWords.length >= 2 && last !== undefined && /^[A-Za-z_]\w*$/.test(last)) {
    name = last;
    typeWords.pop();
  }
  if (typeWords.length === 0) throw new PrototypeError(prototype, `parameter ${index + 1} has no type`);
  const type = typeWords.join(' ').replace(/ \*/g, ' *');
  const stars = typeWords.filter((w) => w === '*').length;
  const base = typeWords.filter((w) => w !== '*').join(' ');
  const width: 4 | 8 = stars === 0 && WIDE.has(base) ? 8 : 4;
  const decode = direction === 'out' ? null : decodeOf(stars === 1 ? `${base} *` : stars === 0 ? base : '');
  return { name, type, direction, width, decode };
}

/**
 * Parses `RETURN [CONV] Name(PARAMS)`. Parameters may carry the DDK's IN/OUT/OPTIONAL (or SAL
 * `_In_`/`_Out_`); `VOID` or nothing means no parameters; `...` makes the routine variadic (cdecl).
 */
export function parsePrototype(prototype: string): Prototype {
  const text = prototype.replace(/\s+/g, ' ').trim().replace(/;$/, '');
  const open = text.indexOf('(');
  if (open < 0 || !text.endsWith(')')) throw new PrototypeError(prototype, 'expected "Name(parameters)"');
  const head = words(text.slice(0, open));
  const name = head.pop();
  if (name === undefined || !/^[A-Za-z_]\w*$/.test(name))
    throw new PrototypeError(prototype, 'no routine name');
  let conv: CallingConvention | null = null;
  const ret: string[] = [];
  for (const w of head) {
    const c = CONVENTIONS[w];
    if (c) conv = c;
    else if (!DECORATION.has(w)) ret.push(w);
  }
  if (ret.length === 0) throw new PrototypeError(prototype, 'no return type');
  const returns = ret.join(' ').replace(/ \*/g, ' *');
  const inner = text.slice(open + 1, -1).trim();
  const parts = inner === '' || inner === 'VOID' || inner === 'void' ? [] : splitTop(inner);
  const variadic = parts[parts.length - 1] === '...';
  if (variadic) parts.pop();
  if (variadic && conv !== null && conv !== 'cdecl')
    throw new PrototypeError(prototype, 'variadic but not cdecl');
  const params = parts.map((p, i) => parseParam(p, prototype, i));
  const returnWidth = returns === 'VOID' || returns === 'void' ? 0 : WIDE.has(returns) ? 8 : 4;
  return {
    name,
    returns,
    returnWidth,
    conv: conv ?? (variadic ? 'cdecl' : 'stdcall'),
    params,
    variadic,
    text,
  };
}
