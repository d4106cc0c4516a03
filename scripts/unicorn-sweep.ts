// Sweeps x86 encodings (optional prefix, one-byte or 0F/0F38/0F3A opcode, every ModRM) through bare
// libunicorn in child processes and lists those that abort the process (SIGABRT in translation), as
// `FF D8` does in Unicorn 2.0.1 (unicorn-engine/unicorn#1716). Long: not part of `npm test`.
// Usage: npx tsx scripts/unicorn-sweep.ts [--guarded] (guarded: through UnicornX86 and its code guard)
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnicornX86 } from '../src/cpu/unicorn.js';

// SWEEP_PREFIX=f0 and SWEEP_MAP=0f (hex, space-separated bytes) narrow the sweep to one prefix or map.
const only = (v: string | undefined) =>
  v === undefined
    ? null
    : [
        v
          .split(' ')
          .filter(Boolean)
          .map((b) => Number.parseInt(b, 16)),
      ];
const PREFIXES: number[][] = only(process.env.SWEEP_PREFIX) ?? [
  [],
  [0x66],
  [0x67],
  [0xf3],
  [0xf2],
  [0x2e],
  [0xf0],
  [0x66, 0x67],
];
const MAPS: number[][] = only(process.env.SWEEP_MAP) ?? [[], [0x0f], [0x0f, 0x38], [0x0f, 0x3a]];

/** Every encoding of the sweep, in a fixed order (the index is what a child reports). */
function* encodings(): Generator<number[]> {
  for (const p of PREFIXES)
    for (const m of MAPS)
      for (let op = 0; op < 256; op++)
        for (let modrm = 0; modrm < 256; modrm++) yield [...p, ...m, op, modrm, 0, 0, 0, 0, 0, 0, 0, 0];
}
const all = [...encodings()];

const CODE = 0x100000;
const SLOT = 0x20;
const PER_ENGINE = 0x8000; // slots per engine (1 MiB of code)

/** The child writes the index it is about to run here (a pipe could refuse a write: EAGAIN). */
const PROGRESS = join(tmpdir(), `nt351-sweep-${process.env.SWEEP_ID ?? process.pid}`);
const progress = Buffer.alloc(16);

function child(from: number, guarded: boolean): void {
  const fd = openSync(PROGRESS, 'w');
  let cpu: UnicornX86 | null = null;
  for (let i = from; i < all.length; i++) {
    const k = i % PER_ENGINE;
    if (!cpu || k === 0) {
      cpu?.close();
      cpu = new UnicornX86({ maxMappedBytes: 64 << 20, library: 'libunicorn.so.2', codeGuard: guarded });
      cpu.map(CODE, PER_ENGINE * SLOT, { read: true, write: true, execute: true });
      cpu.map(0, 0x10000, { read: true, write: true, execute: false });
    }
    const at = CODE + k * SLOT;
    cpu.write(at, Uint8Array.from(all[i]!));
    for (const r of ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp'] as const) cpu.setReg(r, 0x100);
    cpu.setReg('esp', 0x8000);
    progress.fill(32);
    progress.write(String(i));
    writeSync(fd, progress, 0, 16, 0);
    cpu.run({ start: at, until: at + SLOT - 1, maxInstructions: 4 });
  }
  progress.fill(32);
  progress.write('done');
  writeSync(fd, progress, 0, 16, 0);
  closeSync(fd);
}

if (process.argv[2] === '--child') {
  child(Number(process.argv[3]), process.argv[4] === 'guarded');
} else {
  const guarded = process.argv.includes('--guarded');
  const aborts: string[] = [];
  let from = 0;
  const t0 = Date.now();
  for (;;) {
    const r = spawnSync(
      process.execPath,
      [...process.execArgv, process.argv[1]!, '--child', String(from), guarded ? 'guarded' : ''],
      { encoding: 'utf8', env: { ...process.env, SWEEP_ID: String(process.pid) } },
    );
    const lastLine = readFileSync(join(tmpdir(), `nt351-sweep-${process.pid}`), 'utf8').trim();
    if (lastLine === 'done') break;
    if (r.signal !== 'SIGABRT')
      throw new Error(`child failed (${r.signal ?? r.status}): ${r.stderr.slice(0, 2000)}`);
    const i = Number(lastLine);
    const hex = all[i]!.slice(0, -8)
      .map((b) => b.toString(16).padStart(2, '0'))
      .join(' ');
    aborts.push(hex);
    process.stderr.write(`abort: ${hex}\n`);
    from = i + 1;
  }
  process.stdout.write(
    `${all.length} encodings in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${aborts.length} aborted\n${aborts.join('\n')}\n`,
  );
}
