// Windows x64's processor state for ring-0 code, on an X64Cpu: the GDT with the KGDT64_* selectors,
// an IDT (empty: interrupts go to the engine's hooks), a 64-bit TSS, the KPCR with its KPRCB that GS
// addresses (IA32_GS_BASE; KERNEL_GS_BASE holds the user TEB, none here), and a kernel stack.
// Selectors: ReactOS sdk/include/ndk/amd64/ketypes.h (KGDT64_*); KPCR/KPRCB offsets: Vergilius and
// Geoff Chappell's KPCR/KPRCB (amd64) pages (Self 0x18, CurrentPrcb 0x20, Irql 0x50, Prcb 0x180;
// KPRCB.CurrentThread 0x08, the offset KeGetCurrentThread's `mov rax, gs:[188h]` reads).
import { type Perm, RW, type X64Cpu } from './engine.js';
import { GDT_ADDRESS, IDT_ADDRESS, KERNEL_STACK, TSS_ADDRESS } from './x86-setup.js';

/** Model: where the KPCR lives (host address; the guest sees it in the window, engine.ts X64Cpu). */
export const X64_KPCR_ADDRESS = 0xffdfe000;
/** KPCR.Prcb: the KPRCB inside the KPCR (amd64). */
export const X64_KPRCB_OFFSET = 0x180;

/** NT's x64 GDT selectors (ketypes.h KGDT64_*). */
export const Selector64 = {
  R0_CODE: 0x10,
  R0_DATA: 0x18,
  R3_CMCODE: 0x20,
  R3_DATA: 0x28,
  R3_CODE: 0x30,
  SYS_TSS: 0x40,
  R3_CMTEB: 0x50,
} as const;

/** KPCR fields (amd64). */
export const KPCR64 = {
  GdtBase: 0x00,
  TssBase: 0x08,
  Self: 0x18,
  CurrentPrcb: 0x20,
  IdtBase: 0x38,
  Irql: 0x50,
  MajorVersion: 0x60,
  MinorVersion: 0x62,
} as const;

/** KPRCB fields (amd64). */
export const KPRCB64 = {
  MxCsr: 0x00,
  LegacyNumber: 0x04,
  CurrentThread: 0x08,
  NextThread: 0x10,
  IdleThread: 0x18,
} as const;

/** MSRs (Intel SDM vol. 4): the GS bases SWAPGS exchanges. */
export const MSR = { IA32_GS_BASE: 0xc0000101, IA32_KERNEL_GS_BASE: 0xc0000102 } as const;

/** CR4.OSFXSR | CR4.OSXMMEXCPT: SSE enabled, as every x64 kernel runs (compilers emit SSE freely). */
const CR4_SSE = 0x600n;

/** An 8-byte code or data descriptor; `flags` is G, D/B, L, AVL (Intel SDM vol. 3, 3.4.5). */
function descriptor(access: number, flags: number): Uint8Array {
  const d = new Uint8Array(8);
  d[0] = 0xff;
  d[1] = 0xff;
  d[5] = access;
  d[6] = 0x0f | (flags << 4);
  return d;
}

/** A 16-byte system descriptor (the 64-bit TSS) for guest address `base` (Intel SDM vol. 3, 7.2.3). */
function tssDescriptor(base: bigint, limit: number): Uint8Array {
  const d = new Uint8Array(16);
  const v = new DataView(d.buffer);
  v.setUint16(0, limit, true);
  v.setUint16(2, Number(base & 0xffffn), true);
  d[4] = Number((base >> 16n) & 0xffn);
  d[5] = 0x89; // present, available 64-bit TSS
  d[7] = Number((base >> 24n) & 0xffn);
  v.setUint32(8, Number((base >> 32n) & 0xffffffffn), true);
  return d;
}

