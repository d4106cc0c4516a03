// x86 disassembly for traces and fault reports, through Capstone compiled to WebAssembly
// (@alexaltea/capstone-js). Imported and initialised once, lazily, and cached: loading the module
// and its WASM takes tens of milliseconds, which a command that never disassembles should not pay.
import type { CpuCore, X86 } from './engine.js';

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
  Capstone: new (arch: number, mode: number) => CapstoneDisassembler;
}

let x86: Promise<CapstoneDisassembler> | undefined;

function disassembler(): Promise<CapstoneDisassembler> {
  x86 ??= import('@alexaltea/capstone-js')
    .then((m) => m.default() as Promise<CapstoneModule>)
    .then((cs) => new cs.Capstone(cs.ARCH_X86, cs.MODE_32));
  return x86;
}

/**
 * Up to `count` x86 (32-bit) instructions decoded from `bytes`, which start at `address`. Decoding
 * stops at the first byte sequence that is not an instruction; none at all gives [].
 */
export async function disassemble(bytes: Uint8Array, address: number, count = 1): Promise<Instruction[]> {
  const d = await disassembler();
  let insns: CapstoneInsn[];
  try {
    insns = d.disasm([...bytes], address, count);
  } catch {
    return [];
  }
  return insns.slice(0, count).map((i) => {
    const opStr = i.op_str;
    return {
      address: Number(i.address),
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
export async function disassembleAt(cpu: CpuCore<X86>, address: number, count = 1): Promise<Instruction[]> {
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
  return disassemble(bytes, address >>> 0, count);
}
