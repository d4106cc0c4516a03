// Mapped images kept across loads (issue 19): a warm boot maps the same parsed image at the same base
// again, relocates it by the same delta and snaps the same IAT slots to the same addresses, and laying
// the image out and relocating it was most of a driver's load. Keyed by the real inputs: the PeImage
// (one per file's bytes and name, image-cache.ts), the base, and for the snapped bytes every IAT write.
import type { PeImage } from '../pe/index.js';
import { guestVa } from './machine.js';
import type { MappedImage } from './map.js';

/** One image at one base: its relocated mapping, and the last snapped bytes built from it. */
interface Entry {
  relocated: MappedImage;
  snapped: { slots: number[]; values: number[]; bytes: Uint8Array } | null;
}

const entries = new WeakMap<PeImage, Map<number, Entry>>();
/** Bases kept per image (the oldest goes first): a boot places an image at one base, replays at a few. */
const MAX_BASES = 4;

/**
 * The relocated mapping of `image` at `base` from an earlier load, or undefined. Its bytes are shared
 * with every load of the image at that base: never write to them (snapped() copies before writing).
 */
export function relocatedAt(image: PeImage, base: number): MappedImage | undefined {
  return entries.get(image)?.get(base)?.relocated;
}

/**
 * Keeps `mapped`, `image` laid out and relocated to `base` without error, for later loads; from now
 * on its bytes are shared (see relocatedAt).
 */
export function keepRelocated(image: PeImage, base: number, mapped: MappedImage): void {
  const bases = entries.get(image) ?? new Map<number, Entry>();
  entries.set(image, bases);
  if (bases.size >= MAX_BASES) bases.delete(bases.keys().next().value!);
  bases.set(base, { relocated: mapped, snapped: null });
}

/**
 * The bytes of `relocated` (kept for `image` at `base`) with each IAT slot `slots[i]` (an RVA) set to
 * the guest address `values[i]`, in order: the same Uint8Array as the last load that wrote exactly
 * these values, else a new copy (which later loads may share: never write to it).
 */
export function snappedBytes(
  image: PeImage,
  base: number,
  relocated: MappedImage,
  slots: number[],
  values: number[],
): Uint8Array {
  const entry = entries.get(image)?.get(base);
  const last = entry?.relocated === relocated ? entry.snapped : null;
  if (last && sameNumbers(last.slots, slots) && sameNumbers(last.values, values)) return last.bytes;
  const bytes = relocated.bytes.slice();
  writeSlots(bytes, image.is64, slots, values);
  if (entry?.relocated === relocated) entry.snapped = { slots, values, bytes };
  return bytes;
}

/** Writes each guest address `values[i]` into the IAT slot at RVA `slots[i]` of `bytes`. */
export function writeSlots(bytes: Uint8Array, is64: boolean, slots: number[], values: number[]): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < slots.length; i++) {
    if (is64) view.setBigUint64(slots[i]!, guestVa(true, values[i]!), true);
    else view.setUint32(slots[i]!, values[i]!, true);
  }
}

function sameNumbers(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
