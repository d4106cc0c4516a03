// File system run-time library exports (ntoskrnl!FsRtl*).
import { defineExport } from '../../registry.js';

/**
 * Matches NT's expression syntax: * and ? plus the DOS wildcards < > " (model: treated as * ? .),
 * every other character literally, over UTF-16 code units. A wildcard match with backtracking to the
 * last `*` (no regular expression compiled per call: FsRtlIsNameInExpression runs in every boot).
 */
export function nameInExpression(expression: string, name: string, ignoreCase: boolean): boolean {
  const e = ignoreCase ? expression.toUpperCase() : expression;
  const n = ignoreCase ? name.toUpperCase() : name;
  let ei = 0;
  let ni = 0;
  let star = -1; // the last star's position in e
  let resume = 0; // where in n the text the star matched ends
  while (ni < n.length) {
    const c = ei < e.length ? e[ei] : undefined;
    if (c === '*' || c === '<') {
      star = ei++;
      resume = ni;
    } else if (c !== undefined && (c === '?' || c === '>' || (c === '"' ? n[ni] === '.' : c === n[ni]))) {
      ei++;
      ni++;
    } else if (star >= 0) {
      ei = star + 1;
      ni = ++resume;
    } else return false;
  }
  while (ei < e.length && (e[ei] === '*' || e[ei] === '<')) ei++;
  return ei === e.length;
}

export const FsRtlIsNameInExpression = defineExport({
  module: 'ntoskrnl',
  prototype:
    'BOOLEAN FsRtlIsNameInExpression(PUNICODE_STRING Expression, PUNICODE_STRING Name, BOOLEAN IgnoreCase, PWCH UpcaseTable)',
  pure: true,
  impl(ctx, [expression, name, ignoreCase]) {
    return nameInExpression(
      ctx.mem.unicodeString(expression!) ?? '',
      ctx.mem.unicodeString(name!) ?? '',
      (ignoreCase! & 0xff) !== 0,
    )
      ? 1
      : 0;
  },
});

export const fsrtlExports = [FsRtlIsNameInExpression];
