// The Windows Filtering Platform's runtime side for kernel drivers (fwpsk.h): callout registration
// (the classify, notify and flow-delete functions a driver offers for a callout key) and packet
// injection handles. Registrations and handles are recorded and reported as `wfp-object` events.
// Model: no packets flow, so classify functions are never called.
import type { KernelContext } from '../../context.js';
import { defineExport, type ExportHandler } from '../../registry.js';
import { NTSTATUS } from '../status.js';
import { guidAt, STATUS_FWP, wfp } from './engine.js';
import { wfpLayouts } from './layouts.js';

const fwps = (prototype: string, impl: ExportHandler['impl']) =>
  defineExport({ module: 'fwpkclnt', prototype, impl });

/** AF_UNSPEC, AF_INET, AF_INET6 (ws2def.h). */
const FAMILIES = new Set([0, 2, 23]);
/** FWPS_INJECTION_TYPE_STREAM, _TRANSPORT, _NETWORK, _FORWARD, _L2, _VSWITCH (fwpsk.h). */
const INJECTION_TYPES = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x20;

interface Registration {
  id: number;
  classify: number;
  notify: number;
  flowDelete: number;
}
const registrations = new WeakMap<KernelContext, Map<string, Registration>>();
const injections = new WeakMap<KernelContext, Set<number>>();
function registered(ctx: KernelContext): Map<string, Registration> {
  let m = registrations.get(ctx);
  if (!m) {
    m = new Map();
    registrations.set(ctx, m);
  }
  return m;
}
function handles(ctx: KernelContext): Set<number> {
  let s = injections.get(ctx);
  if (!s) {
    s = new Set();
    injections.set(ctx, s);
  }
  return s;
}

export const wfpCalloutExports: ExportHandler[] = [
  fwps(
    'NTSTATUS FwpsCalloutRegister0(void *deviceObject, const FWPS_CALLOUT0 *callout, UINT32 *calloutId)',
    (ctx, [, callout, out]) => {
      const { FWPS_CALLOUT } = wfpLayouts(ctx);
      if (
        !callout ||
        !ctx.mem.ptr(callout + FWPS_CALLOUT.classifyFn) ||
        !ctx.mem.ptr(callout + FWPS_CALLOUT.notifyFn)
      )
        return NTSTATUS.INVALID_PARAMETER;
      const key = guidAt(ctx, callout);
      const m = registered(ctx);
      if (m.has(key)) return STATUS_FWP.ALREADY_EXISTS;
      const r: Registration = {
        id: wfp(ctx).nextId++,
        classify: ctx.mem.ptr(callout + FWPS_CALLOUT.classifyFn),
        notify: ctx.mem.ptr(callout + FWPS_CALLOUT.notifyFn),
        flowDelete: ctx.mem.ptr(callout + FWPS_CALLOUT.flowDeleteFn),
      };
      m.set(key, r);
      if (out) ctx.mem.setU32(out, r.id);
      ctx.log.add({
        type: 'wfp-object',
        action: 'added',
        kind: 'callout-registration',
        key,
        name: null,
        id: r.id,
      });
      return NTSTATUS.SUCCESS;
    },
  ),
  fwps('NTSTATUS FwpsCalloutUnregisterByKey0(const GUID *calloutKey)', (ctx, [keyPtr]) => {
    if (!keyPtr) return NTSTATUS.INVALID_PARAMETER;
    const key = guidAt(ctx, keyPtr);
    const r = registered(ctx).get(key);
    if (!r) return STATUS_FWP.CALLOUT_NOT_FOUND;
    registered(ctx).delete(key);
    ctx.log.add({
      type: 'wfp-object',
      action: 'deleted',
      kind: 'callout-registration',
      key,
      name: null,
      id: r.id,
    });
    return NTSTATUS.SUCCESS;
  }),
  fwps(
    'NTSTATUS FwpsInjectionHandleCreate0(ADDRESS_FAMILY addressFamily, UINT32 flags, HANDLE *injectionHandle)',
    (ctx, [family, flags, out]) => {
      if (!FAMILIES.has(family! & 0xffff) || !flags || flags! & ~INJECTION_TYPES || !out)
        return NTSTATUS.INVALID_PARAMETER;
      const h = ctx.pool.allocate(0x10, 0, 'FwIj', 'kernel');
      if (h === null) return NTSTATUS.INSUFFICIENT_RESOURCES;
      ctx.mem.write(h, new Uint8Array(0x10));
      handles(ctx).add(h);
      ctx.mem.setPtr(out, h);
      const af = family! & 0xffff;
      ctx.log.add({
        type: 'wfp-object',
        action: 'added',
        kind: 'injection-handle',
        key: `0x${h.toString(16)}`,
        name: `${af === 2 ? 'AF_INET' : af === 23 ? 'AF_INET6' : 'AF_UNSPEC'}, types 0x${flags!.toString(16)}`,
        id: null,
      });
      return NTSTATUS.SUCCESS;
    },
  ),
  fwps('NTSTATUS FwpsInjectionHandleDestroy0(HANDLE injectionHandle)', (ctx, [h]) => {
    if (!handles(ctx).delete(h! >>> 0)) return NTSTATUS.INVALID_HANDLE;
    ctx.pool.free(h!);
    ctx.log.add({
      type: 'wfp-object',
      action: 'deleted',
      kind: 'injection-handle',
      key: `0x${h!.toString(16)}`,
      name: null,
      id: null,
    });
    return NTSTATUS.SUCCESS;
  }),
];
