// setupNtX86's processor pages: built once per input (PCR address, processor number, kernel stack) and
// written to each CPU; a changed input must give that input's bytes, never the previous CPU's.
import { describe, expect, it } from 'vitest';
import { UnicornX86 } from '../../src/cpu/unicorn.js';
import { GDT_ADDRESS, KPCR, KPCR_ADDRESS, KPRCB, KPRCB_OFFSET, setupNtX86 } from '../../src/cpu/x86-setup.js';

/** The PCR fields setupNtX86 fills that depend on its inputs, and the PCR descriptor's base from the GDT. */
function pcrOf(cpu: UnicornX86, kpcr: number) {
  const d = cpu.read(GDT_ADDRESS + 0x30, 8);
  return {
    selfPcr: cpu.readU32(kpcr + KPCR.SelfPcr),
    prcb: cpu.readU32(kpcr + KPCR.Prcb),
    stackBase: cpu.readU32(kpcr + KPCR.StackBase),
    stackLimit: cpu.readU32(kpcr + KPCR.StackLimit),
    setMember: cpu.readU32(kpcr + KPCR.SetMember),
    number: cpu.read(kpcr + KPCR.Number, 1)[0],
    prcbNumber: cpu.read(kpcr + KPRCB_OFFSET + KPRCB.Number, 1)[0],
    gdtPcrBase: (d[2]! | (d[3]! << 8) | (d[4]! << 16) | (d[7]! << 24)) >>> 0,
  };
}

describe('setupNtX86', () => {
  it('writes each processor its own PCR, KPRCB, stack bounds and GDT, whatever was set up before', () => {
    const other = 0xffdfe000;
    const cases = [
      { number: 0 },
      { number: 1, kpcr: other, stack: { base: 0x80090000, size: 0x4000 } },
      { number: 0 },
      { number: 0, stack: { base: 0x80090000, size: 0x4000 } },
    ];
    for (const setup of cases) {
      const cpu = new UnicornX86();
      const kpcr = setup.kpcr ?? KPCR_ADDRESS;
      const stack = setup.stack ?? { base: 0x80070000, size: 0x10000 };
      const { prcb, stackTop } = setupNtX86(cpu, setup);
      expect(pcrOf(cpu, kpcr)).toEqual({
        selfPcr: kpcr,
        prcb: kpcr + KPRCB_OFFSET,
        stackBase: stack.base + stack.size,
        stackLimit: stack.base,
        setMember: 1 << setup.number,
        number: setup.number,
        prcbNumber: setup.number,
        gdtPcrBase: kpcr,
      });
      expect(prcb).toBe(kpcr + KPRCB_OFFSET);
      expect(stackTop).toBe(stack.base + stack.size - 0x10);
      cpu.close();
    }
  });
});
