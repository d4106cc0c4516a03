// Benchmarks of the Alpha interpreter (AlphaInterpreter) on integer loops, against qemu-alpha (Debian
// qemu-user, a JIT) running the same loop as a static Linux program when binutils-alpha-linux-gnu and
// qemu-alpha are installed. Times are CPU time (user + system: ours from process.cpuUsage, qemu's from
// bash's `time` of the child), so that other load on a shared machine does not count; qemu runs ten
// times our iteration count and its time is net of the same program run for one iteration (process
// start-up). Runs alternate between ours and qemu; each figure is the best of its runs. Loops: (a) a
// two-instruction loop (one block looping on itself), (b) a loop split over three blocks by a branch
// (block-to-block dispatch), (c) a load/add/store loop. Alone: `npx tsx bench/alpha.ts`; bench/run.ts
// may call benchAlpha().
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

/** CPU milliseconds of one run of the loop on a fresh AlphaInterpreter (translation included). */
function ours(raw: Uint8Array): number {
  const cpu = new AlphaInterpreter();
  cpu.map(CODE, 0x2000, RX);
  cpu.map(DATA, 0x2000, RW);
  cpu.write(CODE, raw);
  cpu.setReg('r26', BigInt.asUintN(64, BigInt(END | 0)));
  const t = process.cpuUsage();
  const r = cpu.run({ start: CODE, until: END });
  const used = process.cpuUsage(t);
  cpu.close();
  if (r.kind !== 'returned') throw new Error(`bench run ended ${r.kind}`);
  return (used.user + used.system) / 1000;
}

/** CPU milliseconds (user + system) of one qemu-alpha process running `elf`. */
function qemu(elf: string): number {
  const r = spawnSync('bash', ['-c', 'TIMEFORMAT="%3U %3S"; time qemu-alpha "$0" >/dev/null', elf], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`qemu-alpha exited ${r.status}: ${r.stderr}`);
  const [user, system] = r.stderr.trim().split(/\s+/).slice(-2).map(Number);
  return (user! + system!) * 1000;
}

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
    const qemuIterations = 10 * iterations;
    const rounds = 5;
    for (const loop of LOOPS) {
      const prog = build(loop, dir, iterations);
      const instructions = iterations * loop.perIteration;
      const qemuInstructions = qemuIterations * loop.perIteration;
      const big = haveQemu ? build(loop, dir, qemuIterations) : null;
      const empty = haveQemu ? build(loop, dir, 1) : null;
      let oursMs = Number.POSITIVE_INFINITY;
      let qemuMs = Number.POSITIVE_INFINITY;
      let startMs = Number.POSITIVE_INFINITY;
      for (let i = 0; i < rounds; i++) {
        oursMs = Math.min(oursMs, ours(prog.raw));
        if (big && empty) {
          qemuMs = Math.min(qemuMs, qemu(big.elf));
          startMs = Math.min(startMs, qemu(empty.elf));
        }
      }
      const oursMips = instructions / (oursMs * 1000);
      let peer = '—';
      let ratio = '—';
      if (haveQemu) {
        const qemuMips = qemuInstructions / (Math.max(0.001, qemuMs - startMs) * 1000);
        peer = `qemu-alpha ${qemuMips.toFixed(0)} M instr/s`;
        ratio = `**${(qemuMips / oursMips).toFixed(2)}×** slower than qemu (target ≤ 2×)`;
        log(`alpha: ${loop.name}: ours ${oursMips.toFixed(0)} M instr/s, qemu ${qemuMips.toFixed(0)}`);
      } else {
        log(`alpha: ${loop.name}: ours ${oursMips.toFixed(0)} M instr/s (no qemu-alpha)`);
      }
      lines.push(
        `| Alpha ${loop.name} (${instructions / 1e6} M instructions, CPU time, best of ${rounds}) | ${oursMips.toFixed(0)} M instr/s | ${peer} | ${ratio} |`,
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
