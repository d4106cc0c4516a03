// Alpha AXP disassembly in GNU objdump's syntax (`alpha-linux-gnu-objdump -b binary -m alpha -D`):
// OSF register names, its pseudo-ops (nop, unop, clr, mov, negq, sextl, ret, br...), decimal memory
// displacements, hex literals and absolute branch targets. Like objdump's print_insn_alpha, the first
// matching entry of an ordered table wins, so pseudo-ops come before the instructions they stand for.
// The table follows binutils' opcodes/alpha-opc.c as objdump 2.40 prints it (tested against it in
// test/cpu/alpha/disasm.test.ts); floating-point operate names come from disasm-fp.ts.
import { FP_OPERATE } from './disasm-fp.js';

/** One disassembled instruction. */
export interface AlphaInstruction {
  address: number;
  /** objdump's text: mnemonic, a tab, then the operands (no tab when there are none). */
  text: string;
  /** The four bytes in hex, e.g. "f0 ff 3e 20". */
  bytes: string;
}

// biome-ignore format: the register table reads best eight to a line
const REGS = [
  'v0', 't0', 't1', 't2', 't3', 't4', 't5', 't6',
  't7', 's0', 's1', 's2', 's3', 's4', 's5', 'fp',
  'a0', 'a1', 'a2', 'a3', 'a4', 'a5', 't8', 't9',
  't10', 't11', 'ra', 't12', 'at', 'gp', 'sp', 'zero',
];

/** Operand kinds of alpha-opc.c that matter for printing. */
// biome-ignore format: operand kinds grouped by kind
type Operand =
  | 'RA' | 'RB' | 'RC' | 'FA' | 'FB' | 'FC'
  | 'ZA' | 'ZB' | 'ZC' | 'RBA' | 'RCA'
  | 'PRB' | 'CPRB' | 'LIT' | 'MDISP' | 'BDISP' | 'PALFN' | 'JMPHINT' | 'RETHINT';

interface Entry {
  name: string;
  opcode: number;
  mask: number;
  operands: readonly Operand[];
}

const OP_MASK = 0xfc000000;
const op = (x: number) => (x << 26) >>> 0;
const OPR_MASK = (OP_MASK | 0x1fe0) >>> 0;
const opr = (o: number, f: number) => (op(o) | (f << 5)) >>> 0;
const oprl = (o: number, f: number) => (opr(o, f) | 0x1000) >>> 0;
const FP_MASK = (OP_MASK | 0xffe0) >>> 0;
const fp = (o: number, f: number) => (op(o) | (f << 5)) >>> 0;
const MFC_MASK = (OP_MASK | 0xffff) >>> 0;
const MBR_MASK = (OP_MASK | 0xc000) >>> 0;
const mbr = (o: number, h: number) => (op(o) | (h << 14)) >>> 0;

const ARG_OPR: Operand[] = ['RA', 'RB', 'RC'];
const ARG_OPRL: Operand[] = ['RA', 'LIT', 'RC'];
const ARG_OPRZ1: Operand[] = ['ZA', 'RB', 'RC'];
const ARG_OPRLZ1: Operand[] = ['ZA', 'LIT', 'RC'];
const ARG_MEM: Operand[] = ['RA', 'MDISP', 'PRB'];
const ARG_FMEM: Operand[] = ['FA', 'MDISP', 'PRB'];
const ARG_BRA: Operand[] = ['RA', 'BDISP'];
const ARG_FBRA: Operand[] = ['FA', 'BDISP'];
const ARG_FP: Operand[] = ['FA', 'FB', 'FC'];
const ARG_FPZ1: Operand[] = ['ZA', 'FB', 'FC'];

/**
 * The opcode table by major opcode (binutils alpha-opc.c order), built on first use: x86 boots load
 * this module with the CPU layer but never disassemble Alpha code.
 */
