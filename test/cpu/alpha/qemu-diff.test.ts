// Differential test of the Alpha interpreter against qemu-alpha (Debian qemu-user, -cpu ev56): a
// seeded generator writes a raw Linux program (no libc) that loads random 64-bit values into the
// registers, runs a random sequence covering every implemented integer instruction, stores all
// registers next to a scratch memory area and write(2)s both to stdout, then exit(2)s. The same linked
// image runs in AlphaInterpreter, whose CALL_PAL callsys hook plays the two system calls; the bytes
// written must be identical. Skips when qemu-alpha or binutils-alpha-linux-gnu is missing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AlphaInterpreter } from '../../../src/cpu/alpha/interpreter.js';
import { NT_PAL } from '../../../src/cpu/alpha/pal.js';
import { RW, RX } from '../../../src/cpu/engine.js';
import { AS, haveAlphaBinutils, haveQemuAlpha, LD, OBJCOPY, QEMU, tool } from './asm.js';
import { mulberry32 } from './prng.js';

const BASE = 0x10000000;
const DATA = 0x10100000;
const SCRATCH = 256;

// Registers the random sequence may read and write: r0-r27 and r29 (r28 holds the image base, r30
// points at the scratch area).
const FREE = [...Array.from({ length: 28 }, (_, i) => i), 29];
// Offsets from DATA (r28) of the dump and scratch areas, after the initial register values.
const DUMP_AT = FREE.length * 8;
const SCRATCH_AT = DUMP_AT + 31 * 8;

const OPERATE = [
  'addl', 's4addl', 'subl', 's4subl', 'cmpbge', 's8addl', 's8subl', 'cmpult', 'addq', 's4addq',
  'subq', 's4subq', 'cmpeq', 's8addq', 's8subq', 'cmpule', 'cmplt', 'cmple',
  'and', 'bic', 'bis', 'ornot', 'xor', 'eqv',
  'cmovlbs', 'cmovlbc', 'cmoveq', 'cmovne', 'cmovlt', 'cmovge', 'cmovle', 'cmovgt',
  'mskbl', 'extbl', 'insbl', 'mskwl', 'extwl', 'inswl', 'mskll', 'extll', 'insll', 'zap', 'zapnot',
  'mskql', 'srl', 'extql', 'sll', 'insql', 'sra', 'mskwh', 'inswh', 'extwh', 'msklh', 'inslh',
  'extlh', 'mskqh', 'insqh', 'extqh', 'mull', 'mulq', 'umulh',
]; // biome-ignore format: instruction lists
const OVERFLOW = ['addl/v', 'subl/v', 'addq/v', 'subq/v', 'mull/v', 'mulq/v'];
const BRANCHES = ['beq', 'bne', 'blt', 'ble', 'bgt', 'bge', 'blbc', 'blbs'];
const LOADS: [string, number][] = [
  ['ldbu', 1],
  ['ldwu', 2],
  ['ldl', 4],
  ['ldq', 8],
  ['ldq_u', 1],
];
const STORES: [string, number][] = [
  ['stb', 1],
  ['stw', 2],
  ['stl', 4],
  ['stq', 8],
  ['stq_u', 1],
];

