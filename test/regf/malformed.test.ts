// Malformed hives: truncations at every 8 bytes of the structures and seeded byte corruptions of hives
// from our writer, and the crafted hostile cases of crafted.ts. Only MalformedHiveError may escape the
// reader, and the crafted cases are rejected at the structure that is wrong.
import { describe, expect, it } from 'vitest';
import {
  baseBlockChecksum,
  Hive,
  layout as L,
  MalformedHiveError,
  walkHive,
  writeHive,
} from '../../src/regf/index.js';
import { craftedCases } from './crafted.js';
import { exercise, Rng } from './fuzz.js';
import { sampleSystem } from './sample.js';

/** The first non-MalformedHiveError thrown by reading everything in `bytes`, or null. */
function escaped(bytes: Uint8Array): string | null {
  try {
    exercise(bytes);
    return null;
  } catch (e) {
    return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
}

describe('malformed hives end in MalformedHiveError', () => {
  const hives = [2, 3, 5].map((minor) => ({ minor, bytes: writeHive(sampleSystem(8), { minor }) }));

  for (const { minor, bytes } of hives) {
    it(`every truncation of a version 1.${minor} hive (${bytes.length} bytes, every 8th length)`, () => {
      const bad: string[] = [];
      for (let n = 0; n < bytes.length; n += 8) {
        const cut = bytes.slice(0, n);
        let err: unknown = null;
        try {
          Hive.parse(cut, 'cut');
        } catch (e) {
          err = e;
        }
        // A hive cut anywhere is shorter than its declared bins: the base block check must say so.
        if (!(err instanceof MalformedHiveError))
          bad.push(`${n}: ${err === null ? 'accepted' : String(err)}`);
      }
      expect(bad).toEqual([]);
    });

    it(`1500 seeded corruptions of a version 1.${minor} hive (checksum fixed up)`, () => {
      const r = new Rng(0xc0ffee + minor);
      const bad: string[] = [];
      let rejected = 0;
      for (let i = 0; i < 1500; i++) {
        const b = bytes.slice();
        for (let k = 0, n = 1 + r.int(4); k < n; k++) {
          const at = L.HBLOCK_SIZE + r.int(b.length - L.HBLOCK_SIZE);
          b[at] = r.chance(0.5) ? r.int(256) : b[at]! ^ (1 << r.int(8));
        }
        new DataView(b.buffer).setUint32(L.BASE_BLOCK.CheckSum, baseBlockChecksum(b), true);
        const e = escaped(b);
        if (e) bad.push(`#${i}: ${e}`);
        try {
          Hive.parse(b).root().subkeys();
        } catch (err) {
          if (err instanceof MalformedHiveError) rejected++;
        }
      }
      expect(bad).toEqual([]);
      // The corruptions reach the reader's checks, not only harmless bytes.
      expect(rejected).toBeGreaterThan(0);
    });
  }

  it('a corrupted base block: each field the reader checks', () => {
    const bytes = writeHive(sampleSystem(2));
    const B = L.BASE_BLOCK;
    for (const [field, at, value] of [
      ['Signature', B.Signature, 0x12345678],
      ['Major', B.Major, 2],
      ['Type', B.Type, 1],
      ['Format', B.Format, 2],
      ['Length', B.Length, 0x1001],
      ['CheckSum', B.CheckSum, 0],
    ] as const) {
      const b = bytes.slice();
      new DataView(b.buffer).setUint32(at, value, true);
      if (field !== 'CheckSum') new DataView(b.buffer).setUint32(B.CheckSum, baseBlockChecksum(b), true);
      expect(() => Hive.parse(b), field).toThrow(MalformedHiveError);
      try {
        Hive.parse(b);
      } catch (e) {
        expect((e as MalformedHiveError).field).toBe(field);
      }
    }
  });

  for (const c of craftedCases()) {
    it(`crafted: ${c.name} is rejected at ${c.expect}`, () => {
      let err: unknown = null;
      try {
        // The fuzz target reads it all without any other exception...
        exercise(c.bytes);
        // ...and a plain walk stops at the MalformedHiveError naming the broken structure.
        walkHive(Hive.parse(c.bytes, c.name), (k) => {
          for (const v of k.values()) v.decoded();
        });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MalformedHiveError);
      const m = err as MalformedHiveError;
      expect(`${m.structure}.${m.field}`, m.message).toBe(c.expect);
    });
  }
});
