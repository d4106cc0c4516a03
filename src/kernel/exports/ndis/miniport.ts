// NDIS 3.0 miniport registration as NT 3.51's wrapper does it: NdisMInitializeWrapper ties the driver
// to NDIS, NdisMRegisterMiniport checks and keeps the characteristics and, before it returns (the NT
// DDK samples: "This will cause <Miniport>Initialize to be called before returning"), initialises
// every adapter instance configured for the driver: a `\Device\<adapter>` device whose extension is
// the NDIS_MINIPORT_BLOCK, MiniportInitialize with NDIS's medium array, the selected medium checked,
// then MiniportQueryInformation for the generic OID list and the station address. NDIS's dispatch
// routine serves the adapter's IRPs and its DriverUnload halts the adapters. Each miniport call is an
// `ndis-adapter` event.
import type { KernelContext } from '../../context.js';
import { REG } from '../../hive.js';
import { completeRequest } from '../../irp.js';
import { IRP_MJ, IRP_MJ_COUNT } from '../../objects.js';
import { defineExport, type ExportHandler, guestCall, type HandlerResult } from '../../registry.js';
import { IoCreateDevice, IoDeleteDevice } from '../ntoskrnl/io.js';
import { type Adapter, adapterOf, type MiniportDriver, NDIS_STATUS, ndisState } from './state.js';

const ndis = (prototype: string, impl: ExportHandler['impl']) =>
  defineExport({ module: 'ndis', prototype, impl });

/**
 * NDIS_MINIPORT_CHARACTERISTICS: two version bytes, a filler and a UINT, then handler pointers in
 * this order (ndis.h); each version's structure ends after its last handler.
 */
const CHARS = {
  Halt: 3,
  HandleInterrupt: 4,
  Initialize: 5,
  Isr: 6,
  QueryInformation: 7,
  Reset: 9,
  Send: 10,
  SetInformation: 11,
  SendPackets: 14,
  CoSendPackets: 20,
  CoRequest: 21,
} as const;
/** Handlers in NDIS30/40/50/51_MINIPORT_CHARACTERISTICS (x86 sizes 0x3c, 0x48, 0x60, 0x7c). */
const CHARS_HANDLERS: Record<string, number> = { '3.0': 13, '4.0': 16, '5.0': 22, '5.1': 29 };
/** A handler's offset in the characteristics for the kernel's pointer size. */
const handlerAt = (ctx: KernelContext, chars: number, index: number) =>
  ctx.mem.ptr(chars + 8 + ctx.mem.pointerSize * index);
/** NDIS 3.0's media (NDIS_MEDIUM): the array MiniportInitialize chooses from. */
const MEDIA = [0, 1, 2, 3, 4, 5, 6, 7] as const; // 802.3, 802.5, FDDI, WAN, LocalTalk, DIX, ARCNET raw, ARCNET 878.2
const NdisMedium802_3 = 0;
/** The NDIS_MINIPORT_BLOCK NDIS keeps in the adapter's device extension (zeroed; its fields are NDIS's). */
const MINIPORT_BLOCK_SIZE = 0x300;
const FILE_DEVICE_PHYSICAL_NETCARD = 0x17;
/** NDIS_ATTRIBUTE_BUS_MASTER (NdisMSetAttributesEx). */
const ATTRIBUTE_BUS_MASTER = 0x8;
/** OIDs NDIS queries once an Ethernet adapter is up (ReactOS miniport.c DoQueries). */
const OID_GEN_SUPPORTED_LIST = 0x00010101;
const OID_802_3_CURRENT_ADDRESS = 0x01010102;
const QUERY_BUFFER = 0x100;

const hexOf = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

/** A UNICODE_STRING and its text in one pool block, for IoCreateDevice. */
function poolString(ctx: KernelContext, text: string): number | null {
  const us = ctx.pool.allocate(8 + 2 * text.length + 2, 0, 'NDnm', 'kernel');
  if (us === null) return null;
  for (let i = 0; i < text.length; i++) ctx.mem.setU16(us + 8 + 2 * i, text.charCodeAt(i));
  ctx.mem.setU16(us + 8 + 2 * text.length, 0);
  ctx.mem.setU16(us, 2 * text.length);
  ctx.mem.setU16(us + 2, 2 * text.length + 2);
  ctx.mem.setU32(us + 4, us + 8);
  return us;
}

