// isoSeconds (src/kernel/system-log.ts) writes event times as Date#toISOString does, without its
// milliseconds: checked against Date over leap days, century years and a spread of seconds.
import { describe, expect, it } from 'vitest';
import { BOOT_TIME, isoSeconds } from '../../src/kernel/system-log.js';

const viaDate = (t: number) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

describe('isoSeconds', () => {
  it('matches Date#toISOString', () => {
    const at = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) =>
      Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
    const times = [
      0,
      BOOT_TIME,
      BOOT_TIME + 86399,
      at(1996, 2, 29, 23, 59, 59),
      at(1996, 3, 1),
      at(1900, 3, 1),
      at(2000, 2, 29, 12, 34, 56),
      at(2100, 2, 28, 23, 59, 59),
      at(1969, 12, 31, 23, 59, 59),
      at(1601, 1, 1),
      at(9999, 12, 31, 23, 59, 59),
    ];
    for (let t = -2e9; t < 4e9; t += 7_654_321) times.push(t);
    for (const t of times) expect(isoSeconds(t), String(t)).toBe(viaDate(t));
  });
});
