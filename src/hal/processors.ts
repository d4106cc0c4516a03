// The processors of a booting machine, whichever CPU runs them: the boot processor's PCR/PRCB and
// kernel stack, and HalStartNextProcessor's set-up of further ones (x86: KPCR/KPRCB behind FS,
// common.ts; Alpha: PCR/PRCB that CALL_PAL rdpcr returns, src/cpu/alpha-setup.ts).
import type { AnyCpu } from '../cpu/abi.js';
import { ALPHA_PRCB, setupNtAlpha } from '../cpu/alpha-setup.js';
import { KPRCB, setupNtX86 } from '../cpu/x86-setup.js';
import { initProcessorBlock, switchToProcessor } from './common.js';

export interface Processors {
  /** The boot processor's PRCB. */
  prcb: number;
  /** Top of the kernel stack host calls start from. */
  stackTop: number;
  /** KPRCB.BuildType of the boot processor, as KiSystemStartup stored it. */
  buildType(): number;
  /** Sets up processor n's PCR and PRCB (n ≥ 1), as HalStartNextProcessor and the kernel leave them. */
  start(n: number): void;
  /** Makes processor n the one running (its PCR is the one the kernel's code reaches). */
  switchTo(n: number): void;
}

/** Puts `cpu` in NT's kernel-mode state for processor 0 and returns its processor control. */
export function setupProcessors(cpu: AnyCpu): Processors {
  if (cpu.arch === 'x86') {
    const { prcb, stackTop } = setupNtX86(cpu, { number: 0 });
    return {
      prcb,
      stackTop,
      buildType: () => cpu.readU8(prcb + KPRCB.BuildType),
      start: (n) => void initProcessorBlock(cpu, n),
      switchTo: (n) => switchToProcessor(cpu, n),
    };
  }
  // NT 3.51 never ran on AMD64: x64 code runs only in the sandbox (run-driver), never in a boot.
  if (cpu.arch === 'amd64') throw new Error('setupProcessors: no NT 3.51 HAL for AMD64');
  const { processors, prcb, stackTop } = setupNtAlpha(cpu);
  return {
    prcb,
    stackTop,
    buildType: () => cpu.readU8(prcb + ALPHA_PRCB.BuildType),
    start: (n) => void processors.init(n),
    switchTo: (n) => processors.switchTo(n),
  };
}
