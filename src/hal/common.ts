// The HAL core shared by the uniprocessor and multiprocessor variants (as ReactOS builds halx86 from
// up/ and smp/ over a common core): per-processor KPCR/KPRCB set-up and the bring-up loop. The
// build-type check itself is the HAL image's own code (HalInitSystem phase 0, fixtures/src/nt351/hal.c).
import type { X86Cpu } from '../cpu/engine.js';
import {
  buildGdt,
  GDT_ADDRESS,
  KPCR,
  KPCR_ADDRESS,
  KPRCB,
  KPRCB_OFFSET,
  Selector,
} from '../cpu/x86-setup.js';

/** What a HAL variant decides: how many processors it starts. */
export interface HalVariant {
  kind: 'up' | 'mp';
  /** Processors started on a machine with `present` processors, at most `max` (the profile's). */
  processorsToStart(present: number, max: number): number;
}

/**
 * Model of where processor n's PCR lives. On x86 NT maps every processor's own PCR at 0xFFDFF000
 * through per-processor page tables; one emulated CPU has one address space, so processor n's PCR
 * sits one page below processor n-1's and the GDT's PCR descriptor is pointed at the one running.
 */
export const pcrAddress = (n: number): number => (KPCR_ADDRESS - n * 0x1000) >>> 0;

/** A processor's KPCR and KPRCB, as HalStartNextProcessor/KiInitializeKernel leave them. */
export function initProcessorBlock(cpu: X86Cpu, n: number): { kpcr: number; prcb: number } {
  const kpcr = pcrAddress(n);
  const prcb = kpcr + KPRCB_OFFSET;
  if (n > 0) {
    cpu.map(kpcr, 0x1000, { read: true, write: true, execute: false });
    // Copy the boot processor's PCR header (IDT, GDT, TSS pointers, versions), then make it n's own.
    cpu.write(kpcr, cpu.read(KPCR_ADDRESS, KPRCB_OFFSET));
    cpu.writeU32(kpcr + KPCR.SelfPcr, kpcr);
    cpu.writeU32(kpcr + KPCR.Prcb, prcb);
    cpu.writeU32(kpcr + KPCR.SetMember, (1 << n) >>> 0);
    cpu.writeU8(kpcr + KPCR.Number, n);
    cpu.writeU16(prcb + KPRCB.MinorVersion, 1);
    cpu.writeU16(prcb + KPRCB.MajorVersion, 1);
    cpu.writeU8(prcb + KPRCB.Number, n);
  }
  return { kpcr, prcb };
}

/** Makes processor n the one running: FS (KGDT_R0_PCR) then addresses n's PCR. */
export function switchToProcessor(cpu: X86Cpu, n: number): void {
  cpu.write(GDT_ADDRESS, buildGdt(pcrAddress(n)));
  cpu.setReg('fs', Selector.R0_PCR); // reloads the segment's base from the GDT
}
