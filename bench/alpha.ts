// Benchmarks of the Alpha interpreter (AlphaInterpreter) on integer loops, against qemu-alpha (Debian
// qemu-user, a JIT) running the same loop as a static Linux program when binutils-alpha-linux-gnu and
// qemu-alpha are installed: qemu's time is its wall time minus that of the same program with a zero
// iteration count (process start-up). Loops: (a) a two-instruction loop (one block looping on itself),
// (b) a loop split over three blocks by a branch (block-to-block dispatch), (c) a load/add/store loop.
// Alone: `npx tsx bench/alpha.ts`; bench/run.ts may call benchAlpha().
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlphaInterpreter } from '../src/cpu/alpha/interpreter.js';
import { RW, RX } from '../src/cpu/engine.js';

const CODE = 0x80100000;
const DATA = 0x80200000;
const END = 0x80ff0000;

interface Loop {
  name: string;
  /** Loop body; r1 holds the iteration count, r2 the data address; ends by falling through. */
  body: string;
  /** Instructions per iteration. */
  perIteration: number;
}

const LOOPS: Loop[] = [
  { name: 'subq/bne loop (one self-looping block)', body: 'L: subq $1, 1, $1\n\tbne $1, L', perIteration: 2 },
  {
    name: 'loop over three blocks (blbs skips every other addq)',
    body: 'L: subq $1, 1, $1\n\tblbs $1, S\n\taddq $3, 1, $3\nS: bne $1, L',
    perIteration: 3.5,
  },
  {
    name: 'ldq/addq/stq loop',
    body: 'L: ldq $3, 0($2)\n\taddq $3, $1, $3\n\tstq $3, 0($2)\n\tsubq $1, 1, $1\n\tbne $1, L',
    perIteration: 5,
  },
];

const runs = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

function tool(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
}

/** The loop as raw code for us (ends with `ret`) and, when tools allow, a qemu program per count. */
function build(loop: Loop, dir: string, iterations: number): { raw: Uint8Array; elf: string } {
  // r1 = iterations (ldah/lda pair), r2 = data address; the Linux program exits after the loop.
  const hi = Math.floor((iterations + 0x8000) / 0x10000);
  const lo = iterations - hi * 0x10000;
  const src = `\t.set noat\n\t.text\n\t.globl _start\n_start:\n\tldah $1, ${hi}($31)\n\tlda $1, ${lo}($1)\n\tldah $2, DATAHI($31)\n${loop.body}\n\tlda $0, 1($31)\n\tclr $16\n\tcallsys\n\tret\n\t.data\n\t.quad 0\n`;
  const name = `l${iterations}`;
  writeFileSync(join(dir, `${name}.s`), src.replace('DATAHI', String(0x1010)));
  tool('alpha-linux-gnu-as', ['-o', `${name}.o`, `${name}.s`], dir);
  tool(
    'alpha-linux-gnu-ld',
    ['-static', '-Ttext=0x10000000', '-Tdata=0x10100000', '-o', `${name}.elf`, `${name}.o`],
    dir,
  );
  // For us: the same code with our data page, without the exit syscall (the `ret` returns to END).
  writeFileSync(
    join(dir, `${name}o.s`),
    src
      .replace('DATAHI', String(DATA / 0x10000 - 0x10000))
      .replace('\tlda $0, 1($31)\n\tclr $16\n\tcallsys\n', ''),
  );
  tool('alpha-linux-gnu-as', ['-o', `${name}o.o`, `${name}o.s`], dir);
  tool('alpha-linux-gnu-objcopy', ['-O', 'binary', '-j', '.text', `${name}o.o`, `${name}o.bin`], dir);
  return { raw: new Uint8Array(readFileSync(join(dir, `${name}o.bin`))), elf: join(dir, `${name}.elf`) };
}

function ours(raw: Uint8Array): number {
  const cpu = new AlphaInterpreter();
  cpu.map(CODE, 0x2000, RX);
  cpu.map(DATA, 0x2000, RW);
  cpu.write(CODE, raw);
  cpu.setReg('r26', BigInt.asUintN(64, BigInt(END | 0)));
  const t = performance.now();
  const r = cpu.run({ start: CODE, until: END });
  const ms = performance.now() - t;
  if (r.kind !== 'returned') throw new Error(`bench run ended ${r.kind}`);
  return ms;
}

function qemu(elf: string): number {
  const t = performance.now();
  const r = spawnSync('qemu-alpha', [elf], { stdio: 'ignore' });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`qemu-alpha exited ${r.status}`);
  return ms;
}

const best = (n: number, f: () => number) => Math.min(...Array.from({ length: n }, f));

export function benchAlpha(log: (s: string) => void): { lines: string[] } {
  const lines: string[] = [];
  const haveTools = runs('alpha-linux-gnu-as', ['--version']) && runs('alpha-linux-gnu-ld', ['--version']);
  const haveQemu = haveTools && runs('qemu-alpha', ['--version']);
  if (!haveTools) {
    log('alpha: binutils-alpha-linux-gnu missing, no Alpha benchmark');
    return { lines };
  }
  const dir = mkdtempSync(join(tmpdir(), 'nt351-bench-alpha-'));
  try {
    const iterations = 20_000_000;
    for (const loop of LOOPS) {
      const prog = build(loop, dir, iterations);
      const instructions = iterations * loop.perIteration;
      const oursMs = best(3, () => ours(prog.raw));
      const mips = (ms: number) => instructions / (ms * 1000);
      let peer = '—';
      let ratio = '—';
      if (haveQemu) {
        const empty = build(loop, dir, 1);
        const startMs = best(5, () => qemu(empty.elf));
        const qemuMs = Math.max(0.001, best(3, () => qemu(prog.elf)) - startMs);
        peer = `qemu-alpha ${mips(qemuMs).toFixed(0)} M instr/s`;
        ratio = `**${(qemuMs / oursMs).toFixed(2)}×** speed (no target)`;
        log(
          `alpha: ${loop.name}: ours ${mips(oursMs).toFixed(0)} M instr/s, qemu ${mips(qemuMs).toFixed(0)}`,
        );
      } else {
        log(`alpha: ${loop.name}: ours ${mips(oursMs).toFixed(0)} M instr/s (no qemu-alpha)`);
      }
      lines.push(
        `| Alpha ${loop.name} (${instructions / 1e6} M instructions, best of 3) | ${mips(oursMs).toFixed(0)} M instr/s | ${peer} | ${ratio}${loop === LOOPS[0] ? ' (target ≥ 100 M instr/s)' : ''} |`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { lines };
}

if (process.argv[1]?.endsWith('alpha.ts')) {
  for (const line of benchAlpha((s) => process.stdout.write(`${s}\n`)).lines)
    process.stdout.write(`${line}\n`);
}
