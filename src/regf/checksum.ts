// The base block's checksum: XOR of its first 127 dwords, with NT's two reserved results remapped.
import { BASE_BLOCK } from './layout.js';

/**
 * The checksum NT stores at offset 508 of the base block: the XOR of the 127 little-endian dwords before
 * it, except that 0 becomes 1 and 0xffffffff becomes 0xfffffffe (ReactOS cmlib HvpHiveHeaderChecksum;
 * M. Suhanov's regf specification, "Base block", note 2). `bytes` must hold at least 508 bytes.
 */
export function baseBlockChecksum(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, BASE_BLOCK.CheckedBytes);
  let sum = 0;
  for (let i = 0; i < BASE_BLOCK.CheckedBytes; i += 4) sum ^= view.getUint32(i, true);
  sum >>>= 0;
  if (sum === 0) return 1;
  if (sum === 0xffffffff) return 0xfffffffe;
  return sum;
}
