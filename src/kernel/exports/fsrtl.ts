// File system run-time library exports (ntoskrnl!FsRtl*).
import { defineExport } from '../registry.js';

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

/** BOOLEAN FsRtlIsNameInExpression(PUNICODE_STRING Expression, PUNICODE_STRING Name, BOOLEAN IgnoreCase, PWCH UpcaseTable); */
export const FsRtlIsNameInExpression = defineExport({
  module: 'ntoskrnl',
  name: 'FsRtlIsNameInExpression',
  prototype:
    'BOOLEAN FsRtlIsNameInExpression(PUNICODE_STRING Expression, PUNICODE_STRING Name, BOOLEAN IgnoreCase, PWCH UpcaseTable)',
  conv: 'stdcall',
  args: [
    { name: 'Expression', type: 'PUNICODE_STRING' },
    { name: 'Name', type: 'PUNICODE_STRING' },
    { name: 'IgnoreCase', type: 'BOOLEAN' },
    { name: 'UpcaseTable', type: 'PVOID' },
  ],
  returns: 'BOOLEAN',
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
