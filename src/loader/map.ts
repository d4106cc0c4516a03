// Maps a PE image into a buffer laid out by RVA, as NT's image mapper does (headers, then each
// section's file bytes, zero fill to its virtual size), with each section's page protection.
import { layout, type PeImage } from '../pe/index.js';

/** Page protection of a mapped range. */
export interface Protection {
  read: boolean;
  write: boolean;
  execute: boolean;
}

export interface MappedRange {
  name: string;
  rva: number;
  size: number;
  protection: Protection;
}

/** An image laid out by RVA (index 0 is the image base), not yet placed in any address space. */
export interface MappedImage {
  bytes: Uint8Array;
  ranges: MappedRange[];
}

export function sectionProtection(characteristics: number): Protection {
  return {
    read: (characteristics & layout.IMAGE_SCN_MEM_READ) !== 0,
    write: (characteristics & layout.IMAGE_SCN_MEM_WRITE) !== 0,
    execute: (characteristics & layout.IMAGE_SCN_MEM_EXECUTE) !== 0,
  };
}

/** Lays `img` out in memory. Ranges that overlap or pass SizeOfImage are clipped to the image. */
export function mapImage(img: PeImage): MappedImage {
  const size = img.headers.optionalHeader.sizeOfImage;
  const bytes = new Uint8Array(size);
  const ranges: MappedRange[] = [];
  for (const span of img.layout()) {
    if (span.rva >= size) continue;
    const backed = Math.min(span.backedSize, size - span.rva);
    bytes.set(img.bytes.subarray(span.offset, span.offset + backed), span.rva);
    ranges.push({
      name: span.section?.name ?? 'headers',
      rva: span.rva,
      size: Math.min(span.mappedSize, size - span.rva),
      protection: span.section
        ? sectionProtection(span.section.characteristics)
        : { read: true, write: false, execute: false },
    });
  }
  return { bytes, ranges };
}
