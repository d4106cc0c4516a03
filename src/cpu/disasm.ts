// x86 disassembly for traces and fault reports, through Capstone compiled to WebAssembly
// (@alexaltea/capstone-js). Imported and initialised once, lazily, and cached: loading the module
// and its WASM takes tens of milliseconds, which a command that never disassembles should not pay.
import type { CpuCore, X64, X86 } from './engine.js';

export interface Instruction {
  address: number;
  /** Instruction bytes in hex, e.g. "c7 05 34 12 00 00 01 00 00 00". */
  bytes: string;
  mnemonic: string;
  /** Operands as Capstone prints them (Intel syntax), e.g. "dword ptr [0x1234], 1". */
  opStr: string;
  /** mnemonic and operands: "mov dword ptr [0x1234], 1". */
  text: string;
}

/** The parts of capstone-js 5.0.9 used here (dist/capstone.js). */
interface CapstoneInsn {
  address: number | bigint;
  mnemonic: string;
  op_str: string;
  bytes: number[];
}
interface CapstoneDisassembler {
  /** Throws a string (not an Error) when nothing at all decodes. */
  disasm(bytes: number[] | Uint8Array, address: number, max?: number): CapstoneInsn[];
  close(): void;
}
interface CapstoneModule {
  ARCH_X86: number;
  MODE_32: number;
  MODE_64: number;
  Capstone: new (arch: number, mode: number) => CapstoneDisassembler;
}

let capstone: Promise<CapstoneModule> | undefined;
const disassemblers = new Map<32 | 64, Promise<CapstoneDisassembler>>();

/** Capstone for 32-bit x86 or AMD64 (MODE_64), each made once. */
function disassembler(bits: 32 | 64): Promise<CapstoneDisassembler> {
  capstone ??= import('@alexaltea/capstone-js').then((m) => m.default() as Promise<CapstoneModule>);
  let d = disassemblers.get(bits);
  if (!d) {
    d = capstone.then((cs) => new cs.Capstone(cs.ARCH_X86, bits === 64 ? cs.MODE_64 : cs.MODE_32));
    disassemblers.set(bits, d);
  }
  return d;
}

/**
 * Up to `count` x86 instructions decoded from `bytes`, which start at `address` (32-bit code, or
 * AMD64 with `bits` 64, whose `address` may be a 64-bit bigint). Decoding stops at the first byte
 * sequence that is not an instruction; none at all gives [].
 */
export async function disassemble(
  bytes: Uint8Array,
  address: number | bigint,
  count = 1,
  bits: 32 | 64 = 32,
): Promise<Instruction[]> {
  const d = await disassembler(bits);
  let insns: CapstoneInsn[];
  try {
    insns = d.disasm([...bytes], address as number, count);
  } catch {
    return [];
  }
  return insns.slice(0, count).map((i) => {
    const opStr = i.op_str;
    return {
      // AMD64: the low 32 bits, the host address in the engine's window (engine.ts X64Cpu).
      address: bits === 64 ? Number(BigInt.asUintN(32, BigInt(i.address))) : Number(i.address),
      bytes: i.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' '),
      mnemonic: i.mnemonic,
      opStr,
      text: opStr ? `${i.mnemonic} ${opStr}` : i.mnemonic,
    };
  });
}

/** Longest x86 instruction (Intel SDM: 15 bytes). */
const MAX_INSN = 15;

/**
 * Up to `count` instructions at `address` in guest memory, e.g. the faulting instruction of a fault
 * report. Reads only mapped bytes: near the end of a mapping it decodes what is there.
 */
export async function disassembleAt(
  cpu: CpuCore<X86> | CpuCore<X64>,
  address: number,
  count = 1,
): Promise<Instruction[]> {
  const want = MAX_INSN * count;
  const chunks: Uint8Array[] = [];
  let at = address >>> 0;
  let have = 0;
  while (have < want) {
    const pageEnd = (Math.floor(at / cpu.pageSize) + 1) * cpu.pageSize;
    const n = Math.min(want - have, pageEnd - at);
    try {
      chunks.push(cpu.read(at, n));
    } catch {
      break; // unmapped or unreadable: decode what we have
    }
    have += n;
    at += n;
  }
  const bytes = new Uint8Array(have);
  let o = 0;
  for (const c of chunks) {
    bytes.set(c, o);
    o += c.length;
  }
  if (cpu.arch === 'amd64') {
    // Shown at the guest's 64-bit addresses (RIP-relative operands come out right too).
    const x = cpu as unknown as { guestAddress(a: number): bigint };
    return disassemble(bytes, x.guestAddress(address >>> 0), count, 64);
  }
  return disassemble(bytes, address >>> 0, count);
}
