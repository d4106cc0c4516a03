// NDIS configuration reads against the registry model: NdisOpenConfiguration opens the adapter's
// Parameters key (the WrapperConfigurationContext MiniportInitialize got), NdisReadConfiguration
// answers NDIS_CONFIGURATION_PARAMETERs from its values, NdisReadNetworkAddress parses its
// NetworkAddress, NdisCloseConfiguration frees what the reads handed out. Follows ReactOS's
// drivers/network/ndis/ndis/config.c and the NT DDK's descriptions.
import type { KernelContext } from '../../context.js';
import { REG, type RegistryValue } from '../../hive.js';
import { defineExport, type ExportHandler } from '../../registry.js';
import { type ConfigHandle, NDIS_STATUS, ndisState } from './state.js';

const ndis = (prototype: string, impl: ExportHandler['impl']) =>
  defineExport({ module: 'ndis', prototype, impl });

/** NDIS_PARAMETER_TYPE. */
const Param = { Integer: 0, HexInteger: 1, String: 2, MultiString: 3, Binary: 4 } as const;
/**
 * NDIS_CONFIGURATION_PARAMETER: ParameterType, then the ParameterData union (an NDIS_STRING or
 * BINARY_DATA at its widest) aligned to a pointer: 12 bytes on x86, 24 on AMD64.
 */
const parameterSize = (ctx: KernelContext) => 3 * ctx.mem.pointerSize;
/** NdisEnvironmentWindowsNt (NDIS_ENVIRONMENT_TYPE) and NdisProcessorX86 (NDIS_PROCESSOR_TYPE). */
const ENVIRONMENT_WINDOWS_NT = 1;
const PROCESSOR_X86 = 0;

/** A pool block for a configuration handle's answer, freed by NdisCloseConfiguration. */
function allocateFor(ctx: KernelContext, c: ConfigHandle, size: number): number | null {
  const p = ctx.pool.allocate(size, 1, 'NDcp', 'kernel');
  if (p === null) return null;
  ctx.mem.write(p, new Uint8Array(size));
  c.allocations.push(p);
  return p;
}

/** The integer a REG_SZ holds in `base` (RtlUnicodeStringToInteger's digits), or null. */
function parseInteger(text: string, base: 10 | 16): number | null {
  const t = text.trim();
  const re = base === 16 ? /^(0x)?[0-9a-f]+$/i : /^[0-9]+$/;
  if (!re.test(t)) return null;
  return Number.parseInt(t.replace(/^0x/i, ''), base) >>> 0;
}

