// UnicornX86 engines parked by close() and handed out again by acquire(): a reused engine must be
// indistinguishable from a new one (registers, mappings, memory contents, hooks, translated code,
// faults), which is what lets a boot skip most of Unicorn's per-region costs.
import { describe, expect, it } from 'vitest';
import { R, RW, RWX, RX, X86_GENERAL_REGS, type X86Reg } from '../../src/cpu/engine.js';
import { UnicornX86 } from '../../src/cpu/unicorn.js';

/** An engine that is never parked (a library name given): the reference for "new". */
const fresh = () => new UnicornX86({ library: 'libunicorn.so.2' });

/** A used engine, closed, then taken back: acquire() must return that same engine. */
function reused(use: (cpu: UnicornX86) => void): UnicornX86 {
  const first = UnicornX86.acquire();
  use(first);
  first.close();
  const again = UnicornX86.acquire();
  expect(again).toBe(first); // otherwise this test would not be testing reuse
  return again;
}

const CODE = 0x1000;
/** mov eax, imm32; nop; nop (the run stops at CODE + 7) */
const movEax = (n: number) => [0xb8, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24, 0x90, 0x90];
const runCode = (cpu: UnicornX86) => cpu.run({ start: CODE, until: CODE + 7, maxInstructions: 100 });
/** mov dword [addr], 0x12345678 (c7 05 addr imm32): 10 bytes */
const store = (addr: number) => [0xc7, 0x05, ...le(addr), 0x78, 0x56, 0x34, 0x12];
/** Runs `store(addr)` at CODE (the run stops at CODE + 10). */
function storeAt(cpu: UnicornX86, addr: number) {
  cpu.write(CODE, new Uint8Array(store(addr)));
  return cpu.run({ start: CODE, until: CODE + 10, maxInstructions: 100 });
}
/** What a guest write to unmapped `addr` gives. */
const unmapped = (addr: number) => ({ kind: 'fault', fault: 'unmapped', access: 'write', address: addr });

