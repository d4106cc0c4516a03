// Mapped images kept across loads (issue 19): a warm boot maps the same parsed image at the same base
// again, relocates it by the same delta and snaps the same IAT slots to the same addresses, and laying
// the image out, relocating it and copying it was most of a driver's load. Keyed by the real inputs:
// the PeImage (one per file's bytes and name, image-cache.ts) and the base; the loader compares the IAT
// writes (system-loader.ts writeImports) before sharing the bytes, and reuses the snapped imports only
// when every module the resolution looked up is the same image at the same base (reuseResolution).
import type { PeImage } from '../pe/index.js';
import { guestVa } from './machine.js';
import type { MappedImage } from './map.js';
import type { ImportMiss, SnappedImport } from './system-loader.js';

/** A module name the resolution looked up (as an import's DLL or a forwarder's module) and what it found. */
export interface ResolutionLookup {
  name: string;
  how: 'import' | 'forwarder';
  /** The module found: its image, base and name (what the snapped entries were computed from). */
  image: PeImage;
  base: number;
  baseName: string;
}

/**
 * A resolution of an image's imports in which every look-up found a module (some may have loaded a
 * dependency): the same look-ups finding the same images at the same bases snap the same entries and miss
 * the same ones (snap.ts is a pure function of the exporter's image, its base and the entry), so a
 * later load may take `imports` and `failure` instead of snapping again. The entries and misses are
 * shared with every load that takes them: never write to them.
 */
export interface KeptResolution {
  lookups: readonly ResolutionLookup[];
  imports: readonly SnappedImport[];
  /** The first miss's status and reason and every miss, when some import did not snap; else null. */
  failure: { status: number; reason: string; misses: readonly ImportMiss[] } | null;
  /** The loader's userModeDlls option, which decides whether user-mode DLL imports snap at all. */
  userModeDlls: boolean;
}

/** An image mapped at one base, relocated, with `values[i]` written into the IAT slot at RVA `slots[i]`. */
export interface SnappedMapping {
  mapped: MappedImage;
  slots: number[];
  values: number[];
  /** The resolution that wrote `values`, when it can be reused (see KeptResolution). */
  resolution?: KeptResolution;
}

const kept = new WeakMap<PeImage, Map<number, SnappedMapping>>();
/** Bases kept per image (the oldest goes first): a boot places an image at one base, replays at a few. */
const MAX_BASES = 4;

/**
 * The last mapping of `image` at `base` a loader kept, or undefined. Its bytes are shared with every
 * load that takes them: never write to them.
 */
export function snappedAt(image: PeImage, base: number): SnappedMapping | undefined {
  return kept.get(image)?.get(base);
}

/** Keeps `snapped` as the mapping of `image` at `base`; from now on its bytes are shared (read-only). */
export function keepSnapped(image: PeImage, base: number, snapped: SnappedMapping): void {
  const bases = kept.get(image) ?? new Map<number, SnappedMapping>();
  kept.set(image, bases);
  bases.delete(base);
  if (bases.size >= MAX_BASES) bases.delete(bases.keys().next().value!);
  bases.set(base, snapped);
}

/** Writes each guest address `values[i]` into the IAT slot at RVA `slots[i]` of `bytes`. */
export function writeSlots(bytes: Uint8Array, is64: boolean, slots: number[], values: number[]): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < slots.length; i++) {
    if (is64) view.setBigUint64(slots[i]!, guestVa(true, values[i]!), true);
    else view.setUint32(slots[i]!, values[i]!, true);
  }
}

/** Whether `a` and `b` hold the same numbers in the same order. */
export function sameNumbers(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
