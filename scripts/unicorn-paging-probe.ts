// Probes what x86 paging does in bare libunicorn 2.0.1 (UC_MODE_32), for the "few regions" design of
// issue 19 (docs/benchmarks.md: every mapped region costs on each code lookup). Each probe runs in a
// new engine with one identity-mapped 2 MiB window at 0x80600000 under 4 KiB PTEs (PAE tables, the
// rest 2 MiB pages) and prints what happened. Not part of `npm test`: it documents libunicorn, not us.
// Usage: npx tsx scripts/unicorn-paging-probe.ts
import koffi from 'koffi';

const lib = koffi.load('libunicorn.so.2');
const open = lib.func('int uc_open(int arch, int mode, _Out_ void **uc)');
const close = lib.func('int uc_close(void *uc)');
const memMap = lib.func('int uc_mem_map(void *uc, uint64_t address, size_t size, uint32_t perms)');
const memWrite = lib.func('int uc_mem_write(void *uc, uint64_t address, const void *bytes, size_t size)');
const memRead = lib.func('int uc_mem_read(void *uc, uint64_t address, _Out_ void *bytes, size_t size)');
const regWrite = lib.func('int uc_reg_write(void *uc, int regid, const void *value)');
const regRead = lib.func('int uc_reg_read(void *uc, int regid, _Out_ void *value)');
const emuStart = lib.func(
  'int uc_emu_start(void *uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count)',
);
const emuStop = lib.func('int uc_emu_stop(void *uc)');
const ctl = lib.func('int uc_ctl(void *uc, int control, ...)');
const hookAdd = lib.func('int uc_hook_add(void *uc, _Out_ size_t *hh, int type, void *cb, void *user, ...)');
const Intr = koffi.proto('void ProbeIntr(void *uc, uint32_t intno, void *user)');
const contextAlloc = lib.func('int uc_context_alloc(void *uc, _Out_ void **context)');
const contextSave = lib.func('int uc_context_save(void *uc, void *context)');
const contextSize = lib.func('size_t uc_context_size(void *uc)');
const contextFree = lib.func('int uc_context_free(void *context)');

// unicorn.h / x86.h values
const REG = { eax: 19, eip: 26, esp: 30, cr0: 50, cr2: 52, cr3: 53, cr4: 54, msr: 248 };
const UC_CTL_TB_REMOVE_CACHE_WRITE = (1 << 30) | (2 << 26) | 9;
const CR0_PG_WP = 0x80010000;
const CR4_PAE = 1 << 5;
const CR4_SMEP = 1 << 20;
const EFER = 0xc0000080;
const EFER_NXE = 0x800;
const WINDOW = 0x80600000;
const PTE = { P: 1n, RW: 2n, US: 4n, NX: 1n << 63n };

interface Engine {
  uc: unknown;
  /** Writes bytes through libunicorn (physical memory) without running them. */
  poke(at: number, code: number[]): void;
  run(code: number[] | ((at: number) => number[]), at?: number): string;
  pte(page: number, bits: bigint, frame?: number): void;
  read32(address: number): number;
  /** The CPU state (uc_context_save) when the hook last took a page fault, as int32s. */
  faultContext: Int32Array | null;
  done(): void;
}

function engine(): Engine {
  const out: unknown[] = [null];
  open(4, 1 << 2, out);
  const uc = out[0];
  const q = (a: number, v: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(v);
    memWrite(uc, a, b, 8);
  };
  const w = (id: number, v: number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v >>> 0));
    regWrite(uc, id, b);
  };
  const r = (id: number) => {
    const b = Buffer.alloc(8);
    regRead(uc, id, b);
    return Number(b.readBigUInt64LE() & 0xffffffffn);
  };
  memMap(uc, 0, 0x400000, 7); // page tables at 0x1000.., a stack below 0x300000
  memMap(uc, WINDOW, 0x200000, 7);
  // PDPT at 0x1000 -> four page directories of 2 MiB identity pages; the window's 2 MiB -> PT at 0x6000
  for (let i = 0; i < 4; i++) q(0x1000 + 8 * i, BigInt(0x2000 + 0x1000 * i) | PTE.P);
  for (let i = 0; i < 4; i++)
    for (let j = 0; j < 512; j++)
      q(0x2000 + 0x1000 * i + 8 * j, BigInt(i * 0x40000000 + j * 0x200000) | 0x83n);
  q(0x2000 + 0x1000 * (WINDOW >>> 30) + 8 * ((WINDOW >>> 21) & 511), 0x6000n | PTE.P | PTE.RW | PTE.US);
  const log: string[] = [];
  let next = WINDOW; // each run's code goes to fresh bytes: uc_mem_write did not drop stale translations
  const ctx: unknown[] = [null];
  contextAlloc(uc, ctx);
  const size = Number(contextSize(uc));
  let faultContext: Int32Array | null = null;
  const cb = koffi.register((_uc: unknown, intno: number) => {
    log.push(`vector ${intno} at eip ${r(REG.eip).toString(16)}, cr2 ${r(REG.cr2).toString(16)}`);
    if (intno === 14) {
      contextSave(uc, ctx[0]);
      faultContext = new Int32Array(koffi.view(ctx[0], size).slice(0));
    }
    emuStop(uc);
  }, koffi.pointer(Intr));
  hookAdd(uc, [0], 1, cb, null, 'uint64_t', 1, 'uint64_t', 0);
  w(REG.cr4, r(REG.cr4) | CR4_PAE | CR4_SMEP);
  w(REG.cr3, 0x1000);
  w(REG.cr0, r(REG.cr0) | CR0_PG_WP);
  w(REG.esp, 0x300000);
  q(0x6000, BigInt(WINDOW) | PTE.P); // the code page: present, read-only, supervisor; the rest absent
  return {
    uc,
    poke(at, code) {
      memWrite(uc, at, Buffer.from(code), code.length);
    },
    run(code, at) {
      if (at === undefined) {
        at = next;
        next += 0x40;
      }
      log.length = 0;
      const bytes = typeof code === 'function' ? code(at) : code;
      memWrite(uc, at, Buffer.from(bytes), bytes.length);
      w(REG.eip, at);
      const err = emuStart(uc, at, WINDOW + 0xf00, 0, 20);
      return `${log.join('; ') || 'no exception'} (uc_err ${err}, eax ${r(REG.eax).toString(16)})`;
    },
    pte(page, bits, frame = WINDOW + page * 0x1000) {
      q(0x6000 + 8 * page, BigInt(frame) | bits);
    },
    read32(address) {
      const b = Buffer.alloc(4);
      memRead(uc, address, b, 4);
      return b.readUInt32LE();
    },
    get faultContext() {
      return faultContext;
    },
    done() {
      contextFree(ctx[0]);
      close(uc);
      koffi.unregister(cb);
    },
  };
}

