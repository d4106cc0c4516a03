// A reused engine hides its previous user's writable regions without changing their writability
// (issue 19: libunicorn 2.0.1 rebuilds its memory map on every such change, twice per region per
// boot): guest reads, fetches and writes there still fault as unmapped, as on a new engine.
import { describe, expect, it } from 'vitest';
import { RW, RWX } from '../../src/cpu/engine.js';
import { UnicornX86 } from '../../src/cpu/unicorn.js';
import { haveUnicorn } from '../helpers/unicorn.js';

const CODE = 0x1000;
const le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

/** An engine whose previous user mapped (and used) a writable page at 0x20000 and one at 0x30000. */
function reused(): UnicornX86 {
  const first = UnicornX86.acquire();
  first.map(CODE, 0x1000, RWX);
  first.map(0x20000, 0x1000, RW);
  first.map(0x30000, 0x1000, RW);
  // mov [0x20000], eax; mov [0x30000], eax; the pages are in the engine's TLB afterwards
  first.write(CODE, new Uint8Array([0xa3, ...le(0x20000), 0xa3, ...le(0x30000), 0x90]));
  expect(first.run({ start: CODE, until: CODE + 10 })).toMatchObject({ kind: 'returned' });
  first.close();
  const cpu = UnicornX86.acquire();
  expect(cpu).toBe(first);
  cpu.map(CODE, 0x1000, RWX);
  return cpu;
}

describe.skipIf(!haveUnicorn)('stale writable regions of a reused engine', () => {
  it('a guest write there faults as unmapped, with the pc of the writing instruction', () => {
    const cpu = reused();
    // mov eax, 7; mov [0x20000], eax; mov ebx, 9
    cpu.write(CODE, new Uint8Array([0xb8, ...le(7), 0xa3, ...le(0x20000), 0xbb, ...le(9), 0x90]));
    const r = cpu.run({ start: CODE, until: CODE + 15 });
    expect(r).toMatchObject({
      kind: 'fault',
      fault: 'unmapped',
      access: 'write',
      address: 0x20000,
      pc: CODE + 5,
    });
    expect(cpu.reg('ebx')).not.toBe(9); // nothing after the faulting instruction ran
    cpu.close();
  });

  it('also from code translated for the previous user (same bytes: its translation is kept)', () => {
    const cpu = reused();
    cpu.write(CODE, new Uint8Array([0xa3, ...le(0x20000), 0xa3, ...le(0x30000), 0x90]));
    const r = cpu.run({ start: CODE, until: CODE + 10 });
    expect(r).toMatchObject({
      kind: 'fault',
      fault: 'unmapped',
      access: 'write',
      address: 0x20000,
      pc: CODE,
    });
    cpu.close();
  });

  it('reads fault as unmapped; mapping the page again makes it a zeroed writable page', () => {
    const cpu = reused();
    cpu.write(CODE, new Uint8Array([0xa1, ...le(0x30000), 0x90])); // mov eax, [0x30000]
    expect(cpu.run({ start: CODE, until: CODE + 5 })).toMatchObject({
      kind: 'fault',
      fault: 'unmapped',
      access: 'read',
    });
    cpu.map(0x30000, 0x1000, RW);
    // mov eax, [0x30000]; mov [0x30000], ebx (ebx = 5)
    cpu.setReg('ebx', 5);
    cpu.write(CODE, new Uint8Array([0xa1, ...le(0x30000), 0x89, 0x1d, ...le(0x30000), 0x90]));
    expect(cpu.run({ start: CODE, until: CODE + 11 })).toMatchObject({ kind: 'returned' });
    expect(cpu.reg('eax')).toBe(0);
    expect(cpu.readU32(0x30000)).toBe(5);
    expect(cpu.regions().find((g) => g.begin === 0x30000)?.perm).toEqual(RW);
    cpu.close();
  });
});