/** The assembly of one random program; `covered` collects the mnemonics it used. */
function generate(seed: number, length: number, covered: Set<string>): string {
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const reg = () => `$${pick(FREE)}`;
  const quad = () =>
    `0x${Math.floor(rand() * 2 ** 32)
      .toString(16)
      .padStart(8, '0')}${Math.floor(rand() * 2 ** 32)
      .toString(16)
      .padStart(8, '0')}`;
  const disp = (size: number) => size * Math.floor(rand() * (SCRATCH / size));
  // Data in .data at DATA (r28 points there); code in .text at BASE.
  const out: string[] = [
    '\t.data',
    'vals:',
    ...FREE.map(() => `\t.quad ${quad()}`),
    'dump:',
    `\t.space ${31 * 8}`,
    'scratch:',
    ...Array.from({ length: SCRATCH / 8 }, () => `\t.quad ${quad()}`),
    '\t.text',
    '\t.globl _start',
    '_start:',
    `\tldah $28, ${DATA >>> 16}($31)`,
  ];
  FREE.forEach((r, i) => {
    out.push(`\tldq $${r}, ${i * 8}($28)`);
  });
  out.push(`\tlda $30, ${SCRATCH_AT}($28)`);
  let label = 0;
  const use = (name: string, text: string) => {
    covered.add(name);
    out.push(`\t${text}`);
  };
  for (let i = 0; i < length; i++) {
    const kind = rand();
    if (kind < 0.45) {
      const name = pick(OPERATE);
      use(name, `${name} ${reg()}, ${rand() < 0.35 ? Math.floor(rand() * 256) : reg()}, ${reg()}`);
    } else if (kind < 0.5) {
      // /V forms with 16-bit operands: no overflow, so qemu does not raise SIGFPE.
      const [a, b] = [reg(), reg()];
      out.push(`\tlda ${a}, ${Math.floor(rand() * 65536) - 32768}($31)`);
      out.push(`\tlda ${b}, ${Math.floor(rand() * 65536) - 32768}($31)`);
      const name = pick(OVERFLOW);
      use(name, `${name} ${a}, ${b}, ${reg()}`);
    } else if (kind < 0.6) {
      const [name, size] = pick(LOADS);
      use(name, `${name} ${reg()}, ${disp(size)}($30)`);
    } else if (kind < 0.7) {
      const [name, size] = pick(STORES);
      use(name, `${name} ${reg()}, ${disp(size)}($30)`);
    } else if (kind < 0.75) {
      const name = pick(['lda', 'ldah']);
      use(name, `${name} ${reg()}, ${Math.floor(rand() * 65536) - 32768}(${reg()})`);
    } else if (kind < 0.78) {
      const name = pick(['sextb', 'sextw']);
      use(name, `${name} ${reg()}, ${reg()}`);
    } else if (kind < 0.8) {
      if (rand() < 0.5) use('amask', `amask ${rand() < 0.5 ? reg() : Math.floor(rand() * 256)}, ${reg()}`);
      else use('implver', `implver ${reg()}`);
    } else if (kind < 0.82) {
      // A locked pair: the store-conditional succeeds; Ra receives 1.
      const [q, size] = rand() < 0.5 ? ['q', 8] : ['l', 4];
      const d = disp(size);
      use(`ld${q}_l`, `ld${q}_l ${reg()}, ${d}($30)`);
      use(`st${q}_c`, `st${q}_c ${reg()}, ${d}($30)`);
    } else if (kind < 0.83) {
      // A store-conditional without a lock fails.
      const [q, size] = rand() < 0.5 ? ['q', 8] : ['l', 4];
      use(`st${q}_c`, `st${q}_c ${reg()}, ${disp(size)}($30)`);
    } else if (kind < 0.93) {
      const name = pick([...BRANCHES, 'br', 'bsr']);
      const l = `L${label++}`;
      use(
        name,
        name === 'br' || name === 'bsr'
          ? `${name} ${name === 'bsr' ? '$26' : '$31'}, ${l}`
          : `${name} ${reg()}, ${l}`,
      );
      for (let j = Math.floor(rand() * 3); j > 0; j--) {
        const op = pick(OPERATE);
        use(op, `${op} ${reg()}, ${reg()}, ${reg()}`);
      }
      out.push(`${l}:`);
    } else if (kind < 0.97) {
      const name = pick(['jmp', 'jsr', 'ret', 'jsr_coroutine']);
      const l = `L${label++}`;
      const t = pick(FREE.filter((r) => r !== 26));
      out.push(`\tbr $${t}, ${l}b`, `${l}b:`, `\tlda $${t}, ${l}-${l}b($${t})`);
      use(name, `${name} $26, ($${t}), 0`);
      out.push(`\taddq $0, 1, $0`, `${l}:`);
    } else {
      const name = pick(['mb', 'wmb', 'trapb', 'excb', 'rc', 'rs', 'fetch', 'fetch_m']);
      if (name === 'rc' || name === 'rs') use(name, `${name} ${reg()}`);
      else if (name.startsWith('fetch')) use(name, `${name} ($30)`);
      else use(name, name);
    }
  }
  // Dump every register but r31, then write(1, dump, 31*8 + scratch) and exit(0).
  for (let r = 0; r < 31; r++) out.push(`\tstq $${r}, ${DUMP_AT + r * 8}($28)`);
  out.push(
    '\tlda $16, 1($31)',
    `\tlda $17, ${DUMP_AT}($28)`,
    `\tlda $18, ${31 * 8 + SCRATCH}($31)`,
    '\tlda $0, 4($31)',
    '\tcallsys',
    '\tclr $16',
    '\tlda $0, 1($31)',
    '\tcallsys',
  );
  return `${out.join('\n')}\n`;
}

