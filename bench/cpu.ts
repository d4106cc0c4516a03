// Benchmarks of the x86 CpuEngine (UnicornX86) against bare koffi + libunicorn doing the same work in
// the same run: (a) guest -> host handler -> guest API round trips, (b) a tight guest loop, with and
// without Unicorn's instruction counting. The bare peer is the one place outside src/cpu/unicorn.ts
// that binds libunicorn, on purpose: it is what a hand-written binding costs.
// Alone: `npx tsx bench/cpu.ts`; bench/run.ts calls benchCpu().
import koffi from 'koffi';
import { RWX } from '../src/cpu/engine.js';
import { type UnicornOptions, UnicornX86 } from '../src/cpu/unicorn.js';
import {
  UC_ARCH_X86,
  UC_HOOK_CODE,
  UC_MODE_32,
  UC_PROT_EXEC,
  UC_PROT_READ,
  UC_PROT_WRITE,
  UcX86Reg,
} from '../src/cpu/unicorn-abi.js';
import { returnFromStdcall } from '../src/cpu/x86-call.js';
import { KERNEL_STACK, setupNtX86 } from '../src/cpu/x86-setup.js';

const CODE = 0x80101000;
const STUB = 0x80200000;
const le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

interface Program {
  code: Uint8Array;
  end: number;
}
/** mov ecx, n; L: call STUB; dec ecx; jnz L -- the stub's handler returns (cdecl, no arguments). */
function callLoop(n: number): Program {
  const body = [0xb9, ...le(n), 0xe8, ...le(STUB - (CODE + 5 + 5)), 0x49, 0x75, 0x100 - 8];
  return { code: new Uint8Array(body), end: CODE + body.length };
}
/** mov ecx, n; L: dec ecx; jnz L */
function tightLoop(n: number): Program {
  const body = [0xb9, ...le(n), 0x49, 0x75, 0xfd];
  return { code: new Uint8Array(body), end: CODE + body.length };
}

/** One run through CpuEngine; returns its milliseconds. */
function ours(prog: Program, withStub: boolean, counting: UnicornOptions['counting']): number {
  const cpu = new UnicornX86({ counting });
  setupNtX86(cpu, { number: 0 });
  cpu.map(CODE, 0x1000, RWX);
  cpu.write(CODE, prog.code);
  cpu.map(STUB, 0x1000, RWX);
  if (withStub) cpu.hookCode(STUB, STUB + 0xfff, () => returnFromStdcall(cpu, 0, 0));
  const t = performance.now();
  const r = cpu.run({ start: CODE, until: prog.end });
  const ms = performance.now() - t;
  cpu.close();
  if (r.kind !== 'returned') throw new Error(`bench run ended ${r.kind}`);
  return ms;
}

/** Raw bindings, created once (koffi type names are process-global); bench/cpu-x64.ts uses them too. */
let bareBindings: ReturnType<typeof makeBare> | undefined;
export function bareUnicorn(): ReturnType<typeof makeBare> {
  bareBindings ??= makeBare();
  return bareBindings;
}
function makeBare() {
  const lib = koffi.load('libunicorn.so.2');
  return {
    open: lib.func('int uc_open(int arch, int mode, _Out_ void **uc)'),
    map: lib.func('int uc_mem_map(void *uc, uint64_t address, size_t size, uint32_t perms)'),
    write: lib.func('int uc_mem_write(void *uc, uint64_t address, const void *bytes, size_t size)'),
    read: lib.func('int uc_mem_read(void *uc, uint64_t address, _Out_ void *bytes, size_t size)'),
    regRead: lib.func('int uc_reg_read(void *uc, int regid, _Out_ void *value)'),
    regWrite: lib.func('int uc_reg_write(void *uc, int regid, const void *value)'),
    start: lib.func(
      'int uc_emu_start(void *uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count)',
    ),
    hookAdd: lib.func('int uc_hook_add(void *uc, _Out_ size_t *hh, int type, void *cb, void *user, ...)'),
    close: lib.func('int uc_close(void *uc)'),
    proto: koffi.proto('void BenchHookCode(void *uc, uint64_t address, uint32_t size, void *user)'),
  };
}

