// UnicornX86 behind the CpuEngine interface: results of guest code, budgets, faults with disassembly,
// API-stub round trips, host errors kept apart from guest faults, NT's FS-based PCR, port I/O,
// interrupts. Guest programs are hand-assembled; each byte list carries its assembly.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { disassemble, disassembleAt } from '../../src/cpu/disasm.js';
import { R, RW, RWX, RX } from '../../src/cpu/engine.js';
import { UnicornUnavailableError, UnicornX86 } from '../../src/cpu/unicorn.js';
import { pushCall, returnFromStdcall, stackArg, stackArgs } from '../../src/cpu/x86-call.js';
import { KPCR_ADDRESS, KPRCB_OFFSET, setupNtX86 } from '../../src/cpu/x86-setup.js';

const CODE = 0x80101000;
const STUB = 0x80200000;
const DONE = 0x80101f00; // run until here

/** A CPU in NT's ring-0 state with `code` at CODE and an empty (zero-filled) stub page at STUB. */
function cpuWith(code: number[]): UnicornX86 {
  const cpu = new UnicornX86();
  setupNtX86(cpu, { number: 0 });
  cpu.map(CODE, 0x1000, RWX);
  cpu.write(CODE, new Uint8Array(code));
  cpu.map(STUB, 0x1000, RWX);
  return cpu;
}
const le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
/** call rel32 from `from` to `to` */
const callRel = (from: number, to: number) => [0xe8, ...le(to - (from + 5))];
/** jmp rel32 from `from` to `to` */
const jmpTo = (from: number, to: number) => [0xe9, ...le(to - (from + 5))];
/** `code` followed by jmp DONE */
const thenDone = (code: number[]) => [...code, ...jmpTo(CODE + code.length, DONE)];

