// The KMDF object model as the framework keeps it for a bound driver: every WDF object (driver,
// device, queue, file object, request, memory, work item, lock…) is a small kernel-pool block whose
// address is its handle, with typed context areas (WDF_OBJECT_ATTRIBUTES.ContextTypeInfo) and the
// cleanup and destroy callbacks the driver gave, run when the object is deleted.
import type { KernelContext } from '../../context.js';
import { guestCall, type HandlerResult } from '../../registry.js';
import { wdfLayouts } from './layouts.js';

export type WdfKind =
  | 'driver'
  | 'device'
  | 'queue'
  | 'file'
  | 'request'
  | 'memory'
  | 'workitem'
  | 'spinlock'
  | 'waitlock'
  | 'collection'
  | 'string'
  | 'object';

/** One context area of an object: its type (the resolved unique type info) and guest address. */
interface ContextArea {
  type: number;
  name: string | null;
  address: number;
}

/** A WDF object: its handle (a pool block), kind, parent, contexts and callbacks. */
export interface WdfObject {
  handle: number;
  kind: WdfKind;
  parent: number | null;
  contexts: ContextArea[];
  cleanup: number;
  destroy: number;
  references: number;
  /** Kind-specific state (device, queue, request… see device.ts and io.ts). */
  data: Record<string, unknown>;
}

/** What the framework knows of the bound driver. */
export interface WdfState {
  objects: Map<number, WdfObject>;
  /** PWDF_DRIVER_GLOBALS handed to the driver by WdfVersionBind. */
  globals: number;
  driverObject: number;
  registryPath: number;
  driver: number | null;
  /** PWDFDEVICE_INIT blocks not yet consumed by WdfDeviceCreate, by address. */
  inits: Map<number, Record<string, unknown>>;
}

const states = new WeakMap<KernelContext, WdfState>();

/** The framework's state for this kernel (one bound driver per run). */
export function wdf(ctx: KernelContext): WdfState {
  let s = states.get(ctx);
  if (!s) {
    s = { objects: new Map(), globals: 0, driverObject: 0, registryPath: 0, driver: null, inits: new Map() };
    states.set(ctx, s);
  }
  return s;
}

/** The object a handle stands for, of `kind` when given; undefined for a handle the framework never made. */
export function objectOf(ctx: KernelContext, handle: number, kind?: WdfKind): WdfObject | undefined {
  const o = wdf(ctx).objects.get(handle >>> 0);
  return o && (kind === undefined || o.kind === kind) ? o : undefined;
}

const TAGS: Record<WdfKind, string> = {
  driver: 'FxDr',
  device: 'FxDv',
  queue: 'FxQu',
  file: 'FxFo',
  request: 'FxRq',
  memory: 'FxMe',
  workitem: 'FxWi',
  spinlock: 'FxSl',
  waitlock: 'FxWl',
  collection: 'FxCo',
  string: 'FxSt',
  object: 'FxOb',
};

/**
 * Creates an object of `kind` with the driver's WDF_OBJECT_ATTRIBUTES (`attributes`, 0 for none):
 * its context area, callbacks and parent (`defaultParent` when the attributes name none). Returns
 * null when pool runs out.
 */
export function createObject(
  ctx: KernelContext,
  kind: WdfKind,
  attributes: number,
  defaultParent: number | null,
  data: Record<string, unknown> = {},
): WdfObject | null {
  const handle = ctx.pool.allocate(0x10, 0, TAGS[kind], 'kernel');
  if (handle === null) return null;
  ctx.mem.write(handle, new Uint8Array(0x10));
  const o: WdfObject = {
    handle,
    kind,
    parent: defaultParent,
    contexts: [],
    cleanup: 0,
    destroy: 0,
    references: 1,
    data,
  };
  if (attributes) {
    const { OBJECT_ATTRIBUTES } = wdfLayouts(ctx);
    o.cleanup = ctx.mem.ptr(attributes + OBJECT_ATTRIBUTES.EvtCleanupCallback);
    o.destroy = ctx.mem.ptr(attributes + OBJECT_ATTRIBUTES.EvtDestroyCallback);
    const parent = ctx.mem.ptr(attributes + OBJECT_ATTRIBUTES.ParentObject);
    if (parent) o.parent = parent;
    if (!addContext(ctx, o, attributes)) {
      ctx.pool.free(handle);
      return null;
    }
  }
  wdf(ctx).objects.set(handle, o);
  return o;
}