/**
 * The adapter instances configured for a miniport (NT 3.51's network registry layout): each
 * `\Device\<Adapter>` in the driver's `Linkage\Bind`, configured by `Services\<Adapter>\Parameters`.
 * Model: with no Linkage\Bind (the sandbox seeds only the driver's own service key) there is one
 * instance, `<Driver>1`, configured by the driver's own `Parameters` key, made empty if missing as
 * setup would have written it.
 */
function adapterInstances(ctx: KernelContext, driver: MiniportDriver): { name: string; configKey: string }[] {
  const path = driver.registryPath.replace(/\\+$/, '');
  const services = path.slice(0, path.lastIndexOf('\\'));
  const bind = ctx.registry?.key(`${path}\\Linkage`)?.key.values.get('bind');
  if (bind?.type === REG.MULTI_SZ) {
    const names: string[] = [];
    let s = '';
    for (let i = 0; i + 1 < bind.data.length; i += 2) {
      const c = bind.data[i]! | (bind.data[i + 1]! << 8);
      if (c !== 0) s += String.fromCharCode(c);
      else if (s === '') break;
      else {
        names.push(s.slice(s.lastIndexOf('\\') + 1));
        s = '';
      }
    }
    if (names.length > 0)
      return names.map((name) => ({ name, configKey: `${services}\\${name}\\Parameters` }));
  }
  ctx.registry?.key(`${path}\\Parameters`, true);
  return [{ name: `${path.slice(path.lastIndexOf('\\') + 1)}1`, configKey: `${path}\\Parameters` }];
}

/** The adapter's device and NDIS_MINIPORT_BLOCK (IoCreateDevice, as NDIS makes them); null when refused. */
function createAdapter(
  ctx: KernelContext,
  driver: MiniportDriver,
  name: string,
  configKey: string,
): Adapter | null {
  const us = poolString(ctx, `\\Device\\${name}`);
  const out = ctx.pool.allocate(8, 0, 'NDtm', 'kernel');
  const wrapperContext = ctx.pool.allocate(0x10, 0, 'NDwc', 'kernel');
  const args = [
    driver.driverObject,
    MINIPORT_BLOCK_SIZE,
    us ?? 0,
    FILE_DEVICE_PHYSICAL_NETCARD,
    0,
    0,
    out ?? 0,
  ];
  const status =
    us !== null && out !== null && wrapperContext !== null ? IoCreateDevice.impl(ctx, args) : null;
  const device = status === 0 ? ctx.mem.ptr(out!) : 0;
  for (const p of [us, out]) if (p !== null) ctx.pool.free(p);
  if (!device) {
    if (wrapperContext !== null) ctx.pool.free(wrapperContext);
    return null;
  }
  const block = ctx.mem.ptr(device + ctx.mem.layouts.DEVICE_OBJECT.DeviceExtension);
  ctx.mem.write(block, new Uint8Array(MINIPORT_BLOCK_SIZE));
  ctx.mem.write(wrapperContext!, new Uint8Array(0x10));
  const adapter: Adapter = {
    driver,
    name,
    device,
    block,
    wrapperContext: wrapperContext!,
    configKey,
    attributes: null,
    ports: [],
    interrupt: null,
    mapRegisters: false,
    shared: new Map(),
    initialized: false,
  };
  const s = ndisState(ctx);
  s.adapters.set(block, adapter);
  s.contexts.set(wrapperContext!, adapter);
  driver.adapters.push(adapter);
  return adapter;
}

/** Undoes createAdapter: the device goes, the handles stop being NDIS's. */
function removeAdapter(ctx: KernelContext, a: Adapter): void {
  const s = ndisState(ctx);
  s.adapters.delete(a.block);
  s.contexts.delete(a.wrapperContext);
  a.driver.adapters = a.driver.adapters.filter((x) => x !== a);
  ctx.pool.free(a.wrapperContext);
  // NDIS's own interrupt object, had the miniport not deregistered it.
  if (a.interrupt) ctx.pool.free(a.interrupt.object);
  IoDeleteDevice.impl(ctx, [a.device]);
}

