// Test helper: GNU objdump's Alpha disassembly of raw instruction words (alpha-linux-gnu-objdump
// -b binary -m alpha -D), one text per word, with objdump's tab between mnemonic and operands.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OBJDUMP, tool } from './asm.js';

/** objdump's text for each word, the words placed from `address` on (--adjust-vma). */
export function objdumpWords(words: readonly number[], address: number): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'nt351-objdump-'));
  try {
    const bytes = new Uint8Array(words.length * 4);
    const view = new DataView(bytes.buffer);
    for (const [i, w] of words.entries()) view.setUint32(4 * i, w >>> 0, true);
    writeFileSync(join(dir, 'w.bin'), bytes);
    const out = tool(OBJDUMP, ['-b', 'binary', '-m', 'alpha', '-D', `--adjust-vma=${address}`, 'w.bin'], dir);
    const texts: string[] = [];
    for (const line of out.split('\n')) {
      // "   4:\t34 12 5f 24 \tldah\tt1,4660"
      const m = /^\s*[0-9a-f]+:\t(?:[0-9a-f]{2} ){4}\t(.*)$/.exec(line);
      if (m) texts.push(m[1]!.replace(/\s+$/, ''));
    }
    if (texts.length !== words.length)
      throw new Error(`objdump gave ${texts.length} lines for ${words.length} words`);
    return texts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
