// RtlQueryRegistryValues over the configuration registry model: a driver's RTL_QUERY_REGISTRY_TABLE
// read entry by entry, values handed to its QueryRoutine (guest calls, one after another) or stored
// DIRECT into its variables. Follows ReactOS's sdk/lib/rtl/registry.c (RtlQueryRegistryValues,
// RtlpCallQueryRegistryRoutine, RtlpQueryRegistryDirect) and the DDK's documentation of the flags;
// REG_EXPAND_SZ values are expanded as ReactOS's sdk/lib/rtl/env.c RtlExpandEnvironmentStrings_U does.
import type { KernelContext } from '../../context.js';
import { MAX_GUEST_STRING, utf16z } from '../../guest.js';
import type { RegistryKey } from '../../hive.js';
import { defineExport, guestCall, type HandlerResult } from '../../registry.js';
import { putW } from '../crt/string.js';
import { NTSTATUS } from '../status.js';
import { registryPathOf } from './rtl-names.js';

/** RTL_QUERY_REGISTRY_* flags (ntddk.h). */
const Q = {
  SUBKEY: 0x01,
  TOPKEY: 0x02,
  REQUIRED: 0x04,
  NOVALUE: 0x08,
  NOEXPAND: 0x10,
  DIRECT: 0x20,
  DELETE: 0x40,
} as const;
const REG_NONE = 0;
const REG_SZ = 1;
const REG_EXPAND_SZ = 2;
const REG_MULTI_SZ = 7;
const PagedPool = 1;
const isString = (t: number) => t === REG_SZ || t === REG_EXPAND_SZ || t === REG_MULTI_SZ;

/** One RTL_QUERY_REGISTRY_TABLE entry: seven fields, each pointer-aligned (28 bytes x86, 56 AMD64). */
interface Entry {
  routine: number;
  flags: number;
  name: string | null;
  entryContext: number;
  defaultType: number;
  defaultData: number;
  defaultLength: number;
}
function entryAt(ctx: KernelContext, at: number): Entry {
  const p = ctx.mem.pointerSize;
  const name = ctx.mem.ptr(at + 2 * p);
  return {
    routine: ctx.mem.ptr(at),
    flags: ctx.mem.u32(at + p),
    name: name ? ctx.mem.wString(name, 256) : null,
    entryContext: ctx.mem.ptr(at + 3 * p),
    defaultType: ctx.mem.u32(at + 4 * p),
    defaultData: ctx.mem.ptr(at + 5 * p),
    defaultLength: ctx.mem.u32(at + 6 * p),
  };
}

/** The key RelativeTo and Path name, null when it does not exist, 'invalid' for an unknown RelativeTo. */
function keyOf(ctx: KernelContext, relativeTo: number, path: number): RegistryKey | null | 'invalid' {
  const full = registryPathOf(ctx, relativeTo, path || null);
  if (full === null) return 'invalid';
  return ctx.registry?.key(full.replace(/\\+$/, ''))?.key ?? null;
}

/**
 * A default value's data: DefaultLength 0 for a string means its length with the terminator(s); a
 * REG_MULTI_SZ is measured over at most MAX_GUEST_STRING bytes (guest data need not end).
 */
function defaultData(ctx: KernelContext, e: Entry): Uint8Array {
  let length = e.defaultLength;
  if (length === 0 && isString(e.defaultType) && e.defaultData) {
    let at = e.defaultData;
    while (at - e.defaultData < MAX_GUEST_STRING) {
      const s = ctx.mem.wString(at, 4096);
      at += 2 * s.length + 2;
      if (e.defaultType !== REG_MULTI_SZ || s.length === 0) break;
    }
    length = at - e.defaultData;
  }
  return length && e.defaultData
    ? ctx.mem.bytes(e.defaultData, length, 'default data').slice()
    : new Uint8Array(0);
}

/** RtlpQueryRegistryDirect: the value stored at EntryContext as the DDK describes per type. */
function storeDirect(ctx: KernelContext, at: number, type: number, data: Uint8Array): number {
  if (isString(type)) {
    // EntryContext is a UNICODE_STRING; a NULL Buffer is allocated for the caller (who frees it).
    const p = ctx.mem.pointerSize;
    let buffer = ctx.mem.ptr(at + p);
    if (!buffer) {
      buffer = ctx.pool.allocate(data.length, PagedPool, 'RtlR', 'driver') ?? 0;
      if (!buffer) return NTSTATUS.INSUFFICIENT_RESOURCES;
      ctx.mem.setPtr(at + p, buffer);
      ctx.mem.setU16(at + 2, data.length);
    } else if (data.length > ctx.mem.u16(at + 2)) return NTSTATUS.BUFFER_TOO_SMALL;
    ctx.mem.write(buffer, data);
    ctx.mem.setU16(at, Math.max(0, data.length - 2));
    return NTSTATUS.SUCCESS;
  }
  if (data.length <= 4) {
    ctx.mem.write(at, data);
    return NTSTATUS.SUCCESS;
  }
  // Larger data: the buffer starts with a LONG; negative, its size for the data alone; positive,
  // its size for { ULONG Length; ULONG Type; data }.
  const size = ctx.mem.u32(at) | 0;
  if (size < 0) {
    if (-size < data.length) return NTSTATUS.BUFFER_TOO_SMALL;
    ctx.mem.write(at, data);
  } else {
    if (size < data.length + 8) return NTSTATUS.BUFFER_TOO_SMALL;
    ctx.mem.setU32(at, data.length);
    ctx.mem.setU32(at + 4, type);
    ctx.mem.write(at + 8, data);
  }
  return NTSTATUS.SUCCESS;
}