/** MiniportQueryInformation for each OID in turn (an `ndis-adapter` query event each), then `then`. */
function queryAll(ctx: KernelContext, a: Adapter, oids: number[], then: () => HandlerResult): HandlerResult {
  const [oid, ...rest] = oids;
  const routine = a.driver.handlers?.queryInformation ?? 0;
  if (oid === undefined || !routine) return then();
  const buffer = ctx.pool.allocate(QUERY_BUFFER + 8, 0, 'NDrq', 'kernel');
  if (buffer === null) return then();
  ctx.mem.write(buffer, new Uint8Array(QUERY_BUFFER + 8));
  const args = [
    a.attributes?.context ?? 0,
    oid,
    buffer,
    QUERY_BUFFER,
    buffer + QUERY_BUFFER,
    buffer + QUERY_BUFFER + 4,
  ];
  return guestCall(routine, args, (status) => {
    const written = Math.min(ctx.mem.u32(buffer + QUERY_BUFFER), QUERY_BUFFER);
    const data = status >>> 0 === NDIS_STATUS.SUCCESS ? hexOf(ctx.mem.bytes(buffer, written, 'query')) : '';
    ctx.log.add({
      type: 'ndis-adapter',
      action: 'query',
      adapter: `\\Device\\${a.name}`,
      status: status >>> 0,
      oid,
      ...(data ? { data } : {}),
    });
    ctx.pool.free(buffer);
    return queryAll(ctx, a, rest, then);
  });
}

/**
 * One adapter: MiniportInitialize(OpenErrorStatus, SelectedMediumIndex, MediumArray, MediumArraySize,
 * MiniportAdapterHandle, WrapperConfigurationContext); success with an index outside the array is
 * NDIS_STATUS_UNSUPPORTED_MEDIA (ReactOS NdisIPnPStartDevice); a failed adapter's device is deleted.
 */
function initializeAdapter(
  ctx: KernelContext,
  a: Adapter,
  then: (ok: boolean) => HandlerResult,
): HandlerResult {
  const scratch = ctx.pool.allocate(8 + 4 * MEDIA.length, 0, 'NDmd', 'kernel');
  if (scratch === null) {
    removeAdapter(ctx, a);
    return then(false);
  }
  ctx.mem.write(scratch, new Uint8Array(8));
  for (const [i, m] of MEDIA.entries()) ctx.mem.setU32(scratch + 8 + 4 * i, m);
  const args = [scratch, scratch + 4, scratch + 8, MEDIA.length, a.block, a.wrapperContext];
  return guestCall(a.driver.handlers!.initialize, args, (result) => {
    let status = result >>> 0;
    const index = ctx.mem.u32(scratch + 4);
    ctx.pool.free(scratch);
    const badMedium = status === NDIS_STATUS.SUCCESS && index >= MEDIA.length;
    if (badMedium) status = NDIS_STATUS.UNSUPPORTED_MEDIA;
    const medium = status === NDIS_STATUS.SUCCESS ? MEDIA[index] : undefined;
    ctx.log.add({
      type: 'ndis-adapter',
      action: 'initialize',
      adapter: `\\Device\\${a.name}`,
      status,
      ...(medium !== undefined ? { medium } : {}),
      ...(badMedium
        ? { reason: `selected medium index ${index} is outside NDIS's array of ${MEDIA.length}` }
        : {}),
    });
    if (status !== NDIS_STATUS.SUCCESS) {
      removeAdapter(ctx, a);
      return then(false);
    }
    a.initialized = true;
    const oids =
      medium === NdisMedium802_3
        ? [OID_GEN_SUPPORTED_LIST, OID_802_3_CURRENT_ADDRESS]
        : [OID_GEN_SUPPORTED_LIST];
    return queryAll(ctx, a, oids, () => then(true));
  });
}

/** A host routine's address for this kernel, placed once. */
function routineAddress(ctx: KernelContext, h: ExportHandler): number {
  const key = `ndis:${h.name}`;
  const address = ctx.statics.get(key) ?? ctx.hostRoutine!(h);
  ctx.statics.set(key, address);
  return address;
}

