// NT's x86 processor state for ring-0 code: a flat GDT with NT's selectors (KGDT_R0_CODE 0x08 …
// KGDT_R0_PCR 0x30 whose base is the KPCR), an IDT, the KPCR and its KPRCB, and a kernel stack.
import { type Perm, RW } from './engine.js';
import type { UnicornX86 } from './unicorn.js';

/** Where NT x86 keeps the processor control region (KIP0PCRADDRESS). */
export const KPCR_ADDRESS = 0xffdff000;
/** KPCR.PrcbData: the KPRCB follows the PCR header (ks386.inc PcPrcbData = 0x120). */
export const KPRCB_OFFSET = 0x120;
/** Model: GDT and IDT below the kernel image (NT 3.51 put them in the loader's block at boot). */
export const GDT_ADDRESS = 0x80036000;
export const IDT_ADDRESS = 0x80036400;
export const KERNEL_STACK = { base: 0x80070000, size: 0x10000 } as const;

/** NT's x86 GDT selectors (ks386.inc). */
export const Selector = {
  R0_CODE: 0x08,
  R0_DATA: 0x10,
  R3_CODE: 0x18,
  R3_DATA: 0x20,
  TSS: 0x28,
  R0_PCR: 0x30,
  R3_TEB: 0x38,
} as const;

/** KPCR field offsets (NT 3.51/4 x86, ks386.inc). */
export const KPCR = {
  SelfPcr: 0x1c,
  Prcb: 0x20,
  Irql: 0x24,
  IDT: 0x38,
  GDT: 0x3c,
  MajorVersion: 0x44,
  MinorVersion: 0x46,
  SetMember: 0x48,
  Number: 0x51,
} as const;

/** KPRCB field offsets (see fixtures/src/nt351/nt.h). */
export const KPRCB = {
  MinorVersion: 0x0,
  MajorVersion: 0x2,
  CurrentThread: 0x4,
  Number: 0x10,
  BuildType: 0x12,
} as const;

/** An 8-byte segment descriptor. */
function descriptor(base: number, limit: number, access: number, flags: number): Uint8Array {
  const d = new Uint8Array(8);
  const v = new DataView(d.buffer);
  v.setUint16(0, limit & 0xffff, true);
  v.setUint16(2, base & 0xffff, true);
  d[4] = (base >>> 16) & 0xff;
  d[5] = access;
  d[6] = ((limit >>> 16) & 0x0f) | (flags << 4);
  d[7] = (base >>> 24) & 0xff;
  return d;
}

/** The GDT's bytes: flat 4 GB code and data for rings 0 and 3, the PCR segment at `kpcr`. */
export function buildGdt(kpcr: number): Uint8Array {
  const gdt = new Uint8Array(0x40);
  const flat = 0xfffff;
  gdt.set(descriptor(0, flat, 0x9a, 0xc), Selector.R0_CODE); // present, ring 0, code, readable; 4K, 32-bit
  gdt.set(descriptor(0, flat, 0x92, 0xc), Selector.R0_DATA);
  gdt.set(descriptor(0, flat, 0xfa, 0xc), Selector.R3_CODE);
  gdt.set(descriptor(0, flat, 0xf2, 0xc), Selector.R3_DATA);
  gdt.set(descriptor(kpcr, 0xfff, 0x92, 0x4), Selector.R0_PCR); // byte granularity, one page
  gdt.set(descriptor(0, 0xfff, 0xf2, 0x4), Selector.R3_TEB);
  return gdt;
}

export interface ProcessorSetup {
  /** Processor number (KPCR.Number, KPRCB.Number). */
  number: number;
  kpcr?: number;
}

/**
 * Puts `cpu` in NT's ring-0 state: maps and fills the GDT, IDT, KPCR/KPRCB and a kernel stack, loads
 * GDTR/IDTR and the segment registers (FS = KGDT_R0_PCR), and sets ESP to the top of the stack.
 */
export function setupNtX86(
  cpu: UnicornX86,
  setup: ProcessorSetup,
): { kpcr: number; prcb: number; stackTop: number } {
  const kpcr = setup.kpcr ?? KPCR_ADDRESS;
  const prcb = kpcr + KPRCB_OFFSET;
  const page: Perm = RW;
  cpu.map(GDT_ADDRESS, 0x1000, page); // GDT and IDT share the page
  cpu.write(GDT_ADDRESS, buildGdt(kpcr));
  cpu.map(kpcr, 0x1000, page);
  cpu.map(KERNEL_STACK.base, KERNEL_STACK.size, page);

  const pcr = new Uint8Array(0x1000);
  const v = new DataView(pcr.buffer);
  v.setUint32(KPCR.SelfPcr, kpcr, true);
  v.setUint32(KPCR.Prcb, prcb, true);
  v.setUint32(KPCR.IDT, IDT_ADDRESS, true);
  v.setUint32(KPCR.GDT, GDT_ADDRESS, true);
  v.setUint16(KPCR.MajorVersion, 1, true);
  v.setUint16(KPCR.MinorVersion, 1, true);
  v.setUint32(KPCR.SetMember, 1 << setup.number, true);
  pcr[KPCR.Number] = setup.number;
  pcr[KPRCB_OFFSET + KPRCB.Number] = setup.number;
  cpu.write(kpcr, pcr);

  cpu.setTable('gdtr', GDT_ADDRESS, 0x3f);
  cpu.setTable('idtr', IDT_ADDRESS, 256 * 8 - 1);
  cpu.setSegment('cs', Selector.R0_CODE);
  cpu.setSegment('ss', Selector.R0_DATA);
  cpu.setSegment('ds', Selector.R0_DATA);
  cpu.setSegment('es', Selector.R0_DATA);
  cpu.setSegment('gs', 0);
  cpu.setSegment('fs', Selector.R0_PCR);
  const stackTop = KERNEL_STACK.base + KERNEL_STACK.size - 0x10;
  cpu.setReg('esp', stackTop);
  return { kpcr, prcb, stackTop };
}
