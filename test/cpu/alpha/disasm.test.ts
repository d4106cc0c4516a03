// Differential test of the Alpha disassembler against GNU objdump 2.40 (alpha-linux-gnu-objdump -b
// binary -m alpha -D): random instruction words for every major opcode, with register fields biased
// towards R31 and equal registers so the pseudo-ops (nop, clr, mov, negq, unop, ret, fmov...) show up,
// and function codes drawn from the implemented ones. Skips when binutils-alpha-linux-gnu is missing.
import { describe, expect, it } from 'vitest';
import { disassembleAlpha, disassembleAlphaWord } from '../../../src/cpu/alpha/disasm.js';
import { haveAlphaBinutils } from './asm.js';
import { objdumpWords } from './objdump.js';
import { mulberry32 } from './prng.js';

// biome-ignore format: function code lists
const OPERATE_FUNCS: Record<number, number[]> = {
  16: [0x00, 0x02, 0x09, 0x0b, 0x0f, 0x12, 0x1b, 0x1d, 0x20, 0x22, 0x29, 0x2b, 0x2d, 0x32, 0x3b, 0x3d, 0x40, 0x49, 0x4d, 0x60, 0x69, 0x6d],
  17: [0x00, 0x08, 0x14, 0x16, 0x20, 0x24, 0x26, 0x28, 0x40, 0x44, 0x46, 0x48, 0x61, 0x64, 0x66, 0x6c],
  18: [0x02, 0x06, 0x0b, 0x12, 0x16, 0x1b, 0x22, 0x26, 0x2b, 0x30, 0x31, 0x32, 0x34, 0x36, 0x39, 0x3b, 0x3c, 0x52, 0x57, 0x5a, 0x62, 0x67, 0x6a, 0x72, 0x77, 0x7a],
  19: [0x00, 0x20, 0x30, 0x40, 0x60],
  28: [0x00, 0x01, 0x30, 0x31, 0x32, 0x33, 0x38, 0x3f, 0x70, 0x78],
};

function randomWord(rand: () => number, opcode: number): number {
  const reg = () => (rand() < 0.3 ? 31 : Math.floor(rand() * 32));
  let a = reg();
  let b = rand() < 0.2 ? a : reg();
  const c = rand() < 0.2 ? a : reg();
  let low = Math.floor(rand() * 0x10000);
  const funcs = OPERATE_FUNCS[opcode];
  if (funcs) {
    const f = funcs[Math.floor(rand() * funcs.length)]!;
    const lit = rand() < 0.4;
    low = (lit ? (Math.floor(rand() * 256) << 13) | 0x1000 : 0) | (f << 5) | c;
    if (lit) b = (low >>> 16) & 31;
    if (opcode === 0x11 && f === 0x6c && rand() < 0.5) {
      a = 31;
      low = (1 << 13) | 0x1000 | (f << 5) | c;
    }
  } else if (opcode === 0x18) {
    const fs = [
      0x0000, 0x0400, 0x4000, 0x4400, 0x8000, 0xa000, 0xc000, 0xe000, 0xe800, 0xf000, 0xf800, 0xfc00,
    ];
    low = rand() < 0.9 ? fs[Math.floor(rand() * fs.length)]! : low;
  } else if (opcode === 0x1a && rand() < 0.3) {
    // ret zero,(ra),1 and jmp with no hint.
    return rand() < 0.5 ? 0x6bfa8001 : ((0x1a << 26) | (31 << 21) | (b << 16)) >>> 0;
  } else if (opcode === 0x00) {
    const pals = [0x00, 0x02, 0x80, 0x81, 0x83, 0x86, 0x9e, 0x9f, 0xaa, 0xab, 0xad, 0x06, 0x07, 0x1c];
    return rand() < 0.8 ? pals[Math.floor(rand() * pals.length)]! : Math.floor(rand() * 0x4000000);
  } else if (opcode >= 0x14 && opcode <= 0x17) {
    low = (Math.floor(rand() * 0x800) << 5) | c;
  }
  return ((opcode << 26) | (a << 21) | (b << 16) | (low & 0xffff)) >>> 0;
}

describe.skipIf(!haveAlphaBinutils)('disassembleAlpha against alpha-linux-gnu-objdump', () => {
  it('prints every major opcode as objdump does (random words, pseudo-ops included)', () => {
    const rand = mulberry32(0x5eed);
    const words: number[] = [];
    for (let opcode = 0; opcode < 64; opcode++) {
      const n = OPERATE_FUNCS[opcode] || (opcode >= 0x14 && opcode <= 0x17) ? 400 : 60;
      for (let i = 0; i < n; i++) words.push(randomWord(rand, opcode));
    }
    const base = 0x80010000;
    const expected = objdumpWords(words, base);
    const ours = words.map((w, i) => disassembleAlphaWord(w, base + 4 * i));
    const mismatches = words
      .map((w, i) => ({ word: w.toString(16).padStart(8, '0'), objdump: expected[i], ours: ours[i] }))
      .filter((m) => m.objdump !== m.ours);
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(words.length).toBeGreaterThan(4000);
  });

  it('gives address, text and bytes per word', () => {
    const bytes = new Uint8Array([0xf0, 0xff, 0x3e, 0x20, 0x01, 0x80, 0xfa, 0x6b]);
    expect(disassembleAlpha(bytes, 0x80001000)).toEqual([
      { address: 0x80001000, text: 'lda\tt0,-16(sp)', bytes: 'f0 ff 3e 20' },
      { address: 0x80001004, text: 'ret', bytes: '01 80 fa 6b' },
    ]);
  });
});
