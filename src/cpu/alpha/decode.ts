// Field extraction for Alpha AXP instruction words (Alpha Architecture Reference Manual, section 3.3:
// the memory, branch, operate and PALcode formats), shared by the translator and the disassembler.

/** Major opcode, bits 31:26. */
export const opcodeOf = (w: number) => w >>> 26;
/** Ra, bits 25:21. */
export const raOf = (w: number) => (w >>> 21) & 31;
/** Rb, bits 20:16. */
export const rbOf = (w: number) => (w >>> 16) & 31;
/** Rc, bits 4:0. */
export const rcOf = (w: number) => w & 31;
/** Memory-format displacement, bits 15:0, sign-extended. */
export const disp16Of = (w: number) => (w << 16) >> 16;
/** Branch-format displacement in instructions, bits 20:0, sign-extended. */
export const disp21Of = (w: number) => (w << 11) >> 11;
/** Operate-format function, bits 11:5. */
export const funcOf = (w: number) => (w >>> 5) & 0x7f;
/** Operate format: bit 12 set means an 8-bit literal (bits 20:13) replaces Rb. */
export const isLiteral = (w: number) => (w & 0x1000) !== 0;
/** Operate-format literal, bits 20:13. */
export const literalOf = (w: number) => (w >>> 13) & 0xff;
/** Memory-format function (opcode 0x18), bits 15:0. */
export const memFuncOf = (w: number) => w & 0xffff;
/** Jump type (opcode 0x1a), bits 15:14: 0 JMP, 1 JSR, 2 RET, 3 JSR_COROUTINE. */
export const jumpTypeOf = (w: number) => (w >>> 14) & 3;
/** Floating-point operate function, bits 15:5. */
export const fpFuncOf = (w: number) => (w >>> 5) & 0x7ff;
/** CALL_PAL function, bits 25:0. */
export const palFuncOf = (w: number) => w & 0x3ffffff;

/** Branch opcodes and the conditions on Ra (integer branches only). */
export const BRANCH_OPCODES = {
  br: 0x30,
  bsr: 0x34,
  blbc: 0x38,
  beq: 0x39,
  blt: 0x3a,
  ble: 0x3b,
  blbs: 0x3c,
  bne: 0x3d,
  bge: 0x3e,
  bgt: 0x3f,
} as const;
