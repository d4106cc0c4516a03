// NT's POOL_HEADER in guest memory and the checks ExFreePool makes of it (BAD_POOL_HEADER, 0x19).
// Layout (x86 NT 3.51/4.0, pool.h): Ulong1 = PreviousSize | PoolIndex << 8 | BlockSize << 16 |
// PoolType << 24, then the 4-byte PoolTag; sizes count 32-byte blocks (POOL_BLOCK_SHIFT 5).

/** sizeof(POOL_HEADER) on x86 (and 32-bit Alpha NT): what ExAllocatePool puts before a small block. */
export const POOL_OVERHEAD = 8;
/** NT 3.51/4.0 pool.h: "Define the block size as 32" (POOL_BLOCK_SHIFT 5 for 4 and 8 KiB pages). */
export const POOL_BLOCK_SIZE = 32;
/** ExAllocatePoolWithTag's tag for ExAllocatePool: 'None' (DEFAULT_ALLOCATION_TAG). */
const TAG_NONE = 'None';

/**
 * The largest request NT serves from a page shared with other blocks (pool.h's POOL_BUDDY_MAX: a page
 * less the header and the smallest block); larger ones get whole pages without a header.
 */
export const poolBuddyMax = (page: number) => page - (POOL_OVERHEAD + POOL_BLOCK_SIZE);

/** A corrupted header found by a free: KeBugCheckEx(BAD_POOL_HEADER, ...parameters). */
export interface BadPoolHeader {
  code: 0x19;
  parameters: [number, number, number, number];
  /** Address of the header found corrupted. */
  header: number;
}

const ulong1 = (previous: number, blockSize: number, poolType: number) =>
  (previous | (blockSize << 16) | (poolType << 24)) >>> 0;

/** The POOL_HEADERs of a page holding one block, as ULONGs (see poolPageHeaders). */
export interface PoolPageHeaders {
  /** The block's Ulong1 at the page's start, then its PoolTag. */
  ulong1: number;
  tag: number;
  /** Where the free rest of the page starts (its header), and that header's Ulong1 (PoolTag 0). */
  freeOffset: number;
  freeUlong1: number;
}

/**
 * The headers of a page holding one block of `size` bytes at its start: the block's (PoolType is the
 * pool type + 1, as in use) and, right after the block's 32-byte units, the free rest of the page
 * (PoolType 0) whose PreviousSize names the block: the neighbour a free checks. The rest of the page
 * is zero.
 */
export function poolPageHeaders(
  page: number,
  size: number,
  poolType: number,
  tag: string | null,
): PoolPageHeaders {
  const blocks = Math.ceil((size + POOL_OVERHEAD) / POOL_BLOCK_SIZE);
  const t = (tag ?? TAG_NONE).padEnd(4, ' ');
  let tagValue = 0;
  for (let i = 0; i < 4; i++) tagValue |= (t.charCodeAt(i) & 0xff) << (8 * i);
  return {
    ulong1: ulong1(0, blocks, (poolType & 7) + 1),
    tag: tagValue >>> 0,
    freeOffset: blocks * POOL_BLOCK_SIZE,
    freeUlong1: ulong1(blocks, page / POOL_BLOCK_SIZE - blocks, 0),
  };
}

/**
 * ExFreePool's check of the page holding the block whose header is at `entry` (ReactOS
 * ntoskrnl/mm/ARM3/expool.c, ExpCheckPoolBlocks and ExpCheckPoolHeader; NT's checked builds make the
 * same checks): every header from the page's start must agree with its neighbours and the sizes must
 * end exactly at the page's end. Parameters as NT documents them (bug check 0x19): 5 = two adjacent
 * headers contradict each other (one entry, reserved, the other); 6 = a PreviousSize reaching off the
 * page; 8 = a zero BlockSize; 9 = a BlockSize reaching off the page; 10 = the walk missed the block
 * or the page's end. Parameter 3, ReactOS's source line, is 0 (reserved).
 */
export function checkPoolPage(bytes: Uint8Array, base: number, entry: number): BadPoolHeader | null {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const page = bytes.length;
  const bad = (p1: number, p2: number, p4: number, header: number): BadPoolHeader => ({
    code: 0x19,
    parameters: [p1, p2 >>> 0, 0, p4 >>> 0],
    header,
  });
  const at = (o: number) => ({
    previous: v.getUint8(o),
    blockSize: v.getUint8(o + 2),
  });
  let offset = 0;
  let found = false;
  let total = 0;
  while (true) {
    const here = base + offset;
    const h = at(offset);
    if (here === entry) found = true;
    if (h.previous !== 0) {
      const prev = offset - h.previous * POOL_BLOCK_SIZE;
      if (prev < 0) return bad(6, here - h.previous * POOL_BLOCK_SIZE, here, here);
      if (at(prev).blockSize !== h.previous) return bad(5, base + prev, here, here);
    }
    if (h.blockSize === 0) return bad(8, 0, here, here);
    const next = offset + h.blockSize * POOL_BLOCK_SIZE;
    if (next !== page) {
      if (next > page) return bad(9, base + next, here, base + next);
      if (at(next).previous !== h.blockSize) return bad(5, base + next, here, base + next);
    }
    total += h.blockSize;
    offset = next;
    if (total >= page / POOL_BLOCK_SIZE || offset === page) break;
  }
  if (offset !== page || !found) return bad(10, entry, base + offset, entry);
  return null;
}
