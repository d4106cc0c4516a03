// Test helper: assembles Alpha source with Debian's binutils-alpha-linux-gnu into raw bytes
// (alpha-linux-gnu-as, then objcopy -O binary of .text). Tests skip with `asmMissing` as the reason
// when the tools are not installed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const runs = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

export const AS = 'alpha-linux-gnu-as';
export const OBJCOPY = 'alpha-linux-gnu-objcopy';
export const OBJDUMP = 'alpha-linux-gnu-objdump';
export const LD = 'alpha-linux-gnu-ld';
export const QEMU = 'qemu-alpha';

export const haveAlphaBinutils =
  runs(AS, ['--version']) && runs(OBJCOPY, ['--version']) && runs(OBJDUMP, ['--version']);
export const haveQemuAlpha = runs(QEMU, ['--version']) && runs(LD, ['--version']);

/** Runs a tool, throwing with its stderr when it fails. */
export function tool(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error}`);
  return r.stdout;
}

/** Assembles `source` (GNU as syntax, `.set noat`/`.set noreorder` added) into the bytes of .text. */
export function assemble(source: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'nt351-alpha-'));
  try {
    writeFileSync(join(dir, 'a.s'), `\t.set noat\n\t.set noreorder\n${source}\n`);
    tool(AS, ['-mev56', '-o', 'a.o', 'a.s'], dir);
    tool(OBJCOPY, ['-O', 'binary', '-j', '.text', 'a.o', 'a.bin'], dir);
    return new Uint8Array(readFileSync(join(dir, 'a.bin')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
