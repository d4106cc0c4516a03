// Landing runs (UnicornX86.land): with code-guard exits and many regions, a run whose `until` holds HLT ends by
// running that HLT after a hook emptied the exit list, instead of at an exit. The guest must see what an
// exit gives (EIP at `until`, 'returned'), traces must not show the HLT, and the next run must have
// every exit back (a hazard still ends it as an invalid-instruction fault).
import { describe, expect, it } from 'vitest';
import { RW, RX } from '../../src/cpu/engine.js';
import { UnicornX86 } from '../../src/cpu/unicorn.js';
import { haveUnicorn } from '../helpers/unicorn.js';

const CODE = 0x10000;
const HAZARDS = 0x20000;
const SENTINEL = 0x30000;
const STACK = 0x40000;
/** `lock push es` (#UD, a guard hazard) at every other byte: each is a guard exit. */
const HAZARD_COUNT = 600;
/** Regions mapped besides the four below: runs land from 400 regions (LANDING_MIN_REGIONS). */
const FILLER_REGIONS = 400;

/** An engine with the hazards mapped, the HLT sentinel, and `code` at CODE. */
function engine(code: number[]): UnicornX86 {
  const cpu = new UnicornX86();
  cpu.map(CODE, 0x1000, RX);
  cpu.map(HAZARDS, 0x1000, RX);
  cpu.map(SENTINEL, 0x1000, RX);
  cpu.map(STACK, 0x1000, RW);
  for (let i = 0; i < FILLER_REGIONS; i++) cpu.map(0x1000000 + i * 0x2000, 0x1000, RW);
  cpu.write(CODE, Uint8Array.from(code));
  cpu.write(
    HAZARDS,
    new Uint8Array(2 * HAZARD_COUNT).map((_, i) => (i % 2 === 0 ? 0xf0 : 0x06)),
  );
  cpu.write(SENTINEL, Uint8Array.of(0xf4)); // hlt
  return cpu;
}

/** Calls `start` with SENTINEL as its return address. */
function call(cpu: UnicornX86, start: number, budget = false) {
  cpu.setReg('esp', STACK + 0x800);
  cpu.writeU32(STACK + 0x800, SENTINEL);
  return cpu.run({ start, until: SENTINEL, ...(budget ? { maxInstructions: 1000 } : {}) });
}

describe.skipIf(!haveUnicorn)('landing runs', () => {
  it('end as a return at until, EIP there, for each of many calls and with a budget', () => {
    const cpu = engine([0xb8, 0x2a, 0, 0, 0, 0x40, 0xc3]); // mov eax, 42; inc eax; ret
    try {
      for (const budget of [false, true, false]) {
        expect(call(cpu, CODE, budget)).toEqual({ kind: 'returned', pc: SENTINEL });
        expect(cpu.reg('eip')).toBe(SENTINEL);
        expect(cpu.reg('eax')).toBe(43);
        expect(cpu.reg('esp')).toBe(STACK + 0x804);
      }
    } finally {
      cpu.close();
    }
  });

  it('leave every exit in place for the next run: a hazard is still an invalid-instruction fault', () => {
    const cpu = engine([0xc3]); // ret
    try {
      for (const at of [HAZARDS, HAZARDS + 2 * 300, HAZARDS + 2 * (HAZARD_COUNT - 1)]) {
        expect(call(cpu, CODE)).toEqual({ kind: 'returned', pc: SENTINEL });
        expect(call(cpu, at)).toMatchObject({ kind: 'fault', fault: 'invalid-instruction', pc: at });
      }
    } finally {
      cpu.close();
    }
  });

  it('do not show the HLT in a trace', () => {
    const cpu = engine([0x90, 0xc3]); // nop; ret
    try {
      for (const unit of ['insn', 'block'] as const) {
        const seen: number[] = [];
        const h = cpu.hookTrace(unit, (address) => seen.push(address));
        expect(call(cpu, CODE)).toEqual({ kind: 'returned', pc: SENTINEL });
        h.remove();
        expect(seen).toEqual(unit === 'insn' ? [CODE, CODE + 1] : [CODE]);
      }
    } finally {
      cpu.close();
    }
  });
});
