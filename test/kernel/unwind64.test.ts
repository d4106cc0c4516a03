// RtlVirtualUnwind (src/kernel/seh/unwind64.ts) against real unwind data written by compilers we did
// not write: WDK-built WinDivert64.sys (MSVC) and, when installed, Debian's libwine x86_64 PE files
// (mingw gcc). For each function whose prologue runs straight through, the prologue is executed on
// Unicorn from the function's entry with marked registers, stopping at every instruction boundary;
// unwinding from there must give back the caller's RSP (above the return address), the return
// address and every nonvolatile register the prologue saved, as the prologue itself defines them.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { X64Cpu, X64Reg } from '../../src/cpu/engine.js';
import { createCpu } from '../../src/cpu/index.js';
import { GPR64, UnwindFlag } from '../../src/kernel/seh/layout64.js';
import {
  type Context64,
  imageBaseOf,
  lookupFunctionEntry,
  UnwindDataError,
  type UnwindMemory,
  virtualUnwind,
} from '../../src/kernel/seh/unwind64.js';
import { mapImage } from '../../src/loader/map.js';
import { PeImage } from '../../src/pe/image.js';

const IMAGE = 0x10000000; // window offsets: the image, then the stack
const STACK = 0x30000000;
const STACK_SIZE = 0x100000;
const RETURN = 0x1122334455667788n;
const NONVOLATILE: X64Reg[] = ['rbx', 'rbp', 'rsi', 'rdi', 'r12', 'r13', 'r14', 'r15'];
const marker = (r: X64Reg) => 0x5a5a000000000000n + BigInt(GPR64.indexOf(r as never) + 1) * 0x1111n;

interface Tally {
  functions: number;
  checked: number;
  points: number;
  skipped: number;
  /** Chained fragments checked (unwound through their primary's codes). */
  chained: number;
  mismatches: string[];
}

