// Parsed images kept across boots: a warm boot of the same image set (forks share their files' bytes)
// loads the same files again, and parsing headers, exports, imports and relocations was ~8% of a warm
// boot of the KB set (issue 19). Keyed by the bytes' identity, so nothing outlives the file's bytes.
import { PeImage } from '../pe/index.js';

const parsed = new WeakMap<Uint8Array, { file: string; image: PeImage }>();

/**
 * PeImage.parse(bytes, file), the same image again for the same bytes object and file name. A
 * PeImage is immutable once parsed (its directories are memoised results of a deterministic parse),
 * so boots can share one. Throws MalformedPeError as parse does (failures are not kept).
 */
export function parseCached(bytes: Uint8Array, file: string): PeImage {
  const hit = parsed.get(bytes);
  if (hit && hit.file === file) return hit.image;
  const image = PeImage.parse(bytes, file);
  parsed.set(bytes, { file, image });
  return image;
}
