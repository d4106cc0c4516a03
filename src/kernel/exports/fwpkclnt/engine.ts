// The Windows Filtering Platform's management side as fwpkclnt.sys gives it to kernel callers
// (fwpmk.h): an engine session opened by an administrator (the sandbox runs drivers as the system),
// transactions, and the provider, sublayer, callout and filter objects the base filtering engine
// keeps. Objects are recorded with their keys, names and runtime ids and reported as `wfp-object`
// events when they become visible. Model: no packets flow, so filters never match; the engine knows
// no built-in layers, so any layer key is accepted.
import type { KernelContext } from '../../context.js';
import { defineExport, type ExportHandler } from '../../registry.js';
import { NTSTATUS } from '../status.js';
import { wfpLayouts } from './layouts.js';

const fwpm = (prototype: string, impl: ExportHandler['impl']) =>
  defineExport({ module: 'fwpkclnt', prototype, impl });

/** STATUS_FWP_* (ntstatus.h: FACILITY_FWP 0x22, the same codes as winerror.h's FWP_E_* 0x80320001…). */
export const STATUS_FWP = {
  CALLOUT_NOT_FOUND: 0xc0220001,
  FILTER_NOT_FOUND: 0xc0220003,
  PROVIDER_NOT_FOUND: 0xc0220005,
  SUBLAYER_NOT_FOUND: 0xc0220007,
  ALREADY_EXISTS: 0xc0220009,
  IN_USE: 0xc022000a,
  NO_TXN_IN_PROGRESS: 0xc022000d,
  TXN_IN_PROGRESS: 0xc022000e,
} as const;
const NOT_FOUND = {
  provider: STATUS_FWP.PROVIDER_NOT_FOUND,
  sublayer: STATUS_FWP.SUBLAYER_NOT_FOUND,
  callout: STATUS_FWP.CALLOUT_NOT_FOUND,
  filter: STATUS_FWP.FILTER_NOT_FOUND,
} as const;
/** FWPM_SESSION0.flags: FWPM_SESSION_FLAG_DYNAMIC, objects go away with the session. */
const SESSION_FLAG_DYNAMIC = 0x1;
/** FWP_ACTION_FLAG_CALLOUT: the filter's action names a callout. */
const ACTION_FLAG_CALLOUT = 0x4000;

type ObjectKind = keyof typeof NOT_FOUND;
interface WfpObject {
  kind: ObjectKind;
  key: string;
  name: string | null;
  id: number | null;
  engine: number;
  /** The keys this object depends on (its provider, sublayer, callout), as `kind:key`. */
  uses: string[];
}
interface Engine {
  dynamic: boolean;
  /** Open transaction: what to undo on abort and to report on commit. */
  txn: { added: WfpObject[]; deleted: WfpObject[] } | null;
}
/** The engine's state for one kernel. */
export interface WfpState {
  engines: Map<number, Engine>;
  objects: Map<string, WfpObject>;
  nextId: number;
}

const states = new WeakMap<KernelContext, WfpState>();
export function wfp(ctx: KernelContext): WfpState {
  let s = states.get(ctx);
  if (!s) {
    s = { engines: new Map(), objects: new Map(), nextId: 1 };
    states.set(ctx, s);
  }
  return s;
}

/** A GUID in guest memory as `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}`. */
export function guidAt(ctx: KernelContext, at: number): string {
  const b = ctx.mem.bytes(at, 16);
  const h = (i: number) => b[i]!.toString(16).padStart(2, '0');
  const le = (from: number, n: number) => Array.from({ length: n }, (_, i) => h(from + n - 1 - i)).join('');
  const be = (from: number, n: number) => Array.from({ length: n }, (_, i) => h(from + i)).join('');
  return `{${le(0, 4)}-${le(4, 2)}-${le(6, 2)}-${be(8, 2)}-${be(10, 6)}}`;
}

/** FWPM_DISPLAY_DATA0.name (a wchar_t * at `at`), or null. */
function displayName(ctx: KernelContext, at: number): string | null {
  const p = ctx.mem.ptr(at);
  return p ? ctx.mem.wString(p, 256) : null;
}

const keyOf = (kind: string, key: string) => `${kind}:${key}`;

function report(ctx: KernelContext, o: WfpObject, action: 'added' | 'deleted'): void {
  ctx.log.add({ type: 'wfp-object', action, kind: o.kind, key: o.key, name: o.name, id: o.id });
}

/** Adds `o` unless its key exists or what it uses does not; reported now or at commit. */
function add(ctx: KernelContext, engine: Engine, o: WfpObject): number {
  const s = wfp(ctx);
  if (s.objects.has(keyOf(o.kind, o.key))) return STATUS_FWP.ALREADY_EXISTS;
  for (const use of o.uses) {
    if (!s.objects.has(use)) return NOT_FOUND[use.split(':')[0] as ObjectKind];
  }
  s.objects.set(keyOf(o.kind, o.key), o);
  if (engine.txn) engine.txn.added.push(o);
  else report(ctx, o, 'added');
  return NTSTATUS.SUCCESS;
}

