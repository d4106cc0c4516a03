// nameInExpression (FsRtlIsNameInExpression, FsRtlIsDbcsInExpression) against the regular expression
// it replaced (each wildcard as a regex piece), over many generated expressions and names.
import { describe, expect, it } from 'vitest';
import { nameInExpression } from '../../src/kernel/exports/ntoskrnl/fsrtl.js';

const viaRegex = (expression: string, name: string, ignoreCase: boolean) => {
  const e = ignoreCase ? expression.toUpperCase() : expression;
  const n = ignoreCase ? name.toUpperCase() : name;
  const pattern = [...e]
    .map((c) =>
      c === '*' || c === '<'
        ? '.*'
        : c === '?' || c === '>'
          ? '.'
          : c === '"'
            ? '\\.'
            : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${pattern}$`, 's').test(n);
};

/** A small deterministic generator (xorshift) so failures reproduce. */
function* strings(alphabet: string, count: number, seed: number): Generator<string> {
  let x = seed;
  for (let i = 0; i < count; i++) {
    let s = '';
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const length = (x >>> 0) % 7;
    for (let k = 0; k < length; k++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      s += alphabet[(x >>> 0) % alphabet.length];
    }
    yield s;
  }
}

describe('nameInExpression', () => {
  it('agrees with the regular-expression form', () => {
    const names = [...strings('aAb.\n', 300, 7)];
    const mismatches: string[] = [];
    for (const expression of strings('*?<>"aAb.(', 300, 11))
      for (const name of names)
        for (const ignoreCase of [false, true])
          if (nameInExpression(expression, name, ignoreCase) !== viaRegex(expression, name, ignoreCase))
            mismatches.push(`${JSON.stringify(expression)} ~ ${JSON.stringify(name)} (${ignoreCase})`);
    expect(mismatches).toEqual([]);
  });

  it('matches NT-style driver names', () => {
    expect(nameInExpression('*.SYS', 'ndis.sys', true)).toBe(true);
    expect(nameInExpression('*.SYS', 'ndis.sys', false)).toBe(false);
    expect(nameInExpression('E?NK3*', 'ELNK3.SYS', false)).toBe(true);
    expect(nameInExpression('a*b*c', 'aXbYbZc', false)).toBe(true);
    expect(nameInExpression('a*b*c', 'aXbYbZ', false)).toBe(false);
  });
});