/** The characteristics' size for its version, or the status NdisMRegisterMiniport refuses it with. */
function checkCharacteristics(ctx: KernelContext, chars: number, length: number): number {
  const major = ctx.mem.u8(chars);
  const minor = ctx.mem.u8(chars + 1);
  const handlers = CHARS_HANDLERS[major === 5 ? `5.${minor}` : `${major}.0`];
  if (handlers === undefined) return NDIS_STATUS.BAD_VERSION;
  if (length < 8 + ctx.mem.pointerSize * handlers) return NDIS_STATUS.BAD_CHARACTERISTICS;
  const at = (index: number) => handlerAt(ctx, chars, index);
  // Mandatory handlers (ReactOS NdisMRegisterMiniport; the DDK's list per version).
  if (!at(CHARS.Halt) || !at(CHARS.Initialize) || !at(CHARS.Reset)) return NDIS_STATUS.BAD_CHARACTERISTICS;
  const requests = at(CHARS.QueryInformation) && at(CHARS.SetInformation);
  if (!requests && (major < 5 || !at(CHARS.CoRequest))) return NDIS_STATUS.BAD_CHARACTERISTICS;
  const send =
    at(CHARS.Send) || (major >= 4 && at(CHARS.SendPackets)) || (major === 5 && at(CHARS.CoSendPackets));
  return send ? NDIS_STATUS.SUCCESS : NDIS_STATUS.BAD_CHARACTERISTICS;
}

/** IOCTL_NDIS_QUERY_GLOBAL_STATS (ntddndis.h): the OID in, MiniportQueryInformation's answer out. */
const IOCTL_NDIS_QUERY_GLOBAL_STATS = 0x00170002;
const STATUS_INVALID_DEVICE_REQUEST = 0xc0000010;

/**
 * NDIS's dispatch routine for every major function of a miniport's driver object (ReactOS
 * NdisGenericIrpHandler): create, cleanup and close succeed; IOCTL_NDIS_QUERY_GLOBAL_STATS queries
 * the OID the input holds; anything else is STATUS_INVALID_DEVICE_REQUEST. Model: the sandbox's IRPs
 * carry no MDL, so the answer goes to the request's one buffer (UserBuffer).
 */
export const NdisMDispatch = defineExport({
  module: 'nt351',
  prototype: 'NTSTATUS NdisMDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)',
  impl(ctx, [device, irp]) {
    const { IRP, IO_STACK_LOCATION: SL, pointerSize: w } = ctx.mem.layouts;
    const stack = ctx.mem.ptr(irp! + IRP.CurrentStackLocation);
    const mj = ctx.mem.u8(stack + SL.MajorFunction);
    const finish = (status: number, information = 0): HandlerResult => {
      ctx.mem.setU32(irp! + IRP.IoStatusStatus, status);
      ctx.mem.setPtr(irp! + IRP.IoStatusInformation, information);
      return completeRequest(ctx, irp!, () => status);
    };
    if (mj === IRP_MJ.CREATE || mj === IRP_MJ.CLEANUP || mj === IRP_MJ.CLOSE) return finish(0);
    const a = [...ndisState(ctx).adapters.values()].find((x) => x.device === device);
    const P = stack + SL.Parameters;
    const routine = a?.driver.handlers?.queryInformation ?? 0;
    if (
      mj !== IRP_MJ.DEVICE_CONTROL ||
      ctx.mem.u32(P + 2 * w) !== IOCTL_NDIS_QUERY_GLOBAL_STATS ||
      !a?.initialized ||
      !routine
    )
      return finish(STATUS_INVALID_DEVICE_REQUEST);
    const oid = ctx.mem.u32(ctx.mem.ptr(irp! + IRP.SystemBuffer));
    const out = ctx.mem.ptr(irp! + IRP.UserBuffer);
    const length = ctx.mem.u32(P);
    const counts = ctx.pool.allocate(8, 0, 'NDrq', 'kernel');
    if (counts === null) return finish(NDIS_STATUS.RESOURCES);
    ctx.mem.write(counts, new Uint8Array(8));
    return guestCall(
      routine,
      [a.attributes?.context ?? 0, oid, out, length, counts, counts + 4],
      (result) => {
        const status = result >>> 0;
        const written = Math.min(ctx.mem.u32(counts), length);
        ctx.pool.free(counts);
        const data = status === NDIS_STATUS.SUCCESS ? hexOf(ctx.mem.bytes(out, written, 'query')) : '';
        ctx.log.add({
          type: 'ndis-adapter',
          action: 'query',
          adapter: `\\Device\\${a.name}`,
          status,
          oid,
          ...(data ? { data } : {}),
        });
        // A pending query is completed by NdisMQueryInformationComplete, which nt351 does not offer:
        // the IRP stays pending (model).
        if (status === NDIS_STATUS.PENDING) return NDIS_STATUS.PENDING;
        return finish(status, status === NDIS_STATUS.SUCCESS ? written : 0);
      },
    );
  },
});