/** The unique type a context type info stands for (WDF_DECLARE_CONTEXT_TYPE's UniqueType, else itself). */
const uniqueType = (ctx: KernelContext, info: number) =>
  ctx.mem.ptr(info + wdfLayouts(ctx).CONTEXT_TYPE_INFO.UniqueType) || info;

/**
 * Adds the context area `attributes` describes (ContextTypeInfo, ContextSizeOverride), zeroed, as
 * KMDF's FxObject does. False when pool runs out; true when the attributes have no context type.
 */
export function addContext(ctx: KernelContext, o: WdfObject, attributes: number): boolean {
  const { OBJECT_ATTRIBUTES, CONTEXT_TYPE_INFO } = wdfLayouts(ctx);
  const info = ctx.mem.ptr(attributes + OBJECT_ATTRIBUTES.ContextTypeInfo);
  if (!info) return true;
  // size_t fields: their low 32 bits (a context of 4 GiB or more is not one pool can give).
  const size = Math.max(
    ctx.mem.u32(info + CONTEXT_TYPE_INFO.ContextSize),
    ctx.mem.u32(attributes + OBJECT_ATTRIBUTES.ContextSizeOverride),
  );
  const address = ctx.pool.allocate(Math.max(size, 4), 0, 'FxCx', 'kernel');
  if (address === null) return false;
  ctx.mem.write(address, new Uint8Array(Math.max(size, 4)));
  const namePtr = ctx.mem.ptr(info + CONTEXT_TYPE_INFO.ContextName);
  let name: string | null = null;
  try {
    name = namePtr ? ctx.mem.cString(namePtr, 128) : null;
  } catch {
    name = null;
  }
  o.contexts.push({ type: uniqueType(ctx, info), name, address });
  return true;
}

/** The context of `type` (a WDF_OBJECT_CONTEXT_TYPE_INFO), or 0 when the object has none of it. */
export function contextOf(ctx: KernelContext, o: WdfObject, typeInfo: number): number {
  const type = uniqueType(ctx, typeInfo);
  return o.contexts.find((c) => c.type === type)?.address ?? 0;
}

/** The object owning a context area (WdfObjectContextGetObject), or undefined. */
export function ownerOfContext(ctx: KernelContext, context: number): WdfObject | undefined {
  for (const o of wdf(ctx).objects.values()) if (o.contexts.some((c) => c.address === context)) return o;
  return undefined;
}

/** Runs guest callbacks one after the other (stdcall, one result ignored), then `then`. */
export function callInTurn(
  calls: readonly { routine: number; args: number[] }[],
  then: () => HandlerResult,
): HandlerResult {
  const next = (i: number): HandlerResult => {
    const c = calls[i];
    if (!c) return then();
    if (!c.routine) return next(i + 1);
    return guestCall(c.routine, c.args, () => next(i + 1));
  };
  return next(0);
}

/**
 * Deletes `o` with its children first (KMDF's parent-child tree): each object's EvtCleanupCallback,
 * then its EvtDestroyCallback, then `release` for kind-specific teardown (a device's DEVICE_OBJECT),
 * then its pool. `then` runs when all of it is done.
 */
export function deleteObject(
  ctx: KernelContext,
  o: WdfObject,
  release: (o: WdfObject) => void,
  then: () => HandlerResult,
): HandlerResult {
  const s = wdf(ctx);
  const order: WdfObject[] = [];
  const visit = (x: WdfObject) => {
    for (const child of s.objects.values()) if (child.parent === x.handle && child !== x) visit(child);
    order.push(x);
  };
  visit(o);
  const calls = order.flatMap((x) => [
    { routine: x.cleanup, args: [x.handle] },
    { routine: x.destroy, args: [x.handle] },
  ]);
  return callInTurn(calls, () => {
    for (const x of order) {
      if (!s.objects.has(x.handle)) continue;
      release(x);
      for (const c of x.contexts) ctx.pool.free(c.address);
      s.objects.delete(x.handle);
      ctx.pool.free(x.handle);
    }
    return then();
  });
}
