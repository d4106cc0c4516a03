// The order the file and service listings sort names in: String.prototype.localeCompare's, without
// its cost for plain names (the first localeCompare of a process loads ICU's collator, 15-90 ms).

/**
 * Names written in one case of ASCII letters with digits, space, `-`, `.` and `/`: for these, the
 * collation order (CLDR root: space < `-` < `.` < `/` < digits < letters) is the code-unit order.
 */
const LOWER = /^[a-z0-9 ./-]*$/;
const UPPER = /^[A-Z0-9 ./-]*$/;

/** `a.localeCompare(b)` as a sign (-1, 0, 1); plain names are compared without the collator. */
export function compareText(a: string, b: string): number {
  if ((LOWER.test(a) && LOWER.test(b)) || (UPPER.test(a) && UPPER.test(b))) return a < b ? -1 : a > b ? 1 : 0;
  return Math.sign(a.localeCompare(b));
}
