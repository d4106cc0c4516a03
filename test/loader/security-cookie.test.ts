// The /GS security cookie at load (src/loader/security-cookie.ts): on a real WDK-built driver
// (test/corpus/windivert-2.2, never modified: malformed variants are copies in memory), a modern
// loader replaces the compiler's default; NT 3.51's (no option) leaves it; bad directories are results.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SECURITY_COOKIE,
  DEFAULT_SECURITY_COOKIE_64,
  initSecurityCookie,
  SystemLoader,
} from '../../src/loader/index.js';
import { mapImage } from '../../src/loader/map.js';
import { PeImage } from '../../src/pe/index.js';
import { runDriver } from '../../src/sandbox/index.js';
import { haveUnicorn } from '../helpers/unicorn.js';

const X86 = 'test/corpus/windivert-2.2/WinDivert32.sys';
const X64 = 'test/corpus/windivert-2.2/WinDivert64.sys';
const LOAD_CONFIG = 10;

/** The cookie's RVA and the load-config directory's file offset, read independently of the loader. */
function layoutOf(bytes: Uint8Array) {
  const image = PeImage.parse(bytes);
  const dir = image.directory(LOAD_CONFIG)!;
  const field = image.is64 ? 0x58 : 0x3c;
  const va = image.is64
    ? Number(image.readU64((dir.rva + field) as never, 't', 'f'))
    : image.readU32((dir.rva + field) as never, 't', 'f');
  return {
    image,
    dirOffset: image.rvaToOffset(dir.rva as never)!,
    cookieRva: va - Number(image.headers.optionalHeader.imageBase),
  };
}

describe('the /GS security cookie at load', () => {
  it('WinDivert32.sys: the default 0xBB40E64E becomes the counter XOR the cookie address', () => {
    const bytes = readFileSync(X86);
    const { image, cookieRva } = layoutOf(bytes);
    const mapped = mapImage(image);
    const view = new DataView(mapped.bytes.buffer);
    expect(view.getUint32(cookieRva, true)).toBe(DEFAULT_SECURITY_COOKIE);
    const base = 0x80600000;
    const r = initSecurityCookie(image, mapped, base, 0x1234);
    const va = base + cookieRva;
    expect(r).toEqual({ kind: 'initialised', va, value: BigInt((va ^ 0x1234) >>> 0) });
    expect(view.getUint32(cookieRva, true)).toBe((va ^ 0x1234) >>> 0);
    // Loading it again finds a cookie that is not the default: kept.
    expect(initSecurityCookie(image, mapped, base, 0x1234).kind).toBe('kept');
  });

  it('WinDivert64.sys: the 64-bit default is replaced, its top 16 bits clear', () => {
    const { image, cookieRva } = layoutOf(readFileSync(X64));
    const mapped = mapImage(image);
    const view = new DataView(mapped.bytes.buffer);
    expect(view.getBigUint64(cookieRva, true)).toBe(DEFAULT_SECURITY_COOKIE_64);
    const r = initSecurityCookie(image, mapped, 0x10000, 0);
    expect(r.kind).toBe('initialised');
    expect(view.getBigUint64(cookieRva, true)).toBe(BigInt(0x10000 + cookieRva));
  });

  it('through the loader: set with the securityCookie option, left alone without it (NT 3.51)', () => {
    const file = { baseName: 'WinDivert32.sys', ntPath: '\\??\\WinDivert32.sys', bytes: readFileSync(X86) };
    const source = { findDependency: () => null };
    const { cookieRva } = layoutOf(file.bytes);
    const read = (loader: SystemLoader) => {
      loader.loadBootImages([{ file, role: 'driver' }], source); // imports fail: no kernel here
      const m = loader.modules[0]!;
      return { m, value: new DataView(m.mapped.bytes.buffer).getUint32(cookieRva, true) };
    };
    const modern = read(new SystemLoader({ securityCookie: { counter: 0 } }));
    expect(modern.m.securityCookie).toMatchObject({ kind: 'initialised', va: modern.m.base + cookieRva });
    expect(modern.value).toBe(modern.m.base + cookieRva);
    const old = read(new SystemLoader());
    expect(old.m.securityCookie).toBeUndefined();
    expect(old.value).toBe(DEFAULT_SECURITY_COOKIE);
  });

  it('malformed directories are results, never exceptions, and nothing is written', () => {
    const original = readFileSync(X86);
    const { dirOffset, cookieRva } = layoutOf(original);
    const variant = (patch: (v: DataView) => void) => {
      const copy = new Uint8Array(original);
      patch(new DataView(copy.buffer));
      const image = PeImage.parse(copy);
      const mapped = mapImage(image);
      const r = initSecurityCookie(image, mapped, 0x80600000, 0);
      return { r, cookie: new DataView(mapped.bytes.buffer).getUint32(cookieRva, true) };
    };
    // SecurityCookie pointing outside the image.
    const outside = variant((v) => v.setUint32(dirOffset + 0x3c, 0x7fff0000, true));
    expect(outside.r.kind).toBe('malformed');
    expect(outside.cookie).toBe(DEFAULT_SECURITY_COOKIE);
    // A directory too small to hold SecurityCookie: no cookie.
    expect(variant((v) => v.setUint32(dirOffset, 0x20, true)).r).toEqual({ kind: 'none' });
    // The directory's RVA past the end of the image (data directory 10 in the optional header).
    const headers = PeImage.parse(original).headers;
    const ddOffset = (() => {
      const peOffset = new DataView(original.buffer, original.byteOffset).getUint32(0x3c, true);
      return peOffset + 24 + 96 + LOAD_CONFIG * 8; // PE32: data directories start at 96
    })();
    expect(headers.optionalHeader.is64).toBe(false);
    const beyond = variant((v) => v.setUint32(ddOffset, 0x7ffffff0, true));
    expect(beyond.r.kind).toBe('malformed');
    expect(beyond.cookie).toBe(DEFAULT_SECURITY_COOKIE);
  });
});

describe.skipIf(!haveUnicorn)('run-driver --kernel registry on WinDivert32.sys', () => {
  it("lists the cookie its loader set, at the image's cookie address", async () => {
    const r = await runDriver({ driver: X86, kernel: 'registry' });
    const { cookieRva } = layoutOf(readFileSync(X86));
    expect(r.load.ok).toBe(true);
    if (!r.load.ok) return;
    const m = r.load.modules.find((x) => x.name === 'WinDivert32.sys')!;
    const va = m.base + cookieRva;
    expect(m.securityCookie).toEqual({ result: 'initialised', va, value: `0x${va.toString(16)}` });
    expect(r.events.some((e) => e.type === 'bugcheck')).toBe(false);
  });
});
