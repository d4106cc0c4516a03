// Rounding up to an alignment, as section and file alignments need (an alignment of 0 or 1, which a
// hostile header may claim, leaves the value as it is).

/** `n` rounded up to a multiple of `alignment`. */
export const alignUp = (n: number, alignment: number): number =>
  alignment > 1 ? Math.ceil(n / alignment) * alignment : n;