function remove(ctx: KernelContext, engine: Engine, kind: ObjectKind, key: string): number {
  const s = wfp(ctx);
  const k = keyOf(kind, key);
  const o = s.objects.get(k);
  if (!o) return NOT_FOUND[kind];
  for (const other of s.objects.values()) if (other.uses.includes(k)) return STATUS_FWP.IN_USE;
  s.objects.delete(k);
  if (engine.txn) engine.txn.deleted.push(o);
  else report(ctx, o, 'deleted');
  return NTSTATUS.SUCCESS;
}

function engineOf(ctx: KernelContext, handle: number): Engine | undefined {
  return wfp(ctx).engines.get(handle >>> 0);
}

/** An optional `GUID *` at `at` as a dependency on a provider. */
function providerUse(ctx: KernelContext, at: number): string[] {
  const p = ctx.mem.ptr(at);
  return p ? [keyOf('provider', guidAt(ctx, p))] : [];
}

const adder = (
  prototype: string,
  build: (ctx: KernelContext, object: number, engine: number) => WfpObject,
  idOut?: (ctx: KernelContext, args: number[], o: WfpObject) => void,
): ExportHandler =>
  fwpm(prototype, (ctx, args) => {
    const [handle, object] = args;
    const engine = engineOf(ctx, handle!);
    if (!engine) return NTSTATUS.INVALID_HANDLE;
    if (!object) return NTSTATUS.INVALID_PARAMETER;
    const o = build(ctx, object, handle!);
    const status = add(ctx, engine, o);
    if (status === NTSTATUS.SUCCESS) idOut?.(ctx, args, o);
    return status;
  });

const deleter = (kind: ObjectKind, prototype: string): ExportHandler =>
  fwpm(prototype, (ctx, [handle, key]) => {
    const engine = engineOf(ctx, handle!);
    if (!engine) return NTSTATUS.INVALID_HANDLE;
    if (!key) return NTSTATUS.INVALID_PARAMETER;
    return remove(ctx, engine, kind, guidAt(ctx, key));
  });

