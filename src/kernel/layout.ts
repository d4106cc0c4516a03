// Structure layouts from one description each: a structure is described once, field by field, in
// C's terms (scalars, pointers, nested structures, unions, arrays), and laid out for a pointer size
// with C's natural alignment (MSVC's rules, which the DDK headers assume): 4 gives the x86 offsets,
// 8 the AMD64 ones. No offset table is written by hand for either architecture.

/** A field's C type: scalars, a pointer-sized value (pointers, ULONG_PTR, SIZE_T, KSPIN_LOCK), or an aggregate. */
export type FieldType =
  | 'u8'
  | 'u16'
  | 'u32'
  | 'u64'
  | 'ptr'
  | { readonly array: FieldType; readonly count: number }
  /** A nested structure; with `flatten` its members' offsets (from the outer start) are named too. */
  | { readonly struct: Fields; readonly flatten?: boolean }
  | { readonly union: Fields; readonly flatten?: boolean };

/** Fields in declaration order: [name, type]. */
export type Fields = readonly (readonly [string, FieldType])[];

/** A structure description; `align` 'allocation' is DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) (2 pointers). */
export interface StructDescription {
  readonly name: string;
  readonly fields: Fields;
  readonly align?: 'allocation';
}

/** The top-level field names of a description (what its layout is indexed by). */
export type FieldNames<D extends StructDescription> = D['fields'][number][0];

/** A laid-out structure: each named field's offset, and `size`. */
export type Layout<N extends string> = { readonly [K in N]: number } & { readonly size: number };

export type PointerSize = 4 | 8;

interface Placed {
  size: number;
  align: number;
}

/** Sizes and alignments of aggregate and array types, by pointer size (types are shared constants). */
const measured: [WeakMap<object, Placed>, WeakMap<object, Placed>] = [new WeakMap(), new WeakMap()];

/** A type's size and alignment; an aggregate's members are laid out once per pointer size. */
function measure(t: FieldType, p: PointerSize): Placed {
  if (t === 'u8') return { size: 1, align: 1 };
  if (t === 'u16') return { size: 2, align: 2 };
  if (t === 'u32') return { size: 4, align: 4 };
  if (t === 'u64') return { size: 8, align: 8 };
  if (t === 'ptr') return { size: p, align: p };
  const cache = measured[p === 4 ? 0 : 1];
  let m = cache.get(t);
  if (!m) {
    if ('array' in t) {
      const e = measure(t.array, p);
      m = { size: e.size * t.count, align: e.align };
    } else m = aggregate('struct' in t ? t.struct : t.union, 'union' in t, p, 0, null);
    cache.set(t, m);
  }
  return m;
}

/**
 * Lays `fields` out from `base`, naming each field's offset in `out` (and, for a flattened nested
 * aggregate, its members' too); returns the aggregate's size and alignment. A nested aggregate's
 * alignment comes from measure(), so each is walked once more only when it is flattened into `out`.
 */
function aggregate(
  fields: Fields,
  isUnion: boolean,
  p: PointerSize,
  base: number,
  out: Record<string, number> | null,
): Placed {
  let offset = 0;
  let size = 0;
  let align = 1;
  // An indexed loop: layouts are made at module load, in code V8 runs once, where destructuring
  // iteration is the slow part.
  for (let i = 0; i < fields.length; i++) {
    const name = fields[i]![0];
    const type = fields[i]![1];
    const m = measure(type, p);
    const at = isUnion ? 0 : (offset + m.align - 1) & ~(m.align - 1);
    if (out) {
      if (name in out) throw new Error(`layout: field ${name} named twice`);
      out[name] = base + at;
      // Arrays name no members; a nested aggregate's members are named only when it is flattened.
      if (typeof type === 'object' && !('array' in type) && type.flatten)
        aggregate('struct' in type ? type.struct : type.union, 'union' in type, p, base + at, out);
    }
    align = Math.max(align, m.align);
    if (isUnion) size = Math.max(size, m.size);
    else offset = at + m.size;
  }
  if (!isUnion) size = offset;
  return { size: (size + align - 1) & ~(align - 1), align };
}

/** Lays `d` out for pointers of `p` bytes. */
export function layoutOf<N extends string>(d: StructDescription, p: PointerSize): Layout<N> {
  const out: Record<string, number> = {};
  const r = aggregate(d.fields, false, p, 0, out);
  const align = d.align === 'allocation' ? Math.max(r.align, 2 * p) : r.align;
  return { ...out, size: (r.size + align - 1) & ~(align - 1) } as Layout<N>;
}

/** A nested structure's type (its members not named in the outer layout). */
export const struct = (d: StructDescription): FieldType => ({ struct: d.fields });