const le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const jmp = (from: number, to: number) => [0xe9, ...le(to - (from + 5))];
const probes: [string, (e: Engine) => string][] = [
  ['read of a not-present page', (e) => e.run([0xa1, ...le(WINDOW + 0x1000), 0xf4])],
  ['write to a read-only supervisor page (CR0.WP)', (e) => e.run([0xa3, ...le(WINDOW + 0x800), 0xf4])],
  [
    'a write to a user page, then a fetch from it (CR4.SMEP)',
    (e) => {
      e.pte(2, PTE.P | PTE.RW | PTE.US);
      e.poke(WINDOW + 0x2100, [0xb8, 1, 0, 0, 0, 0xf4]);
      const store = e.run([0xa3, ...le(WINDOW + 0x2000), 0xf4]);
      return `${store} / ${e.run((at) => jmp(at, WINDOW + 0x2100))}`;
    },
  ],
  [
    'a PTE naming another frame',
    (e) => {
      e.pte(3, PTE.P | PTE.RW | PTE.US, WINDOW + 0x4000);
      e.pte(4, PTE.P | PTE.RW | PTE.US);
      e.run([0xb8, 0x78, 0x56, 0x34, 0x12, 0xa3, ...le(WINDOW + 0x3000), 0xf4]);
      return `the store landed at ${e.read32(WINDOW + 0x3000) === 0x12345678 ? 'its virtual address' : 'the frame'}`;
    },
  ],
  [
    'EFER.NXE written through UC_X86_REG_MSR',
    (e) => {
      const b = Buffer.alloc(16);
      b.writeUInt32LE(EFER, 0);
      b.writeBigUInt64LE(BigInt(EFER_NXE), 8);
      regWrite(e.uc, REG.msr, b);
      regRead(e.uc, REG.msr, b);
      return `EFER reads ${b.readBigUInt64LE(8)} after writing NXE`;
    },
  ],
  [
    'two page faults taken by the hook in a row (no old_exception clearing here)',
    (e) =>
      `${e.run([0xa1, ...le(WINDOW + 0x1000), 0xf4])} then ${e.run([0xa1, ...le(WINDOW + 0x1000), 0xf4])}`,
  ],
  [
    'UC_CTL_TB_REMOVE_CACHE on a not-present page, then a run',
    (e) => {
      ctl(e.uc, UC_CTL_TB_REMOVE_CACHE_WRITE, 'uint64_t', WINDOW + 0x1000, 'uint64_t', WINDOW + 0x1001);
      return e.run([0xb8, 7, 0, 0, 0, 0xf4]);
    },
  ],
  [
    'code rewritten with uc_mem_write after it ran',
    (e) => {
      e.run([0xb8, 1, 0, 0, 0, 0xf4], WINDOW + 0x100);
      return `${e.run([0xb8, 2, 0, 0, 0, 0xf4], WINDOW + 0x100)} (eax 2: translation dropped)`;
    },
  ],
  ['the #PF error code in the saved context', errorCodeProbe],
];

/**
 * Four page faults in four engines (read, write and fetch of an absent page; a write to a read-only
 * one) and the int32 of the saved context that holds their error codes: 0, 2, 0x10 and 3 (P, W/R, I/D).
 */
function errorCodeProbe(): string {
  const absent = WINDOW + 0x1000;
  const cases: [string, number, (e: Engine) => void][] = [
    ['read', 0, (e) => e.run([0xa1, ...le(absent), 0xf4])],
    ['write', 2, (e) => e.run([0xa3, ...le(absent), 0xf4])],
    ['fetch', 0x10, (e) => e.run((at) => jmp(at, absent + 0x100))],
    ['write to read-only', 3, (e) => e.run([0xa3, ...le(WINDOW + 0x800), 0xf4])],
  ];
  const seen = cases.map(([, , fault]) => {
    const e = engine();
    fault(e);
    const c = e.faultContext;
    e.done();
    return c;
  });
  if (seen.some((c) => c === null)) return 'a case raised no page fault';
  const offsets: number[] = [];
  for (let i = 0; i < seen[0]!.length; i++)
    if (cases.every(([, code], k) => seen[k]![i] === code)) offsets.push(i * 4);
  return `${offsets.length === 1 ? 'one' : offsets.length} int32 of the context matches (offset ${offsets.join(', ')}): ${cases.map(([n, c]) => `${n} ${c}`).join(', ')}`;
}

for (const [name, probe] of probes) {
  const e = engine();
  console.log(`${name}: ${probe(e)}`);
  e.done();
}
