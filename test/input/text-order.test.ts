// compareText (src/input/text-order.ts) orders names as localeCompare does, skipping the collator only
// for names where the two orders agree; checked here against this runtime's localeCompare.
import { describe, expect, it } from 'vitest';
import { compareText } from '../../src/input/index.js';

/** A deterministic pseudo-random generator (xorshift32), so a failure names a reproducible case. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function names(alphabet: string, count: number, seed: number): string[] {
  const next = random(seed);
  return Array.from({ length: count }, () =>
    Array.from({ length: Math.floor(next() * 7) }, () => alphabet[Math.floor(next() * alphabet.length)]).join(
      '',
    ),
  );
}

describe('compareText', () => {
  it.each([
    ['lower-case names', 'abcxyz019 ./-', 1],
    ['upper-case names', 'ABCXYZ019 ./-', 2],
    ['mixed names (the collator decides)', 'aAbB_~9.é', 3],
  ])('agrees with localeCompare on %s', (_what, alphabet, seed) => {
    const list = names(alphabet, 400, seed);
    for (let i = 0; i + 1 < list.length; i++) {
      const [a, b] = [list[i]!, list[i + 1]!];
      expect(compareText(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(
        Math.sign(a.localeCompare(b)),
      );
    }
    const sorted = [...list].sort(compareText);
    expect(sorted).toEqual([...list].sort((a, b) => a.localeCompare(b)));
  });

  it('orders service and file names as the listings show them', () => {
    expect(['tcpip', 'afd', 'ne2000', 'lanmanserver'].sort(compareText)).toEqual([
      'afd',
      'lanmanserver',
      'ne2000',
      'tcpip',
    ]);
    expect(compareText('winnt35/system32', 'winnt35/system')).toBe(1);
    expect(compareText('NTOSKRNL.EXE', 'HAL.DLL')).toBe(1);
  });
});
