// x86 callee cleanup (src/cpu/abi-x86.ts): what RET n pops for each convention, computed without a
// layout when every argument is 4 bytes, as the layout computes it (abi.ts x86Layout).
import { describe, expect, it } from 'vitest';
import { type CallingConvention, x86Layout } from '../../src/cpu/abi.js';
import { x86CalleeCleanup } from '../../src/cpu/abi-x86.js';

describe('x86CalleeCleanup', () => {
  it('pops every stack argument for stdcall, those past ECX and EDX for fastcall, none for cdecl', () => {
    expect(x86CalleeCleanup('stdcall', 3)).toBe(12);
    expect(x86CalleeCleanup('fastcall', 3)).toBe(4);
    expect(x86CalleeCleanup('fastcall', 1)).toBe(0);
    expect(x86CalleeCleanup('cdecl', 5)).toBe(0);
    // A 64-bit argument takes two stack slots and is never passed in a register.
    expect(x86CalleeCleanup('fastcall', 2, [8, 4])).toBe(8);
    for (const conv of ['stdcall', 'fastcall'] as CallingConvention[])
      for (let n = 0; n <= 12; n++) {
        expect(x86CalleeCleanup(conv, n)).toBe(x86Layout({ conv, argCount: n }).stackBytes);
        const widths = Array.from({ length: n }, () => 4 as const);
        expect(x86CalleeCleanup(conv, n, widths)).toBe(x86CalleeCleanup(conv, n));
      }
  });
});
