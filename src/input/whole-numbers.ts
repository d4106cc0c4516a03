// Whole-number options of the library's calls (boot(), replay()) checked against the CLI's ranges:
// one check for every option a caller passes as a number.

/** An option name with the smallest and largest whole number it takes. */
export type WholeNumberRange<K extends string> = readonly [key: K, min: number, max: number];

/**
 * The first option of `opts` named in `ranges` that is not a whole number in its range, as
 * "<key> expects a whole number from <min> to <max>, got <value>"; null when all are (or absent).
 */
export function wholeNumberProblem<K extends string>(
  opts: Partial<Record<K, unknown>>,
  ranges: readonly WholeNumberRange<K>[],
): string | null {
  for (const [key, min, max] of ranges) {
    const v = opts[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      return `${key} expects a whole number from ${min} to ${max}, got ${String(v)}`;
  }
  return null;
}