/** The same work with raw koffi calls; `count` is passed to uc_emu_start as is. */
function bare(prog: Program, withStub: boolean, count = 0): number {
  const b = bareUnicorn();
  const out: unknown[] = [null];
  b.open(UC_ARCH_X86, UC_MODE_32, out);
  const uc = out[0];
  const rwx = UC_PROT_READ | UC_PROT_WRITE | UC_PROT_EXEC;
  b.map(uc, CODE, 0x1000, rwx);
  b.write(uc, CODE, prog.code, prog.code.length);
  b.map(uc, STUB, 0x1000, rwx);
  b.map(uc, KERNEL_STACK.base, KERNEL_STACK.size, UC_PROT_READ | UC_PROT_WRITE);
  const buf = new Uint8Array(8);
  const v = new DataView(buf.buffer);
  v.setUint32(0, KERNEL_STACK.base + KERNEL_STACK.size - 0x10, true);
  b.regWrite(uc, UcX86Reg.esp, buf);
  let cb: koffi.IKoffiRegisteredCallback | undefined;
  if (withStub) {
    // The same five calls returnFromStdcall makes: read ESP, read [ESP], write EAX, ESP, EIP.
    cb = koffi.register((u: unknown) => {
      b.regRead(u, UcX86Reg.esp, buf);
      const esp = v.getUint32(0, true);
      b.read(u, esp, buf, 4);
      const ret = v.getUint32(0, true);
      v.setUint32(0, 0, true);
      b.regWrite(u, UcX86Reg.eax, buf);
      v.setUint32(0, esp + 4, true);
      b.regWrite(u, UcX86Reg.esp, buf);
      v.setUint32(0, ret, true);
      b.regWrite(u, UcX86Reg.eip, buf);
    }, koffi.pointer(b.proto));
    b.hookAdd(uc, [0], UC_HOOK_CODE, cb, null, 'uint64_t', STUB, 'uint64_t', STUB + 0xfff);
  }
  const t = performance.now();
  b.start(uc, CODE, prog.end, 0, count);
  const ms = performance.now() - t;
  b.close(uc);
  if (cb) koffi.unregister(cb);
  return ms;
}

/** Best of `runs` alternating runs of each side. */
export function best(runs: number, a: () => number, b: () => number): [number, number] {
  let x = Number.POSITIVE_INFINITY;
  let y = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    x = Math.min(x, a());
    y = Math.min(y, b());
  }
  return [x, y];
}

export function benchCpu(log: (s: string) => void): { lines: string[] } {
  const lines: string[] = [];
  const f0 = (n: number) => n.toFixed(0);
  const f2 = (n: number) => n.toFixed(2);

  // (a) API round trips: our default engine (counting 'always') against bare Unicorn without counting.
  const calls = 200_000;
  const [oc, bc] = best(
    5,
    () => ours(callLoop(calls), true, 'always'),
    () => bare(callLoop(calls), true),
  );
  const nsOurs = (oc * 1e6) / calls;
  const nsBare = (bc * 1e6) / calls;
  log(`cpu: API round trip ours ${f0(nsOurs)} ns, bare ${f0(nsBare)} ns (ratio ${f2(nsOurs / nsBare)})`);
  lines.push(
    `| x86 guest→handler→guest API round trip (${calls} calls, best of 5; ours: default counting) | ${f0(nsOurs)} ns | bare koffi+unicorn ${f0(nsBare)} ns | **${f2(nsOurs / nsBare)}×** time (target ≤ 1.5×) |`,
  );

  // (b) Tight loop.
  const iters = 50_000_000;
  const mips = (ms: number) => (2 * iters) / (ms * 1000);
  const [ol, bl] = best(
    3,
    () => ours(tightLoop(iters), false, 'on-demand'),
    () => bare(tightLoop(iters), false),
  );
  log(
    `cpu: tight loop ours (not counting) ${f0(mips(ol))} M instr/s, bare ${f0(mips(bl))} (ratio ${f2(bl / ol)})`,
  );
  lines.push(
    `| x86 tight loop dec/jnz (${(2 * iters) / 1e6} M instructions, best of 3; ours: counting on-demand, no budget) | ${f0(mips(ol))} M instr/s | bare uc_emu_start ${f0(mips(bl))} M instr/s | **${f2(bl / ol)}×** speed (target ≥ 0.8×) |`,
  );
  const [oa, bn] = best(
    3,
    () => ours(tightLoop(iters), false, 'always'),
    () => bare(tightLoop(iters), false, 2 ** 52),
  );
  log(
    `cpu: tight loop ours (counting) ${f0(mips(oa))} M instr/s, bare counted ${f0(mips(bn))} (ratio ${f2(bn / oa)})`,
  );
  lines.push(
    `| x86 tight loop, instructions counted (ours: default counting 'always') | ${f0(mips(oa))} M instr/s | bare uc_emu_start with count ${f0(mips(bn))} M instr/s | **${f2(bn / oa)}×** speed (target ≥ 0.8×) |`,
  );
  lines.push(
    `| cost of Unicorn's instruction counting (exact budgets and fault pcs) on the tight loop | ${f0(mips(oa))} M instr/s counted | ${f0(mips(ol))} M instr/s not counted | **${f2(oa / ol)}×** time (measured, no target) |`,
  );
  return { lines };
}

if (process.argv[1]?.endsWith('cpu.ts')) {
  for (const line of benchCpu((s) => process.stdout.write(`${s}\n`)).lines) process.stdout.write(`${line}\n`);
}
