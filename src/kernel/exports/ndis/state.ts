// What the NDIS wrapper keeps per kernel: the miniport drivers registered through NdisMInitializeWrapper
// and NdisMRegisterMiniport, their adapters (one NDIS_MINIPORT_BLOCK each, the MiniportAdapterHandle)
// and open configuration handles; with NDIS's status codes (ndis.h) the wrapper's files share.
import type { KernelContext } from '../../context.js';

/** NDIS_STATUS values (ndis.h). */
export const NDIS_STATUS = {
  SUCCESS: 0,
  PENDING: 0x103,
  FAILURE: 0xc0000001,
  RESOURCES: 0xc000009a,
  NOT_SUPPORTED: 0xc00000bb,
  BAD_VERSION: 0xc0010004,
  BAD_CHARACTERISTICS: 0xc0010005,
  ADAPTER_NOT_FOUND: 0xc0010006,
  INVALID_OID: 0xc0010017,
  UNSUPPORTED_MEDIA: 0xc0010019,
  RESOURCE_CONFLICT: 0xc001001e,
} as const;

/** The MiniportXxx handlers of NDIS_MINIPORT_CHARACTERISTICS the wrapper calls (x86 offsets). */
export interface MiniportHandlers {
  major: number;
  minor: number;
  halt: number;
  initialize: number;
  isr: number;
  handleInterrupt: number;
  queryInformation: number;
}

/** A driver's NdisMInitializeWrapper: its DRIVER_OBJECT, services key and, once registered, its handlers. */
export interface MiniportDriver {
  driverObject: number;
  /** The RegistryPath DriverEntry got (`\Registry\Machine\…\Services\<Driver>`). */
  registryPath: string;
  handlers: MiniportHandlers | null;
  adapters: Adapter[];
}

/** What NdisMSetAttributes(Ex) told NDIS about the adapter. */
export interface AdapterAttributes {
  context: number;
  busMaster: boolean;
  flags: number;
  interfaceType: number;
  checkForHangSeconds: number;
}

/** One adapter instance: its device `\Device\<name>`, NDIS_MINIPORT_BLOCK and Parameters key. */
export interface Adapter {
  driver: MiniportDriver;
  name: string;
  device: number;
  /** The NDIS_MINIPORT_BLOCK in the device extension: the MiniportAdapterHandle. */
  block: number;
  /** The WrapperConfigurationContext MiniportInitialize gets. */
  wrapperContext: number;
  /** The registry key NdisOpenConfiguration opens (the adapter's Parameters key). */
  configKey: string;
  attributes: AdapterAttributes | null;
  ports: { start: number; count: number }[];
  interrupt: { vector: number; level: number; object: number } | null;
  mapRegisters: boolean;
  /** Shared memory the adapter allocated: virtual address → length. */
  shared: Map<number, number>;
  initialized: boolean;
}

/** An open NdisOpenConfiguration handle: the key it reads and the parameters it handed out (freed at close). */
export interface ConfigHandle {
  key: string;
  allocations: number[];
}

export interface NdisState {
  /** By NdisWrapperHandle. */
  wrappers: Map<number, MiniportDriver>;
  /** By MiniportAdapterHandle (the NDIS_MINIPORT_BLOCK). */
  adapters: Map<number, Adapter>;
  /** By WrapperConfigurationContext. */
  contexts: Map<number, Adapter>;
  configs: Map<number, ConfigHandle>;
}

const states = new WeakMap<KernelContext, NdisState>();

/** The wrapper's state for this kernel, made on first use. */
export function ndisState(ctx: KernelContext): NdisState {
  let s = states.get(ctx);
  if (!s) {
    s = { wrappers: new Map(), adapters: new Map(), contexts: new Map(), configs: new Map() };
    states.set(ctx, s);
  }
  return s;
}

/** The adapter a MiniportAdapterHandle names, or undefined for a handle NDIS never gave out. */
export const adapterOf = (ctx: KernelContext, handle: number): Adapter | undefined =>
  ndisState(ctx).adapters.get(handle >>> 0);
