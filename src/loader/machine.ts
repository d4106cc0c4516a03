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