describe('UnicornX86 runs guest code', () => {
  it('computes in registers and keeps ESP balanced across push/pop (ESP is register id 30)', () => {
    // mov eax, 6; mov ecx, 7; imul eax, ecx; push eax; push 0x11; pop edx; pop ebx; jmp DONE
    const cpu = cpuWith(
      thenDone([0xb8, ...le(6), 0xb9, ...le(7), 0x0f, 0xaf, 0xc1, 0x50, 0x6a, 0x11, 0x5a, 0x5b]),
    );
    const esp = cpu.reg('esp');
    expect(cpu.run({ start: CODE, until: DONE })).toEqual({ kind: 'returned', pc: DONE });
    expect([cpu.reg('eax'), cpu.reg('ebx'), cpu.reg('ecx'), cpu.reg('edx')]).toEqual([42, 42, 7, 0x11]);
    expect(cpu.reg('esp')).toBe(esp);
    cpu.close();
  });

  it('sees what the guest pushed at [esp] and what the host wrote through u8/u16/u32', () => {
    // push 0x12345678; mov al, [0x80300000]; mov bx, [0x80300002]; mov ecx, [0x80300004]; jmp DONE
    const cpu = cpuWith(
      thenDone([
        0x68,
        ...le(0x12345678),
        0xa0,
        ...le(0x80300000),
        0x66,
        0x8b,
        0x1d,
        ...le(0x80300002),
        0x8b,
        0x0d,
        ...le(0x80300004),
      ]),
    );
    cpu.map(0x80300000, 0x1000, RW);
    cpu.writeU8(0x80300000, 0xab);
    cpu.writeU16(0x80300002, 0xcdef);
    cpu.writeU32(0x80300004, 0xdeadbeef);
    const esp = cpu.reg('esp');
    expect(cpu.run({ start: CODE, until: DONE }).kind).toBe('returned');
    expect(cpu.reg('esp')).toBe(esp - 4);
    expect(cpu.readU32(cpu.reg('esp'))).toBe(0x12345678);
    expect(cpu.readU16(cpu.reg('esp'))).toBe(0x5678);
    expect(cpu.readU8(cpu.reg('esp') + 3)).toBe(0x12);
    expect([cpu.reg('eax') & 0xff, cpu.reg('ebx') & 0xffff, cpu.reg('ecx')]).toEqual([
      0xab, 0xcdef, 0xdeadbeef,
    ]);
    cpu.close();
  });

  it('reads the PCR through FS as NT code does', () => {
    // mov eax, fs:[0x1c] (KPCR.SelfPcr); mov ebx, fs:[0x20] (KPCR.Prcb); mov ecx, fs:[0] (ExceptionList); jmp DONE
    const cpu = cpuWith(
      thenDone([0x64, 0xa1, ...le(0x1c), 0x64, 0x8b, 0x1d, ...le(0x20), 0x64, 0x8b, 0x0d, ...le(0)]),
    );
    expect(cpu.run({ start: CODE, until: DONE }).kind).toBe('returned');
    expect(cpu.reg('eax')).toBe(KPCR_ADDRESS);
    expect(cpu.reg('ebx')).toBe(KPCR_ADDRESS + KPRCB_OFFSET);
    expect(cpu.reg('ecx')).toBe(0xffffffff); // EXCEPTION_CHAIN_END
    expect([cpu.reg('cs'), cpu.reg('ds'), cpu.reg('ss'), cpu.reg('fs')]).toEqual([0x08, 0x10, 0x10, 0x30]);
    cpu.close();
  });

  it('reads back registers the guest wrote, a selector after a full 32-bit value (one native slot)', () => {
    // mov ebx, 0x89abcdef; mov esi, 0x01234567; mov edi, 0xfedcba98; jmp DONE
    const cpu = cpuWith(
      thenDone([0xbb, ...le(0x89abcdef), 0xbe, ...le(0x01234567), 0xbf, ...le(0xfedcba98)]),
    );
    expect(cpu.run({ start: CODE, until: DONE }).kind).toBe('returned');
    // Each read goes to Unicorn (the run's end cached EIP, ESP and EAX alone); the 16-bit selector
    // read right after a value with high bytes set must not keep them.
    expect(cpu.reg('edi')).toBe(0xfedcba98);
    expect(cpu.reg('gs')).toBe(0);
    expect(cpu.reg('ebx')).toBe(0x89abcdef);
    expect(cpu.reg('cs')).toBe(0x08);
    expect(cpu.reg('esi')).toBe(0x01234567);
    cpu.close();
  });

  it('calls a guest stdcall routine from the host and returns to a sentinel', () => {
    // add2: mov eax, [esp+4]; add eax, [esp+8]; ret 8
    const cpu = cpuWith([0x8b, 0x44, 0x24, 0x04, 0x03, 0x44, 0x24, 0x08, 0xc2, 0x08, 0x00]);
    const esp = cpu.reg('esp');
    pushCall(cpu, [40, 2], DONE);
    expect(cpu.run({ start: CODE, until: DONE })).toEqual({ kind: 'returned', pc: DONE });
    expect(cpu.reg('eax')).toBe(42);
    expect(cpu.reg('esp')).toBe(esp);
    cpu.close();
  });

  it('ends at HLT with `stopped` and reason hlt', () => {
    const cpu = cpuWith([0x90, 0xf4, 0xeb, 0xfe]); // nop; hlt; jmp $
    expect(cpu.run({ start: CODE, until: DONE })).toEqual({ kind: 'stopped', reason: 'hlt', pc: CODE + 2 });
    cpu.close();
  });
});

