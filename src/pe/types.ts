// Branded number types, so an RVA cannot be passed where a file offset or an ordinal is wanted.

declare const brand: unique symbol;
/** A number tagged with a compile-time-only brand. */
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** Relative virtual address: an offset from the image base in the mapped image. */
export type Rva = Brand<number, 'Rva'>;
/** Virtual address (32-bit images): image base + RVA. */
export type Va = Brand<number, 'Va'>;
/** Offset into the file's bytes. */
export type FileOffset = Brand<number, 'FileOffset'>;
/** Export ordinal as seen by importers (biased by the export directory's Base). */
export type Ordinal = Brand<number, 'Ordinal'>;

export const rva = (n: number): Rva => n as Rva;
export const va = (n: number): Va => n as Va;
export const fileOffset = (n: number): FileOffset => n as FileOffset;
export const ordinal = (n: number): Ordinal => n as Ordinal;
