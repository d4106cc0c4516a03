// NT's x86 processor state for ring-0 code: a flat GDT with NT's selectors (KGDT_R0_CODE 0x08 …
// KGDT_R0_PCR 0x30 whose base is the KPCR, so FS:[n] reads the PCR), an IDT, the KPCR and its KPRCB,
// and a kernel stack.
import { type Perm, RW, type X86Cpu } from './engine.js';

/** Where NT x86 keeps the processor control region (KIP0PCRADDRESS). */
export const KPCR_ADDRESS = 0xffdff000;
/** KPCR.PrcbData: the KPRCB follows the PCR header (ks386.inc PcPrcbData = 0x120). */
export const KPRCB_OFFSET = 0x120;
/** Model: GDT, IDT and TSS below the kernel image (NT 3.51 put them in the loader's block at boot). */
export const GDT_ADDRESS = 0x80036000;
export const IDT_ADDRESS = 0x80036400;
export const TSS_ADDRESS = 0x80036c00;
/** Model: size of the TSS we describe (a bare 32-bit TSS without I/O permission map, 0x68 bytes). */
export const TSS_SIZE = 0x68;
/** Model: where the kernel stack lives. */
export const KERNEL_STACK = { base: 0x80070000, size: 0x10000 } as const;

/** NT's x86 GDT selectors (ks386.inc KGDT_*). */
export const Selector = {
  R0_CODE: 0x08,
  R0_DATA: 0x10,
  R3_CODE: 0x18,
  R3_DATA: 0x20,
  TSS: 0x28,
  R0_PCR: 0x30,
  R3_TEB: 0x38,
} as const;