/** Maps `path` into a fresh AMD64 engine and checks every function entry's prologue. */
function checkImage(path: string, everyPoint: boolean, limit = Number.POSITIVE_INFINITY): Tally {
  const img = PeImage.parse(new Uint8Array(readFileSync(path)), path);
  const mapped = mapImage(img);
  const cpu = createCpu('amd64') as X64Cpu;
  const size = (mapped.bytes.length + 0xfff) & ~0xfff;
  cpu.map(IMAGE, size, { read: true, write: true, execute: true });
  cpu.write(IMAGE, mapped.bytes);
  cpu.map(STACK, STACK_SIZE, { read: true, write: true, execute: false });
  const base = cpu.guestAddress(IMAGE);
  const mem: UnwindMemory = {
    read: (a, n) => {
      const at = cpu.hostAddress(a);
      if (at === null) throw new Error('outside the window');
      return cpu.read(at, n);
    },
  };
  expect(imageBaseOf(mem, base + 0x1234n)).toBe(base);
  const dir = img.headers.dataDirectories[3]!;
  const tally: Tally = { functions: 0, checked: 0, points: 0, skipped: 0, chained: 0, mismatches: [] };
  const top = STACK + STACK_SIZE - 0x2000;
  for (let at: number = dir.rva; at + 12 <= dir.rva + dir.size && tally.functions < limit; at += 12) {
    const v = new DataView(mapped.bytes.buffer, at, 12);
    const begin = v.getUint32(0, true);
    const unwind = v.getUint32(8, true);
    tally.functions++;
    const flags = mapped.bytes[unwind]! >> 3;
    const prolog = mapped.bytes[unwind + 1]!;
    const codes = mapped.bytes[unwind + 2]!;
    // A chained entry's code is not entered at its start (it continues the primary's body); a frame
    // with unwind codes but no prologue is built by someone else (hand-written thunks).
    // A code past SizeOfProlog is data GNU as truncated (a prologue over 255 bytes): not checkable.
    // Version 2's UWOP_EPILOG codes (6) describe epilogues: their first byte is not a prologue offset.
    let late = false;
    let frameCodes = 0;
    for (let i = 0; i < codes; ) {
      const op = mapped.bytes[unwind + 5 + 2 * i]! & 0xf;
      const info = mapped.bytes[unwind + 5 + 2 * i]! >> 4;
      if (op !== 6) {
        frameCodes++;
        if (mapped.bytes[unwind + 4 + 2 * i]! > prolog) late = true;
      }
      i +=
        op === 1 ? (info === 0 ? 2 : 3) : op === 4 || op === 8 || op === 6 ? 2 : op === 5 || op === 9 ? 3 : 1;
    }
    // A chained fragment with no codes of its own runs with its primary's prologue done: run that
    // prologue, then unwind from the fragment's first instruction (the chained UNWIND_INFO's codes).
    let prologueAt = begin;
    let prologueSize = prolog;
    if (flags & UnwindFlag.CHAININFO && frameCodes === 0) {
      const chained = new DataView(mapped.bytes.buffer, unwind + 4 + 2 * ((codes + 1) & ~1), 12);
      const primaryInfo = chained.getUint32(8, true);
      if (!((mapped.bytes[primaryInfo]! >> 3) & UnwindFlag.CHAININFO)) {
        prologueAt = chained.getUint32(0, true);
        prologueSize = mapped.bytes[primaryInfo + 1]!;
        tally.chained++;
      }
    }
    if ((flags & UnwindFlag.CHAININFO && prologueAt === begin) || (prolog === 0 && frameCodes > 0) || late) {
      tally.skipped++;
      continue;
    }
    const entry = lookupFunctionEntry(mem, base, base + BigInt(begin));
    expect(entry?.begin).toBe(begin);
    let ok = true;
    for (let steps = everyPoint && prologueAt === begin ? 0 : 1000; steps < 1064; steps++) {
      cpu.setReg('rsp', cpu.guestAddress(top));
      cpu.write(top, new Uint8Array(new BigUint64Array([RETURN]).buffer));
      for (const r of NONVOLATILE) cpu.setReg(r, marker(r));
      for (const r of ['rcx', 'rdx', 'r8', 'r9', 'rax'] as const)
        cpu.setReg(r, cpu.guestAddress(top - 0x1000));
      const start = IMAGE + prologueAt;
      const run =
        steps === 0 || prologueSize === 0
          ? { kind: 'returned' as const, pc: start }
          : cpu.run({
              start,
              until: start + prologueSize,
              ...(steps < 1000 ? { maxInstructions: steps } : {}),
            });
      let pc = run.kind === 'returned' || run.kind === 'budget' ? run.pc : null;
      if (pc === null || pc < start || pc > start + prologueSize) {
        ok = false; // a prologue that calls out or faults here: not a straight-line prologue
        break;
      }
      if (prologueAt !== begin) pc = IMAGE + begin; // the chained fragment's start
      const ctx: Context64 = {
        gpr: GPR64.map((r) => cpu.reg(r)),
        rip: cpu.guestAddress(pc),
        xmm: new Array<bigint>(32).fill(0n),
      };
      virtualUnwind(mem, UnwindFlag.NHANDLER, base, ctx.rip, entry!, ctx);
      tally.points++;
      const where = `${path.split('/').at(-1)} function 0x${begin.toString(16)} at +0x${(pc - start).toString(16)}`;
      if (ctx.gpr[4] !== cpu.guestAddress(top + 8))
        tally.mismatches.push(`${where}: RSP 0x${ctx.gpr[4]!.toString(16)}`);
      if (ctx.rip !== RETURN) tally.mismatches.push(`${where}: RIP 0x${ctx.rip.toString(16)}`);
      for (const r of NONVOLATILE) {
        const got = ctx.gpr[GPR64.indexOf(r as never)];
        if (got !== marker(r)) tally.mismatches.push(`${where}: ${r} 0x${got?.toString(16)}`);
      }
      if (pc === start + prologueSize || !everyPoint || prologueAt !== begin) break;
    }
    if (ok) tally.checked++;
    else {
      tally.skipped++;
      if (process.env.DEBUG_UNWIND) console.log(path, begin.toString(16), 'not straight-line');
    }
  }
  cpu.close();
  return tally;
}

describe('RtlVirtualUnwind against real unwind data', () => {
  it('WinDivert64.sys (WDK, MSVC): every prologue point unwinds to the caller', () => {
    const t = checkImage('test/corpus/windivert-2.2/WinDivert64.sys', true);
    expect(t.mismatches).toEqual([]);
    expect(t.functions).toBe(143);
    if (process.env.DEBUG_UNWIND) console.log(t);
    expect(t.checked).toBeGreaterThan(100);
    expect(t.chained).toBeGreaterThan(0);
    expect(t.points).toBeGreaterThan(t.checked);
  });

  const wine = '/usr/lib/x86_64-linux-gnu/wine/x86_64-windows';
  it.skipIf(!existsSync(`${wine}/ntoskrnl.exe`))(
    "libwine's ntoskrnl.exe and ntdll.dll (mingw gcc; skipped without Debian's libwine)",
    () => {
      for (const file of ['ntoskrnl.exe', 'ntdll.dll']) {
        // Hand-written assembly in Wine places its .seh_* directives loosely inside the prologue, so
        // only the end of each prologue is exact there.
        const t = checkImage(`${wine}/${file}`, false, 1500);
        expect(t.mismatches.slice(0, 10)).toEqual([]);
        expect(t.checked).toBeGreaterThan(t.functions / 2);
      }
    },
  );
});

