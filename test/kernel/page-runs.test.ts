// pageRuns (src/kernel/kernel.ts): an image's pages in runs of equal protection, kept per ranges array
// for loaders that reuse a mapped image; another page size or image size must not get stale runs.
import { describe, expect, it } from 'vitest';
import { pageRuns } from '../../src/kernel/kernel.js';

const R = { read: true, write: false, execute: false };
const RX = { read: true, write: false, execute: true };
const RW = { read: true, write: true, execute: false };
const ranges = [
  { name: 'headers', rva: 0, size: 0x400, protection: R },
  { name: '.text', rva: 0x1000, size: 0x1800, protection: RX },
  { name: '.data', rva: 0x3000, size: 0x200, protection: RW },
];
const plain = (runs: readonly { offset: number; size: number; perm: object }[]) =>
  runs.map((r) => [r.offset, r.size, { ...r.perm }]);

describe('pageRuns', () => {
  it('merges pages per page size and image size, not from an earlier answer', () => {
    expect(plain(pageRuns(ranges, 0x5000, 0x1000))).toEqual([
      [0, 0x1000, R],
      [0x1000, 0x2000, RX],
      [0x3000, 0x1000, RW],
      [0x4000, 0x1000, R],
    ]);
    // 8 KiB pages (Alpha): a page holds the union of its sections' protections.
    expect(plain(pageRuns(ranges, 0x6000, 0x2000))).toEqual([
      [0, 0x2000, RX],
      [0x2000, 0x2000, { read: true, write: true, execute: true }],
      [0x4000, 0x2000, R],
    ]);
    expect(plain(pageRuns(ranges, 0x4000, 0x1000))).toEqual([
      [0, 0x1000, R],
      [0x1000, 0x2000, RX],
      [0x3000, 0x1000, RW],
    ]);
  });
});

describe('pageRuns with an image size that is not a whole number of pages', () => {
  it('maps the last page whole', () => {
    const fresh = ranges.map((r) => ({ ...r }));
    expect(plain(pageRuns(fresh, 0x5000, 0x2000)).at(-1)).toEqual([0x4000, 0x2000, R]);
  });
});

describe('pageRuns with writableData (x86 NT 3.51: no kernel-mode write protection)', () => {
  it('maps pages without code read-write and the headers with the code, read-execute', () => {
    const withRdata = [
      ...ranges.map((r) => ({ ...r })),
      { name: '.rdata', rva: 0x4000, size: 0x300, protection: R },
    ];
    expect(plain(pageRuns(withRdata, 0x6000, 0x1000, true))).toEqual([
      [0, 0x3000, RX],
      [0x3000, 0x3000, RW],
    ]);
    // The same array without writableData gets its own answer, not the cached one.
    expect(plain(pageRuns(withRdata, 0x6000, 0x1000))).toEqual([
      [0, 0x1000, R],
      [0x1000, 0x2000, RX],
      [0x3000, 0x1000, RW],
      [0x4000, 0x2000, R],
    ]);
  });

  it('keeps a page shared by code and writable data as the union of both', () => {
    const mixed = [
      { name: '.text', rva: 0x1000, size: 0x200, protection: RX },
      { name: '.data', rva: 0x1200, size: 0x100, protection: RW },
    ];
    expect(plain(pageRuns(mixed, 0x2000, 0x1000, true))).toEqual([
      [0, 0x1000, RW], // no section there: data
      [0x1000, 0x1000, { read: true, write: true, execute: true }],
    ]);
  });
});