/** The pieces a callback gets for one value: REG_MULTI_SZ split into its strings unless NOEXPAND. */
function pieces(type: number, data: Uint8Array, flags: number): [number, Uint8Array][] {
  if (type !== REG_MULTI_SZ || flags & Q.NOEXPAND) return [[type, data]];
  const out: [number, Uint8Array][] = [];
  let start = 0;
  for (let i = 0; i + 1 < data.length; i += 2) {
    if (data[i] === 0 && data[i + 1] === 0) {
      if (i === start) break; // the closing empty string
      out.push([REG_SZ, data.subarray(start, i + 2)]);
      start = i + 2;
    }
  }
  return out;
}

/** Calls QueryRoutine(ValueName, ValueType, ValueData, ValueLength, Context, EntryContext) per piece. */
function callRoutine(
  ctx: KernelContext,
  e: Entry,
  name: string | null,
  values: [number, Uint8Array][],
  context: number,
  then: (status: number) => HandlerResult,
): HandlerResult {
  const [first, ...rest] = values;
  if (!first) return then(NTSTATUS.SUCCESS);
  const [type, data] = first;
  const scratch = ctx.pool.allocate(data.length + 2 * (name?.length ?? 0) + 2, PagedPool, 'RtlQ', 'kernel');
  if (!scratch) return then(NTSTATUS.INSUFFICIENT_RESOURCES);
  ctx.mem.write(scratch, data);
  const namePtr = name === null ? 0 : scratch + data.length;
  if (name !== null) putW(ctx, namePtr, name);
  const args = [namePtr, type, data.length ? scratch : 0, data.length, context, e.entryContext];
  return guestCall(e.routine, args, (status) => {
    ctx.pool.free(scratch);
    return (status | 0) < 0 ? then(status >>> 0) : callRoutine(ctx, e, name, rest, context, then);
  });
}

/**
 * The variables of an environment block (`NAME=VALUE\0…\0`, UTF-16), read over at most
 * MAX_GUEST_STRING bytes. A NULL block is the current process's environment: the sandbox runs
 * drivers in the system process, which has no PEB and so no environment (ReactOS's
 * RtlQueryEnvironmentVariable_U answers STATUS_VARIABLE_NOT_FOUND for every name then).
 */
function environmentOf(ctx: KernelContext, block: number): Map<string, string> {
  const vars = new Map<string, string>();
  if (!block) return vars;
  let at = block;
  while (at - block < MAX_GUEST_STRING) {
    const s = ctx.mem.wString(at, 4096);
    if (s.length === 0) break;
    at += 2 * s.length + 2;
    // The first '=' after the first character ends the name (names such as "=C:" start with one).
    const eq = s.indexOf('=', 1);
    if (eq > 0 && !vars.has(s.slice(0, eq).toLowerCase()))
      vars.set(s.slice(0, eq).toLowerCase(), s.slice(eq + 1));
  }
  return vars;
}

/**
 * RtlExpandEnvironmentStrings_U over a string: each `%NAME%` whose NAME the environment holds
 * (case-insensitive) becomes its value; an unknown one is copied as written, `%` and all, and so is a
 * `%` with no closing one (ReactOS sdk/lib/rtl/env.c).
 */
export function expandEnvironmentStrings(text: string, vars: Map<string, string>): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('%', i);
    if (open < 0) return out + text.slice(i);
    out += text.slice(i, open);
    const close = text.indexOf('%', open + 1);
    if (close < 0) return out + text.slice(open);
    const value = vars.get(text.slice(open + 1, close).toLowerCase());
    out += value ?? text.slice(open, close + 1);
    i = close + 1;
  }
  return out;
}

/**
 * RtlpCallQueryRegistryRoutine's preparation of a REG_EXPAND_SZ (unless NOEXPAND): one holding a
 * `%` is expanded against `environment` and handed on as REG_SZ; others pass as stored. Null when
 * the expansion does not fit a UNICODE_STRING (STATUS_BUFFER_TOO_SMALL).
 */
