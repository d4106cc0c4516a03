// File system run-time library exports (ntoskrnl!FsRtl*).
import { defineExport } from '../../registry.js';

/** Matches NT's expression syntax: * and ? plus the DOS wildcards < > " (model: treated as * ? .). */
export function nameInExpression(expression: string, name: string, ignoreCase: boolean): boolean {
  const e = ignoreCase ? expression.toUpperCase() : expression;
  const n = ignoreCase ? name.toUpperCase() : name;
  const pattern = e
    .split('')
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
