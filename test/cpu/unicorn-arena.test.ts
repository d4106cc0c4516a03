// The image arena (src/cpu/unicorn-arena.ts): QEMU does not see guest stores into translated code on
// arena pages, so HostMemory drops those translations itself. Each case is one way code on an arena
// page can change after it was translated; each ran the old translation without the arena's rules.
import { describe, expect, it } from 'vitest';
import { R, RW, RWX, RX } from '../../src/cpu/engine.js';
import { UnicornX86 } from '../../src/cpu/unicorn.js';
import { setupNtX86 } from '../../src/cpu/x86-setup.js';

const TARGET = 0x80300000;
const WRITER = 0x80200000;
const DONE = 0x80101f00;
const le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const jmpDone = (from: number) => [0xe9, ...le(DONE - (from + 5))];
/** At `at`: mov eax, imm32; jmp DONE. */
const movEax = (at: number, v: number) => [0xb8, ...le(v), ...jmpDone(at + 5)];

function cpu(): UnicornX86 {
  const c = new UnicornX86({ codeGuard: false });
  setupNtX86(c, { number: 0 });
  c.map(0x80101000, 0x1000, RX); // holds DONE
  return c;
}

function runEax(c: UnicornX86, start: number): number | string {
  const r = c.run({ start, until: DONE });
  return r.kind === 'returned' ? c.reg('eax') : r.kind;
}

describe('image arena', () => {
  it('runs code the guest rewrote while its page was writable, once the page is executable again', () => {
    const c = cpu();
    c.map(TARGET, 0x1000, RW);
    c.write(TARGET, new Uint8Array(movEax(TARGET, 1)));
    c.protect(TARGET, 0x1000, RX);
    expect(runEax(c, TARGET)).toBe(1);
    // The guest (not the host) stores a new immediate while the page is writable.
    c.map(WRITER, 0x1000, RX);
    const store = [0xc7, 0x05, ...le(TARGET + 1), ...le(2)]; // mov dword [TARGET+1], 2
    c.write(WRITER, new Uint8Array([...store, ...jmpDone(WRITER + store.length)]));
    c.protect(TARGET, 0x1000, RW);
    expect(runEax(c, WRITER)).toBe(1);
    c.protect(TARGET, 0x1000, RX);
    expect(runEax(c, TARGET)).toBe(2);
    c.close();
  });

  it('does not run the translations of a page that stopped being executable before it was unmapped', () => {
    const c = cpu();
    c.map(TARGET, 0x1000, RX);
    c.write(TARGET, new Uint8Array(movEax(TARGET, 1)));
    expect(runEax(c, TARGET)).toBe(1);
    c.protect(TARGET, 0x1000, R);
    c.unmap(TARGET, 0x1000);
    c.map(TARGET, 0x1000, RX); // zeros: add [eax], al with eax = 1 faults
    expect(runEax(c, TARGET)).toBe('fault');
    c.close();
  });

  it('keeps the bytes of a region made writable and executable, and sees the guest patch its own code', () => {
    const c = cpu();
    c.map(TARGET, 0x1000, RX);
    const patched = TARGET + 0x100;
    c.write(patched, new Uint8Array(movEax(patched, 1)));
    // mov dword [patched+1], 2; jmp patched
    const patch = [0xc7, 0x05, ...le(patched + 1), ...le(2), 0xe9, ...le(patched - (TARGET + 15))];
    c.write(TARGET, new Uint8Array(patch));
    expect(runEax(c, patched)).toBe(1);
    expect(runEax(c, TARGET)).toBe('fault'); // a store into read-only code
    c.protect(TARGET, 0x1000, RWX);
    expect([...c.read(TARGET, patch.length)]).toEqual(patch);
    expect(runEax(c, patched)).toBe(1);
    expect(runEax(c, TARGET)).toBe(2);
    c.close();
  });

  it('lists no index region (it lies above what a 32-bit guest addresses)', () => {
    const c = cpu();
    c.map(TARGET, 0x1000, RX);
    const mirrored = c.regions();
    // White box: regions() asks uc_mem_regions once the table no longer mirrors libunicorn's map.
    (c as unknown as { memory: { unmirrored: boolean } }).memory.unmirrored = true;
    expect(c.regions()).toEqual(mirrored);
    expect(mirrored.some((r) => r.begin === TARGET)).toBe(true);
    c.close();
  });

  it('does not count the 512 MiB window as memory the process holds (V8 would collect at each engine)', () => {
    const before = process.memoryUsage().external;
    const c = cpu();
    c.map(TARGET, 0x4000, RW);
    c.write(TARGET + 0x3ffc, Uint8Array.of(1, 2, 3, 4));
    expect(c.read(TARGET + 0x3ffc, 4)).toEqual(Uint8Array.of(1, 2, 3, 4));
    // Views of the mapped regions only: kilobytes, where a view of the window added 512 MiB.
    expect(process.memoryUsage().external - before).toBeLessThan(64 * 1024 * 1024);
    c.close();
  });
});
