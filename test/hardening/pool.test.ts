// Pool exhaustion and allocation-heavy guests (issue 20 items 2 and 3, issue 19): NT 3.51's pool sizes
// run out long before any engine limit, as NULL (or MUST_SUCCEED_POOL_EMPTY), and the time budget stops
// a guest whose time goes into kernel handlers rather than guest instructions.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UnicornX86 } from '../../src/cpu/unicorn.js';
import { DEFAULT_MEMORY_MIB, MAX_GUARDED_FREES, Pool, poolSizes } from '../../src/kernel/pool.js';
import { type RunDriverOptions, runDriver } from '../../src/sandbox/index.js';
import { haveUnicorn } from '../helpers/unicorn.js';
import { type Asm, x86Driver } from '../helpers/x86-driver.js';

const tmp = mkdtempSync(join(tmpdir(), 'nt351-pool-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
let n = 0;
async function guest(imports: string[], program: (a: Asm) => void, opts: Partial<RunDriverOptions> = {}) {
  const driver = join(tmp, `p${n++}.sys`);
  writeFileSync(driver, x86Driver(imports, program));
  const r = await runDriver({ driver, ...opts });
  return { r, last: r.calls.at(-1)!.outcome };
}
/** esi = 0; again: push size; push type; call ExAllocatePool; test eax, eax; jz done; inc esi; jmp again; done: mov eax, esi; ret 8 */
const countAllocations = (type: number, size: number) => (a: Asm) => {
  a.emit(0x31, 0xf6);
  const again = a.bytes.length;
  a.emit(0x68, ...le(size), 0x6a, type);
  a.callImport('ExAllocatePool');
  a.emit(0x85, 0xc0, 0x74, 0x03, 0x46);
  a.emit(0xeb, (again - (a.bytes.length + 2)) & 0xff);
  a.emit(0x89, 0xf0, 0xc2, 0x08, 0x00);
};

describe.skipIf(!haveUnicorn)('pool exhaustion is NT’s outcome, never an engine abort', () => {
  const sizes = poolSizes(DEFAULT_MEMORY_MIB);

  it('small nonpaged allocations in a loop get NULL after the pool’s pages are used, and the run returns', async () => {
    // Before: every block was an engine region with a guard page, and libunicorn asserted (SIGABRT)
    // near 4,000 blocks, after minutes, without ExAllocatePool ever returning NULL.
    const { r, last } = await guest(['ExAllocatePool'], countAllocations(0, 16));
    expect(last.kind).toBe('returned');
    // One page per block; the kernel's own blocks for the driver (a few) come from the same pool.
    const pages = sizes.nonPaged / 0x1000;
    const got = last.kind === 'returned' ? last.eax : 0;
    expect(got).toBeLessThanOrEqual(pages);
    expect(got).toBeGreaterThan(pages - 16);
    expect(r.poolLeaks).toHaveLength(got);
  });

  it('paged pool is twice nonpaged pool (NT 3.51) and runs out separately', async () => {
    expect(sizes.paged).toBe(2 * sizes.nonPaged);
    const { last } = await guest(['ExAllocatePool'], countAllocations(1, 0x10000));
    expect(last.kind === 'returned' && last.eax).toBe(Math.floor(sizes.paged / 0x10000));
  });

  it('NonPagedPoolMustSucceed past the pool and its reserve is MUST_SUCCEED_POOL_EMPTY (0x41)', async () => {
    const { r } = await guest(['ExAllocatePool'], countAllocations(2, 0x10000));
    expect(r.outcome).toBe('bugcheck');
    const bug = r.events.find((e) => e.type === 'bugcheck');
    expect(bug).toMatchObject({ code: 0x41, parameters: [0x10000, 0, 0, 0] });
  });

  it(`allocating and freeing ${3 * MAX_GUARDED_FREES} blocks keeps engine regions bounded; old frees stay guarded`, () => {
    const cpu = new UnicornX86();
    try {
      const pool = new Pool(cpu);
      const blocks: number[] = [];
      for (let i = 0; i < 3 * MAX_GUARDED_FREES; i++) {
        const a = pool.allocate(16, i % 2, 'Test', 'driver')!;
        blocks.push(a);
        if (i % 2 === 0) expect(pool.free(a)).toBe('ok'); // alternate: the worst case for region splits
      }
      expect(pool.unguardedFrees).toBe((3 * MAX_GUARDED_FREES) / 2 - MAX_GUARDED_FREES);
      expect(cpu.regions().length).toBeLessThan(2 * MAX_GUARDED_FREES + 64);
      expect(pool.free(blocks[0]!)).toBe('double-free');
      expect(pool.blockAt(blocks[0]! + 8)).toMatchObject({ address: blocks[0], freed: true });
      // The first frees are inaccessible to the guest, the last ones not (host reads ignore protection).
      const perm = (a: number) => cpu.regions().find((g) => a >= g.begin && a <= g.end)?.perm;
      expect(perm(blocks[0]!)).toEqual({ read: false, write: false, execute: false });
      expect(perm(blocks.at(-2)!)).toEqual({ read: true, write: true, execute: false });
    } finally {
      cpu.close();
    }
  });
});

describe.skipIf(!haveUnicorn)('the time budget covers kernel handlers', () => {
  it('a guest loop of allocations (handler time, few instructions) ends within budget + 1 s as a time budget', async () => {
    // again: push 16; push 0; call ExAllocatePool; jmp again. Each iteration is a handler call and four
    // guest instructions, so without the check an instruction budget would take minutes of handler time.
    const loop = (a: Asm) => {
      const again = a.bytes.length;
      a.emit(0x6a, 0x10, 0x6a, 0x00);
      a.callImport('ExAllocatePool');
      a.emit(0xeb, (again - (a.bytes.length + 2)) & 0xff);
    };
    await guest(['ExAllocatePool'], loop, { maxMillis: 100 }); // warm: the measure is of the run alone
    const budget = 1000;
    const t0 = performance.now();
    const { r, last } = await guest(['ExAllocatePool'], loop, { maxInstructions: 1e12, maxMillis: budget });
    const elapsed = performance.now() - t0;
    expect(r.outcome).toBe('budget');
    expect(last).toMatchObject({ kind: 'budget', which: 'time' });
    expect(elapsed).toBeLessThan(budget + 1000);
  });
});

describe.skipIf(!haveUnicorn)('host memory follows NT’s limits on guest demand (issue 20 item 4)', () => {
  it('IoCreateSymbolicLink with 32 767-character names fails with STATUS_INSUFFICIENT_RESOURCES once paged pool is charged full', async () => {
    // Before: 3.2 GB of host memory, then RangeError. NT keeps object names in paged pool.
    const { r, last } = await guest(['ExAllocatePool', 'IoCreateSymbolicLink'], (a) => {
      a.emit(0x68, ...le(0x20000), 0x6a, 0x00);
      a.callImport('ExAllocatePool');
      a.emit(0x89, 0xc3, 0x89, 0xc7); // mov ebx, eax; mov edi, eax
      a.emit(0xb9, ...le(32767), 0x66, 0xb8, 0x41, 0x00, 0xf3, 0x66, 0xab); // mov ecx, 32767; mov ax, 'A'; rep stosw
      a.emit(0x66, 0xc7, 0x03, 0x5c, 0x00); // mov word [ebx], '\'
      a.emit(0x66, 0xc7, 0x43, 0x02, 0x00, 0x4e); // mov word [ebx + 2], U+4E00 (no case: names stay distinct)
      a.emit(0xc7, 0x05);
      a.dataAddress(0);
      a.emit(...le(0xfffefffe)); // link: Length = MaximumLength = 65534
      a.emit(0x89, 0x1d);
      a.dataAddress(4); // link.Buffer = ebx
      a.emit(0xc7, 0x05);
      a.dataAddress(8);
      a.emit(...le(0x00020002)); // target: "\" (Length 2)
      a.emit(0x89, 0x1d);
      a.dataAddress(12);
      a.emit(0x31, 0xf6); // xor esi, esi
      const again = a.bytes.length;
      a.emit(0x66, 0xff, 0x43, 0x02); // inc word [ebx + 2]: a new name each time
      a.emit(0x68);
      a.dataAddress(8);
      a.emit(0x68);
      a.dataAddress(0);
      a.callImport('IoCreateSymbolicLink');
      a.emit(0x85, 0xc0, 0x75, 0x03, 0x46); // test eax, eax; jnz done; inc esi
      a.emit(0xeb, (again - (a.bytes.length + 2)) & 0xff);
      a.emit(0x89, 0xf0, 0xc2, 0x08, 0x00); // done: mov eax, esi; ret 8
    });
    const perLink = 2 * (32767 + 1);
    const created = last.kind === 'returned' ? last.eax : -1;
    expect(created).toBeGreaterThan(Math.floor(poolSizes(DEFAULT_MEMORY_MIB).paged / perLink) - 8);
    expect(created).toBeLessThanOrEqual(Math.floor(poolSizes(DEFAULT_MEMORY_MIB).paged / perLink));
    const calls = r.events.filter((e) => e.type === 'api-call' && e.name === 'IoCreateSymbolicLink');
    expect(calls.at(-1)).toMatchObject({ result: 0xc000009a }); // STATUS_INSUFFICIENT_RESOURCES
  });

  it('registry values past RegistrySizeLimit (25% of paged pool) are refused; replacing a value charges the difference', () => {
    const cpu = new UnicornX86();
    try {
      const pool = new Pool(cpu);
      expect(pool.registryQuota).toBe(Math.floor(poolSizes(DEFAULT_MEMORY_MIB).paged / 4));
      const MiB = 0x100000;
      let accepted = 0;
      while (pool.chargeRegistry(MiB)) accepted++;
      expect(accepted).toBe(Math.floor(pool.registryQuota / MiB));
      expect(pool.chargeRegistry(-MiB)).toBe(true); // a value replaced by an empty one
      expect(pool.chargeRegistry(MiB)).toBe(true);
      expect(pool.chargeRegistry(1)).toBe(pool.registryQuota % MiB >= 1);
    } finally {
      cpu.close();
    }
  });
});