/** The x64 GDT: long-mode ring-0 code (L), data, the compatibility and 64-bit user segments, the TSS. */
export function buildGdt64(tss: bigint): Uint8Array {
  const gdt = new Uint8Array(0x60);
  gdt.set(descriptor(0x9b, 0x2), Selector64.R0_CODE); // present, DPL 0, code; L = 1
  gdt.set(descriptor(0x93, 0xc), Selector64.R0_DATA);
  gdt.set(descriptor(0xfb, 0xc), Selector64.R3_CMCODE); // DPL 3, 32-bit
  gdt.set(descriptor(0xf3, 0xc), Selector64.R3_DATA);
  gdt.set(descriptor(0xfb, 0x2), Selector64.R3_CODE); // DPL 3, L = 1
  gdt.set(tssDescriptor(tss, 0x67), Selector64.SYS_TSS);
  gdt.set(descriptor(0xf3, 0x4), Selector64.R3_CMTEB);
  return gdt;
}

/**
 * Puts `cpu` in Windows x64's ring-0 state: GDT, IDT and TSS on one page, the KPCR (Self and
 * CurrentPrcb pointing at itself and its KPRCB), GDTR/IDTR, CS = KGDT64_R0_CODE, SS = KGDT64_R0_DATA,
 * DS = ES = GS = KGDT64_R3_DATA | 3, FS = KGDT64_R3_CMTEB | 3, IA32_GS_BASE = the KPCR, and RSP at the
 * top of the kernel stack (16-byte aligned, as the x64 convention has it before a call). Addresses
 * returned are host addresses (X64Cpu's window).
 */
export function setupNtX64(
  cpu: X64Cpu,
  setup: { number: number },
): { kpcr: number; prcb: number; stackTop: number } {
  const kpcr = X64_KPCR_ADDRESS;
  const prcb = kpcr + X64_KPRCB_OFFSET;
  const page: Perm = RW;
  cpu.map(GDT_ADDRESS, 0x1000, page);
  cpu.write(GDT_ADDRESS, buildGdt64(cpu.guestAddress(TSS_ADDRESS)));
  cpu.map(kpcr, 0x2000, page);
  const pcr = new Uint8Array(0x2000);
  const v = new DataView(pcr.buffer);
  v.setBigUint64(KPCR64.GdtBase, cpu.guestAddress(GDT_ADDRESS), true);
  v.setBigUint64(KPCR64.TssBase, cpu.guestAddress(TSS_ADDRESS), true);
  v.setBigUint64(KPCR64.Self, cpu.guestAddress(kpcr), true);
  v.setBigUint64(KPCR64.CurrentPrcb, cpu.guestAddress(prcb), true);
  v.setBigUint64(KPCR64.IdtBase, cpu.guestAddress(IDT_ADDRESS), true);
  v.setUint16(KPCR64.MajorVersion, 1, true);
  v.setUint16(KPCR64.MinorVersion, 1, true);
  v.setUint32(X64_KPRCB_OFFSET + KPRCB64.MxCsr, 0x1f80, true);
  pcr[X64_KPRCB_OFFSET + KPRCB64.LegacyNumber] = setup.number;
  cpu.write(kpcr, pcr);

  cpu.setDescriptorTable('gdtr', cpu.guestAddress(GDT_ADDRESS), 0x5f);
  cpu.setDescriptorTable('idtr', cpu.guestAddress(IDT_ADDRESS), 256 * 16 - 1);
  cpu.setReg('cs', BigInt(Selector64.R0_CODE));
  cpu.setReg('ss', BigInt(Selector64.R0_DATA));
  cpu.setReg('ds', BigInt(Selector64.R3_DATA | 3));
  cpu.setReg('es', BigInt(Selector64.R3_DATA | 3));
  cpu.setReg('fs', BigInt(Selector64.R3_CMTEB | 3));
  cpu.setReg('gs', BigInt(Selector64.R3_DATA | 3));
  // After the selector loads, which reset the hidden bases.
  cpu.writeMsr(MSR.IA32_GS_BASE, cpu.guestAddress(kpcr));
  cpu.writeMsr(MSR.IA32_KERNEL_GS_BASE, 0n);
  cpu.setReg('cr4', cpu.reg('cr4') | CR4_SSE);
  const stack = KERNEL_STACK;
  cpu.map(stack.base, stack.size, RW);
  const stackTop = (stack.base + stack.size - 0x20) >>> 0;
  cpu.setReg('rsp', cpu.guestAddress(stackTop));
  cpu.setReg('rbp', 0n);
  return { kpcr, prcb, stackTop };
}
