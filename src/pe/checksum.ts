// NT's image checksum (imagehlp CheckSumMappedFile / the kernel's LdrVerifyImageMatchesChecksum):
// a 16-bit one's-complement-style sum of the file's words with the CheckSum field left out, plus the length.
import type { FileOffset } from './types.js';

/** Computes the checksum NT stores in IMAGE_OPTIONAL_HEADER.CheckSum for `bytes`. */
export function computeChecksum(bytes: Uint8Array, checkSumOffset: FileOffset): number {
  let sum = 0;
  const n = bytes.length;
  const even = n & ~1;
  for (let i = 0; i < even; i += 2) {
    if (i === checkSumOffset || i === checkSumOffset + 2) continue;
    sum += bytes[i]! | (bytes[i + 1]! << 8);
    // Fold the carry as NT does; doing it every step keeps `sum` a small integer.
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (n & 1) {
    sum += bytes[n - 1]!;
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum + n) >>> 0;
}