/** Assembles and links (.text at BASE, .data at DATA); returns the ELF path and both raw sections. */
function build(dir: string, source: string): { elf: string; text: Uint8Array; data: Uint8Array } {
  writeFileSync(join(dir, 'p.s'), `\t.set noat\n\t.set noreorder\n${source}`);
  tool(AS, ['-mev56', '-o', 'p.o', 'p.s'], dir);
  tool(
    LD,
    [
      '-static',
      `-Ttext=0x${BASE.toString(16)}`,
      `-Tdata=0x${DATA.toString(16)}`,
      '-e',
      '_start',
      '-o',
      'p.elf',
      'p.o',
    ],
    dir,
  );
  tool(OBJCOPY, ['-O', 'binary', '-j', '.text', 'p.elf', 'text.bin'], dir);
  tool(OBJCOPY, ['-O', 'binary', '-j', '.data', 'p.elf', 'data.bin'], dir);
  return {
    elf: join(dir, 'p.elf'),
    text: new Uint8Array(readFileSync(join(dir, 'text.bin'))),
    data: new Uint8Array(readFileSync(join(dir, 'data.bin'))),
  };
}

/** Runs the image in the interpreter, playing write and exit; returns what it wrote. */
function runOurs(text: Uint8Array, data: Uint8Array): { out: Uint8Array; result: string } {
  const cpu = new AlphaInterpreter({ implver: 1, amask: 1 }); // qemu's ev56: EV5 family, BWX.
  const pages = (n: number) => Math.ceil(n / 0x2000) * 0x2000;
  cpu.map(BASE, pages(text.length), RX);
  cpu.write(BASE, text);
  cpu.map(DATA, pages(data.length), RW);
  cpu.write(DATA, data);
  const chunks: Uint8Array[] = [];
  cpu.hookInterrupt((vector) => {
    if (vector !== NT_PAL.callsys) throw new Error(`unexpected CALL_PAL 0x${vector.toString(16)}`);
    const nr = cpu.reg('r0');
    if (nr === 4n) {
      const len = Number(cpu.reg('r18'));
      chunks.push(cpu.read(Number(cpu.reg('r17') & 0xffffffffn), len));
      cpu.setReg('r0', BigInt(len));
    } else if (nr === 1n) {
      cpu.stop('exit');
    } else {
      throw new Error(`unexpected system call ${nr}`);
    }
  });
  const r = cpu.run({ start: BASE, until: 0xfffffffc, maxInstructions: 1_000_000 });
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return { out, result: r.kind === 'stopped' ? r.reason : JSON.stringify(r) };
}

describe.skipIf(!haveQemuAlpha || !haveAlphaBinutils)('AlphaInterpreter against qemu-alpha', () => {
  const covered = new Set<string>();
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: same registers and memory after a random integer program`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'nt351-qemu-alpha-'));
      try {
        const { elf, text, data } = build(dir, generate(seed, 500, covered));
        const ref = spawnStdout(QEMU, ['-cpu', 'ev56', elf]);
        const ours = runOurs(text, data);
        expect(ours.result).toBe('exit');
        expect(ref.length).toBe(31 * 8 + SCRATCH);
        expect(hexDump(ours.out)).toEqual(hexDump(ref));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
  it('covered every implemented integer instruction', () => {
    const all = [
      ...OPERATE,
      ...OVERFLOW,
      ...BRANCHES,
      ...LOADS.map((l) => l[0]),
      ...STORES.map((s) => s[0]),
      ...['br', 'bsr', 'jmp', 'jsr', 'ret', 'jsr_coroutine', 'lda', 'ldah', 'sextb', 'sextw'],
      ...['ldl_l', 'ldq_l', 'stl_c', 'stq_c', 'amask', 'implver'],
    ];
    expect(all.filter((n) => !covered.has(n))).toEqual([]);
  });
});

function spawnStdout(cmd: string, args: string[]): Uint8Array {
  const r = spawnSync(cmd, args, { maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} exited ${r.status}: ${r.stderr}`);
  return new Uint8Array(r.stdout);
}

/** Registers as "rN=hex" lines, then the scratch area in quads, so a mismatch reads well. */
function hexDump(bytes: Uint8Array): string[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lines: string[] = [];
  for (let i = 0; i + 8 <= bytes.length; i += 8) {
    const name = i < 31 * 8 ? `r${i / 8}` : `scratch+${i - 31 * 8}`;
    lines.push(`${name}=${v.getBigUint64(i, true).toString(16)}`);
  }
  return lines;
}
