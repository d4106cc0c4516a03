// Registry name comparison: NT compares key and value names without regard to case.

/** Upper-case form used to compare names (NT upcases each UTF-16 character; JS's toUpperCase is close). */
export function upcaseName(name: string): string {
  let out = '';
  for (const ch of name) {
    const up = ch.toUpperCase();
    // Characters whose upper case is longer (German sharp s) keep their form, as RtlUpcaseUnicodeChar does.
    out += up.length === ch.length ? up : ch;
  }
  return out;
}

/** True when two names are equal ignoring case. */
export function sameName(a: string, b: string): boolean {
  return a.length === b.length && (a === b || upcaseName(a) === upcaseName(b));
}