// Long because it is the instruction table: one line per opcode, as binutils lists them.
function buildTable(): Entry[][] {
  const entries: Entry[] = [];
  const add = (name: string, opcode: number, mask: number, operands: readonly Operand[]) =>
    entries.push({ name, opcode: opcode >>> 0, mask: mask >>> 0, operands });
  /** An operate instruction in both register and literal forms. */
  const both = (name: string, o: number, f: number, reg = ARG_OPR, lit = ARG_OPRL) => {
    add(name, opr(o, f), OPR_MASK, reg);
    add(name, oprl(o, f), OPR_MASK, lit);
  };

  // CALL_PAL (opcode 0x00).
  for (const [name, fn] of [
    ['halt', 0x00],
    ['draina', 0x02],
    ['bpt', 0x80],
    ['bugchk', 0x81],
    ['callsys', 0x83],
    ['imb', 0x86],
    ['rduniq', 0x9e],
    ['wruniq', 0x9f],
    ['gentrap', 0xaa],
  ] as const) {
    add(name, fn, 0xffffffff, []);
  }
  add('call_pal', op(0x00), OP_MASK, ['PALFN']);

  // Memory format, integer.
  add('lda', op(0x08), OP_MASK, ['RA', 'MDISP', 'ZB']);
  add('lda', op(0x08), OP_MASK, ARG_MEM);
  add('ldah', op(0x09), OP_MASK, ['RA', 'MDISP', 'ZB']);
  add('ldah', op(0x09), OP_MASK, ARG_MEM);
  add('ldbu', op(0x0a), OP_MASK, ARG_MEM);
  add('unop', op(0x0b), OP_MASK, ['ZA']);
  add('ldq_u', op(0x0b), OP_MASK, ARG_MEM);
  add('ldwu', op(0x0c), OP_MASK, ARG_MEM);
  add('stw', op(0x0d), OP_MASK, ARG_MEM);
  add('stb', op(0x0e), OP_MASK, ARG_MEM);
  add('stq_u', op(0x0f), OP_MASK, ARG_MEM);

  // Integer arithmetic (opcode 0x10).
  both('sextl', 0x10, 0x00, ARG_OPRZ1, ARG_OPRLZ1);
  both('addl', 0x10, 0x00);
  both('s4addl', 0x10, 0x02);
  both('negl', 0x10, 0x09, ARG_OPRZ1, ARG_OPRLZ1);
  both('subl', 0x10, 0x09);
  both('s4subl', 0x10, 0x0b);
  both('cmpbge', 0x10, 0x0f);
  both('s8addl', 0x10, 0x12);
  both('s8subl', 0x10, 0x1b);
  both('cmpult', 0x10, 0x1d);
  both('addq', 0x10, 0x20);
  both('s4addq', 0x10, 0x22);
  both('negq', 0x10, 0x29, ARG_OPRZ1, ARG_OPRLZ1);
  both('subq', 0x10, 0x29);
  both('s4subq', 0x10, 0x2b);
  both('cmpeq', 0x10, 0x2d);
  both('s8addq', 0x10, 0x32);
  both('s8subq', 0x10, 0x3b);
  both('cmpule', 0x10, 0x3d);
  both('addl/v', 0x10, 0x40);
  both('negl/v', 0x10, 0x49, ARG_OPRZ1, ARG_OPRLZ1);
  both('subl/v', 0x10, 0x49);
  both('cmplt', 0x10, 0x4d);
  both('addq/v', 0x10, 0x60);
  both('negq/v', 0x10, 0x69, ARG_OPRZ1, ARG_OPRLZ1);
  both('subq/v', 0x10, 0x69);
  both('cmple', 0x10, 0x6d);

  // Logical and conditional moves (opcode 0x11). objdump prints the aliases listed first.
  both('and', 0x11, 0x00);
  both('andnot', 0x11, 0x08);
  both('cmovlbs', 0x11, 0x14);
  both('cmovlbc', 0x11, 0x16);
  add('nop', opr(0x11, 0x20), OPR_MASK, ['ZA', 'ZB', 'ZC']);
  add('clr', opr(0x11, 0x20), OPR_MASK, ['ZA', 'ZB', 'RC']);
  add('mov', opr(0x11, 0x20), OPR_MASK, ['ZA', 'RB', 'RC']);
  add('mov', opr(0x11, 0x20), OPR_MASK, ['RA', 'RBA', 'RC']);
  add('mov', oprl(0x11, 0x20), OPR_MASK, ['ZA', 'LIT', 'RC']);
  both('or', 0x11, 0x20);
  both('cmoveq', 0x11, 0x24);
  both('cmovne', 0x11, 0x26);
  both('not', 0x11, 0x28, ARG_OPRZ1, ARG_OPRLZ1);
  both('ornot', 0x11, 0x28);
  both('xor', 0x11, 0x40);
  both('cmovlt', 0x11, 0x44);
  both('cmovge', 0x11, 0x46);
  both('eqv', 0x11, 0x48);
  both('amask', 0x11, 0x61, ARG_OPRZ1, ARG_OPRLZ1);
  both('cmovle', 0x11, 0x64);
  both('cmovgt', 0x11, 0x66);
  add('implver', (oprl(0x11, 0x6c) | (31 << 21) | (1 << 13)) >>> 0, 0xffffffe0, ['RC']);

  // Shifts and byte manipulation (opcode 0x12).
  for (const [name, f] of [
    ['mskbl', 0x02],
    ['extbl', 0x06],
    ['insbl', 0x0b],
    ['mskwl', 0x12],
    ['extwl', 0x16],
    ['inswl', 0x1b],
    ['mskll', 0x22],
    ['extll', 0x26],
    ['insll', 0x2b],
    ['zap', 0x30],
    ['zapnot', 0x31],
    ['mskql', 0x32],
    ['srl', 0x34],
    ['extql', 0x36],
    ['sll', 0x39],
    ['insql', 0x3b],
    ['sra', 0x3c],
    ['mskwh', 0x52],
    ['inswh', 0x57],
    ['extwh', 0x5a],
    ['msklh', 0x62],
    ['inslh', 0x67],
    ['extlh', 0x6a],
    ['mskqh', 0x72],
    ['insqh', 0x77],
    ['extqh', 0x7a],
  ] as const) {
    both(name, 0x12, f);
  }

  // Multiplies (opcode 0x13).
  both('mull', 0x13, 0x00);
  both('mulq', 0x13, 0x20);
  both('umulh', 0x13, 0x30);
  both('mull/v', 0x13, 0x40);
  both('mulq/v', 0x13, 0x60);

  // Floating-point operate, opcodes 0x14-0x16 (generated names), then 0x17.
  for (const [o, f, name, form, pseudo] of FP_OPERATE) {
    if (form === 'itof') add(name, fp(o, f), FP_MASK, ['RA', 'ZB', 'FC']);
    else if (form === 'fpz1') add(name, fp(o, f), FP_MASK, ARG_FPZ1);
    else {
      if (pseudo) add(pseudo, fp(o, f), FP_MASK, ARG_FPZ1);
      add(name, fp(o, f), FP_MASK, ARG_FP);
    }
  }
  add('cvtlq', fp(0x17, 0x010), FP_MASK, ARG_FPZ1);
  add('fnop', fp(0x17, 0x020), FP_MASK, ['ZA', 'ZB', 'ZC']);
  add('fclr', fp(0x17, 0x020), FP_MASK, ['ZA', 'ZB', 'FC']);
  add('fabs', fp(0x17, 0x020), FP_MASK, ARG_FPZ1);
  add('fmov', fp(0x17, 0x020), FP_MASK, ['FA', 'RBA', 'FC']);
  add('cpys', fp(0x17, 0x020), FP_MASK, ARG_FP);
  add('fneg', fp(0x17, 0x021), FP_MASK, ['FA', 'RBA', 'FC']);
  add('cpysn', fp(0x17, 0x021), FP_MASK, ARG_FP);
  add('cpyse', fp(0x17, 0x022), FP_MASK, ARG_FP);
  add('mt_fpcr', fp(0x17, 0x024), FP_MASK, ['FA', 'RBA', 'RCA']);
  add('mf_fpcr', fp(0x17, 0x025), FP_MASK, ['FA', 'RBA', 'RCA']);
  for (const [name, f] of [
    ['fcmoveq', 0x2a],
    ['fcmovne', 0x2b],
    ['fcmovlt', 0x2c],
    ['fcmovge', 0x2d],
    ['fcmovle', 0x2e],
    ['fcmovgt', 0x2f],
  ] as const) {
    add(name, fp(0x17, f), FP_MASK, ARG_FP);
  }
  add('cvtql', fp(0x17, 0x030), FP_MASK, ARG_FPZ1);
  add('cvtql/v', fp(0x17, 0x130), FP_MASK, ARG_FPZ1);
  add('cvtql/sv', fp(0x17, 0x530), FP_MASK, ARG_FPZ1);

  // Miscellaneous (opcode 0x18).
  for (const [name, f, operands] of [
    ['trapb', 0x0000, []],
    ['excb', 0x0400, []],
    ['mb', 0x4000, []],
    ['wmb', 0x4400, []],
    ['fetch', 0x8000, ['ZA', 'PRB']],
    ['fetch_m', 0xa000, ['ZA', 'PRB']],
    ['rpcc', 0xc000, ['RA', 'ZB']],
    ['rpcc', 0xc000, ['RA', 'RB']],
    ['rc', 0xe000, ['RA']],
    ['ecb', 0xe800, ['ZA', 'PRB']],
    ['rs', 0xf000, ['RA']],
    ['wh64', 0xf800, ['ZA', 'PRB']],
    ['wh64en', 0xfc00, ['ZA', 'PRB']],
  ] as const) {
    add(name, op(0x18) | f, MFC_MASK, operands);
  }

  // PALcode-reserved opcodes: objdump -m alpha knows no implementation's hw_* forms.
  for (const o of [0x19, 0x1b, 0x1d, 0x1e, 0x1f]) add(`pal${o.toString(16)}`, op(o), OP_MASK, ['PALFN']);

  // Jumps (opcode 0x1a).
  add('jmp', mbr(0x1a, 0), MBR_MASK | 0x3fff, ['ZA', 'CPRB']);
  add('jmp', mbr(0x1a, 0), MBR_MASK, ['RA', 'CPRB', 'JMPHINT']);
  add('jsr', mbr(0x1a, 1), MBR_MASK, ['RA', 'CPRB', 'JMPHINT']);
  add('ret', mbr(0x1a, 2) | (31 << 21) | (26 << 16) | 1, 0xffffffff, []);
  add('ret', mbr(0x1a, 2), MBR_MASK, ['RA', 'CPRB', 'RETHINT']);
  add('jcr', mbr(0x1a, 3), MBR_MASK, ['RA', 'CPRB', 'RETHINT']);

  // Opcode 0x1c: BWX, CIX and MVI.
  add('sextb', opr(0x1c, 0x00), OPR_MASK, ARG_OPRZ1);
  add('sextw', opr(0x1c, 0x01), OPR_MASK, ARG_OPRZ1);
  add('ctpop', opr(0x1c, 0x30), OPR_MASK, ARG_OPRZ1);
  add('perr', opr(0x1c, 0x31), OPR_MASK, ARG_OPR);
  add('ctlz', opr(0x1c, 0x32), OPR_MASK, ARG_OPRZ1);
  add('cttz', opr(0x1c, 0x33), OPR_MASK, ARG_OPRZ1);
  add('unpkbw', opr(0x1c, 0x34), OPR_MASK, ARG_OPRZ1);
  add('unpkbl', opr(0x1c, 0x35), OPR_MASK, ARG_OPRZ1);
  add('pkwb', opr(0x1c, 0x36), OPR_MASK, ARG_OPRZ1);
  add('pklb', opr(0x1c, 0x37), OPR_MASK, ARG_OPRZ1);
  for (const [name, f] of [
    ['minsb8', 0x38],
    ['minsw4', 0x39],
    ['minub8', 0x3a],
    ['minuw4', 0x3b],
    ['maxub8', 0x3c],
    ['maxuw4', 0x3d],
    ['maxsb8', 0x3e],
    ['maxsw4', 0x3f],
  ] as const) {
    both(name, 0x1c, f);
  }
  add('ftoit', fp(0x1c, 0x70), FP_MASK, ['FA', 'ZB', 'RC']);
  add('ftois', fp(0x1c, 0x78), FP_MASK, ['FA', 'ZB', 'RC']);

  // Memory format, floating point and integer.
  for (const [name, o] of [
    ['ldf', 0x20],
    ['ldg', 0x21],
    ['lds', 0x22],
    ['ldt', 0x23],
    ['stf', 0x24],
    ['stg', 0x25],
    ['sts', 0x26],
    ['stt', 0x27],
  ] as const) {
    add(name, op(o), OP_MASK, ARG_FMEM);
  }
  for (const [name, o] of [
    ['ldl', 0x28],
    ['ldq', 0x29],
    ['ldl_l', 0x2a],
    ['ldq_l', 0x2b],
    ['stl', 0x2c],
    ['stq', 0x2d],
    ['stl_c', 0x2e],
    ['stq_c', 0x2f],
  ] as const) {
    add(name, op(o), OP_MASK, ARG_MEM);
  }

  // Branches.
  add('br', op(0x30), OP_MASK, ['ZA', 'BDISP']);
  for (const [name, o, args] of [
    ['br', 0x30, ARG_BRA],
    ['fbeq', 0x31, ARG_FBRA],
    ['fblt', 0x32, ARG_FBRA],
    ['fble', 0x33, ARG_FBRA],
    ['bsr', 0x34, ARG_BRA],
    ['fbne', 0x35, ARG_FBRA],
    ['fbge', 0x36, ARG_FBRA],
    ['fbgt', 0x37, ARG_FBRA],
    ['blbc', 0x38, ARG_BRA],
    ['beq', 0x39, ARG_BRA],
    ['blt', 0x3a, ARG_BRA],
    ['ble', 0x3b, ARG_BRA],
    ['blbs', 0x3c, ARG_BRA],
    ['bne', 0x3d, ARG_BRA],
    ['bge', 0x3e, ARG_BRA],
    ['bgt', 0x3f, ARG_BRA],
  ] as const) {
    add(name, op(o), OP_MASK, args);
  }

  /** Entries by major opcode, in table order. */
  const byOpcode: Entry[][] = Array.from({ length: 64 }, () => []);
  for (const e of entries) byOpcode[e.opcode >>> 26]!.push(e);
  return byOpcode;
}
let table: Entry[][] | null = null;