describe('UnicornX86 reuse (acquire after close)', () => {
  it('starts with the registers of a new engine', () => {
    const cpu = reused((c) => {
      c.map(CODE, 0x1000, RWX);
      c.write(CODE, new Uint8Array(movEax(0x1234)));
      c.setReg('esp', 0x8000);
      c.setReg('ebx', 7);
      c.setReg('fs', 0);
      c.setDescriptorTable('gdtr', 0x5000, 0x3ff);
      runCode(c);
    });
    const ref = fresh();
    const names: X86Reg[] = [...X86_GENERAL_REGS, 'cs', 'ds', 'ss'];
    for (const r of names) expect([r, cpu.reg(r)]).toEqual([r, ref.reg(r)]);
    ref.close();
    cpu.close();
  });

  it("hides the previous user's memory: not listed, host access fails, guest access faults as unmapped", () => {
    const cpu = reused((c) => {
      c.map(0x10000, 0x2000, RW);
      c.write(0x10000, new Uint8Array(0x2000).fill(0xaa));
      c.map(0x20000, 0x1000, RWX);
    });
    expect(cpu.regions()).toEqual([]);
    expect(cpu.mapped).toBe(0); // the guest memory cap counts this user's mappings only
    expect(() => cpu.read(0x10000, 4)).toThrow(/READ_UNMAPPED|unmapped/i);
    expect(() => cpu.readU32(0x10004)).toThrow();
    expect(() => cpu.write(0x10000, new Uint8Array(4))).toThrow();
    cpu.map(CODE, 0x1000, RWX);
    // mov eax, [0x10000]; nop; nop
    cpu.write(CODE, new Uint8Array([0xa1, 0x00, 0x00, 0x01, 0x00, 0x90, 0x90]));
    expect(runCode(cpu)).toMatchObject({
      kind: 'fault',
      fault: 'unmapped',
      access: 'read',
      address: 0x10000,
    });
    // jmp 0x20000 (e9 rel32): fetching from a stale region is an unmapped fetch
    cpu.write(CODE, new Uint8Array([0xe9, ...le(0x20000 - (CODE + 5)), 0x90, 0x90]));
    expect(runCode(cpu)).toMatchObject({ kind: 'fault', fault: 'unmapped', access: 'fetch' });
    cpu.close();
  });

  it('faults guest writes to stale regions as unmapped, on both sides of a range mapped again', () => {
    const cpu = reused((c) => {
      c.map(0x10000, 0x1000, RW);
      c.map(0x20000, 0x1000, RW);
      c.map(0x30000, 0x1000, RW);
    });
    cpu.map(0x20000, 0x1000, RW); // taken over, inside the stale regions' write watch
    cpu.map(CODE, 0x1000, RWX);
    const run = () => cpu.run({ start: CODE, until: CODE + 10, maxInstructions: 100 });
    for (const addr of [0x10010, 0x30020]) {
      cpu.write(CODE, new Uint8Array(store(addr)));
      expect(run()).toMatchObject({ kind: 'fault', fault: 'unmapped', access: 'write', address: addr });
    }
    cpu.write(CODE, new Uint8Array(store(0x20030)));
    expect(run()).toEqual({ kind: 'returned', pc: CODE + 10 });
    expect(cpu.readU32(0x20030)).toBe(0x12345678);
    // A stale region mapped again after a guest wrote to it is writable as new.
    cpu.map(0x10000, 0x1000, RW);
    cpu.write(CODE, new Uint8Array(store(0x10010)));
    expect(run()).toEqual({ kind: 'returned', pc: CODE + 10 });
    expect(cpu.readU32(0x10010)).toBe(0x12345678);
    cpu.close();
  });

  it('keeps the stale regions guarded as ranges are mapped again between runs, one after another', () => {
    const cpu = reused((c) => {
      for (const a of [0x10000, 0x20000, 0x30000, 0x40000]) c.map(a, 0x1000, RW);
    });
    cpu.map(CODE, 0x1000, RWX);
    const write = (addr: number) => storeAt(cpu, addr);
    expect(write(0x20030)).toMatchObject(unmapped(0x20030)); // one watch over all four
    cpu.map(0x20000, 0x1000, RW); // live memory inside it: writes there call the watch for nothing
    expect(write(0x20030)).toEqual({ kind: 'returned', pc: CODE + 10 });
    for (const a of [0x10010, 0x30020, 0x40020]) expect(write(a)).toMatchObject(unmapped(a));
    cpu.map(0x40000, 0x1000, RW); // taken over too
    cpu.map(0x38000, 0x1000, RW); // a new region past it
    for (const a of [0x40020, 0x38000]) expect(write(a)).toEqual({ kind: 'returned', pc: CODE + 10 });
    for (const a of [0x10010, 0x30020]) expect(write(a)).toMatchObject(unmapped(a));
    cpu.close();
  });

  it('splits a stale watch around live memory the guest writes often, the stale regions on both sides still guarded', () => {
    const cpu = reused((c) => {
      for (const a of [0x10000, 0x20000, 0x30000, 0x40000]) c.map(a, 0x1000, RW);
    });
    cpu.map(CODE, 0x1000, RWX);
    const write = (addr: number) => storeAt(cpu, addr);
    expect(write(0x30020)).toMatchObject(unmapped(0x30020)); // the first run watches all four
    cpu.map(0x20000, 0x1000, RW);
    // mov ecx, 40; l: mov [0x20030], ecx; dec ecx; jnz l (40 writes to live memory inside the watch)
    const loop = [0xb9, ...le(40), 0x89, 0x0d, ...le(0x20030), 0x49, 0x75, 0xf7, 0x90, 0x90];
    cpu.write(CODE, new Uint8Array(loop));
    expect(cpu.run({ start: CODE, until: CODE + 14, maxInstructions: 1000 })).toEqual({
      kind: 'returned',
      pc: CODE + 14,
    });
    expect(cpu.readU32(0x20030)).toBe(1);
    // White box: the watch was split around the live page, the parts over the stale regions left.
    const watches = (cpu as unknown as { staleWatches: { begin: number; end: number }[] }).staleWatches;
    expect(watches.map((w) => [w.begin, w.end])).toEqual([
      [0x10000, 0x10fff],
      [0x30000, 0x40fff],
    ]);
    for (const a of [0x10010, 0x30020, 0x40020]) expect(write(a)).toMatchObject(unmapped(a));
    cpu.close();
  });

  it("keeps the previous user's stale watches over the same runs, still guarding them", () => {
    const use = (c: UnicornX86, guestWritesB: boolean) => {
      c.map(0x10000, 0x1000, RW);
      c.map(CODE, 0x1000, RWX);
      c.write(CODE, new Uint8Array([0xc7, 0x05, ...le(0x20010), 0x78, 0x56, 0x34, 0x12]));
      const r = c.run({ start: CODE, until: CODE + 10, maxInstructions: 100 });
      c.map(0x20000, 0x1000, RW);
      if (guestWritesB)
        expect(c.run({ start: CODE, until: CODE + 10, maxInstructions: 100 }).kind).toBe('returned');
      return r;
    };
    const first = UnicornX86.acquire();
    use(first, false);
    first.close();
    const second = UnicornX86.acquire();
    expect(second).toBe(first);
    expect(use(second, true)).toMatchObject({ kind: 'fault', fault: 'unmapped', address: 0x20010 });
    const watches = () =>
      (second as unknown as { staleWatches: { hook: unknown }[] }).staleWatches.map((w) => w.hook);
    const hooks = watches();
    expect(hooks).toHaveLength(1);
    second.close();
    const third = UnicornX86.acquire();
    expect(third).toBe(first);
    expect(use(third, true)).toMatchObject({ kind: 'fault', fault: 'unmapped', address: 0x20010 });
    expect(watches()).toEqual(hooks); // the same hook, not a new one
    third.close();
  });

  it('keeps what the guest writes to a range a hook mapped during a run, and the stale regions around it guarded', () => {
    const cpu = reused((c) => {
      for (const a of [0x10000, 0x20000, 0x30000]) c.map(a, 0x1000, RW);
    });
    cpu.map(CODE, 0x1000, RWX);
    cpu.hookInterrupt(() => cpu.map(0x20000, 0x1000, RW));
    // int3; mov dword [0x20030], 0x12345678; mov dword [0x30020], 0x12345678
    cpu.write(CODE, new Uint8Array([0xcc, ...store(0x20030), ...store(0x30020), 0x90]));
    expect(cpu.run({ start: CODE, until: CODE + 21, maxInstructions: 100 })).toMatchObject({
      kind: 'fault',
      fault: 'unmapped',
      access: 'write',
      address: 0x30020,
    });
    expect(cpu.readU32(0x20030)).toBe(0x12345678);
    cpu.close();
  });

  it('a range mapped again reads as zeros, also around a partial write and after a run', () => {
    const cpu = reused((c) => {
      c.map(0x10000, 0x2000, RW);
      c.write(0x10000, new Uint8Array(0x2000).fill(0xaa));
      c.map(0x30000, 0x1000, RW);
      c.write(0x30000, new Uint8Array(0x1000).fill(0xbb));
    });
    cpu.map(0x10000, 0x2000, RW);
    cpu.writeU32(0x10004, 0x11223344);
    const bytes = cpu.read(0x10000, 0x2000);
    expect([...bytes.subarray(4, 8)]).toEqual([0x44, 0x33, 0x22, 0x11]);
    expect(bytes.filter((b, i) => (i < 4 || i >= 8) && b !== 0).length).toBe(0);
    cpu.map(0x30000, 0x1000, RW);
    cpu.map(CODE, 0x1000, RWX);
    cpu.write(CODE, new Uint8Array(movEax(1)));
    runCode(cpu);
    expect(cpu.read(0x30000, 0x1000).every((b) => b === 0)).toBe(true);
    cpu.close();
  });

  it('a whole-region write leaves exactly the new bytes, changed pages or not', () => {
    const old = new Uint8Array(0x3000).map((_, i) => i & 0xff);
    const next = old.slice();
    next[0x1800] = 0xee; // the middle page differs, the others are the same
    const cpu = reused((c) => {
      c.map(0x40000, 0x3000, RW);
      c.write(0x40000, old);
    });
    cpu.map(0x40000, 0x3000, RW);
    cpu.write(0x40000, next);
    expect(Buffer.from(cpu.read(0x40000, 0x3000)).equals(Buffer.from(next))).toBe(true);
    cpu.close();
  });

  it('a write over several regions taken over leaves the new bytes, the change in any of them', () => {
    const old = new Uint8Array(0x3000).map((_, i) => (i * 3) & 0xff);
    for (const changed of [0x10, 0x1ffe, 0x2fff]) {
      const next = old.slice();
      next[changed]! ^= 0xff;
      const cpu = reused((c) => {
        c.map(0x40000, 0x1000, RW);
        c.map(0x41000, 0x2000, RX);
        c.write(0x40000, old);
      });
      cpu.map(0x40000, 0x1000, RW);
      cpu.map(0x41000, 0x2000, RX);
      cpu.write(0x40000, next);
      expect(Buffer.from(cpu.read(0x40000, 0x3000)).equals(Buffer.from(next))).toBe(true);
      cpu.close();
    }
  });

  it('runs the new code at an address where the previous user ran other code', () => {
    const cpu = reused((c) => {
      c.map(CODE, 0x1000, RWX);
      c.write(CODE, new Uint8Array(movEax(1)));
      const r1 = runCode(c);
      expect(r1, JSON.stringify(r1)).toMatchObject({ kind: 'returned' });
      expect(c.reg('eax')).toBe(1);
    });
    cpu.map(CODE, 0x1000, RWX);
    cpu.write(CODE, new Uint8Array(movEax(2)));
    expect(runCode(cpu)).toMatchObject({ kind: 'returned' });
    expect(cpu.reg('eax')).toBe(2);
    cpu.close();
    // The same code again: the unchanged page is not rewritten, and still runs.
    const third = UnicornX86.acquire();
    expect(third).toBe(cpu);
    third.map(CODE, 0x1000, RWX);
    third.write(CODE, new Uint8Array(movEax(2)));
    runCode(third);
    expect(third.reg('eax')).toBe(2);
    third.close();
  });

  it("drops the previous user's hooks and takes the new permissions", () => {
    let calls = 0;
    const cpu = reused((c) => {
      c.map(CODE, 0x1000, RWX);
      c.write(CODE, new Uint8Array(movEax(1)));
      c.hookCode(CODE, CODE + 6, () => {
        calls++;
      });
      c.hookInterrupt(() => {
        calls += 100;
      });
      runCode(c);
      c.map(0x10000, 0x1000, RW);
    });
    expect(calls).toBeGreaterThan(0);
    const before = calls;
    cpu.map(CODE, 0x1000, RWX);
    cpu.write(CODE, new Uint8Array(movEax(1)));
    runCode(cpu);
    expect(calls).toBe(before);
    // Read-only now: mov [0x10000], eax faults as a protection error, as on a new engine.
    cpu.map(0x10000, 0x1000, R);
    cpu.write(CODE, new Uint8Array([0xa3, 0x00, 0x00, 0x01, 0x00, 0x90, 0x90]));
    expect(runCode(cpu)).toMatchObject({ kind: 'fault', fault: 'protection', access: 'write' });
    cpu.close();
  });

  // Code hooks the next user adds again in the same order are kept in libunicorn (parkedHooks); the
  // others go. Either way the new user's functions alone are called, in the order a new engine calls
  // them (a hook over a range, then one at an address in it: both fire there, in the order added).
  const hookOrder = (cpu: UnicornX86, tag: string, pointFirst: boolean, calls: string[]) => {
    const range = () => cpu.hookCode(CODE, CODE + 6, (a) => calls.push(`${tag}:range@${a - CODE}`));
    const point = () => cpu.hookCode(CODE + 5, CODE + 5, (a) => calls.push(`${tag}:point@${a - CODE}`));
    if (pointFirst) point();
    range();
    if (!pointFirst) point();
  };
  const useHooks = (cpu: UnicornX86, tag: string, pointFirst: boolean) => {
    const calls: string[] = [];
    cpu.map(CODE, 0x1000, RWX);
    cpu.write(CODE, new Uint8Array(movEax(1)));
    hookOrder(cpu, tag, pointFirst, calls);
    expect(runCode(cpu)).toMatchObject({ kind: 'returned' });
    return calls;
  };

  it.each([
    ['in the same order (kept)', false, false],
    ['in another order', false, true],
    ['after a user who added them in another order', true, false],
  ])("calls only the new user's code hooks, added again %s, as a new engine does", (_, first, second) => {
    let old: string[] = [];
    const cpu = reused((c) => {
      old = useHooks(c, 'old', first);
    });
    const now = useHooks(cpu, 'new', second);
    cpu.close();
    const reference = fresh();
    expect(now).toEqual(useHooks(reference, 'new', second));
    reference.close();
    expect(now.filter((c) => c.startsWith('old'))).toEqual([]);
    expect(old.length).toBe(now.length); // the old user's hooks fired for it, as many times
    expect(now).toContain('new:point@5');
  });

  it('drops kept code hooks the next user does not add again, before its first run', () => {
    const calls: string[] = [];
    const cpu = reused((c) => {
      c.map(CODE, 0x1000, RWX);
      c.write(CODE, new Uint8Array(movEax(1)));
      hookOrder(c, 'old', false, calls);
      c.hookTrace('insn', (a) => calls.push(`old:trace@${a - CODE}`));
      runCode(c);
    });
    calls.length = 0;
    cpu.map(CODE, 0x1000, RWX);
    cpu.write(CODE, new Uint8Array(movEax(1)));
    // Only the first of the three again: the others stay parked until the run, which drops them.
    cpu.hookCode(CODE, CODE + 6, (a) => calls.push(`new:range@${a - CODE}`));
    runCode(cpu);
    expect(calls).toEqual(['new:range@0', 'new:range@5', 'new:range@6']);
    cpu.close();
  });

  it('drops a kept port I/O hook the next user does not add again: `in` reads as on a new engine', () => {
    // mov edx, 0x60; mov eax, 0x12345678; in al, dx; nop
    const code = [0xba, 0x60, 0, 0, 0, 0xb8, 0x78, 0x56, 0x34, 0x12, 0xec, 0x90];
    const inAl = (cpu: UnicornX86) => {
      cpu.map(CODE, 0x1000, RWX);
      cpu.write(CODE, new Uint8Array(code));
      expect(cpu.run({ start: CODE, until: CODE + 11, maxInstructions: 100 })).toMatchObject({
        kind: 'returned',
      });
      return cpu.reg('eax');
    };
    const cpu = reused((c) => {
      c.hookPortIo({ in: () => 0xab, out: () => {} });
      expect(inAl(c) & 0xff).toBe(0xab);
    });
    const reference = fresh();
    expect(inAl(cpu)).toBe(inAl(reference));
    reference.close();
    cpu.close();
  });

  it('keeps engines made with other options out of the pool', () => {
    const own = fresh();
    own.close();
    const next = UnicornX86.acquire();
    expect(next).not.toBe(own);
    next.close();
  });
});

function le(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}
