// Truncated and corrupted variants of real images: parsing every directory either succeeds or throws
// MalformedPeError; no other exception (TypeError, RangeError…) may escape the parser.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyRelocations, MalformedPeError, PeImage, walkResources } from '../../src/pe/index.js';
import { debianFiles, fixtureFiles } from '../diff/corpus.js';

/** Deterministic PRNG (mulberry32) so a failure names a reproducible variant. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Everything a user of the parser can ask of an image. */
function parseEverything(bytes: Uint8Array): void {
  const img = PeImage.parse(bytes, 'variant');
  const ex = img.exports();
  for (const e of ex?.entries ?? []) {
    if (e.name) ex!.findByName(e.name);
    ex!.findByOrdinal(e.ordinal);
  }
  img.imports();
  img.boundImports();
  applyRelocations(new Uint8Array(0x10000), img.relocations(), 0x10000n, img.headers.fileHeader.machine);
  walkResources(img, img.directory(2));
  img.version();
  img.checksum();
}

function outcome(bytes: Uint8Array): 'ok' | 'malformed' {
  try {
    parseEverything(bytes);
    return 'ok';
  } catch (e) {
    if (e instanceof MalformedPeError) return 'malformed';
    throw e;
  }
}

const files = [...fixtureFiles().slice(0, 8), ...debianFiles().filter((_, i) => i % 8 === 0)];

describe('malformed input ends in MalformedPeError only', () => {
  it('has images to mutate', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
  });

  for (const file of files) {
    const name = file.split('/').slice(-2).join('/');
    it(`truncations of ${name}`, () => {
      const bytes = new Uint8Array(readFileSync(file));
      const lengths = new Set<number>();
      for (let n = 0; n < Math.min(bytes.length, 0x600); n += 3) lengths.add(n);
      for (let k = 0; k < 64; k++) lengths.add(Math.floor((bytes.length * k) / 64));
      const seen = { ok: 0, malformed: 0 };
      for (const n of lengths) {
        try {
          seen[outcome(bytes.subarray(0, n))]++;
        } catch (e) {
          throw new Error(`${name} truncated to ${n} bytes: ${(e as Error).stack}`);
        }
      }
      expect(seen.malformed).toBeGreaterThan(0);
    });

    it(`byte corruptions of ${name}`, () => {
      const original = new Uint8Array(readFileSync(file));
      const rand = prng(original.length);
      const hot = Math.min(original.length, 0x400);
      const special = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe];
      for (let v = 0; v < 300; v++) {
        const bytes = original.slice();
        const flips = 1 + Math.floor(rand() * 4);
        const where: number[] = [];
        for (let f = 0; f < flips; f++) {
          const at = rand() < 0.7 ? Math.floor(rand() * hot) : Math.floor(rand() * bytes.length);
          bytes[at] = rand() < 0.5 ? special[Math.floor(rand() * special.length)]! : Math.floor(rand() * 256);
          where.push(at);
        }
        try {
          outcome(bytes);
        } catch (e) {
          throw new Error(
            `${name} variant ${v} (bytes changed at ${where.map((w) => `0x${w.toString(16)}`).join(', ')}): ${(e as Error).stack}`,
          );
        }
      }
    });
  }
});
