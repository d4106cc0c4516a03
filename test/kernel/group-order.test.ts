// inGroupOrder: services sorted by ServiceGroupOrder position, tag, then name, by the built-in list
// or the one given (one after another in a process, as boots do).
import { describe, expect, it } from 'vitest';
import { inGroupOrder, SERVICE_GROUP_ORDER } from '../../src/kernel/index.js';

const items = [
  { name: 'Gamma', group: 'Video' },
  { name: 'alpha', group: 'Base' },
  { name: 'Beta', group: null },
  { name: 'delta', group: 'base' },
];
const names = (xs: readonly { name: string }[]) => xs.map((x) => x.name);

describe('inGroupOrder', () => {
  it('orders by the built-in list, groups case-insensitively, ungrouped last', () => {
    expect(SERVICE_GROUP_ORDER.indexOf('Base')).toBeLessThan(SERVICE_GROUP_ORDER.indexOf('Video'));
    expect(names(inGroupOrder(items))).toEqual(['alpha', 'delta', 'Gamma', 'Beta']);
  });

  it('follows each list it is given, also after ordering by another', () => {
    const videoFirst = ['Video', 'Base'];
    const baseFirst = ['BASE', 'video'];
    const tags = new Map<string, readonly number[]>();
    for (let round = 0; round < 2; round++) {
      expect(names(inGroupOrder(items, { groups: videoFirst, tags }))).toEqual([
        'Gamma',
        'alpha',
        'delta',
        'Beta',
      ]);
      expect(names(inGroupOrder(items, { groups: baseFirst, tags }))).toEqual([
        'alpha',
        'delta',
        'Gamma',
        'Beta',
      ]);
      expect(names(inGroupOrder(items, { groups: [...videoFirst], tags }))).toEqual([
        'Gamma',
        'alpha',
        'delta',
        'Beta',
      ]);
    }
  });

  it('orders by a frozen list as by an unfrozen one, and by a changed unfrozen list as changed', () => {
    const tags = new Map<string, readonly number[]>();
    const frozen = Object.freeze(['Video', 'Base']);
    expect(names(inGroupOrder(items, { groups: frozen, tags }))).toEqual(['Gamma', 'alpha', 'delta', 'Beta']);
    expect(names(inGroupOrder(items, { groups: Object.freeze(['Base', 'Video']), tags }))).toEqual([
      'alpha',
      'delta',
      'Gamma',
      'Beta',
    ]);
    const list = ['Video', 'Base'];
    expect(names(inGroupOrder(items, { groups: list, tags }))[0]).toBe('Gamma');
    list.reverse();
    expect(names(inGroupOrder(items, { groups: list, tags }))[0]).toBe('alpha');
  });
});