/** KPCR field offsets (NT 3.51/4 x86, ks386.inc Pc*). */
export const KPCR = {
  /** NtTib.ExceptionList: head of the SEH chain, FS:[0]. */
  ExceptionList: 0x00,
  /** NtTib.StackBase and StackLimit: the current thread's kernel stack (exception dispatch checks frames against them). */
  StackBase: 0x04,
  StackLimit: 0x08,
  SelfPcr: 0x1c,
  Prcb: 0x20,
  Irql: 0x24,
  IDT: 0x38,
  GDT: 0x3c,
  TSS: 0x40,
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

/** EXCEPTION_CHAIN_END: an empty SEH chain (ExceptionList = -1). */
const EXCEPTION_CHAIN_END = 0xffffffff;

/** An 8-byte segment descriptor (Intel SDM vol. 3, 3.4.5). */
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

/**
 * The GDT's bytes: flat 4 GB code and data for rings 0 and 3, the TSS, the PCR segment at `kpcr`
 * (one page, byte granular) and a TEB segment (model: base 0 until there is a user-mode thread).
 */
export function buildGdt(kpcr: number, tss = TSS_ADDRESS): Uint8Array {
  const gdt = new Uint8Array(0x40);
  const flat = 0xfffff;
  gdt.set(descriptor(0, flat, 0x9a, 0xc), Selector.R0_CODE); // present, DPL 0, code, readable; 4K, 32-bit
  gdt.set(descriptor(0, flat, 0x92, 0xc), Selector.R0_DATA); // present, DPL 0, data, writable
  gdt.set(descriptor(0, flat, 0xfa, 0xc), Selector.R3_CODE); // DPL 3
  gdt.set(descriptor(0, flat, 0xf2, 0xc), Selector.R3_DATA);
  gdt.set(descriptor(tss, TSS_SIZE - 1, 0x89, 0x0), Selector.TSS); // present, available 32-bit TSS
  gdt.set(descriptor(kpcr, 0xfff, 0x92, 0x4), Selector.R0_PCR);
  gdt.set(descriptor(0, 0xfff, 0xf2, 0x4), Selector.R3_TEB);
  return gdt;
}

/** Maps a stack of `size` bytes at `base` and points ESP at its top (minus `reserve` bytes). */
export function setupStack(cpu: X86Cpu, base: number, size: number, reserve = 0x10): number {
  cpu.map(base, size, RW);
  const top = (base + size - reserve) >>> 0;
  cpu.setReg('esp', top);
  cpu.setReg('ebp', 0);
  return top;
}

export interface ProcessorSetup {
  /** Processor number (KPCR.Number, KPRCB.Number, KPCR.SetMember). */
  number: number;
  /** Where to put the KPCR; default KPCR_ADDRESS. */
  kpcr?: number;
  /** The kernel stack; default KERNEL_STACK. */
  stack?: { base: number; size: number };
}

/** The last processor pages built (GDT and KPCR page), with the inputs they were built from. */
let keptPages: {
  kpcr: number;
  number: number;
  base: number;
  size: number;
  gdt: Uint8Array;
  pcr: Uint8Array;
} | null = null;

/**
 * The GDT and the KPCR page (KPRCB and kernel stack bounds included) for one processor: the same bytes
 * for the same PCR address, processor number and stack, built once (a warm boot rebuilt them, ~1% of
 * it, issue 19). Never written to: the engine copies what it writes.
 */
function processorPages(kpcr: number, number: number, stack: { base: number; size: number }) {
  const k = keptPages;
  if (k && k.kpcr === kpcr && k.number === number && k.base === stack.base && k.size === stack.size) return k;
  const prcb = kpcr + KPRCB_OFFSET;
  const pcr = new Uint8Array(0x1000);
  const v = new DataView(pcr.buffer);
  v.setUint32(KPCR.ExceptionList, EXCEPTION_CHAIN_END, true);
  v.setUint32(KPCR.StackBase, (stack.base + stack.size) >>> 0, true);
  v.setUint32(KPCR.StackLimit, stack.base, true);
  v.setUint32(KPCR.SelfPcr, kpcr, true);
  v.setUint32(KPCR.Prcb, prcb, true);
  v.setUint32(KPCR.IDT, IDT_ADDRESS, true);
  v.setUint32(KPCR.GDT, GDT_ADDRESS, true);
  v.setUint32(KPCR.TSS, TSS_ADDRESS, true);
  v.setUint16(KPCR.MajorVersion, 1, true);
  v.setUint16(KPCR.MinorVersion, 1, true);
  v.setUint32(KPCR.SetMember, (1 << number) >>> 0, true);
  pcr[KPCR.Number] = number;
  v.setUint16(KPRCB_OFFSET + KPRCB.MinorVersion, 1, true);
  v.setUint16(KPRCB_OFFSET + KPRCB.MajorVersion, 1, true);
  pcr[KPRCB_OFFSET + KPRCB.Number] = number;
  keptPages = { kpcr, number, base: stack.base, size: stack.size, gdt: buildGdt(kpcr), pcr };
  return keptPages;
}

/**
 * Puts `cpu` in NT's ring-0 state: maps and fills the GDT, IDT (empty: interrupts go to the engine's
 * hooks), TSS, KPCR/KPRCB and a kernel stack, loads GDTR/IDTR, CS = KGDT_R0_CODE, DS/ES/SS =
 * KGDT_R0_DATA, FS = KGDT_R0_PCR, GS = 0, and sets ESP to the top of the stack.
 */
export function setupNtX86(
  cpu: X86Cpu,
  setup: ProcessorSetup,
): { kpcr: number; prcb: number; stackTop: number } {
  const kpcr = setup.kpcr ?? KPCR_ADDRESS;
  const prcb = kpcr + KPRCB_OFFSET;
  const stack = setup.stack ?? KERNEL_STACK;
  const { gdt, pcr } = processorPages(kpcr, setup.number, stack);
  const page: Perm = RW;
  cpu.map(GDT_ADDRESS, 0x1000, page); // GDT, IDT and TSS share the page
  cpu.write(GDT_ADDRESS, gdt);
  cpu.map(kpcr, 0x1000, page);
  cpu.write(kpcr, pcr);

  cpu.setDescriptorTable('gdtr', GDT_ADDRESS, 0x3f);
  cpu.setDescriptorTable('idtr', IDT_ADDRESS, 256 * 8 - 1);
  cpu.setReg('cs', Selector.R0_CODE);
  cpu.setReg('ss', Selector.R0_DATA);
  cpu.setReg('ds', Selector.R0_DATA);
  cpu.setReg('es', Selector.R0_DATA);
  cpu.setReg('gs', 0);
  cpu.setReg('fs', Selector.R0_PCR);
  const stackTop = setupStack(cpu, stack.base, stack.size);
  return { kpcr, prcb, stackTop };
}