const field = (w: number, shift: number) => (w >>> shift) & 31;

/** The extraction checks of the fake operands (ZA/ZB/ZC must be R31, RBA/RCA must equal Ra). */
function valid(w: number, operands: readonly Operand[]): boolean {
  for (const o of operands) {
    if (o === 'ZA' && field(w, 21) !== 31) return false;
    if (o === 'ZB' && field(w, 16) !== 31) return false;
    if (o === 'ZC' && field(w, 0) !== 31) return false;
    if (o === 'RBA' && field(w, 21) !== field(w, 16)) return false;
    if (o === 'RCA' && field(w, 21) !== field(w, 0)) return false;
  }
  return true;
}

/** C's "%#x": 0x-prefixed hex, but a bare 0 for zero. */
const altHex = (n: number) => (n === 0 ? '0' : `0x${n.toString(16)}`);

/** objdump's print_address_func for -b binary: the target as 0x-prefixed hex (64-bit wrap). */
const target = (address: number) => `0x${BigInt.asUintN(64, BigInt(address)).toString(16)}`;

function operandText(w: number, o: Operand, address: number): string {
  switch (o) {
    case 'RA':
      return REGS[field(w, 21)]!;
    case 'RB':
    case 'PRB':
    case 'CPRB':
      return REGS[field(w, 16)]!;
    case 'RC':
      return REGS[field(w, 0)]!;
    case 'FA':
      return `$f${field(w, 21)}`;
    case 'FB':
      return `$f${field(w, 16)}`;
    case 'FC':
      return `$f${field(w, 0)}`;
    case 'LIT':
      return altHex((w >>> 13) & 0xff);
    case 'MDISP':
      return String((w << 16) >> 16);
    case 'BDISP':
      return target(address + 4 + 4 * ((w << 11) >> 11));
    case 'PALFN':
      return altHex(w & 0x3ffffff);
    case 'JMPHINT':
      return target(address + 4 + 4 * ((w << 18) >> 18));
    case 'RETHINT':
      return altHex(w & 0x3fff);
    default:
      return '';
  }
}

