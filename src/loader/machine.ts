// The machine check of a system image against the kernel it is loaded into: NT's image-section code
// (MiCreateImageFileMap) refuses a PE built for another processor with STATUS_INVALID_IMAGE_FORMAT
// (0xC000007B); later systems return STATUS_IMAGE_MACHINE_TYPE_MISMATCH for user sections (ReactOS
// ntoskrnl/mm/section.c), but a kernel-mode image never runs on a foreign processor.

/** IMAGE_FILE_HEADER.Machine values of the processors NT ran on (winnt.h), with their names. */
export const MACHINE_NAMES: ReadonlyMap<number, string> = new Map([
  [0x14c, 'x86'],
  [0x162, 'MIPS R3000'],
  [0x166, 'MIPS R4000'],
  [0x168, 'MIPS R10000'],
  [0x184, 'Alpha AXP'],
  [0x1f0, 'PowerPC'],
  [0x1f1, 'PowerPC (FP)'],
  [0x284, 'Alpha AXP 64-bit'],
  [0x8664, 'AMD64'],
]);

/** `0x184 (Alpha AXP)`. */
export const machineName = (machine: number): string =>
  `0x${machine.toString(16)}${MACHINE_NAMES.has(machine) ? ` (${MACHINE_NAMES.get(machine)})` : ''}`;

/** Why an image of `machine` cannot load into a kernel of `kernelMachine`, or null when it can. */
export function machineMismatch(machine: number, kernelMachine: number): string | null {
  if (machine === kernelMachine) return null;
  return `built for machine type ${machineName(machine)}, but the kernel is ${machineName(kernelMachine)}`;
}

/** IMAGE_FILE_MACHINE_AMD64 (winnt.h). */
export const IMAGE_FILE_MACHINE_AMD64 = 0x8664;

/**
 * Where AMD64 system images live as the guest sees them: the loader's addresses (numbers, the same
 * kernel address space as on x86) are offsets from this base, the bottom of Windows x64's system
 * space. The AMD64 CPU engine shows the guest the same window (src/cpu/unicorn-x64.ts X64_WINDOW;
 * test/loader/pe32plus.test.ts checks they agree).
 */
export const AMD64_SYSTEM_WINDOW = 0xfffff80000000000n;

/** The guest address of loader address `a` in a PE32+ (64-bit) image's address space, or itself. */
export const guestVa = (is64: boolean, a: number): bigint =>
  is64 && a !== 0 ? AMD64_SYSTEM_WINDOW + BigInt(a >>> 0) : BigInt(a >>> 0);
