// Benchmarks of the AMD64 CpuEngine (UnicornX64, Unicorn in UC_MODE_64 through the kernel's window)
// against bare koffi + libunicorn in 64-bit mode doing the same work in the same run, with the same
// targets as the x86 ones (bench/cpu.ts): (a) guest -> host handler -> guest API round trips through
// the x64 convention's return (abi-x64.ts returnFromCall64: RSP, [RSP], then RAX, RSP and RIP in one
// uc_reg_write_batch; the bare peer makes the five calls one by one), (b) a tight loop.
// Like bench/cpu.ts, the bare peer binds libunicorn itself on purpose.
// Alone: `npx tsx bench/cpu-x64.ts`; bench/run.ts calls benchCpuX64().
import koffi from 'koffi';
import { returnFromCall64 } from '../src/cpu/abi-x64.js';
import { RWX } from '../src/cpu/engine.js';
import {
  UC_ARCH_X86,
  UC_HOOK_CODE,
  UC_MODE_64,
  UC_PROT_EXEC,
  UC_PROT_READ,
  UC_PROT_WRITE,
  UcX64Reg,
} from '../src/cpu/unicorn-abi.js';
import { UnicornX64, X64_WINDOW } from '../src/cpu/unicorn-x64.js';
import { setupNtX64 } from '../src/cpu/x64-setup.js';
import { KERNEL_STACK } from '../src/cpu/x86-setup.js';
import { bareUnicorn, best } from './cpu.js';

const CODE = 0x80101000;
const STUB = 0x80200000;
const le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const g = (a: number) => X64_WINDOW + BigInt(a);

interface Program {
  code: Uint8Array;
  end: number;
}
/** mov ecx, n; L: call STUB; dec ecx; jnz L -- the stub's handler returns (no arguments). */
function callLoop(n: number): Program {
  const body = [0xb9, ...le(n), 0xe8, ...le(STUB - (CODE + 5 + 5)), 0xff, 0xc9, 0x75, 0x100 - 9];
  return { code: new Uint8Array(body), end: CODE + body.length };
}
/** mov ecx, n; L: dec ecx; jnz L */
function tightLoop(n: number): Program {
  const body = [0xb9, ...le(n), 0xff, 0xc9, 0x75, 0xfc];
  return { code: new Uint8Array(body), end: CODE + body.length };
}

/** One run through the engine and, with a stub, the x64 Abi's return (what the kernel does); milliseconds. */
function ours(prog: Program, withStub: boolean, counting: 'always' | 'on-demand'): number {
  const cpu = new UnicornX64({ counting });
  setupNtX64(cpu, { number: 0 });
  cpu.map(CODE, 0x1000, RWX);
  cpu.write(CODE, prog.code);
  cpu.map(STUB, 0x1000, RWX);
  if (withStub) cpu.hookCode(STUB, STUB + 0xfff, () => returnFromCall64(cpu, 0n));
  const t = performance.now();
  const r = cpu.run({ start: CODE, until: prog.end });
  const ms = performance.now() - t;
  cpu.close();
  if (r.kind !== 'returned') throw new Error(`bench run ended ${r.kind}`);
  return ms;
}

/** The same work with raw koffi calls at the same 64-bit guest addresses; `count` as uc_emu_start takes it. */
function bare(prog: Program, withStub: boolean, count = 0): number {
  const b = bareUnicorn();
  const out: unknown[] = [null];
  b.open(UC_ARCH_X86, UC_MODE_64, out);
  const uc = out[0];
  const rwx = UC_PROT_READ | UC_PROT_WRITE | UC_PROT_EXEC;
  b.map(uc, g(CODE), 0x1000, rwx);
  b.write(uc, g(CODE), prog.code, prog.code.length);
  b.map(uc, g(STUB), 0x1000, rwx);
  b.map(uc, g(KERNEL_STACK.base), KERNEL_STACK.size, UC_PROT_READ | UC_PROT_WRITE);
  const buf = new Uint8Array(8);
  const v = new DataView(buf.buffer);
  v.setBigUint64(0, g(KERNEL_STACK.base + KERNEL_STACK.size - 0x20), true);
  b.regWrite(uc, UcX64Reg.rsp, buf);
  let cb: koffi.IKoffiRegisteredCallback | undefined;
  if (withStub) {
    // Read RSP, read [RSP], write RAX, RSP, RIP.
    cb = koffi.register((u: unknown) => {
      b.regRead(u, UcX64Reg.rsp, buf);
      const rsp = v.getBigUint64(0, true);
      b.read(u, rsp, buf, 8);
      const ret = v.getBigUint64(0, true);
      v.setBigUint64(0, 0n, true);
      b.regWrite(u, UcX64Reg.rax, buf);
      v.setBigUint64(0, rsp + 8n, true);
      b.regWrite(u, UcX64Reg.rsp, buf);
      v.setBigUint64(0, ret, true);
      b.regWrite(u, UcX64Reg.rip, buf);
    }, koffi.pointer(b.proto));
    b.hookAdd(uc, [0], UC_HOOK_CODE, cb, null, 'uint64_t', g(STUB), 'uint64_t', g(STUB + 0xfff));
  }
  const t = performance.now();
  b.start(uc, g(CODE), g(prog.end), 0, count);
  const ms = performance.now() - t;
  b.close(uc);
  if (cb) koffi.unregister(cb);
  return ms;
}

export function benchCpuX64(log: (s: string) => void): { lines: string[] } {
  const lines: string[] = [];
  const f0 = (n: number) => n.toFixed(0);
  const f2 = (n: number) => n.toFixed(2);
  const calls = 200_000;
  const [oc, bc] = best(
    5,
    () => ours(callLoop(calls), true, 'always'),
    () => bare(callLoop(calls), true),
  );
  const nsOurs = (oc * 1e6) / calls;
  const nsBare = (bc * 1e6) / calls;
  log(`cpu x64: API round trip ours ${f0(nsOurs)} ns, bare ${f0(nsBare)} ns (ratio ${f2(nsOurs / nsBare)})`);
  lines.push(
    `| AMD64 guest→handler→guest API round trip (${calls} calls, best of 5; ours: returnFromCall64, default counting) | ${f0(nsOurs)} ns | bare koffi+unicorn UC_MODE_64 ${f0(nsBare)} ns | **${f2(nsOurs / nsBare)}×** time (target ≤ 1.5×) |`,
  );
  const iters = 50_000_000;
  const mips = (ms: number) => (2 * iters) / (ms * 1000);
  const [ol, bl] = best(
    3,
    () => ours(tightLoop(iters), false, 'on-demand'),
    () => bare(tightLoop(iters), false),
  );
  log(`cpu x64: tight loop ours ${f0(mips(ol))} M instr/s, bare ${f0(mips(bl))} (ratio ${f2(bl / ol)})`);
  lines.push(
    `| AMD64 tight loop dec/jnz (${(2 * iters) / 1e6} M instructions, best of 3; ours: counting on-demand, no budget) | ${f0(mips(ol))} M instr/s | bare uc_emu_start UC_MODE_64 ${f0(mips(bl))} M instr/s | **${f2(bl / ol)}×** speed (target ≥ 0.8×) |`,
  );
  return { lines };
}

if (process.argv[1]?.endsWith('cpu-x64.ts')) {
  for (const line of benchCpuX64((s) => process.stdout.write(`${s}\n`)).lines)
    process.stdout.write(`${line}\n`);
}
