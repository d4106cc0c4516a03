// The CPU layer's public face: the one function that picks an engine for a machine (Unicorn for x86,
// our interpreter for Alpha AXP), the engine interfaces, NT's processor set-up, disassembly of either
// architecture, and the errors an engine can raise. Nothing above src/cpu names an engine class.
import type { AnyCpu } from './abi.js';
import { disassembleAlpha } from './alpha/disasm.js';
import { AlphaInterpreter } from './alpha/interpreter.js';
import { disassembleAt } from './disasm.js';
import type { AlphaCpu, X64Cpu, X86Cpu } from './engine.js';
import { UnicornX86 } from './unicorn.js';
import { UnicornX64 } from './unicorn-x64.js';

export type { AnyCpu } from './abi.js';
export { disassemble, disassembleAt, type Instruction } from './disasm.js';
export {
  type AlphaCpu,
  GuestMemoryLimitError,
  type RunResult,
  X64_GENERAL_REGS,
  type X64Cpu,
  type X64Reg,
  X86_GENERAL_REGS,
  type X86Cpu,
  type X86Reg,
} from './engine.js';
export { UnicornUnavailableError } from './unicorn.js';
export { X64_WINDOW } from './unicorn-x64.js';
export { KPRCB64, setupNtX64 } from './x64-setup.js';
export { setupNtX86 } from './x86-setup.js';

/** The machine architectures nt351 runs kernel code for. */
export type Architecture = 'x86' | 'alpha' | 'amd64';

/**
 * An engine for `arch`, ready for NT's processor set-up: x86 reuses a parked Unicorn engine
 * (UnicornX86.acquire: mapping costs dominate a boot), Alpha gets a fresh interpreter. The caller
 * closes it when done. Throws UnicornUnavailableError when libunicorn cannot be loaded.
 */
export function createCpu(arch: 'x86'): X86Cpu;
export function createCpu(arch: 'alpha'): AlphaCpu;
export function createCpu(arch: 'amd64'): X64Cpu;
export function createCpu(arch: Architecture): AnyCpu;
export function createCpu(arch: Architecture): AnyCpu {
  if (arch === 'amd64') return new UnicornX64();
  return arch === 'alpha' ? new AlphaInterpreter() : UnicornX86.acquire();
}

/** The instruction at `pc` as reports show it (Capstone's x86 text or our Alpha disassembler's), or null. */
export async function instructionAt(cpu: AnyCpu, pc: number): Promise<string | null> {
  if (cpu.arch !== 'alpha') return (await disassembleAt(cpu, pc))[0]?.text ?? null;
  try {
    return disassembleAlpha(cpu.read(pc, 4), pc)[0]?.text.replace('\t', ' ') ?? null;
  } catch {
    return null; // the fetch itself faulted
  }
}