export const wfpEngineExports: ExportHandler[] = [
  fwpm(
    'NTSTATUS FwpmEngineOpen0(const wchar_t *serverName, UINT32 authnService, SEC_WINNT_AUTH_IDENTITY_W *authIdentity, const FWPM_SESSION0 *session, HANDLE *engineHandle)',
    (ctx, [server, authn, , session, out]) => {
      // Kernel callers reach the local engine only; RPC_C_AUTHN_WINNT (10) or RPC_C_AUTHN_DEFAULT.
      if (server || (authn !== 10 && authn !== 0xffffffff) || !out) return NTSTATUS.INVALID_PARAMETER;
      const handle = ctx.pool.allocate(0x10, 0, 'FwEn', 'kernel');
      if (handle === null) return NTSTATUS.INSUFFICIENT_RESOURCES;
      const { SESSION } = wfpLayouts(ctx);
      const dynamic = session ? (ctx.mem.u32(session + SESSION.flags) & SESSION_FLAG_DYNAMIC) !== 0 : false;
      wfp(ctx).engines.set(handle, { dynamic, txn: null });
      ctx.mem.setPtr(out, handle);
      ctx.log.add({
        type: 'wfp-object',
        action: 'added',
        kind: 'engine',
        key: `0x${handle.toString(16)}`,
        name: dynamic ? 'dynamic session' : null,
        id: null,
      });
      return NTSTATUS.SUCCESS;
    },
  ),
  fwpm('NTSTATUS FwpmEngineClose0(HANDLE engineHandle)', (ctx, [handle]) => {
    const s = wfp(ctx);
    const engine = engineOf(ctx, handle!);
    if (!engine) return NTSTATUS.INVALID_HANDLE;
    // An open transaction is aborted; a dynamic session's objects go with it (dependents first).
    if (engine.txn) undo(ctx, engine);
    if (engine.dynamic) {
      const mine = [...s.objects.values()].filter((o) => o.engine === handle).reverse();
      for (const o of mine) {
        s.objects.delete(keyOf(o.kind, o.key));
        report(ctx, o, 'deleted');
      }
    }
    s.engines.delete(handle!);
    ctx.pool.free(handle!);
    ctx.log.add({
      type: 'wfp-object',
      action: 'deleted',
      kind: 'engine',
      key: `0x${handle!.toString(16)}`,
      name: null,
      id: null,
    });
    return NTSTATUS.SUCCESS;
  }),
  fwpm('NTSTATUS FwpmTransactionBegin0(HANDLE engineHandle, UINT32 flags)', (ctx, [handle]) => {
    const engine = engineOf(ctx, handle!);
    if (!engine) return NTSTATUS.INVALID_HANDLE;
    if (engine.txn) return STATUS_FWP.TXN_IN_PROGRESS;
    engine.txn = { added: [], deleted: [] };
    return NTSTATUS.SUCCESS;
  }),
  fwpm('NTSTATUS FwpmTransactionCommit0(HANDLE engineHandle)', (ctx, [handle]) => {
    const engine = engineOf(ctx, handle!);
    if (!engine) return NTSTATUS.INVALID_HANDLE;
    if (!engine.txn) return STATUS_FWP.NO_TXN_IN_PROGRESS;
    for (const o of engine.txn.added)
      if (wfp(ctx).objects.get(keyOf(o.kind, o.key)) === o) report(ctx, o, 'added');
    for (const o of engine.txn.deleted) report(ctx, o, 'deleted');
    engine.txn = null;
    return NTSTATUS.SUCCESS;
  }),
  fwpm('NTSTATUS FwpmTransactionAbort0(HANDLE engineHandle)', (ctx, [handle]) => {
    const engine = engineOf(ctx, handle!);
    if (!engine) return NTSTATUS.INVALID_HANDLE;
    if (!engine.txn) return STATUS_FWP.NO_TXN_IN_PROGRESS;
    undo(ctx, engine);
    return NTSTATUS.SUCCESS;
  }),
  // The structures' offsets: layouts.ts (x86 and AMD64).
  adder(
    'NTSTATUS FwpmProviderAdd0(HANDLE engineHandle, const FWPM_PROVIDER0 *provider, PSECURITY_DESCRIPTOR sd)',
    (ctx, p, engine) => ({
      kind: 'provider',
      key: guidAt(ctx, p),
      name: displayName(ctx, p + wfpLayouts(ctx).PROVIDER.displayData),
      id: null,
      engine,
      uses: [],
    }),
  ),
  deleter('provider', 'NTSTATUS FwpmProviderDeleteByKey0(HANDLE engineHandle, const GUID *key)'),
  adder(
    'NTSTATUS FwpmSubLayerAdd0(HANDLE engineHandle, const FWPM_SUBLAYER0 *subLayer, PSECURITY_DESCRIPTOR sd)',
    (ctx, p, engine) => ({
      kind: 'sublayer',
      key: guidAt(ctx, p),
      name: displayName(ctx, p + wfpLayouts(ctx).SUBLAYER.displayData),
      id: null,
      engine,
      uses: providerUse(ctx, p + wfpLayouts(ctx).SUBLAYER.providerKey),
    }),
  ),
  deleter('sublayer', 'NTSTATUS FwpmSubLayerDeleteByKey0(HANDLE engineHandle, const GUID *key)'),
  adder(
    'NTSTATUS FwpmCalloutAdd0(HANDLE engineHandle, const FWPM_CALLOUT0 *callout, PSECURITY_DESCRIPTOR sd, UINT32 *id)',
    (ctx, p, engine) => ({
      kind: 'callout',
      key: guidAt(ctx, p),
      name: displayName(ctx, p + wfpLayouts(ctx).CALLOUT.displayData),
      id: wfp(ctx).nextId++,
      engine,
      uses: providerUse(ctx, p + wfpLayouts(ctx).CALLOUT.providerKey),
    }),
    (ctx, [, , , out], o) => {
      if (out) ctx.mem.setU32(out, o.id!);
    },
  ),
  deleter('callout', 'NTSTATUS FwpmCalloutDeleteByKey0(HANDLE engineHandle, const GUID *key)'),
  adder(
    'NTSTATUS FwpmFilterAdd0(HANDLE engineHandle, const FWPM_FILTER0 *filter, PSECURITY_DESCRIPTOR sd, UINT64 *id)',
    (ctx, p, engine) => {
      const { FILTER } = wfpLayouts(ctx);
      const uses = providerUse(ctx, p + FILTER.providerKey);
      const sublayer = guidAt(ctx, p + FILTER.subLayerKey);
      // A zero sublayer key means FWPM_SUBLAYER_UNIVERSAL, the engine's own.
      if (sublayer !== '{00000000-0000-0000-0000-000000000000}') uses.push(keyOf('sublayer', sublayer));
      if (ctx.mem.u32(p + FILTER.actionType) & ACTION_FLAG_CALLOUT)
        uses.push(keyOf('callout', guidAt(ctx, p + FILTER.actionCalloutKey)));
      return {
        kind: 'filter',
        key: guidAt(ctx, p),
        name: displayName(ctx, p + FILTER.displayData),
        id: wfp(ctx).nextId++,
        engine,
        uses,
      };
    },
    (ctx, [, , , out], o) => {
      if (!out) return;
      ctx.mem.setU32(out, o.id!);
      ctx.mem.setU32(out + 4, 0);
    },
  ),
  deleter('filter', 'NTSTATUS FwpmFilterDeleteByKey0(HANDLE engineHandle, const GUID *key)'),
];

/** Rolls back an open transaction: what it added goes, what it deleted comes back. */
function undo(ctx: KernelContext, engine: Engine): void {
  const s = wfp(ctx);
  for (const o of engine.txn!.added.reverse()) s.objects.delete(keyOf(o.kind, o.key));
  for (const o of engine.txn!.deleted) s.objects.set(keyOf(o.kind, o.key), o);
  engine.txn = null;
}
