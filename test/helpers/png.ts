// A small PNG decoder and pixel comparison for the golden-image tests of `--render FILE.png`: 8-bit RGB
// or RGBA, non-interlaced, the five row filters (PNG spec, W3C 2nd edition, sections 5, 9 and 11.2.2).
import { inflateSync } from 'node:zlib';

/** The 8 bytes every PNG file starts with. */
export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** A decoded picture: RGBA, 8 bits a channel, rows top to bottom. */
export interface Pixels {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/** What `decodePng` saw besides the pixels: chunk types in order and how often each row filter was used. */
export interface PngInfo extends Pixels {
  colourType: 2 | 6;
  chunks: string[];
  filters: number[];
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 of a chunk's type and data, as PNG stores it after each chunk (spec section 5.5). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Decodes an 8-bit RGB or RGBA non-interlaced PNG; anything else, or a bad CRC, throws. */
export function decodePng(file: Uint8Array): PngInfo {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.length < 8 || PNG_SIGNATURE.some((b, i) => file[i] !== b)) throw new Error('not a PNG signature');
  const chunks: string[] = [];
  const idat: Uint8Array[] = [];
  let header: { width: number; height: number; depth: number; colour: number; interlace: number } | null =
    null;
  for (let at = 8; at < file.length; ) {
    if (at + 12 > file.length) throw new Error(`chunk at ${at} runs past the end`);
    const length = view.getUint32(at);
    if (at + 12 + length > file.length) throw new Error(`chunk at ${at} runs past the end`);
    const type = String.fromCharCode(...file.subarray(at + 4, at + 8));
    const data = file.subarray(at + 8, at + 8 + length);
    if (crc32(file.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length))
      throw new Error(`chunk ${type} at ${at}: bad CRC`);
    chunks.push(type);
    if (type === 'IHDR') {
      const d = new DataView(data.buffer, data.byteOffset, data.byteLength);
      header = {
        width: d.getUint32(0),
        height: d.getUint32(4),
        depth: data[8]!,
        colour: data[9]!,
        interlace: data[12]!,
      };
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  if (!header || chunks[0] !== 'IHDR') throw new Error('no IHDR chunk first');
  const { width, height, depth, colour, interlace } = header;
  if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0)
    throw new Error(`unsupported PNG: bit depth ${depth}, colour type ${colour}, interlace ${interlace}`);
  const bpp = colour === 6 ? 4 : 3;
  const stride = width * bpp;
  const raw = inflateSync(Buffer.concat(idat));
  if (raw.length !== height * (stride + 1))
    throw new Error(`image data is ${raw.length} bytes, expected ${height * (stride + 1)}`);
  const filters = [0, 0, 0, 0, 0];
  const rows = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    if (filter > 4) throw new Error(`row ${y}: unknown filter ${filter}`);
    filters[filter]!++;
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = rows.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? rows.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? row[i - bpp]! : 0;
      const b = prev[i]!;
      const c = i >= bpp ? prev[i - bpp]! : 0;
      const predictor =
        filter === 0
          ? 0
          : filter === 1
            ? a
            : filter === 2
              ? b
              : filter === 3
                ? (a + b) >>> 1
                : paeth(a, b, c);
      row[i] = (src[i]! + predictor) & 0xff;
    }
  }
  const pixels = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    pixels.set(rows.subarray(p * bpp, p * bpp + 3), p * 4);
    pixels[p * 4 + 3] = bpp === 4 ? rows[p * bpp + 3]! : 255;
  }
  return { width, height, pixels, colourType: colour, chunks, filters };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** How far apart two pictures are. */
export interface PixelDiff {
  sameSize: boolean;
  /** Pixels where some channel differs by more than the tolerance. */
  differing: number;
  /** The largest difference of one channel anywhere (0-255). */
  maxDelta: number;
  total: number;
}

/**
 * Compares two pictures channel by channel: a pixel differs when one of its channels differs by more
 * than `channelTolerance` (anti-aliasing may vary by a few levels between builds of a rasteriser).
 */
export function comparePixels(a: Pixels, b: Pixels, channelTolerance: number): PixelDiff {
  const total = a.width * a.height;
  if (a.width !== b.width || a.height !== b.height)
    return { sameSize: false, differing: Math.max(total, b.width * b.height), maxDelta: 255, total };
  let differing = 0;
  let maxDelta = 0;
  for (let p = 0; p < a.pixels.length; p += 4) {
    let worst = 0;
    for (let k = 0; k < 4; k++) worst = Math.max(worst, Math.abs(a.pixels[p + k]! - b.pixels[p + k]!));
    if (worst > channelTolerance) differing++;
    maxDelta = Math.max(maxDelta, worst);
  }
  return { sameSize: true, differing, maxDelta, total };
}