function expanded(
  ctx: KernelContext,
  environment: number,
  type: number,
  data: Uint8Array,
  flags: number,
): [number, Uint8Array] | null {
  if (type !== REG_EXPAND_SZ || flags & Q.NOEXPAND || data.length < 2) return [type, data];
  const chars = new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + (data.length - 2)));
  // The source is the value without its terminator; it ends at its first NUL as a C string would.
  let text = String.fromCharCode(...chars);
  const nul = text.indexOf('\0');
  if (nul >= 0) text = text.slice(0, nul);
  if (!text.includes('%')) return [type, data];
  const out = utf16z(expandEnvironmentStrings(text, environmentOf(ctx, environment)));
  return out.length > 0xffff ? null : [REG_SZ, out];
}

/** One table entry against `key`; `then` gets the status that ends it. */
function queryEntry(
  ctx: KernelContext,
  key: RegistryKey,
  e: Entry,
  context: number,
  environment: number,
  then: (status: number) => HandlerResult,
): HandlerResult {
  if (e.name === null && !(e.flags & Q.DIRECT)) {
    if (e.flags & Q.NOVALUE) return callRoutine(ctx, e, null, [[REG_NONE, new Uint8Array(0)]], context, then);
    // Every value of the key, in the order the key holds them.
    const all = [...key.values.values()];
    const next = (i: number): HandlerResult => {
      const v = all[i];
      if (!v) return then(NTSTATUS.SUCCESS);
      const value = expanded(ctx, environment, v.type, v.data, e.flags);
      if (!value) return then(NTSTATUS.BUFFER_TOO_SMALL);
      return callRoutine(ctx, e, v.name, pieces(value[0], value[1], e.flags), context, (s) =>
        (s | 0) < 0 ? then(s) : next(i + 1),
      );
    };
    return next(0);
  }
  const found = e.name === null ? undefined : key.values.get(e.name.toLowerCase());
  let type: number;
  let data: Uint8Array;
  if (found) {
    type = found.type;
    data = found.data;
  } else if (e.flags & Q.REQUIRED) {
    return then(NTSTATUS.OBJECT_NAME_NOT_FOUND);
  } else if (e.defaultType === REG_NONE) {
    return then(NTSTATUS.SUCCESS);
  } else {
    type = e.defaultType;
    data = defaultData(ctx, e);
  }
  const done = (status: number) => {
    if ((status | 0) >= 0 && found && e.flags & Q.DELETE) key.values.delete(e.name!.toLowerCase());
    return then(status);
  };
  // Stored and default values alike are expanded before they are stored or handed on.
  const value = expanded(ctx, environment, type, data, e.flags);
  if (!value) return done(NTSTATUS.BUFFER_TOO_SMALL);
  [type, data] = value;
  if (e.flags & Q.DIRECT) return done(storeDirect(ctx, e.entryContext, type, data));
  return callRoutine(ctx, e, e.name, pieces(type, data, e.flags), context, done);
}

export const RtlQueryRegistryValues = defineExport({
  module: 'ntoskrnl',
  prototype:
    'NTSTATUS RtlQueryRegistryValues(ULONG RelativeTo, PCWSTR Path, PRTL_QUERY_REGISTRY_TABLE QueryTable, PVOID Context, PVOID Environment)',
  impl(ctx, [relativeTo, path, table, context, environment]) {
    const top = keyOf(ctx, relativeTo!, path!);
    if (top === 'invalid') return NTSTATUS.INVALID_PARAMETER;
    if (!top) return NTSTATUS.OBJECT_NAME_NOT_FOUND;
    // RTL_REGISTRY_OPTIONAL affects only how NT opens the key; the lookup here is the same.
    const size = 7 * ctx.mem.pointerSize;
    let current = top;
    const step = (at: number): HandlerResult => {
      const e = entryAt(ctx, at);
      // The table ends at an entry with neither a routine nor SUBKEY/DIRECT.
      if (!e.routine && !(e.flags & (Q.SUBKEY | Q.DIRECT))) return NTSTATUS.SUCCESS;
      if (e.flags & Q.DIRECT && (e.name === null || e.flags & Q.SUBKEY || e.routine))
        return NTSTATUS.INVALID_PARAMETER;
      if (e.flags & (Q.TOPKEY | Q.SUBKEY)) current = top;
      let entry = e;
      if (e.flags & Q.SUBKEY) {
        // Name is a path below the top key; the entries after it are for that key, and the entry's
        // own routine (if any) gets every value of it.
        let sub: RegistryKey | undefined = top;
        for (const part of (e.name ?? '').split('\\').filter(Boolean))
          sub = sub?.subkeys.get(part.toLowerCase());
        if (!sub || e.name === null) return NTSTATUS.OBJECT_NAME_NOT_FOUND;
        current = sub;
        if (!e.routine) return step(at + size);
        entry = { ...e, name: null };
      }
      return queryEntry(ctx, current, entry, context!, environment!, (status) =>
        (status | 0) < 0 ? status : step(at + size),
      );
    };
    return step(table!);
  },
});
