// Guest containment: hostile driver code run through `run-driver` ends as a guest fault or budget
// report (PC, faulting address, disassembly), never a host crash, hang or unbounded host allocation.
// Drivers are hand-assembled with test/helpers/x86-driver.ts; each byte list carries its assembly.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { RW } from '../../src/cpu/engine.js';
import { GuestMemoryLimitError, UnicornX86 } from '../../src/cpu/unicorn.js';
import { KERNEL_STACK } from '../../src/cpu/x86-setup.js';
import { MAX_EVENTS } from '../../src/kernel/events.js';
import { ALL_HANDLERS } from '../../src/kernel/exports/index.js';
import { MAX_DBGPRINT_EVENTS } from '../../src/kernel/exports/ntoskrnl/dbg.js';
import { DEFAULT_MEMORY_MIB, Pool, poolSizes } from '../../src/kernel/pool.js';
import { type CallOutcome, type RunDriverOptions, runDriver } from '../../src/sandbox/index.js';
import { haveUnicorn } from '../helpers/unicorn.js';
import { type Asm, x86Driver } from '../helpers/x86-driver.js';

const unicorn = haveUnicorn;
const tmp = mkdtempSync(join(tmpdir(), 'nt351-guest-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

// x86Driver's layout: .text at RVA 0x1000, .data (0x100 zero bytes, RW) at 0x3000.
const TEXT_FROM_DATA = 0x1000 - 0x3000;
/** mov dword ptr [.data + off], value */
const store = (a: Asm, off: number, value: number) => {
  a.emit(0xc7, 0x05);
  a.dataAddress(off);
  a.emit(...le(value));
};
/** push offset .data + off */
const pushData = (a: Asm, off: number) => {
  a.emit(0x68);
  a.dataAddress(off);
};
/** push imm32 */
const push = (a: Asm, v: number) => a.emit(0x68, ...le(v));
/** xor eax, eax; ret 8 (DriverEntry returns STATUS_SUCCESS) */
const succeed = (a: Asm) => a.emit(0x31, 0xc0, 0xc2, 0x08, 0x00);
/** Stores a UNICODE_STRING { Length, MaximumLength, Buffer } at .data + off. */
const unicodeString = (a: Asm, off: number, length: number, max: number, buffer: number) => {
  store(a, off, ((max & 0xffff) << 16) | (length & 0xffff));
  store(a, off + 4, buffer);
};

let n = 0;
async function guest(imports: string[], program: (a: Asm) => void, opts: Partial<RunDriverOptions> = {}) {
  const driver = join(tmp, `g${n++}.sys`);
  writeFileSync(driver, x86Driver(imports, program));
  const r = await runDriver({ driver, ...opts });
  return { r, last: r.calls.at(-1)!.outcome, entry: r.driver.entryPoint! };
}
const fault = (o: CallOutcome) => (o.kind === 'fault' ? o : null);
const dbgprints = (r: Awaited<ReturnType<typeof guest>>['r']) =>
  r.events.flatMap((e) => (e.type === 'dbgprint' ? [e.text] : []));

describe.skipIf(!unicorn)('budgets end runaway guest code', () => {
  it('an infinite loop under a huge instruction budget ends by the wall-clock budget, with its pc', async () => {
    const { r, last, entry } = await guest([], (a) => a.emit(0xeb, 0xfe), {
      maxInstructions: 2 ** 51,
      maxMillis: 50,
    });
    expect(r.outcome).toBe('budget');
    expect(last).toEqual({
      kind: 'budget',
      which: 'time',
      pc: entry,
      instruction: `jmp 0x${entry.toString(16)}`, // jmp $, disassembled at the pc where it was cut
    });
  });

  it('the CLI names the budget and the pc, and exits 1 (guest failed)', async () => {
    const driver = join(tmp, 'loop.sys');
    writeFileSync(
      driver,
      x86Driver([], (a) => a.emit(0xeb, 0xfe)),
    );
    let out = '';
    const code = await run(['node', 'nt351', 'run-driver', '--max-instructions', '100000', driver], {
      stdout: (s) => (out += s),
      stderr: () => {},
    });
    expect(code).toBe(1);
    expect(out).toMatch(/DriverEntry at 0x[0-9a-f]{8} BUDGET: instructions budget exhausted at pc 0x/);
    expect(out).toContain('Outcome: budget');
  });
});

describe.skipIf(!unicorn)('guest faults are reports with pc, address and disassembly', () => {
  const cases: {
    what: string;
    program: (a: Asm) => void;
    fault: string;
    access: string | null;
    /** Faulting address relative to the entry point, or absolute. */
    address: (entry: number) => number;
    pc: (entry: number) => number;
    /** EIP in the register dump when it differs from pc (traps leave it past the instruction). */
    eip?: (entry: number) => number;
    instruction: string | RegExp | null;
  }[] = [
    {
      what: 'stack overflow: unbounded recursion runs off the bottom of the kernel stack',
      program: (a) => a.emit(0xe8, ...le(-5)), // call $ (itself)
      fault: 'unmapped',
      access: 'write',
      address: () => KERNEL_STACK.base - 4,
      pc: (e) => e,
      instruction: /^call 0x[0-9a-f]+$/,
    },
    {
      what: 'executing a non-executable page (the driver’s .data section)',
      program: (a) => {
        a.emit(0xb8); // mov eax, offset .data
        a.dataAddress(0);
        a.emit(0xff, 0xe0); // jmp eax
      },
      fault: 'protection',
      access: 'fetch',
      address: (e) => e + 0x2000,
      pc: (e) => e + 0x2000,
      instruction: 'add byte ptr [eax], al', // the zero bytes there, decoded
    },
    {
      what: 'writing to a read-only section of the loaded image (its own .text)',
      program: (a) => {
        a.emit(0xc7, 0x05); // mov dword ptr [.text], 1
        a.dataAddress(TEXT_FROM_DATA);
        a.emit(...le(1));
      },
      fault: 'protection',
      access: 'write',
      address: (e) => e,
      pc: (e) => e,
      instruction: /^mov dword ptr \[0x[0-9a-f]+\], 1$/,
    },
    {
      what: 'a null pointer read',
      program: (a) => a.emit(0xa1, ...le(0)), // mov eax, [0]
      fault: 'unmapped',
      access: 'read',
      address: () => 0,
      pc: (e) => e,
      instruction: 'mov eax, dword ptr [0]',
    },
    {
      what: 'a null pointer write',
      program: (a) => a.emit(0x31, 0xdb, 0x89, 0x03), // xor ebx, ebx; mov [ebx], eax
      fault: 'unmapped',
      access: 'write',
      address: () => 0,
      pc: (e) => e + 2,
      instruction: 'mov dword ptr [ebx], eax',
    },
    {
      what: 'a jump into unmapped memory (no instruction to show: the pc itself is unreadable)',
      program: (a) => a.emit(0xb8, ...le(0x50000000), 0xff, 0xe0), // mov eax, 0x50000000; jmp eax
      fault: 'unmapped',
      access: 'fetch',
      address: () => 0x50000000,
      pc: () => 0x50000000,
      instruction: null,
    },
    {
      what: 'an invalid opcode (ud2)',
      program: (a) => a.emit(0x90, 0x0f, 0x0b), // nop; ud2
      fault: 'invalid-instruction',
      access: 'fetch',
      address: (e) => e + 1,
      pc: (e) => e + 1,
      instruction: 'ud2',
    },
    {
      what: 'bytes that are no instruction (FF /7)',
      program: (a) => a.emit(0xff, 0xff),
      fault: 'invalid-instruction',
      access: 'fetch',
      address: (e) => e,
      pc: (e) => e,
      instruction: null,
    },
    {
      what: 'int3 with no debugger: the report points at the int3, not past it',
      program: (a) => a.emit(0x90, 0xcc), // nop; int3
      fault: 'exception',
      access: null,
      address: (e) => e + 1,
      pc: (e) => e + 1,
      eip: (e) => e + 2,
      instruction: 'int3',
    },
    {
      what: 'int 0x2e, the system service trap (no user mode here): the report points at it',
      program: (a) => a.emit(0xb8, ...le(0), 0xcd, 0x2e), // mov eax, 0; int 0x2e
      fault: 'exception',
      access: null,
      address: (e) => e + 5,
      pc: (e) => e + 5,
      eip: (e) => e + 7,
      instruction: 'int 0x2e',
    },
    {
      what: 'a divide error (a fault: the pc is the div)',
      program: (a) => a.emit(0x31, 0xc9, 0xf7, 0xf1), // xor ecx, ecx; div ecx
      fault: 'exception',
      access: null,
      address: (e) => e + 2,
      pc: (e) => e + 2,
      instruction: 'div ecx',
    },
  ];
  it.each(cases)('$what', async (c) => {
    const { r, last, entry } = await guest([], c.program);
    expect(r.outcome).toBe('fault');
    const f = fault(last)!;
    expect(f).toMatchObject({ kind: 'fault', fault: c.fault, access: c.access });
    expect(f.address).toBe(c.address(entry) >>> 0);
    expect(f.pc).toBe(c.pc(entry) >>> 0);
    expect(f.registers.eip).toBe((c.eip ?? c.pc)(entry) >>> 0);
    if (c.instruction instanceof RegExp) expect(f.instruction).toMatch(c.instruction);
    else expect(f.instruction).toBe(c.instruction);
  });

  it('int3 and int 0x2e keep their vectors in the engine result (3 and 0x2e)', () => {
    const cpu = new UnicornX86();
    cpu.map(0x10000, 0x1000, { read: true, write: false, execute: true });
    cpu.write(0x10000, new Uint8Array([0x90, 0xcc, 0xcd, 0x2e]));
    expect(cpu.run({ start: 0x10000, until: 0x10fff })).toMatchObject({ vector: 3, pc: 0x10001 });
    expect(cpu.run({ start: 0x10002, until: 0x10fff })).toMatchObject({ vector: 0x2e, pc: 0x10002 });
    cpu.close();
  });

  it.skipIf(!unicorn)(
    'a call into the kernel with ESP pointing at the very end of the stack mapping is a guest fault',
    async () => {
      // mov esp, top of the stack mapping; jmp [IAT ExFreePool] (the export hook reads [esp]: unmapped)
      const { r, last } = await guest(['ExFreePool'], (a) => {
        a.emit(0xbc, ...le(KERNEL_STACK.base + KERNEL_STACK.size));
        a.callImport('ExFreePool');
        a.bytes[a.bytes.length - 5] = 0x25; // call [m32] -> jmp [m32]
      });
      expect(r.outcome).not.toBe('host-error');
      expect(last.kind).not.toBe('host-error');
      expect(JSON.stringify(last)).toMatch(/guest fault calling ExFreePool/);
    },
  );
});

describe.skipIf(!unicorn)('the event log is capped', () => {
  it(`a loop calling a kernel stub ${MAX_EVENTS} + 500 times keeps ${MAX_EVENTS} events and counts 500 dropped`, async () => {
    // mov esi, MAX_EVENTS + 500; again: push offset .data; call KeQuerySystemTime (a stub with no
    // handler: an unimplemented-routine event each time); dec esi; jnz again; xor eax, eax; ret 8
    const { r, last } = await guest(
      ['KeQuerySystemTime'],
      (a) => {
        a.emit(0xbe, ...le(MAX_EVENTS + 500));
        const again = a.bytes.length;
        pushData(a, 0);
        a.callImport('KeQuerySystemTime');
        a.emit(0x4e); // dec esi
        a.emit(0x75, (again - (a.bytes.length + 2)) & 0xff); // jnz again
        succeed(a);
      },
      // A generous wall-clock budget (the instruction budget is what counts), and no handler for
      // KeQuerySystemTime, so its stub in the kernel image is what runs.
      { maxMillis: 600_000, handlers: ALL_HANDLERS.filter((h) => h.name !== 'KeQuerySystemTime') },
    );
    expect(last).toEqual({ kind: 'returned', eax: 0 });
    const unimplemented = r.events.filter((e) => e.type === 'unimplemented-routine');
    expect(unimplemented).toHaveLength(MAX_EVENTS);
    expect(unimplemented[0]).toMatchObject({ module: 'ntoskrnl', name: 'KeQuerySystemTime' });
    expect(r.droppedEvents).toBe(500);
    expect(r.outcome).toBe('ok');
  });
});

describe.skipIf(!unicorn)('image pages as NT 3.51 mapped them on x86', () => {
  it('a driver writes its read-only data (.reloc): no write protection in kernel mode before Windows 2000', async () => {
    const { r, last } = await guest([], (a) => {
      a.emit(0xb8); // mov eax, offset .reloc
      a.dataAddress(0x1000);
      a.emit(0xc7, 0x00, ...le(0x12345678)); // mov dword ptr [eax], 0x12345678
      a.emit(0x8b, 0x00); // mov eax, dword ptr [eax]
      a.emit(0xc2, 0x08, 0x00); // ret 8: DriverEntry returns what it read back
    });
    expect(last).toEqual({ kind: 'returned', eax: 0x12345678 });
    expect(r.outcome).not.toBe('fault');
  });
});

describe('guest memory is capped', () => {
  it.skipIf(!unicorn)(
    'the engine refuses mappings past its cap with GuestMemoryLimitError, and counts unmaps',
    () => {
      const cpu = new UnicornX86({ maxMappedBytes: 0x10000 });
      cpu.map(0x10000, 0x8000, RW);
      expect(() => cpu.map(0x20000, 0x9000, RW)).toThrow(GuestMemoryLimitError);
      expect(() => cpu.map(0x20000, 0x9000, RW)).toThrow(/guest memory limit: mapping 0x9000 bytes/);
      expect(cpu.mapped).toBe(0x8000);
      cpu.map(0x20000, 0x8000, RW); // exactly the cap
      cpu.unmap(0x10000, 0x8000);
      cpu.map(0x30000, 0x8000, RW);
      expect(cpu.mapped).toBe(0x10000);
      cpu.close();
    },
  );

  it.skipIf(!unicorn)(
    'a driver allocating 1 MiB blocks in a loop gets NULL once nonpaged pool (NT 3.51 sizing) is used up',
    async () => {
      // esi = 0; again: push 0x100000; push 0; call ExAllocatePool; test eax, eax; jz done; inc esi;
      // jmp again; done: mov eax, esi; ret 8
      const { r, last } = await guest(['ExAllocatePool'], (a) => {
        a.emit(0x31, 0xf6); // xor esi, esi
        const again = a.bytes.length;
        push(a, 0x100000);
        a.emit(0x6a, 0x00);
        a.callImport('ExAllocatePool');
        a.emit(0x85, 0xc0, 0x74, 0x03, 0x46); // test eax, eax; jz +3; inc esi
        a.emit(0xeb, (again - (a.bytes.length + 2)) & 0xff); // jmp again
        a.emit(0x89, 0xf0, 0xc2, 0x08, 0x00); // mov eax, esi; ret 8
      });
      expect(last.kind).toBe('returned');
      // 32 MiB machine: 1 MiB + 400 KiB per MiB above 4 of nonpaged pool (11.9 MiB): 11 blocks, then NULL.
      const blocks = Math.floor(poolSizes(DEFAULT_MEMORY_MIB).nonPaged / 0x100000);
      expect(blocks).toBe(11);
      expect(last.kind === 'returned' && last.eax).toBe(blocks);
      expect(r.poolLeaks).toHaveLength(blocks);
    },
  );

  it.skipIf(!unicorn)('the pool returns NULL when the engine’s memory cap refuses its pages', () => {
    const cpu = new UnicornX86({ maxMappedBytes: 0x10000 });
    try {
      const pool = new Pool(cpu);
      const a = pool.allocate(0x8000, 0, 'Test', 'driver');
      expect(a).toBe(pool.ranges.nonPaged.start);
      expect(pool.allocate(0x9000, 0, 'Test', 'driver')).toBeNull(); // 0x8000 + 0x9000 > the cap
      expect(pool.live('driver')).toHaveLength(1);
      // What fits under the cap still works, right after the first block.
      expect(pool.allocate(0x8000, 0, 'Test', 'driver')).toBe(pool.ranges.nonPaged.start + 0x8000);
      expect(pool.allocate(1, 0, 'Test', 'driver')).toBeNull();
    } finally {
      cpu.close();
    }
  });

  it.skipIf(!unicorn)('ExAllocatePool(0xFFFFFFFF) returns NULL without a host allocation', async () => {
    const { r, last } = await guest(['ExAllocatePool'], (a) => {
      push(a, 0xffffffff);
      a.emit(0x6a, 0x00);
      a.callImport('ExAllocatePool');
      a.emit(0xc2, 0x08, 0x00); // ret 8 with EAX = the pointer
    });
    expect(last).toEqual({ kind: 'returned', eax: 0 });
    expect(r.poolLeaks).toEqual([]);
  });
});

describe.skipIf(!unicorn)('handlers fed hostile guest data report a guest fault or cut the data', () => {
  const UNMAPPED = 0x0dead000;

  it('ExFreePool of a garbage pointer is a pool-bad-free event and BAD_POOL_CALLER (0xC2, 0x46)', async () => {
    const { r } = await guest(['ExFreePool'], (a) => {
      push(a, 0x12345678);
      a.callImport('ExFreePool');
      succeed(a);
    });
    expect(r.outcome).toBe('bugcheck');
    expect(r.events.filter((e) => e.type !== 'api-call')).toMatchObject([
      { type: 'pool-bad-free', address: 0x12345678 },
      { type: 'bugcheck', code: 0xc2, parameters: [0x46, 0, 0x12345678, 0] },
    ]);
  });

  it.each([
    ['the registry kernel (our handler)', 'registry'],
    ['the fixture kernel (its own code)', undefined],
  ])('RtlInitUnicodeString with an unmapped source, on %s, is a guest fault', async (_, kernel) => {
    const { r, last } = await guest(
      ['RtlInitUnicodeString'],
      (a) => {
        push(a, UNMAPPED);
        pushData(a, 0);
        a.callImport('RtlInitUnicodeString');
        succeed(a);
      },
      { kernel },
    );
    expect(r.outcome).toBe('fault');
    if (kernel === 'registry')
      expect(last).toMatchObject({
        kind: 'stopped',
        reason: `guest fault in ntoskrnl!RtlInitUnicodeString: string at 0x${UNMAPPED.toString(16)} is not readable guest memory`,
      });
    else expect(last).toMatchObject({ kind: 'fault', fault: 'unmapped', access: 'read', address: UNMAPPED });
  });

  it('RtlInitUnicodeString with an unmapped destination is a guest fault', async () => {
    const { r } = await guest(
      ['RtlInitUnicodeString'],
      (a) => {
        pushData(a, 0);
        push(a, UNMAPPED);
        a.callImport('RtlInitUnicodeString');
        succeed(a);
      },
      { kernel: 'registry' },
    );
    expect(r.outcome).toBe('fault');
  });

  it("RtlCopyUnicodeString (the kernel's code) from Length 0xFFFF, MaximumLength 0, unmapped Buffer faults in the kernel", async () => {
    const { r, last } = await guest(['RtlCopyUnicodeString'], (a) => {
      unicodeString(a, 0, 0xffff, 0, UNMAPPED); // source
      unicodeString(a, 0x10, 0, 0x20, 0); // destination: room for 0x20 bytes at .data + 0x20
      a.emit(0xc7, 0x05); // mov dword ptr [.data + 0x14], offset .data + 0x20
      a.dataAddress(0x14);
      a.dataAddress(0x20);
      pushData(a, 0);
      pushData(a, 0x10);
      a.callImport('RtlCopyUnicodeString');
      succeed(a);
    });
    // NT's RtlCopyUnicodeString copies min(Length, MaximumLength) = 0x20 bytes from the source's Buffer.
    expect(r.outcome).toBe('fault');
    expect(last).toMatchObject({ kind: 'fault', fault: 'unmapped', access: 'read' });
    const f = fault(last)!;
    expect(f.address >= UNMAPPED && f.address < UNMAPPED + 0x20).toBe(true); // RtlMoveMemory copies backwards
    const kernel = r.load.ok ? r.load.modules.find((m) => m.name === 'NTOSKRNL.EXE')! : null;
    expect(f.pc >= kernel!.base && f.pc < kernel!.base + kernel!.size).toBe(true);
    expect(f.instruction).not.toBeNull();
  });

  it('DbgPrint %wZ with Length 0xFFFF and an unmapped Buffer is a guest fault in DbgPrint', async () => {
    const { r, last } = await guest(['DbgPrint'], (a) => {
      store(a, 0, 0x5a772520); // " %wZ"
      unicodeString(a, 0x10, 0xffff, 2, UNMAPPED);
      pushData(a, 0x10);
      pushData(a, 0);
      a.callImport('DbgPrint');
      a.emit(0x83, 0xc4, 0x08); // add esp, 8 (cdecl)
      succeed(a);
    });
    expect(r.outcome).toBe('fault');
    expect(last).toMatchObject({
      kind: 'stopped',
      reason: `guest fault in ntoskrnl!DbgPrint: UNICODE_STRING.Buffer at 0x${UNMAPPED.toString(16)} is not readable guest memory`,
    });
  });

  it('DbgPrint %wZ with Length 0xFFFF > MaximumLength and an odd Buffer prints at most 512 characters', async () => {
    const { r, last } = await guest(['DbgPrint', 'ExAllocatePool'], (a) => {
      push(a, 0x20000);
      a.emit(0x6a, 0x00);
      a.callImport('ExAllocatePool');
      a.emit(0x40); // inc eax: an odd Buffer
      store(a, 0, 0x005a7725); // "%wZ"
      unicodeString(a, 0x10, 0xffff, 4, 0);
      a.emit(0xa3); // mov [.data + 0x14], eax
      a.dataAddress(0x14);
      pushData(a, 0x10);
      pushData(a, 0);
      a.callImport('DbgPrint');
      a.emit(0x83, 0xc4, 0x08);
      succeed(a);
    });
    expect(last).toMatchObject({ kind: 'returned', eax: 0 });
    expect(dbgprints(r)).toEqual(['\0'.repeat(512)]);
  });

  it('DbgPrint %s of an unmapped pointer is a guest fault; %*d with width 0x7fffffff is cut to 512', async () => {
    const s = await guest(['DbgPrint'], (a) => {
      store(a, 0, 0x00007325); // "%s"
      push(a, UNMAPPED);
      pushData(a, 0);
      a.callImport('DbgPrint');
      a.emit(0x83, 0xc4, 0x08);
      succeed(a);
    });
    expect(s.r.outcome).toBe('fault');
    expect(s.last).toMatchObject({
      kind: 'stopped',
      reason: expect.stringContaining('guest fault in ntoskrnl!DbgPrint'),
    });
    const w = await guest(['DbgPrint'], (a) => {
      store(a, 0, 0x00642a25); // "%*d"
      store(a, 4, 0x39392e25); // "%.99999999d" at .data + 4
      store(a, 8, 0x39393939);
      store(a, 12, 0x00643939);
      a.emit(0x6a, 0x05); // push 5
      push(a, 0x7fffffff);
      pushData(a, 0);
      a.callImport('DbgPrint');
      a.emit(0x83, 0xc4, 0x0c);
      a.emit(0x6a, 0x07); // push 7
      pushData(a, 4);
      a.callImport('DbgPrint');
      a.emit(0x83, 0xc4, 0x08);
      succeed(a);
    });
    expect(w.last).toMatchObject({ kind: 'returned', eax: 0 });
    expect(dbgprints(w.r)).toEqual([`${' '.repeat(511)}5`, `${'0'.repeat(511)}7`]);
  });

  it('DbgPrint of a 1 MiB format string prints its first 512 characters', async () => {
    const { r, last } = await guest(['DbgPrint', 'ExAllocatePool'], (a) => {
      push(a, 0x100000);
      a.emit(0x6a, 0x00);
      a.callImport('ExAllocatePool');
      // mov esi, eax; mov edi, eax; mov ecx, 0xFFFFF; mov al, 'A'; rep stosb; push esi
      a.emit(0x89, 0xc6, 0x89, 0xc7, 0xb9, ...le(0xfffff), 0xb0, 0x41, 0xf3, 0xaa, 0x56);
      a.callImport('DbgPrint');
      a.emit(0x83, 0xc4, 0x04);
      succeed(a);
    });
    expect(last).toMatchObject({ kind: 'returned', eax: 0 });
    expect(dbgprints(r)).toEqual(['A'.repeat(512)]);
  });

  it(`DbgPrint in a loop keeps ${MAX_DBGPRINT_EVENTS} messages and one saying the rest were dropped`, async () => {
    const { r, last } = await guest(['DbgPrint'], (a) => {
      store(a, 0, 0x00000a78); // "x\n"
      a.emit(0xbb, ...le(MAX_DBGPRINT_EVENTS + 500)); // mov ebx, count
      const again = a.bytes.length;
      pushData(a, 0);
      a.callImport('DbgPrint');
      a.emit(0x83, 0xc4, 0x04, 0x4b); // add esp, 4; dec ebx
      a.emit(0x75, (again - (a.bytes.length + 2)) & 0xff); // jnz again
      succeed(a);
    });
    expect(last).toMatchObject({ kind: 'returned', eax: 0 });
    const texts = dbgprints(r);
    expect(texts).toHaveLength(MAX_DBGPRINT_EVENTS + 1);
    expect(texts.at(-1)).toBe(
      `[nt351: more than ${MAX_DBGPRINT_EVENTS} DbgPrint messages; further output is dropped]`,
    );
  });

  it('IoCreateDevice with a DeviceName of Length 0xFFFF at an unmapped Buffer is a guest fault', async () => {
    const { r, last } = await guest(['IoCreateDevice'], (a) => {
      a.emit(0x8b, 0x5c, 0x24, 0x04); // mov ebx, [esp+4] (DriverObject)
      unicodeString(a, 0, 0xffff, 0xffff, UNMAPPED);
      pushData(a, 0x10); // &DeviceObject
      a.emit(0x6a, 0x00, 0x6a, 0x00, 0x6a, 0x22); // Exclusive, Characteristics, FILE_DEVICE_UNKNOWN
      pushData(a, 0); // DeviceName
      a.emit(0x6a, 0x00, 0x53); // DeviceExtensionSize 0; push ebx
      a.callImport('IoCreateDevice');
      succeed(a);
    });
    expect(r.outcome).toBe('fault');
    expect(last).toMatchObject({
      kind: 'stopped',
      reason: expect.stringContaining('ntoskrnl!IoCreateDevice'),
    });
    expect(r.devices).toEqual([]);
  });

  it('IoCreateDevice with a DeviceExtensionSize of 0xFFFFFFF0 fails with STATUS_INSUFFICIENT_RESOURCES', async () => {
    const { r, last } = await guest(['IoCreateDevice'], (a) => {
      a.emit(0x8b, 0x5c, 0x24, 0x04); // mov ebx, [esp+4]
      pushData(a, 0x10);
      a.emit(0x6a, 0x00, 0x6a, 0x00, 0x6a, 0x22, 0x6a, 0x00); // ..., DeviceName NULL
      push(a, 0xfffffff0);
      a.emit(0x53);
      a.callImport('IoCreateDevice');
      a.emit(0xc2, 0x08, 0x00); // ret 8 with IoCreateDevice's status
    });
    expect(last).toEqual({ kind: 'returned', eax: 0xc000009a });
    expect(r.devices).toEqual([]);
  });

  it('IoCreateSymbolicLink with a hostile link name is a guest fault; a 32 767-character name is kept', async () => {
    const bad = await guest(['IoCreateSymbolicLink'], (a) => {
      unicodeString(a, 0, 0xffff, 0x10, UNMAPPED);
      unicodeString(a, 0x10, 0, 0, 0);
      pushData(a, 0x10);
      pushData(a, 0);
      a.callImport('IoCreateSymbolicLink');
      a.emit(0xc2, 0x08, 0x00);
    });
    expect(bad.r.outcome).toBe('fault');
    expect(bad.r.symbolicLinks).toEqual([]);
    const long = await guest(['IoCreateSymbolicLink', 'ExAllocatePool'], (a) => {
      push(a, 0x10000);
      a.emit(0x6a, 0x00);
      a.callImport('ExAllocatePool');
      // mov edi, eax; mov esi, eax; mov ecx, 0x8000; mov ax, 'L'; rep stosw
      a.emit(0x89, 0xc7, 0x89, 0xc6, 0xb9, ...le(0x8000), 0x66, 0xb8, 0x4c, 0x00, 0xf3, 0x66, 0xab);
      unicodeString(a, 0, 0xffff, 0xffff, 0);
      a.emit(0x89, 0x35); // mov [.data + 4], esi
      a.dataAddress(4);
      unicodeString(a, 0x10, 0xffff, 0xffff, 0);
      a.emit(0x89, 0x35); // mov [.data + 0x14], esi
      a.dataAddress(0x14);
      pushData(a, 0x10);
      pushData(a, 0);
      a.callImport('IoCreateSymbolicLink');
      a.emit(0xc2, 0x08, 0x00);
    });
    expect(long.last).toEqual({ kind: 'returned', eax: 0 });
    // Length 0xFFFF is read as 0xFFFE bytes (whole characters): 32 767 characters.
    expect(long.r.symbolicLinks.map((l) => l.link.length)).toEqual([32767]);
  });
});
