// UnicornX86 behind CpuEngine: results of guest code, budgets, faults with disassembly, API stub
// round trips, host errors kept apart from guest faults, NT's FS-based PCR, port I/O, interrupts.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { disassembleX86 } from '../../src/cpu/disasm.js';
import { R, RWX, returnFromStdcall, stackArg } from '../../src/cpu/engine.js';
import { UnicornX86 } from '../../src/cpu/unicorn.js';
import { KPCR_ADDRESS, setupNtX86 } from '../../src/cpu/x86-setup.js';

const CODE = 0x80101000;
const STUB = 0x80200000;
const DONE = 0x80101f00; // run until here

/** A CPU in NT's ring-0 state with `code` at CODE and a `ret`-free stub page at STUB. */
function cpuWith(code: number[]): UnicornX86 {
  const cpu = new UnicornX86();
  setupNtX86(cpu, { number: 0 });
  cpu.map(CODE, 0x1000, RWX);
  cpu.write(CODE, new Uint8Array(code));
  cpu.map(STUB, 0x1000, RWX);
  return cpu;
}
const le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const callRel = (from: number, to: number) => [0xe8, ...le(to - (from + 5))];
const jmpTo = (from: number, to: number) => [0xe9, ...le(to - (from + 5))];

describe('UnicornX86', () => {
  it('runs guest code and reads its registers', () => {
    // mov eax, 6; mov ecx, 7; imul eax, ecx; push eax; pop ebx; jmp DONE
    const code = [0xb8, ...le(6), 0xb9, ...le(7), 0x0f, 0xaf, 0xc1, 0x50, 0x5b];
    const cpu = cpuWith([...code, ...jmpTo(CODE + code.length, DONE)]);
    const esp = cpu.reg('esp');
    expect(cpu.run({ start: CODE, until: DONE })).toEqual({ kind: 'returned', pc: DONE });
    expect([cpu.reg('eax'), cpu.reg('ebx'), cpu.reg('ecx')]).toEqual([42, 42, 7]);
    expect(cpu.reg('esp')).toBe(esp); // push/pop balanced: ESP really is ESP (register id 30)
    cpu.close();
  });

  it('ends an infinite loop with an instruction budget and with a time budget', () => {
    const cpu = cpuWith([0xeb, 0xfe]); // jmp $
    expect(cpu.run({ start: CODE, until: DONE, maxInstructions: 10_000 })).toEqual({
      kind: 'budget',
      which: 'instructions',
      pc: CODE,
    });
    expect(cpu.run({ start: CODE, until: DONE, maxMillis: 20 })).toEqual({
      kind: 'budget',
      which: 'time',
      pc: CODE,
    });
    cpu.close();
  });

  it('mixes instruction and time budgets on one engine without hanging (Unicorn 2.0.1 workaround)', () => {
    // In a child process: without the workaround the 4th run never returned, which would freeze a
    // test worker. The timeout below only guards against that hang; it is not a speed assertion.
    const p = spawnSync(process.execPath, ['--import', 'tsx', 'test/cpu/budget-sequence.ts'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(p.signal).toBeNull();
    expect(p.stdout.trim().split('\n')).toEqual([
      'budget instructions',
      'budget time',
      'budget time',
      'budget instructions',
      'budget time',
    ]);
  });

  it('reports a wild write as a fault with address, access, PC and the faulting instruction', async () => {
    // mov dword ptr [0x00001234], 1
    const cpu = cpuWith([0xc7, 0x05, ...le(0x1234), ...le(1)]);
    const r = cpu.run({ start: CODE, until: DONE });
    expect(r).toEqual({ kind: 'fault', fault: 'unmapped', access: 'write', address: 0x1234, pc: CODE });
    const [insn] = await disassembleX86(cpu.read(CODE, 16), CODE);
    expect(insn).toMatchObject({ address: CODE, mnemonic: 'mov', text: 'mov dword ptr [0x1234], 1' });
    cpu.close();
  });

  it('reports a write to a read-only page as a protection fault', () => {
    const cpu = cpuWith([0xc7, 0x05, ...le(0x80300010), ...le(1)]);
    cpu.map(0x80300000, 0x1000, R);
    expect(cpu.run({ start: CODE, until: DONE })).toMatchObject({
      kind: 'fault',
      fault: 'protection',
      access: 'write',
      address: 0x80300010,
    });
    cpu.close();
  });

  it('round-trips a stdcall API call through a host handler', () => {
    // push 5; push 37; call STUB; add eax, 1; jmp DONE
    const code = [0x6a, 5, 0x6a, 37, ...callRel(CODE + 4, STUB), 0x83, 0xc0, 0x01];
    const cpu = cpuWith([...code, ...jmpTo(CODE + code.length, DONE)]);
    const esp = cpu.reg('esp');
    const seen: number[][] = [];
    cpu.hookCode(STUB, STUB + 0xfff, () => {
      const a = stackArg(cpu, 0);
      const b = stackArg(cpu, 1);
      seen.push([a, b]);
      returnFromStdcall(cpu, a * b, 8);
    });
    expect(cpu.run({ start: CODE, until: DONE }).kind).toBe('returned');
    expect(seen).toEqual([[37, 5]]);
    expect(cpu.reg('eax')).toBe(37 * 5 + 1);
    expect(cpu.reg('esp')).toBe(esp); // the handler popped both arguments
    cpu.close();
  });

  it('keeps a host bug in a handler apart from guest faults, and stays usable', () => {
    const code = callRel(CODE, STUB);
    const cpu = cpuWith([...code, ...jmpTo(CODE + 5, DONE)]);
    let fail = true;
    cpu.hookCode(STUB, STUB + 0xfff, () => {
      if (fail) throw new TypeError('handler bug');
      returnFromStdcall(cpu, 0, 0);
    });
    const r = cpu.run({ start: CODE, until: DONE });
    expect(r.kind).toBe('host-error');
    expect(r.kind === 'host-error' && r.error).toBeInstanceOf(TypeError);
    fail = false;
    cpu.setReg('esp', 0x8007fff0);
    expect(cpu.run({ start: CODE, until: DONE }).kind).toBe('returned');
    cpu.close();
  });

  it('reads the PCR through FS as NT code does', () => {
    // mov eax, fs:[0x1c] (SelfPcr); mov ebx, fs:[0x20] (Prcb); jmp DONE
    const code = [0x64, 0xa1, ...le(0x1c), 0x64, 0x8b, 0x1d, ...le(0x20)];
    const cpu = cpuWith([...code, ...jmpTo(CODE + code.length, DONE)]);
    expect(cpu.run({ start: CODE, until: DONE }).kind).toBe('returned');
    expect(cpu.reg('eax')).toBe(KPCR_ADDRESS);
    expect(cpu.reg('ebx')).toBe(KPCR_ADDRESS + 0x120);
    cpu.close();
  });

  it('sends IN/OUT to the port handlers and int3 to the interrupt hook', () => {
    // mov al, 4; out 0x70, al; in al, 0x71; int3
    const cpu = cpuWith([0xb0, 4, 0xe6, 0x70, 0xe4, 0x71, 0xcc]);
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
    cpu.hookInterrupt((vector) => cpu.stop(`int ${vector}`));
    expect(cpu.run({ start: CODE, until: DONE })).toMatchObject({ kind: 'stopped', reason: 'int 3' });
    expect(log).toEqual(['out 70/1=4', 'in 71/1']);
    expect(cpu.reg('eax') & 0xff).toBe(0x23);
    cpu.close();
  });
});
