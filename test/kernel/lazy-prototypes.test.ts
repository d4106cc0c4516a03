// defineExport reads only a routine's name at declaration and parses the rest of its prototype on
// first use (src/kernel/registry.ts, issue 19): every declaration must still parse, to the same fields.
import { describe, expect, it } from 'vitest';
import { ALL_HANDLERS } from '../../src/kernel/exports/index.js';
import { PrototypeError, parsePrototype } from '../../src/kernel/prototype.js';
import { defineExport } from '../../src/kernel/registry.js';

describe('lazily parsed export prototypes', () => {
  it('every declared routine parses, with the name read at declaration and the derived fields', () => {
    const routines = ALL_HANDLERS.filter((h) => !h.data);
    expect(routines.length).toBeGreaterThan(500);
    for (const h of routines) {
      const p = parsePrototype(h.prototype);
      expect(p.name, h.prototype).toBe(h.name);
      expect(h.conv).toBe(p.conv);
      expect(h.args).toEqual(p.params);
      expect(h.returns).toBe(p.returns);
      expect(h.returnWidth).toBe(p.returnWidth);
      const wide = p.params.some((a) => a.width === 8);
      expect(h.widths).toEqual(wide ? p.params.map((a) => a.width) : undefined);
    }
  });

  it('a bad prototype is reported when first used, as a PrototypeError', () => {
    const h = defineExport({ module: 'nt351', prototype: 'NTAPI Broken(ULONG A)', impl: () => 0 });
    expect(h.name).toBe('Broken');
    expect(() => h.args).toThrow(PrototypeError);
    expect(() => defineExport({ module: 'nt351', prototype: 'ULONG Broken', impl: () => 0 })).toThrow(
      PrototypeError,
    );
  });

  it('64-bit arguments give widths; a 64-bit result gives returnWidth 8', () => {
    const h = defineExport({
      module: 'nt351',
      prototype: 'LONGLONG NTAPI Wide(IN ULONG A, IN LARGE_INTEGER B)',
      impl: () => 0n,
    });
    expect(h.widths).toEqual([4, 8]);
    expect(h.returnWidth).toBe(8);
    expect(h.prototype).toBe('LONGLONG NTAPI Wide(IN ULONG A, IN LARGE_INTEGER B)');
  });
});
