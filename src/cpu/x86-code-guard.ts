// Byte patterns that Debian's libunicorn 2.0.1 cannot translate: it aborts the whole process
// (`tcg.c:3073: tcg fatal error`, SIGABRT) instead of raising #UD. UnicornX86 makes every address where
// such an instruction could start a Unicorn exit, so translation stops before decoding it and the run
// ends there as an invalid-instruction fault (what the CPU raises: #UD, STATUS_ILLEGAL_INSTRUCTION).
//
// Known cases (scripts/unicorn-sweep.ts finds them; docs/robustness.md has the figures):
// - `FF /3` (lcall) and `FF /5` (ljmp) with a register operand (ModRM mod = 3): `FF D8`..`FF DF`,
//   `FF E8`..`FF EF`, with any prefixes. Intel SDM vol. 2A, CALL and JMP: the far forms take only a
//   memory operand, a register one is #UD. QEMU 5.0's decoder lacked the mod == 3 check and used its
//   address temporary uninitialised (QEMU bug 1921138, fixed in QEMU 6.0, "target/i386: Verify memory
//   operand for lcall and ljmp"); Unicorn 2.0.1 is QEMU 5.0 (unicorn-engine/unicorn#1716).
// - A LOCK prefix on an instruction that cannot take it (`F0 38`, `F0 39`, `F0 A6`, `F0 A7` abort:
//   lock cmp, lock cmps). Intel SDM vol. 2A, LOCK: #UD "if the LOCK prefix is used with any instruction
//   not in the above list or with a register destination operand". The guard treats every such use as
//   a hazard, so all of them are #UD, as on the CPU, whichever of them libunicorn gets wrong.

/** x86 legacy prefixes (32-bit mode): lock, rep/repne, segment overrides, operand and address size. */
const PREFIX = new Uint8Array(256);
for (const b of [0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65, 0x66, 0x67]) PREFIX[b] = 1;
const LOCK = 0xf0;
/** An instruction is at most 15 bytes, so at most 14 prefixes precede its opcode. */
const MAX_PREFIXES = 14;
/** Bytes one decode here may read from its start: prefixes, up to two opcode bytes, ModRM. */
const MAX_DECODE = MAX_PREFIXES + 3;
/** Every hazard holds one of these bytes: FF (the opcode) or F0 (the LOCK prefix). */
const ANCHORS = [0xff, LOCK] as const;

/**
 * Whether LOCK may prefix this opcode (after any other prefixes): the SDM's list (ADD, ADC, AND, BTC,
 * BTR, BTS, CMPXCHG, CMPXCHG8B, DEC, INC, NEG, NOT, OR, SBB, SUB, XOR, XADD, XCHG), memory destination.
 * `op2` is the byte after 0F for two-byte opcodes. Unknown bytes (past the buffer) count as lockable.
 */
function lockable(op: number, op2: number | undefined, modrm: number | undefined): boolean {
  const alu = op < 0x40 && (op & 7) <= 1 && (op & 0x38) !== 0x38; // add..xor r/m, reg (not cmp)
  const ones = [0x80, 0x81, 0x82, 0x83, 0x86, 0x87, 0xf6, 0xf7, 0xfe, 0xff];
  const twos = [0xab, 0xb3, 0xbb, 0xb0, 0xb1, 0xc0, 0xc1, 0xba, 0xc7];
  if (op === 0x0f ? op2 !== undefined && !twos.includes(op2) : !alu && !ones.includes(op)) return false;
  if (modrm === undefined || (op === 0x0f && op2 === undefined)) return true; // unknown: not a hazard
  if (modrm >> 6 === 3) return false; // register destination
  const reg = (modrm >> 3) & 7;
  if (op === 0x0f) {
    if (op2 === 0xba) return reg >= 5; // bts/btr/btc imm8 (bt is /4)
    if (op2 === 0xc7) return reg === 1; // cmpxchg8b
    return true;
  }
  if (op >= 0x80 && op <= 0x83) return reg !== 7; // group 1 r/m, imm (not cmp)
  if (op === 0xf6 || op === 0xf7) return reg === 2 || reg === 3; // not, neg
  if (op === 0xfe || op === 0xff) return reg <= 1; // inc, dec
  return true; // alu, xchg
}

/**
 * Whether an instruction starting at `bytes[i]` is one the guard stops before: its prefixes, then FF
 * /3 or /5 with a register operand, or LOCK with an instruction that cannot take it. Bytes past the
 * buffer are unknown and never make a hazard.
 */
export function hazardInstructionAt(bytes: Uint8Array, i: number): boolean {
  let at = i;
  let lock = false;
  while (at < bytes.length && at - i < MAX_PREFIXES && PREFIX[bytes[at]!]) {
    if (bytes[at] === LOCK) lock = true;
    at++;
  }
  if (at >= bytes.length) return false;
  const op = bytes[at]!;
  if (op === 0xff && at + 1 < bytes.length) {
    const modrm = bytes[at + 1]!;
    const reg = (modrm >> 3) & 7;
    if (modrm >> 6 === 3 && (reg === 3 || reg === 5)) return true;
  }
  if (!lock) return false;
  const op2 = op === 0x0f ? bytes[at + 1] : undefined;
  const modrm = op === 0x0f ? bytes[at + 2] : bytes[at + 1];
  return !lockable(op, op2, modrm);
}

/**
 * Addresses where a hazard instruction would start, among the starts in [from, to) of `bytes`
 * (placed at guest address `base`). Bytes outside [from, to) are context: a start near `to` decodes
 * up to MAX_DECODE bytes past it.
 */
export function hazardStarts(bytes: Uint8Array, base: number, from = 0, to = bytes.length): number[] {
  const found = new Set<number>();
  for (const anchor of ANCHORS) {
    const end = Math.min(bytes.length, to + MAX_PREFIXES);
    for (
      let a = bytes.indexOf(anchor, Math.max(0, from));
      a >= 0 && a < end;
      a = bytes.indexOf(anchor, a + 1)
    ) {
      // Starts that reach the anchor through prefixes: the anchor itself and the prefix run before it.
      for (let p = a; p >= from && a - p <= MAX_PREFIXES; p--) {
        if (p < a && !PREFIX[bytes[p]!]) break;
        if (p < to && hazardInstructionAt(bytes, p)) found.add(base + p);
      }
    }
  }
  return [...found];
}

/**
 * Bytes around a written range that a rescan must read: starts up to MAX_DECODE bytes before it can
 * decode into it, and starts inside it decode up to MAX_DECODE bytes past it.
 */
export const GUARD_CONTEXT = MAX_DECODE;