const textOf = (data: Uint8Array): string => {
  let s = '';
  for (let i = 0; i + 1 < data.length; i += 2) {
    const c = data[i]! | (data[i + 1]! << 8);
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
};

/**
 * One NDIS_CONFIGURATION_PARAMETER for `value` read as `type`: a REG_DWORD is an integer whatever was
 * asked for; a REG_SZ read as an integer is parsed in base 10 or 16; strings are NDIS_STRINGs over
 * a copy of the data; binary data is BINARY_DATA. Null when the value cannot be read so.
 */
function parameterFor(
  ctx: KernelContext,
  c: ConfigHandle,
  value: RegistryValue,
  type: number,
): number | null | 'resources' {
  let integer: number | null = null;
  if (value.type === REG.DWORD && value.data.length >= 4)
    integer = new DataView(value.data.buffer, value.data.byteOffset, 4).getUint32(0, true);
  else if (value.type === REG.SZ && (type === Param.Integer || type === Param.HexInteger))
    integer = parseInteger(textOf(value.data), type === Param.HexInteger ? 16 : 10);
  if (integer !== null) {
    const p = allocateFor(ctx, c, parameterSize(ctx));
    if (p === null) return 'resources';
    ctx.mem.setU32(p, type === Param.HexInteger ? Param.HexInteger : Param.Integer);
    ctx.mem.setU32(p + ctx.mem.pointerSize, integer);
    return p;
  }
  const isString =
    (type === Param.String && (value.type === REG.SZ || value.type === REG.EXPAND_SZ)) ||
    (type === Param.MultiString && value.type === REG.MULTI_SZ);
  const isBinary = type === Param.Binary && value.type === REG.BINARY;
  if (!isString && !isBinary) return null;
  const data = value.data.subarray(0, Math.min(value.data.length, 0xfffe));
  const size = parameterSize(ctx);
  const w = ctx.mem.pointerSize;
  const p = allocateFor(ctx, c, size + data.length + 2);
  if (p === null) return 'resources';
  ctx.mem.write(p + size, data);
  ctx.mem.setU32(p, type);
  if (isString) {
    // NDIS_STRING: Length without the terminator, MaximumLength with it, Buffer.
    const length = value.type === REG.MULTI_SZ ? data.length : 2 * textOf(data).length;
    ctx.mem.setU16(p + w, length);
    ctx.mem.setU16(p + w + 2, data.length + 2);
  } else ctx.mem.setU16(p + w, data.length); // BINARY_DATA { USHORT Length; PVOID Buffer; }
  ctx.mem.setPtr(p + 2 * w, p + size);
  return p;
}

/** The keywords NDIS answers itself (ReactOS config.c): the environment, processor and NDIS version. */
function builtIn(ctx: KernelContext, keyword: string): number | null {
  switch (keyword.toLowerCase()) {
    case 'environment':
      return ENVIRONMENT_WINDOWS_NT;
    case 'processortype':
      return PROCESSOR_X86;
    case 'ndisversion':
      // The wrapper of the kernel in use: NDIS 3.0 for NT 3.51, 4.0 for NT 4, 5.0 from Windows 2000.
      return ctx.version.major >= 5 ? 0x00050000 : ctx.version.major === 4 ? 0x00040000 : 0x00030000;
    default:
      return null;
  }
}

/** The 6 bytes of a NetworkAddress string: 12 hex digits, optionally split by '-' or ':'. */
export function parseNetworkAddress(text: string): Uint8Array | null {
  const digits = text.replace(/[-:]/g, '');
  if (!/^[0-9a-f]{12}$/i.test(digits)) return null;
  return Uint8Array.from({ length: 6 }, (_, i) => Number.parseInt(digits.slice(2 * i, 2 * i + 2), 16));
}

export const ndisConfigExports: ExportHandler[] = [
  ndis(
    'VOID NdisOpenConfiguration(OUT PNDIS_STATUS Status, OUT PNDIS_HANDLE ConfigurationHandle, NDIS_HANDLE WrapperConfigurationContext)',
    (ctx, [status, out, wrapperContext]) => {
      const s = ndisState(ctx);
      const adapter = s.contexts.get(wrapperContext! >>> 0);
      const h =
        adapter && ctx.registry?.key(adapter.configKey) ? ctx.pool.allocate(0x10, 1, 'NDcf', 'kernel') : null;
      if (!adapter || h === null) {
        ctx.mem.setPtr(out!, 0);
        ctx.mem.setU32(status!, adapter ? NDIS_STATUS.RESOURCES : NDIS_STATUS.FAILURE);
        return undefined;
      }
      ctx.mem.write(h, new Uint8Array(0x10));
      s.configs.set(h, { key: adapter.configKey, allocations: [] });
      ctx.mem.setPtr(out!, h);
      ctx.mem.setU32(status!, NDIS_STATUS.SUCCESS);
      return undefined;
    },
  ),
  ndis(
    'VOID NdisReadConfiguration(OUT PNDIS_STATUS Status, OUT PNDIS_CONFIGURATION_PARAMETER *ParameterValue, NDIS_HANDLE ConfigurationHandle, PNDIS_STRING Keyword, NDIS_PARAMETER_TYPE ParameterType)',
    (ctx, [status, out, handle, keyword, type]) => {
      ctx.mem.setPtr(out!, 0);
      const c = ndisState(ctx).configs.get(handle! >>> 0);
      const name = ctx.mem.unicodeString(keyword!);
      const fail = (s: number) => {
        ctx.mem.setU32(status!, s);
        return undefined;
      };
      if (!c || name === null) return fail(NDIS_STATUS.FAILURE);
      if (type! > Param.Binary) return fail(NDIS_STATUS.NOT_SUPPORTED);
      const fixed = builtIn(ctx, name);
      let p: number | null | 'resources';
      if (fixed !== null) {
        p = allocateFor(ctx, c, parameterSize(ctx)) ?? 'resources';
        if (p !== 'resources') {
          ctx.mem.setU32(p, Param.Integer);
          ctx.mem.setU32(p + ctx.mem.pointerSize, fixed);
        }
      } else {
        const value = ctx.registry?.key(c.key)?.key.values.get(name.toLowerCase());
        p = value ? parameterFor(ctx, c, value, type!) : null;
      }
      if (p === 'resources') return fail(NDIS_STATUS.RESOURCES);
      if (p === null) return fail(NDIS_STATUS.FAILURE);
      ctx.mem.setPtr(out!, p);
      return fail(NDIS_STATUS.SUCCESS);
    },
  ),
  ndis('VOID NdisCloseConfiguration(NDIS_HANDLE ConfigurationHandle)', (ctx, [handle]) => {
    const s = ndisState(ctx);
    const c = s.configs.get(handle! >>> 0);
    if (!c) return undefined;
    for (const p of c.allocations) ctx.pool.free(p);
    s.configs.delete(handle! >>> 0);
    ctx.pool.free(handle!);
    return undefined;
  }),
  ndis(
    'VOID NdisReadNetworkAddress(OUT PNDIS_STATUS Status, OUT PVOID *NetworkAddress, OUT PUINT NetworkAddressLength, NDIS_HANDLE ConfigurationHandle)',
    (ctx, [status, out, length, handle]) => {
      ctx.mem.setPtr(out!, 0);
      ctx.mem.setU32(length!, 0);
      const c = ndisState(ctx).configs.get(handle! >>> 0);
      const value = c ? ctx.registry?.key(c.key)?.key.values.get('networkaddress') : undefined;
      const address = value && value.type === REG.SZ ? parseNetworkAddress(textOf(value.data)) : null;
      const p = c && address ? allocateFor(ctx, c, address.length) : null;
      if (p === null || !address) {
        ctx.mem.setU32(status!, NDIS_STATUS.FAILURE);
        return undefined;
      }
      ctx.mem.write(p, address);
      ctx.mem.setPtr(out!, p);
      ctx.mem.setU32(length!, address.length);
      ctx.mem.setU32(status!, NDIS_STATUS.SUCCESS);
      return undefined;
    },
  ),
];
