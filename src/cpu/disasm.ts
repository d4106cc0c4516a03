// x86 disassembly for traces and fault reports, through Capstone compiled to WebAssembly
// (@alexaltea/capstone-js). Initialised once, lazily: loading the WASM costs a few milliseconds.
import Capstone from '@alexaltea/capstone-js';

export interface Instruction {
  address: number;
  /** Instruction bytes in hex, e.g. "c7 05 00 00 00 00". */
  bytes: string;
  mnemonic: string;
  operands: string;
  /** "mov dword ptr [0], 1" */
  text: string;
}

interface CapstoneInsn {
  address: number | bigint;
  mnemonic: string;
  op_str: string;
  bytes: number[];
}
interface CapstoneDisassembler {
  disasm(bytes: number[] | Uint8Array, address: number): CapstoneInsn[];
  close(): void;
}
interface CapstoneModule {
  ARCH_X86: number;
  MODE_32: number;
  Capstone: new (arch: number, mode: number) => CapstoneDisassembler;
}

let x86: Promise<CapstoneDisassembler> | undefined;

function disassembler(): Promise<CapstoneDisassembler> {
  x86 ??= (Capstone() as Promise<CapstoneModule>).then((cs) => new cs.Capstone(cs.ARCH_X86, cs.MODE_32));
  return x86;
}

/** Up to `count` x86 (32-bit) instructions from `bytes`, which start at `address`. */
export async function disassembleX86(bytes: Uint8Array, address: number, count = 1): Promise<Instruction[]> {
  const d = await disassembler();
  return d
    .disasm([...bytes], address)
    .slice(0, count)
    .map((i) => {
      const hex = i.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
      return {
        address: Number(i.address),
        bytes: hex,
        mnemonic: i.mnemonic,
        operands: i.op_str,
        text: i.op_str ? `${i.mnemonic} ${i.op_str}` : i.mnemonic,
      };
    });
}