describe('RtlVirtualUnwind in an epilogue and on handler lookup (synthetic function)', () => {
  // push rbx; sub rsp, 20h | body: nop | add rsp, 20h; pop rbx; ret   and a second exit: jmp out.
  const code = [0x53, 0x48, 0x83, 0xec, 0x20, 0x90, 0x48, 0x83, 0xc4, 0x20, 0x5b, 0xc3];
  const CODE = 0x1000;
  const INFO = 0x2000;
  // UNWIND_INFO v1, UNW_FLAG_EHANDLER, prolog 5, 2 codes: ALLOC_SMALL 20h at 5, PUSH_NONVOL rbx at 1;
  // handler RVA 0x3000, then its data.
  const info = [0x09, 0x05, 0x02, 0x00, 0x05, 0x32, 0x01, 0x30, 0x00, 0x30, 0x00, 0x00, 0xaa, 0xbb];
  const image = new Uint8Array(0x4000);
  image.set(code, CODE);
  image.set(info, INFO);
  const base = 0x7000_0000n;
  const mem: UnwindMemory = {
    read: (a, n) => image.subarray(Number(a - base), Number(a - base) + n),
  };
  const entry = { address: base, begin: CODE, end: CODE + code.length, unwindData: INFO };
  const STACK_TOP = 0x3800;
  /** The stack as the function leaves it at `offset` into its code, and a context there. */
  const at = (offset: number, rsp: number) => {
    const v = new DataView(image.buffer);
    v.setBigUint64(0x3800, RETURN, true); // the return address
    v.setBigUint64(0x37f8, 0xb0b0n, true); // the caller's rbx, pushed
    const gpr = new Array<bigint>(16).fill(0n);
    gpr[4] = base + BigInt(rsp);
    gpr[3] = 0xdeadn; // the function's own rbx
    return { gpr, rip: base + BigInt(CODE + offset), xmm: new Array<bigint>(32).fill(0n) } as Context64;
  };
  const cases: [string, number, number][] = [
    ['body', 5, STACK_TOP - 8 - 0x20],
    ['add rsp (epilogue)', 6, STACK_TOP - 8 - 0x20],
    ['pop rbx (epilogue)', 10, STACK_TOP - 8],
  ];
  for (const [where, offset, rsp] of cases) {
    it(`${where}: the caller's RSP, RIP and rbx`, () => {
      const ctx = at(offset, rsp);
      const r = virtualUnwind(mem, UnwindFlag.EHANDLER, base, ctx.rip, entry, ctx);
      expect(ctx.rip).toBe(RETURN);
      expect(ctx.gpr[4]).toBe(base + BigInt(STACK_TOP + 8));
      expect(ctx.gpr[3]).toBe(0xb0b0n);
      // The handler is named only in the body, never in an epilogue (Microsoft: "Unwind procedure").
      expect(r.handler).toBe(offset === 5 ? base + 0x3000n : null);
      if (offset === 5) expect(r.handlerData).toBe(base + BigInt(INFO + 8 + 4));
    });
  }
  it('ret: only the return address is left', () => {
    const ctx = at(11, STACK_TOP);
    ctx.gpr[3] = 0xb0b0n;
    virtualUnwind(mem, UnwindFlag.EHANDLER, base, ctx.rip, entry, ctx);
    expect(ctx.rip).toBe(RETURN);
    expect(ctx.gpr[4]).toBe(base + BigInt(STACK_TOP + 8));
  });
  it('an unknown unwind operation is malformed data, not a host error', () => {
    const bad = image.slice();
    bad[INFO + 5] = 0x3b; // op 11
    const m: UnwindMemory = { read: (a, n) => bad.subarray(Number(a - base), Number(a - base) + n) };
    const ctx = at(5, STACK_TOP - 8 - 0x20);
    expect(() => virtualUnwind(m, UnwindFlag.EHANDLER, base, ctx.rip, entry, ctx)).toThrow(UnwindDataError);
  });
});
