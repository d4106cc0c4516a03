// NT's Alpha AXP processor state for kernel code on our interpreter: each processor's PCR and PRCB in
// KSEG0 where CALL_PAL rdpcr finds them, the PAL calls NT's kernel and HAL make (rdpcr, swpirql,
// rdirql, rdthread, di/ei, imb...), and a kernel stack. The counterpart of x86-setup.ts.
//
// Model (NT 3.51's Alpha PAL and PCR layout are not public; fixtures/src/alpha/nt.inc follows the
// 32-bit offsets of kspalpha.h, Windows XP-era source): the PCR is a page whose first words are
// MinorVersion/MajorVersion and whose Prcb field (+0xCA0) points at the PRCB; the PRCB's first
// fields match the x86 KPRCB (versions, CurrentThread, Number, BuildType). Processor n's PCR sits at
// ALPHA_PCR_BASE + n * 0x4000 and its PRCB one page above (NT maps the running processor's PCR at
// one address through its PAL; one emulated CPU runs the processors in turn, and rdpcr answers with
// the running one's). The IRQL is kept per processor by the PAL model, as the real PAL keeps it in
// processor state rather than memory.
import { low32, sext32 } from './alpha/call.js';
import { ALPHA_PAGE_SIZE } from './alpha/memory.js';
import { ALPHA_TRAP, NT_PAL } from './alpha/pal.js';
import type { AlphaCpu } from './engine.js';
import { RW } from './engine.js';

/** Model: where processor 0's PCR lives (KSEG0); processor n's is ALPHA_PCR_STRIDE bytes higher. */
export const ALPHA_PCR_BASE = 0x80040000;
export const ALPHA_PCR_STRIDE = 0x4000;
/** Model: the kernel stack (the x86 model's place; 8 KiB aligned). */
export const ALPHA_KERNEL_STACK = { base: 0x80070000, size: 0x10000 } as const;

/** PCR field offsets (kspalpha.h, 32-bit; fixtures/src/alpha/nt.inc). */
export const ALPHA_PCR = {
  MinorVersion: 0x0,
  MajorVersion: 0x2,
  Prcb: 0xca0,
} as const;

/** PRCB field offsets: the same first fields as the x86 KPRCB (fixtures/src/alpha/nt.inc). */
export const ALPHA_PRCB = {
  MinorVersion: 0x0,
  MajorVersion: 0x2,
  CurrentThread: 0x4,
  Number: 0x10,
  BuildType: 0x12,
} as const;

/** PAL function names by code, for reports. */
const PAL_NAMES = new Map<number, string>(Object.entries(NT_PAL).map(([k, v]) => [v, k]));

/** The processors of an Alpha machine as NT's PAL and kernel see them. */
export class AlphaProcessors {
  /** The processor running now: whose PCR rdpcr returns. */
  current = 0;
  private readonly irql = new Map<number, number>();
  private readonly started = new Set<number>();

  constructor(private readonly cpu: AlphaCpu) {}

  pcr(n: number): number {
    return (ALPHA_PCR_BASE + n * ALPHA_PCR_STRIDE) >>> 0;
  }
  prcb(n: number): number {
    return (this.pcr(n) + ALPHA_PAGE_SIZE) >>> 0;
  }

  /** Maps and fills processor n's PCR and PRCB (versions 1.1, Number = n), as the PAL and kernel leave them. */
  init(n: number): { pcr: number; prcb: number } {
    const pcr = this.pcr(n);
    const prcb = this.prcb(n);
    if (!this.started.has(n)) {
      this.cpu.map(pcr, 2 * ALPHA_PAGE_SIZE, RW);
      this.started.add(n);
    }
    this.cpu.writeU16(pcr + ALPHA_PCR.MinorVersion, 1);
    this.cpu.writeU16(pcr + ALPHA_PCR.MajorVersion, 1);
    this.cpu.writeU32(pcr + ALPHA_PCR.Prcb, prcb);
    this.cpu.writeU16(prcb + ALPHA_PRCB.MinorVersion, 1);
    this.cpu.writeU16(prcb + ALPHA_PRCB.MajorVersion, 1);
    this.cpu.writeU8(prcb + ALPHA_PRCB.Number, n);
    this.irql.set(n, 0);
    return { pcr, prcb };
  }

  /** Makes processor n the running one (rdpcr, rdirql and swpirql then answer for it). */
  switchTo(n: number): void {
    this.current = n;
  }

  /**
   * The CALL_PAL functions NT's kernel-mode code uses, for the interpreter's interrupt hook. Returns
   * false for a function the model does not have (the caller stops the run and reports it).
   */
  pal(vector: number): boolean {
    const cpu = this.cpu;
    const n = this.current;
    switch (vector) {
      case NT_PAL.rdpcr:
        cpu.setReg('r0', sext32(this.pcr(n)));
        return true;
      case NT_PAL.rdirql:
        cpu.setReg('r0', BigInt(this.irql.get(n) ?? 0));
        return true;
      case NT_PAL.swpirql: {
        // v0 = the old IRQL, the new one from a0 (PAL swpirql, alphaops.h).
        cpu.setReg('r0', BigInt(this.irql.get(n) ?? 0));
        this.irql.set(n, low32(cpu.reg('r16')) & 0xff);
        return true;
      }
      case NT_PAL.rdthread:
        cpu.setReg('r0', sext32(cpu.readU32(this.prcb(n) + ALPHA_PRCB.CurrentThread)));
        return true;
      case NT_PAL.di:
      case NT_PAL.ei:
      case NT_PAL.draina:
      case NT_PAL.imb: // the interpreter has already dropped its translated code
        return true;
      default:
        return false;
    }
  }
}

/** What an unmodelled CALL_PAL or trap is called in reports. */
export function palName(vector: number): string {
  if (vector === ALPHA_TRAP.arithmetic) return 'arithmetic trap (integer overflow)';
  const name = PAL_NAMES.get(vector);
  return `CALL_PAL ${name ?? `0x${vector.toString(16)}`}`;
}

/**
 * Puts `cpu` in NT's kernel-mode state for processor 0: its PCR/PRCB, the PAL hook (unmodelled PAL
 * functions and traps stop the run with their name) and a kernel stack with sp at its top.
 */
export function setupNtAlpha(
  cpu: AlphaCpu,
  stack: { base: number; size: number } = ALPHA_KERNEL_STACK,
): { processors: AlphaProcessors; pcr: number; prcb: number; stackTop: number } {
  const processors = new AlphaProcessors(cpu);
  const { pcr, prcb } = processors.init(0);
  cpu.hookInterrupt((vector) => {
    if (!processors.pal(vector))
      cpu.stop(`${palName(vector)} at 0x${((low32(cpu.reg('pc')) - 4) >>> 0).toString(16)} (not modelled)`);
  });
  cpu.map(stack.base, stack.size, RW);
  const stackTop = (stack.base + stack.size - 0x10) >>> 0;
  cpu.setReg('r30', sext32(stackTop));
  return { processors, pcr, prcb, stackTop };
}