/** NDIS's DriverUnload for a miniport: MiniportHalt for each adapter that was initialised, its device deleted. */
export const NdisMUnload = defineExport({
  module: 'nt351',
  prototype: 'VOID NdisMUnload(PDRIVER_OBJECT DriverObject)',
  impl(ctx, [driverObject]) {
    const driver = [...ndisState(ctx).wrappers.values()].find((d) => d.driverObject === driverObject);
    const next = (): HandlerResult => {
      const a = driver?.adapters[0];
      if (!a) return undefined;
      const done = () => {
        removeAdapter(ctx, a);
        return next();
      };
      const halt = a.driver.handlers?.halt ?? 0;
      if (!a.initialized || !halt) return done();
      ctx.log.add({ type: 'ndis-adapter', action: 'halt', adapter: `\\Device\\${a.name}`, status: null });
      return guestCall(halt, [a.attributes?.context ?? 0], done);
    };
    return next();
  },
});

export const ndisMiniportExports: ExportHandler[] = [
  ndis(
    'VOID NdisMInitializeWrapper(OUT PNDIS_HANDLE NdisWrapperHandle, PVOID SystemSpecific1, PVOID SystemSpecific2, PVOID SystemSpecific3)',
    (ctx, [out, driverObject, registryPath]) => {
      const h = ctx.pool.allocate(0x10, 0, 'NdWr', 'kernel');
      if (h !== null) {
        ctx.mem.write(h, new Uint8Array(0x10));
        const path = registryPath ? (ctx.mem.unicodeString(registryPath) ?? '') : '';
        ndisState(ctx).wrappers.set(h, {
          driverObject: driverObject!,
          registryPath: path,
          handlers: null,
          adapters: [],
        });
      }
      ctx.mem.setPtr(out!, h ?? 0);
      return undefined;
    },
  ),
  ndis('VOID NdisTerminateWrapper(NDIS_HANDLE NdisWrapperHandle, PVOID SystemSpecific)', (ctx, [h]) => {
    const s = ndisState(ctx);
    const driver = s.wrappers.get(h! >>> 0);
    if (driver && driver.adapters.length === 0) {
      s.wrappers.delete(h! >>> 0);
      ctx.pool.free(h!);
    }
    return undefined;
  }),
  ndis(
    'NDIS_STATUS NdisMRegisterMiniport(NDIS_HANDLE NdisWrapperHandle, PNDIS_MINIPORT_CHARACTERISTICS MiniportCharacteristics, UINT CharacteristicsLength)',
    (ctx, [h, chars, length]) => {
      const driver = ndisState(ctx).wrappers.get(h! >>> 0);
      if (!driver) return NDIS_STATUS.FAILURE;
      const checked = checkCharacteristics(ctx, chars!, length!);
      if (checked !== NDIS_STATUS.SUCCESS) return checked;
      const at = (index: number) => handlerAt(ctx, chars!, index);
      driver.handlers = {
        major: ctx.mem.u8(chars!),
        minor: ctx.mem.u8(chars! + 1),
        halt: at(CHARS.Halt),
        initialize: at(CHARS.Initialize),
        isr: at(CHARS.Isr),
        handleInterrupt: at(CHARS.HandleInterrupt),
        queryInformation: at(CHARS.QueryInformation),
      };
      // NDIS owns the driver's dispatch table and unload (it halts the adapters).
      if (ctx.hostRoutine && driver.driverObject) {
        const { DRIVER_OBJECT: D, pointerSize } = ctx.mem.layouts;
        const dispatch = routineAddress(ctx, NdisMDispatch);
        for (let i = 0; i < IRP_MJ_COUNT; i++)
          ctx.mem.setPtr(driver.driverObject + D.MajorFunction + pointerSize * i, dispatch);
        ctx.mem.setPtr(driver.driverObject + D.DriverUnload, routineAddress(ctx, NdisMUnload));
      }
      // Model: NdisMRegisterMiniport fails when no adapter could be initialised (NDIS_STATUS_FAILURE,
      // the DDK's default error), so DriverEntry can give up as the DDK samples do.
      let any = false;
      const instances = adapterInstances(ctx, driver);
      const next = (i: number): HandlerResult => {
        const instance = instances[i];
        if (!instance) return any ? NDIS_STATUS.SUCCESS : NDIS_STATUS.FAILURE;
        const a = createAdapter(ctx, driver, instance.name, instance.configKey);
        if (!a) return next(i + 1);
        return initializeAdapter(ctx, a, (ok) => {
          any ||= ok;
          return next(i + 1);
        });
      };
      return next(0);
    },
  ),
  ndis(
    'VOID NdisMSetAttributes(NDIS_HANDLE MiniportAdapterHandle, NDIS_HANDLE MiniportAdapterContext, BOOLEAN BusMaster, NDIS_INTERFACE_TYPE AdapterType)',
    (ctx, [handle, context, busMaster, type]) => {
      const a = adapterOf(ctx, handle!);
      if (a)
        a.attributes = {
          context: context!,
          busMaster: (busMaster! & 0xff) !== 0,
          flags: 0,
          interfaceType: type!,
          checkForHangSeconds: 2,
        };
      return undefined;
    },
  ),
  ndis(
    'VOID NdisMSetAttributesEx(NDIS_HANDLE MiniportAdapterHandle, NDIS_HANDLE MiniportAdapterContext, UINT CheckForHangTimeInSeconds, ULONG AttributeFlags, NDIS_INTERFACE_TYPE AdapterType)',
    (ctx, [handle, context, hang, flags, type]) => {
      const a = adapterOf(ctx, handle!);
      if (a)
        a.attributes = {
          context: context!,
          busMaster: (flags! & ATTRIBUTE_BUS_MASTER) !== 0,
          flags: flags!,
          interfaceType: type!,
          checkForHangSeconds: hang || 2,
        };
      return undefined;
    },
  ),
  ndis(
    'VOID NdisMRegisterAdapterShutdownHandler(NDIS_HANDLE MiniportHandle, PVOID ShutdownContext, ADAPTER_SHUTDOWN_HANDLER ShutdownHandler)',
    () => undefined, // model: the sandbox never shuts the machine down
  ),
  ndis('VOID NdisMDeregisterAdapterShutdownHandler(NDIS_HANDLE MiniportHandle)', () => undefined),
  ndis(
    'VOID NdisWriteErrorLogEntry(NDIS_HANDLE NdisAdapterHandle, NDIS_ERROR_CODE ErrorCode, ULONG NumberOfErrorValues, ...)',
    (ctx, [handle, code, n]) => {
      // NDIS's IO_ERROR_LOG_PACKET from the adapter's device: ErrorCode, the values as DumpData.
      const a = adapterOf(ctx, handle!);
      const values = Array.from({ length: Math.min(n!, 16) }, (_, i) => ctx.arg(3 + i) >>> 0);
      const packet = new Uint8Array(0x28 + 4 * values.length);
      const v = new DataView(packet.buffer);
      v.setUint16(2, 4 * values.length, true);
      v.setUint32(0x0c, code!, true);
      for (const [i, x] of values.entries()) v.setUint32(0x28 + 4 * i, x, true);
      ctx.log.add({
        type: 'io-error-log',
        driver: a ? a.driver.registryPath.slice(a.driver.registryPath.lastIndexOf('\\') + 1) : null,
        device: a ? `\\Device\\${a.name}` : null,
        errorCode: code! >>> 0,
        uniqueErrorValue: 0,
        finalStatus: 0,
        eventCategory: 0,
        majorFunction: 0,
        sequenceNumber: 0,
        dumpData: values,
        strings: [],
        data: hexOf(packet),
        caller: ctx.caller,
      });
      return undefined;
    },
  ),
];
