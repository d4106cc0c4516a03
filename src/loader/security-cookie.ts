// The /GS security cookie a modern kernel loader sets when it loads a driver: the load-config
// directory's SecurityCookie names a variable that still holds the compiler's default until a loader
// replaces it; a driver's GsDriverEntry (the WDK's BufferOverflowK.lib) checks that it was replaced.
// NT 3.51's loader predates /GS (Visual C++ 7, 2002) and leaves it alone (docs/exceptions.md).
import { rva as asRva, layout, MalformedPeError, type PeImage } from '../pe/index.js';
import type { MappedImage } from './map.js';

/** The compilers' default cookies (gs_cookie.c): x86 and x64. */
export const DEFAULT_SECURITY_COOKIE = 0xbb40e64e;
export const DEFAULT_SECURITY_COOKIE_64 = 0x00002b992ddfa232n;

/** Where IMAGE_LOAD_CONFIG_DIRECTORY32/64 keep SecurityCookie (winnt.h). */
const COOKIE_FIELD = { 32: 0x3c, 64: 0x58 } as const;

/** What the loader found and did for one image's cookie (reported on the loaded module). */
export type SecurityCookieResult =
  /** No load-config directory, or one without a SecurityCookie (not built with /GS). */
  | { kind: 'none' }
  /** The cookie held the default and was replaced. */
  | { kind: 'initialised'; va: number; value: bigint }
  /** The cookie held something else already and was left as it was. */
  | { kind: 'kept'; va: number; value: bigint }
  /** The directory or the cookie's address is out of bounds: nothing was written (the image still loads). */
  | { kind: 'malformed'; reason: string };

/**
 * Initialises the cookie of `image`, mapped at `base` in `mapped` (already relocated), the way
 * LdrpInitSecurityCookie does (ReactOS dll/ntdll/ldr/ldrinit.c; its sanity checks: the directory's
 * Size covers SecurityCookie, the cookie lies inside the image): a default or 16-bit default (0xBB40)
 * value becomes `counter` (the performance counter's low part) XOR the cookie's address, with
 * ReactOS's fallbacks for 0 and the old value. Reads the directory with the pe reader's bounds checks.
 */
export function initSecurityCookie(
  image: PeImage,
  mapped: MappedImage,
  base: number,
  counter: number,
): SecurityCookieResult {
  const dir = image.directory(layout.DirectoryEntry.LOAD_CONFIG);
  if (!dir) return { kind: 'none' };
  const wide = image.is64 ? 64 : 32;
  const field = COOKIE_FIELD[wide];
  const width = wide / 8;
  let cookieVa: bigint;
  try {
    const size = image.readU32(asRva(dir.rva), 'IMAGE_LOAD_CONFIG_DIRECTORY', 'Size');
    if (size < field + width) return { kind: 'none' };
    const at = asRva(dir.rva + field);
    cookieVa =
      wide === 64
        ? image.readU64(at, 'IMAGE_LOAD_CONFIG_DIRECTORY', 'SecurityCookie')
        : BigInt(image.readU32(at, 'IMAGE_LOAD_CONFIG_DIRECTORY', 'SecurityCookie'));
  } catch (e) {
    if (!(e instanceof MalformedPeError)) throw e;
    return { kind: 'malformed', reason: e.message };
  }
  if (cookieVa === 0n) return { kind: 'none' };
  // The field is a VA at the preferred base (relocations fix the image's uses of it, not the directory read from the file).
  const rva = cookieVa - BigInt(image.headers.optionalHeader.imageBase);
  if (rva <= 0n || rva + BigInt(width) > BigInt(mapped.bytes.length))
    return {
      kind: 'malformed',
      reason: `SecurityCookie 0x${cookieVa.toString(16)} is outside the image`,
    };
  const view = new DataView(mapped.bytes.buffer, mapped.bytes.byteOffset + Number(rva), width);
  const va = (base + Number(rva)) >>> 0;
  const old = wide === 64 ? view.getBigUint64(0, true) : BigInt(view.getUint32(0, true));
  const standard = wide === 64 ? DEFAULT_SECURITY_COOKIE_64 : BigInt(DEFAULT_SECURITY_COOKIE);
  if (old !== standard && old !== 0xbb40n) return { kind: 'kept', va, value: old };
  const mask = wide === 64 ? 0x0000ffffffffffffn : 0xffffffffn;
  let value = (BigInt(counter >>> 0) ^ BigInt(va)) & mask;
  if (old === 0xbb40n) value &= 0xffffn;
  if (value === 0n || value === old) value = old - 1n;
  if (wide === 64) view.setBigUint64(0, value, true);
  else view.setUint32(0, Number(value), true);
  return { kind: 'initialised', va, value };
}