/** Disassembles one instruction word at `address` (objdump's text; `.long 0x...` when unknown). */
export function disassembleAlphaWord(word: number, address: number): string {
  const w = word >>> 0;
  table ??= buildTable();
  for (const e of table[w >>> 26]!) {
    if ((w & e.mask) >>> 0 !== e.opcode || !valid(w, e.operands)) continue;
    let text = e.name;
    let first = true;
    for (const o of e.operands) {
      if (o === 'ZA' || o === 'ZB' || o === 'ZC' || o === 'RBA' || o === 'RCA') continue;
      const value = operandText(w, o, address);
      if (first) text += '\t';
      else if (o !== 'PRB') text += ',';
      text += o === 'PRB' || o === 'CPRB' ? `(${value})` : value;
      first = false;
    }
    return text;
  }
  // objdump: ".long %#08x".
  return `.long ${w === 0 ? '00000000' : `0x${w.toString(16).padStart(6, '0')}`}`;
}

/**
 * Disassembles `bytes` (little-endian instruction words, a trailing partial word ignored) as code at
 * `address`.
 */
export function disassembleAlpha(bytes: Uint8Array, address: number): AlphaInstruction[] {
  const out: AlphaInstruction[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i + 4 <= bytes.length; i += 4) {
    const a = address + i;
    out.push({
      address: a,
      text: disassembleAlphaWord(view.getUint32(i, true), a),
      bytes: Array.from(bytes.subarray(i, i + 4), (b) => b.toString(16).padStart(2, '0')).join(' '),
    });
  }
  return out;
}
