// Benchmarks of the x86 CpuEngine against bare koffi + libunicorn doing the same work in the same run:
// (a) guest -> host handler -> guest API round trips, (b) a tight guest loop.
import koffi from 'koffi';
import { RWX, returnFromStdcall } from '../src/cpu/engine.js';
import { UnicornX86 } from '../src/cpu/unicorn.js';
import { setupNtX86 } from '../src/cpu/x86-setup.js';

const CODE = 0x80101000;
const STUB = 0x80200000;
const le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

/** mov ecx, n; L: call STUB; dec ecx; jnz L  (then falls to `end`) */
function callLoop(n: number): { code: Uint8Array; end: number } {
  const call = [0xe8, ...le(STUB - (CODE + 5 + 5))];
  const body = [0xb9, ...le(n), ...call, 0x49, 0x75, 0x100 - 8];
  return { code: new Uint8Array(body), end: CODE + body.length };
}
/** mov ecx, n; L: dec ecx; jnz L */
function tightLoop(n: number): { code: Uint8Array; end: number } {
  const body = [0xb9, ...le(n), 0x49, 0x75, 0xfd];
  return { code: new Uint8Array(body), end: CODE + body.length };
}

function ours(prog: { code: Uint8Array; end: number }, withStub: boolean): number {
  const cpu = new UnicornX86();
  setupNtX86(cpu, { number: 0 });
  cpu.map(CODE, 0x1000, RWX);
  cpu.write(CODE, prog.code);
  cpu.map(STUB, 0x1000, RWX);
  if (withStub) cpu.hookCode(STUB, STUB + 0xfff, () => returnFromStdcall(cpu, 0, 0));
  const t = performance.now();
  const r = cpu.run({ start: CODE, until: prog.end });
  const ms = performance.now() - t;
  if (r.kind !== 'returned') throw new Error(`bench run ended ${r.kind}`);
  cpu.close();
  return ms;
}

/** Raw bindings, created once (koffi type names are global). */
let bareBindings: ReturnType<typeof makeBare> | undefined;
function makeBare() {
  const lib = koffi.load('libunicorn.so.2');
  const open = lib.func('int uc_open(int arch, int mode, _Out_ void **uc)');
  const map = lib.func('int uc_mem_map(void *uc, uint64_t address, size_t size, uint32_t perms)');
  const write = lib.func('int uc_mem_write(void *uc, uint64_t address, const void *bytes, size_t size)');
  const read = lib.func('int uc_mem_read(void *uc, uint64_t address, _Out_ void *bytes, size_t size)');
  const regRead = lib.func('int uc_reg_read(void *uc, int regid, _Out_ void *value)');
  const regWrite = lib.func('int uc_reg_write(void *uc, int regid, const void *value)');
  const start = lib.func(
    'int uc_emu_start(void *uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count)',
  );
  const hookAdd = lib.func(
    'int uc_hook_add(void *uc, _Out_ size_t *hh, int type, void *cb, void *user, uint64_t begin, uint64_t end, ...)',
  );
  const close = lib.func('int uc_close(void *uc)');
  const proto = koffi.proto('void BenchHookCode(void *uc, uint64_t address, uint32_t size, void *user)');
  return { open, map, write, read, regRead, regWrite, start, hookAdd, close, proto };
}
const bareApi = () => (bareBindings ??= makeBare());

/** The same work with raw koffi calls (what any hand-written binding does per API call). */
function bare(prog: { code: Uint8Array; end: number }, withStub: boolean): number {
  const { open, map, write, read, regRead, regWrite, start, hookAdd, close, proto } = bareApi();
  const out: unknown[] = [null];
  open(4, 4, out);
  const uc = out[0];
  map(uc, CODE, 0x1000, 7);
  write(uc, CODE, prog.code, prog.code.length);
  map(uc, STUB, 0x1000, 7);
  map(uc, 0x80070000, 0x10000, 3);
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x8007fff0, true);
  regWrite(uc, 30, b);
  let cb: unknown;
  if (withStub) {
    cb = koffi.register((u: unknown) => {
      regRead(u, 30, b);
      const esp = v.getUint32(0, true);
      read(u, esp, b, 4);
      const ret = v.getUint32(0, true);
      v.setUint32(0, 0, true);
      regWrite(u, 19, b);
      v.setUint32(0, esp + 4, true);
      regWrite(u, 30, b);
      v.setUint32(0, ret, true);
      regWrite(u, 26, b);
    }, koffi.pointer(proto));
    hookAdd(uc, [0], 4, cb, null, STUB, STUB + 0xfff);
  }
  const t = performance.now();
  start(uc, CODE, prog.end, 0, 0);
  const ms = performance.now() - t;
  close(uc);
  if (cb) koffi.unregister(cb as koffi.IKoffiRegisteredCallback);
  return ms;
}

/** Best of `runs` alternating runs of each side. */
function best(runs: number, a: () => number, b: () => number): [number, number] {
  let x = Number.POSITIVE_INFINITY;
  let y = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    x = Math.min(x, a());
    y = Math.min(y, b());
  }
  return [x, y];
}

export function benchCpu(log: (s: string) => void): { lines: string[] } {
  const calls = 200_000;
  const [oc, bc] = best(
    5,
    () => ours(callLoop(calls), true),
    () => bare(callLoop(calls), true),
  );
  const nsOurs = (oc * 1e6) / calls;
  const nsBare = (bc * 1e6) / calls;
  log(
    `cpu: API round trip ours ${nsOurs.toFixed(0)} ns, bare koffi+unicorn ${nsBare.toFixed(0)} ns (ratio ${(nsOurs / nsBare).toFixed(2)})`,
  );

  const iters = 50_000_000;
  const [ol, bl] = best(
    3,
    () => ours(tightLoop(iters), false),
    () => bare(tightLoop(iters), false),
  );
  const mipsOurs = (2 * iters) / (ol * 1000);
  const mipsBare = (2 * iters) / (bl * 1000);
  log(
    `cpu: tight loop ours ${mipsOurs.toFixed(0)} M instr/s, bare ${mipsBare.toFixed(0)} M instr/s (ratio ${(mipsOurs / mipsBare).toFixed(2)})`,
  );
  return {
    lines: [
      `| x86 guest→handler→guest API round trip (${calls} calls, best of 5) | ${nsOurs.toFixed(0)} ns | bare koffi+unicorn ${nsBare.toFixed(0)} ns | **${(nsOurs / nsBare).toFixed(2)}×** time (target ≤ 1.5×) |`,
      `| x86 tight loop dec/jnz (${(2 * iters) / 1e6} M instructions, best of 3) | ${mipsOurs.toFixed(0)} M instr/s | bare unicorn ${mipsBare.toFixed(0)} M instr/s | **${(mipsOurs / mipsBare).toFixed(2)}×** speed (target ≥ 0.8×) |`,
    ],
  };
}

if (process.argv[1]?.endsWith('cpu.ts')) {
  for (const line of benchCpu((s) => process.stdout.write(`${s}\n`)).lines) process.stdout.write(`${line}\n`);
}
