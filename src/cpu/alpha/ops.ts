// 64-bit integer helpers for the Alpha interpreter, on values held as two int32 halves (lo, hi):
// byte masks, shifts, multiplies and CMPBGE. Results come back as the low half, with the high half
// left in `hi` (one scratch slot: translated code reads it right after the call).

/** The 32-bit mask keeping the bytes whose bits are set in a 4-bit byte mask. */
const BYTE_MASK32 = Int32Array.from({ length: 16 }, (_, m) => {
  let v = 0;
  for (let b = 0; b < 4; b++) if (m & (1 << b)) v |= 0xff << (8 * b);
  return v;
});

const u64 = (lo: number, hi: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const s64 = (lo: number, hi: number) => (BigInt(hi) << 32n) | BigInt(lo >>> 0);

/** The helpers translated code calls; `hi` is the high half of the last result. */
export class AlphaOps {
  hi = 0;

  /** ZAPNOT: keeps the bytes selected by the low 8 bits of `mask`. */
  zapnot(lo: number, hi: number, mask: number): number {
    this.hi = hi & BYTE_MASK32[(mask >> 4) & 15]!;
    return lo & BYTE_MASK32[mask & 15]!;
  }

  /** Logical left shift by n (0..63). */
  shl(lo: number, hi: number, n: number): number {
    if (n === 0) {
      this.hi = hi;
      return lo;
    }
    if (n < 32) {
      this.hi = (hi << n) | (lo >>> (32 - n));
      return lo << n;
    }
    this.hi = lo << (n - 32);
    return 0;
  }

  /** Logical right shift by n (0..63). */
  shr(lo: number, hi: number, n: number): number {
    if (n === 0) {
      this.hi = hi;
      return lo;
    }
    if (n < 32) {
      this.hi = hi >>> n;
      return (lo >>> n) | (hi << (32 - n));
    }
    this.hi = 0;
    return hi >>> (n - 32);
  }

  /** Arithmetic right shift by n (0..63). */
  sra(lo: number, hi: number, n: number): number {
    if (n === 0) {
      this.hi = hi;
      return lo;
    }
    if (n < 32) {
      this.hi = hi >> n;
      return (lo >>> n) | (hi << (32 - n));
    }
    this.hi = hi >> 31;
    return hi >> (n - 32);
  }

  /** EXTxL: the bytes of a from byte b&7 up, kept by `mask` (1, 3, 0xf, 0xff). */
  extl(lo: number, hi: number, b: number, mask: number): number {
    const l = this.shr(lo, hi, (b & 7) * 8);
    return this.zapnot(l, this.hi, mask);
  }

  /** EXTxH: a shifted left by (64 - 8*(b&7)) mod 64, kept by `mask`. */
  exth(lo: number, hi: number, b: number, mask: number): number {
    const l = this.shl(lo, hi, (64 - (b & 7) * 8) & 63);
    return this.zapnot(l, this.hi, mask);
  }

  /** INSxL: a's low bytes (by `mask`) moved up to byte b&7. */
  insl(lo: number, hi: number, b: number, mask: number): number {
    const s = b & 7;
    const l = this.zapnot(lo, hi, mask);
    return this.shl(l, this.hi, s * 8);
  }

  /** INSxH: the bytes of a's low part (by `mask`) that INSxL would move past byte 7. */
  insh(lo: number, hi: number, b: number, mask: number): number {
    const s = b & 7;
    if (s === 0) {
      this.hi = 0;
      return 0;
    }
    const l = this.zapnot(lo, hi, mask);
    return this.shr(l, this.hi, 64 - s * 8);
  }

  /** MSKxL: a with the bytes INSxL would fill cleared. */
  mskl(lo: number, hi: number, b: number, mask: number): number {
    return this.zapnot(lo, hi, ~((mask << (b & 7)) & 0xff));
  }

  /** MSKxH: a with the bytes INSxH would fill cleared. */
  mskh(lo: number, hi: number, b: number, mask: number): number {
    return this.zapnot(lo, hi, ~(((mask << (b & 7)) >> 8) & 0xff));
  }

  /** CMPBGE: bit i set when byte i of a >= byte i of b (unsigned). */
  cmpbge(al: number, ah: number, bl: number, bh: number): number {
    let r = 0;
    for (let i = 0; i < 4; i++) {
      const s = i * 8;
      if (((al >>> s) & 0xff) >= ((bl >>> s) & 0xff)) r |= 1 << i;
      if (((ah >>> s) & 0xff) >= ((bh >>> s) & 0xff)) r |= 16 << i;
    }
    this.hi = 0;
    return r;
  }

  /** MULQ: the low 64 bits of the product. */
  mulq(al: number, ah: number, bl: number, bh: number): number {
    const p = BigInt.asUintN(64, u64(al, ah) * u64(bl, bh));
    this.hi = Number(p >> 32n) | 0;
    return Number(p & 0xffffffffn) | 0;
  }

  /** UMULH: the high 64 bits of the unsigned 128-bit product. */
  umulh(al: number, ah: number, bl: number, bh: number): number {
    const p = (u64(al, ah) * u64(bl, bh)) >> 64n;
    this.hi = Number(p >> 32n) | 0;
    return Number(p & 0xffffffffn) | 0;
  }

  /** Whether the signed 128-bit product of a and b overflows 64 bits (MULQ/V). */
  mulqOverflows(al: number, ah: number, bl: number, bh: number): boolean {
    const p = s64(al, ah) * s64(bl, bh);
    return p !== BigInt.asIntN(64, p);
  }
}