describe('budgets', () => {
  it('ends an infinite loop by its instruction budget', () => {
    const cpu = cpuWith([0xeb, 0xfe]); // jmp $
    expect(cpu.run({ start: CODE, until: DONE, maxInstructions: 10_000 })).toEqual({
      kind: 'budget',
      which: 'instructions',
      pc: CODE,
      instructions: 10_000,
    });
    cpu.close();
  });

  it('ends an infinite loop by its time budget', () => {
    const cpu = cpuWith([0xeb, 0xfe]); // jmp $
    expect(cpu.run({ start: CODE, until: DONE, maxMillis: 20 })).toEqual({
      kind: 'budget',
      which: 'time',
      pc: CODE,
    });
    cpu.close();
  });

  it.each(['always', 'on-demand'])(
    'enforces each budget when runs of the same code mix them (counting %s)',
    (mode) => {
      // In a child process: without the workaround the instruction-budgeted run never returned, which
      // would freeze a test worker. The timeout only guards against that hang; it is not a speed check.
      const p = spawnSync(process.execPath, ['--import', 'tsx', 'test/cpu/budget-sequence.ts', mode], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(p.stderr).toBe('');
      expect(p.stdout.trim().split('\n')).toEqual([
        'budget time',
        'budget instructions',
        'budget time',
        'budget time',
        'budget instructions',
        'budget time',
      ]);
    },
  );

  it('rejects budgets that would mean "unlimited" to Unicorn', () => {
    const cpu = cpuWith([0xeb, 0xfe]);
    expect(() => cpu.run({ start: CODE, until: DONE, maxInstructions: 0 })).toThrow(RangeError);
    expect(() => cpu.run({ start: CODE, until: DONE, maxMillis: 0 })).toThrow(RangeError);
    cpu.close();
  });
});

describe('guest faults are data', () => {
  it('reports a wild write with address, access, PC and the faulting instruction', async () => {
    // nop; mov dword ptr [0x00001234], 1
    const cpu = cpuWith([0x90, 0xc7, 0x05, ...le(0x1234), ...le(1)]);
    const r = cpu.run({ start: CODE, until: DONE });
    expect(r).toEqual({ kind: 'fault', fault: 'unmapped', access: 'write', address: 0x1234, pc: CODE + 1 });
    const [insn] = await disassembleAt(cpu, r.pc);
    expect(insn).toEqual({
      address: CODE + 1,
      bytes: 'c7 05 34 12 00 00 01 00 00 00',
      mnemonic: 'mov',
      opStr: 'dword ptr [0x1234], 1',
      text: 'mov dword ptr [0x1234], 1',
    });
    cpu.close();
  });

  it('without counting, gives the start of the translated block as the pc of a memory fault, flagged inexact', () => {
    // nop; mov dword ptr [0x00001234], 1
    const cpu = new UnicornX86({ counting: 'on-demand' });
    setupNtX86(cpu, { number: 0 });
    cpu.map(CODE, 0x1000, RX); // not writable: a guard write hook would make the pc exact
    cpu.write(CODE, new Uint8Array([0x90, 0xc7, 0x05, ...le(0x1234), ...le(1)]));
    expect(cpu.run({ start: CODE, until: DONE })).toEqual({
      kind: 'fault',
      fault: 'unmapped',
      access: 'write',
      address: 0x1234,
      pc: CODE,
      pcExact: false,
    });
    cpu.close();
  });

  it('reports a write to a read-only page as a protection fault', () => {
    // mov dword ptr [0x80300010], 1
    const cpu = cpuWith([0xc7, 0x05, ...le(0x80300010), ...le(1)]);
    cpu.map(0x80300000, 0x1000, R);
    expect(cpu.run({ start: CODE, until: DONE })).toEqual({
      kind: 'fault',
      fault: 'protection',
      access: 'write',
      address: 0x80300010,
      pc: CODE,
    });
    cpu.close();
  });

  it('reports a read of unmapped memory, a jump into unmapped memory and into a non-executable page', () => {
    // mov eax, [0x00000010]
    const read = cpuWith([0xa1, ...le(0x10)]);
    expect(read.run({ start: CODE, until: DONE })).toMatchObject({
      kind: 'fault',
      fault: 'unmapped',
      access: 'read',
      address: 0x10,
    });
    read.close();
    // jmp 0x90000000
    const fetch = cpuWith(jmpTo(CODE, 0x90000000));
    expect(fetch.run({ start: CODE, until: DONE })).toMatchObject({
      kind: 'fault',
      fault: 'unmapped',
      access: 'fetch',
      address: 0x90000000,
    });
    fetch.close();
    // jmp 0x80300000, a readable page without execute permission
    const noExec = cpuWith(jmpTo(CODE, 0x80300000));
    noExec.map(0x80300000, 0x1000, R);
    expect(noExec.run({ start: CODE, until: DONE })).toMatchObject({
      kind: 'fault',
      fault: 'protection',
      access: 'fetch',
      address: 0x80300000,
    });
    noExec.close();
  });

  it('reports an invalid instruction and an unhandled int3 with its vector', () => {
    const ud2 = cpuWith([0x0f, 0x0b]); // ud2
    expect(ud2.run({ start: CODE, until: DONE })).toMatchObject({
      kind: 'fault',
      fault: 'invalid-instruction',
      pc: CODE,
    });
    ud2.close();
    const int3 = cpuWith([0xcc]); // int3
    expect(int3.run({ start: CODE, until: DONE })).toMatchObject({
      kind: 'fault',
      fault: 'exception',
      vector: 3,
    });
    int3.close();
  });

  it('reports each exception with its own vector after earlier ones, not as a double or triple fault', () => {
    // libunicorn 2.0.1 leaves QEMU's "exception in flight" set when a hook takes an exception: the
    // next divide error or #GP became #DF (8), and the one after that a triple fault (no report at all).
    const de = [0x31, 0xc9, 0xf7, 0xf1]; // xor ecx, ecx; div ecx
    const gp = [0x66, 0xb8, 0x34, 0x12, 0x8e, 0xd8]; // mov ax, 0x1234; mov ds, ax (beyond the GDT)
    const cpu = cpuWith([...de, ...gp]);
    const fault = (vector: number, pc: number) => ({ kind: 'fault', fault: 'exception', vector, pc });
    expect(cpu.run({ start: CODE, until: DONE })).toMatchObject(fault(0, CODE + 2));
    expect(cpu.run({ start: CODE + 4, until: DONE })).toMatchObject(fault(13, CODE + 8));
    expect(cpu.run({ start: CODE, until: DONE })).toMatchObject(fault(0, CODE + 2));
    expect(cpu.run({ start: CODE + 4, until: DONE })).toMatchObject(fault(13, CODE + 8));
    // The same when a hook takes each exception and the run goes on past it.
    const vectors: number[] = [];
    cpu.hookInterrupt((vector) => {
      vectors.push(vector);
      cpu.setReg('eip', cpu.reg('eip') + 2); // over `div ecx` (F7 F1) or `mov ds, ax` (8E D8)
    });
    cpu.write(CODE + 10, new Uint8Array([...de, ...gp, ...de, ...jmpTo(CODE + 24, DONE)]));
    expect(cpu.run({ start: CODE + 10, until: DONE })).toEqual({ kind: 'returned', pc: DONE });
    expect(vectors).toEqual([0, 13, 0]);
    cpu.close();
  });
});

describe('host hooks', () => {
  it('round-trips a stdcall API call through a host handler', () => {
    // push 5; push 37; call STUB; add eax, 1; jmp DONE
    const code = [0x6a, 5, 0x6a, 37, ...callRel(CODE + 4, STUB), 0x83, 0xc0, 0x01];
    const cpu = cpuWith(thenDone(code));
    const esp = cpu.reg('esp');
    const seen: number[][] = [];
    cpu.hookCode(STUB, STUB + 0xfff, (address) => {
      expect(address).toBe(STUB);
      const [a, b] = stackArgs(cpu, 2) as [number, number];
      seen.push([a, b, stackArg(cpu, 1)]);
      returnFromStdcall(cpu, a * b, 8);
    });
    expect(cpu.run({ start: CODE, until: DONE }).kind).toBe('returned');
    expect(seen).toEqual([[37, 5, 5]]);
    expect(cpu.reg('eax')).toBe(37 * 5 + 1);
    expect(cpu.reg('esp')).toBe(esp); // the handler popped both arguments
    cpu.close();
  });

  it('gives a throwing handler back as host-error with the original error, and stays usable', () => {
    const cpu = cpuWith(thenDone(callRel(CODE, STUB)));
    const bug = new TypeError('handler bug');
    let fail = true;
    cpu.hookCode(STUB, STUB, () => {
      if (fail) throw bug;
      returnFromStdcall(cpu, 7, 0);
    });
    const esp = cpu.reg('esp');
    const r = cpu.run({ start: CODE, until: DONE });
    expect(r).toEqual({ kind: 'host-error', error: bug, pc: STUB });
    expect(r.kind === 'host-error' && r.error).toBe(bug);
    fail = false;
    cpu.setReg('esp', esp);
    expect(cpu.run({ start: CODE, until: DONE })).toEqual({ kind: 'returned', pc: DONE });
    expect(cpu.reg('eax')).toBe(7);
    cpu.close();
  });

  it('ends the run with `stopped` when a hook calls stop()', () => {
    const cpu = cpuWith(thenDone(callRel(CODE, STUB)));
    cpu.hookCode(STUB, STUB, () => cpu.stop('KeBugCheckEx'));
    expect(cpu.run({ start: CODE, until: DONE })).toEqual({
      kind: 'stopped',
      reason: 'KeBugCheckEx',
      pc: STUB,
    });
    cpu.close();
  });

  it('calls a hook added after its code already ran, and not after remove()', () => {
    // call STUB; call STUB; jmp DONE -- with `ret` at STUB
    const cpu = cpuWith(thenDone([...callRel(CODE, STUB), ...callRel(CODE + 5, STUB)]));
    cpu.writeU8(STUB, 0xc3); // ret
    expect(cpu.run({ start: CODE, until: DONE }).kind).toBe('returned'); // STUB is now translated
    const calls: number[] = [];
    const h = cpu.hookCode(STUB, STUB, (a) => calls.push(a));
    expect(cpu.run({ start: CODE, until: DONE }).kind).toBe('returned');
    expect(calls).toEqual([STUB, STUB]);
    h.remove();
    expect(cpu.run({ start: CODE, until: DONE }).kind).toBe('returned');
    expect(calls).toHaveLength(2);
    cpu.close();
  });

  it('sends IN/OUT to the port handlers and int3 to the interrupt hook', () => {
    // mov al, 4; out 0x70, al; in al, 0x71; int3; jmp DONE
    const cpu = cpuWith(thenDone([0xb0, 4, 0xe6, 0x70, 0xe4, 0x71, 0xcc]));
    const log: string[] = [];
    cpu.hookPortIo({
      in: (port, size) => {
        log.push(`in ${port.toString(16)}/${size}`);
        return 0x23;
      },
      out: (port, size, value) => {
        log.push(`out ${port.toString(16)}/${size}=${value}`);
      },
    });
    const vectors: number[] = [];
    cpu.hookInterrupt((vector) => vectors.push(vector));
    expect(cpu.run({ start: CODE, until: DONE }).kind).toBe('returned'); // int3 handled: execution goes on
    expect(log).toEqual(['out 70/1=4', 'in 71/1']);
    expect(vectors).toEqual([3]);
    expect(cpu.reg('eax') & 0xff).toBe(0x23);
    cpu.close();
  });

  it('gives an exception thrown by an interrupt or port handler back as host-error', () => {
    const cpu = cpuWith([0xcc]); // int3
    cpu.hookInterrupt(() => {
      throw new Error('interrupt handler bug');
    });
    const r = cpu.run({ start: CODE, until: DONE });
    expect(r.kind === 'host-error' && r.error.message).toBe('interrupt handler bug');
    cpu.close();
  });
});

describe('set-up errors', () => {
  it('says in one line how to install libunicorn when it cannot be loaded', () => {
    const e = (() => {
      try {
        new UnicornX86({ library: 'libunicorn-nt351-missing.so.2' });
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(UnicornUnavailableError);
    expect((e as Error).message).toBe(
      'nt351: libunicorn.so.2 not found; install the Unicorn 2 library (Debian and Ubuntu: apt-get install libunicorn2)',
    );
  });
});

describe('disassembly', () => {
  it('decodes several instructions, and nothing from bytes that are no instruction', async () => {
    // push ebp; mov ebp, esp; ret 8
    expect(
      (await disassemble(new Uint8Array([0x55, 0x8b, 0xec, 0xc2, 0x08, 0x00]), 0x1000, 3)).map((i) => i.text),
    ).toEqual(['push ebp', 'mov ebp, esp', 'ret 8']);
    expect(await disassemble(new Uint8Array([0x0f]), 0x1000)).toEqual([]); // a lone 0F escape byte
  });

  it('reads only mapped bytes near the end of a mapping', async () => {
    const cpu = cpuWith([]);
    cpu.write(CODE + 0xffe, new Uint8Array([0x90, 0xc3])); // nop; ret, the last bytes of the page
    expect((await disassembleAt(cpu, CODE + 0xffe, 5)).map((i) => i.text)).toEqual(['nop', 'ret']);
    cpu.close();
  });
});

describe('UnicornX86 tracing (hookTrace)', () => {
  // mov ecx, 3; L: dec ecx; jnz L; jmp DONE — blocks: [mov ecx, dec, jnz], [dec, jnz] twice, [jmp DONE]
  const loop = [0xb9, ...le(3), 0x49, 0x75, 0xfd];

  it('reports each executed basic block with its size, also for code translated before the hook', () => {
    const cpu = cpuWith(thenDone(loop));
    expect(cpu.run({ start: CODE, until: DONE }).kind).toBe('returned'); // translated without a hook
    const blocks: [number, number][] = [];
    const hook = cpu.hookTrace('block', (address, size) => blocks.push([address - CODE, size]));
    expect(cpu.run({ start: CODE, until: DONE }).kind).toBe('returned');
    expect(blocks).toEqual([
      [0, 8],
      [5, 3],
      [5, 3],
      [8, 5],
    ]);
    hook.remove();
    blocks.length = 0;
    cpu.run({ start: CODE, until: DONE });
    expect(blocks).toEqual([]);
    cpu.close();
  });

  it('reports each executed instruction in insn mode', () => {
    const cpu = cpuWith(thenDone(loop));
    const insns: number[] = [];
    cpu.hookTrace('insn', (address) => insns.push(address - CODE));
    expect(cpu.run({ start: CODE, until: DONE }).kind).toBe('returned');
    expect(insns).toEqual([0, 5, 6, 5, 6, 5, 6, 8]);
    cpu.close();
  });
});
