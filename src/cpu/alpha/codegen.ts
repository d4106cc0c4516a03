// Translation of Alpha AXP integer instructions into JavaScript source, one basic block at a time
// (interpreter.ts compiles it with `new Function`). Semantics follow the Alpha Architecture Reference
// Manual (4th ed., chapter 4) and, where the manual leaves a choice, qemu's target/alpha/translate.c
// (loads into R31 are prefetches and do nothing; STx_C compares the locked address).
//
// Generated code sees: register halves as locals x0..x63 (register i is x(2i) low, x(2i+1) high; the
// interpreter loads them from R and writes them back at `@W`), RD/WR (word offsets of readable /
// writable pages in the arena MEM, memory.ts; one lookup also sends non-canonical and misaligned
// addresses to the slow path, see pageIndex), d (instructions retired in this call) and c (the most
// it may retire before returning), M (the interpreter's runtime: lock address, fault and hook entry
// points) and O (ops.ts helpers). Slow paths and exits write registers and M.n back first; a fault
// thrown at index k of a block has retired k instructions of it.
import {
  disp16Of,
  disp21Of,
  funcOf,
  isLiteral,
  jumpTypeOf,
  literalOf,
  memFuncOf,
  opcodeOf,
  palFuncOf,
  raOf,
  rbOf,
  rcOf,
} from './decode.js';
import { ALPHA_PAGE_COUNT } from './memory.js';
import { ALPHA_TRAP } from './pal.js';

/** One translated instruction: its source, whether it ends the block, and its static successors. */
export interface Translated {
  code: string;
  ends: boolean;
  /** For a direct branch: the addresses it may go to (target, and the next one when conditional). */
  next?: number[];
  /** For a load or store: its page-table lookup, written in `code` as `@H<pc>@` (see lookupCode). */
  lookup?: Lookup;
}

/**
 * The page-table lookup of the load or store at `pc`: table RD or WR, indexed by the page of
 * Rb + disp, or by an entry of the tables' upper half (0) when that address is not canonical or not
 * aligned to mask + 1. `unaligned`: LDQ_U/STQ_U, whose address is rounded down to 8 first.
 */
export interface Lookup {
  pc: number;
  table: 'RD' | 'WR';
  b: number;
  disp: number;
  mask: number;
  unaligned: boolean;
}

/**
 * The lookup's expression at its instruction, where `ea`, `eh` (and `ea0`) are computed; or, with
 * `hoisted`, statements computing it into `P<pc>` from the registers, at the entry of a function in
 * which Rb is never written. The tables only change between calls of translated code, or in calls
 * that return right after host code ran (PAL calls, traps, code hooks), so such a lookup gives the
 * same entry at entry as at the instruction; an entry of 0 (a page with code, written through the
 * slow path) stays 0 and each store there takes the slow path.
 */
export function lookupCode(l: Lookup, hoisted: boolean): string {
  const at = l.unaligned ? 'ea0' : 'ea';
  const expr = `${l.table}[${pageIndex(l.mask, at)}]`;
  if (!hoisted) return expr;
  const round = l.unaligned ? 'const ea=ea0&-8;' : '';
  return `let P${l.pc}=0;{${effectiveAddress(l.b, l.disp, at)}${round}P${l.pc}=${expr};}`;
}

/** What the translator needs to know about the block being built. */
export interface BlockContext {
  /** Address of the block's first instruction. */
  start: number;
  /**
   * Blocks compiled into the same function (address -> [instruction count, index in the function's
   * switch]): an exit to one of them continues there (`b = index; continue`) while the instruction
   * limit allows; null for none.
   */
  links: ReadonlyMap<number, readonly [number, number]> | null;
  /** Instructions in the block so far, this one included once it is added. */
  length: number;
  /** IMPLVER result. */
  implver: number;
  /** AMASK feature bits (bits set are features implemented, cleared from the result). */
  amask: number;
}

const lo = (r: number) => (r === 31 ? '0' : `x${2 * r}`);
const hi = (r: number) => (r === 31 ? '0' : `x${2 * r + 1}`);
/** Assigns the locals l, h to Rc (nothing for R31). */
const put = (c: number) => (c === 31 ? '' : `x${2 * c}=l;x${2 * c + 1}=h;`);
const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

/** 64-bit helpers on (aL, aH, bL, bH) producing l, h. */
const add64 = 'const l=(aL+bL)|0;const h=(aH+bH+((l>>>0)<(aL>>>0)?1:0))|0;';
const sub64 = 'const l=(aL-bL)|0;const h=(aH-bH-((aL>>>0)<(bL>>>0)?1:0))|0;';
const scale = (s: number) => `const sL=aL<<${s};const sH=(aH<<${s})|(aL>>>${32 - s});`;
const addScaled = (s: number) => `${scale(s)}const l=(sL+bL)|0;const h=(sH+bH+((l>>>0)<(sL>>>0)?1:0))|0;`;
const subScaled = (s: number) => `${scale(s)}const l=(sL-bL)|0;const h=(sH-bH-((sL>>>0)<(bL>>>0)?1:0))|0;`;
const bool = (cond: string) => `const l=(${cond})?1:0;const h=0;`;
const LT = '(aH<bH||(aH===bH&&(aL>>>0)<(bL>>>0)))';
const LE = '(aH<bH||(aH===bH&&(aL>>>0)<=(bL>>>0)))';
const ULT = '((aH>>>0)<(bH>>>0)||(aH===bH&&(aL>>>0)<(bL>>>0)))';
const ULE = '((aH>>>0)<(bH>>>0)||(aH===bH&&(aL>>>0)<=(bL>>>0)))';

/** Conditions on Ra (as aL, aH) for CMOVxx and the conditional branches. */
const COND: Record<string, string> = {
  lbs: '(aL&1)!==0',
  lbc: '(aL&1)===0',
  eq: '(aL|aH)===0',
  ne: '(aL|aH)!==0',
  lt: 'aH<0',
  ge: 'aH>=0',
  le: '(aH<0||(aL|aH)===0)',
  gt: '(aH>0||(aH===0&&aL!==0))',
};

/** Operate-format bodies computing l, h from aL, aH, bL, bH; `ov` marks /V (overflow check). */
const OPERATE: Record<number, Record<number, { body: string; ov?: string }>> = {
  16: {
    0: { body: 'const l=(aL+bL)|0;const h=l>>31;' },
    2: { body: 'const l=((aL<<2)+bL)|0;const h=l>>31;' },
    9: { body: 'const l=(aL-bL)|0;const h=l>>31;' },
    11: { body: 'const l=((aL<<2)-bL)|0;const h=l>>31;' },
    15: { body: 'const l=O.cmpbge(aL,aH,bL,bH);const h=0;' },
    18: { body: 'const l=((aL<<3)+bL)|0;const h=l>>31;' },
    27: { body: 'const l=((aL<<3)-bL)|0;const h=l>>31;' },
    29: { body: bool(ULT) },
    32: { body: add64 },
    34: { body: addScaled(2) },
    41: { body: sub64 },
    43: { body: subScaled(2) },
    45: { body: bool('aL===bL&&aH===bH') },
    50: { body: addScaled(3) },
    59: { body: subScaled(3) },
    61: { body: bool(ULE) },
    64: { body: 'const s=aL+bL;const l=s|0;const h=l>>31;', ov: 's!==l' },
    73: { body: 'const s=aL-bL;const l=s|0;const h=l>>31;', ov: 's!==l' },
    77: { body: bool(LT) },
    96: { body: add64, ov: '((aH^h)&(bH^h))<0' },
    105: { body: sub64, ov: '((aH^bH)&(aH^h))<0' },
    109: { body: bool(LE) },
  },
  17: {
    0: { body: 'const l=aL&bL;const h=aH&bH;' },
    8: { body: 'const l=aL&~bL;const h=aH&~bH;' },
    32: { body: 'const l=aL|bL;const h=aH|bH;' },
    40: { body: 'const l=aL|~bL;const h=aH|~bH;' },
    64: { body: 'const l=aL^bL;const h=aH^bH;' },
    72: { body: 'const l=aL^~bL;const h=aH^~bH;' },
  },
  18: {
    48: { body: 'const l=O.zapnot(aL,aH,~bL);const h=O.hi;' },
    49: { body: 'const l=O.zapnot(aL,aH,bL);const h=O.hi;' },
    52: { body: 'const l=O.shr(aL,aH,bL&63);const h=O.hi;' },
    57: { body: 'const l=O.shl(aL,aH,bL&63);const h=O.hi;' },
    60: { body: 'const l=O.sra(aL,aH,bL&63);const h=O.hi;' },
  },
  19: {
    0: { body: 'const l=Math.imul(aL,bL);const h=l>>31;' },
    32: { body: 'const l=O.mulq(aL,aH,bL,bH);const h=O.hi;' },
    48: { body: 'const l=O.umulh(aL,aH,bL,bH);const h=O.hi;' },
    64: {
      body: 'const p=aL*bL;const l=Math.imul(aL,bL);const h=l>>31;',
      ov: '(p>2147483647||p<-2147483648)',
    },
    96: { body: 'const v=O.mulqOverflows(aL,aH,bL,bH);const l=O.mulq(aL,aH,bL,bH);const h=O.hi;', ov: 'v' },
  },
};

// CMOVxx (opcode 0x11): function -> condition on Ra.
const CMOV: Record<number, string> = {
  20: 'lbs',
  22: 'lbc',
  36: 'eq',
  38: 'ne',
  68: 'lt',
  70: 'ge',
  100: 'le',
  102: 'gt',
};

// Byte manipulation (opcode 0x12): function -> helper and byte mask.
const BYTES: Record<number, [string, number]> = {
  2: ['mskl', 0x01],
  6: ['extl', 0x01],
  11: ['insl', 0x01],
  18: ['mskl', 0x03],
  22: ['extl', 0x03],
  27: ['insl', 0x03],
  34: ['mskl', 0x0f],
  38: ['extl', 0x0f],
  43: ['insl', 0x0f],
  50: ['mskl', 0xff],
  54: ['extl', 0xff],
  59: ['insl', 0xff],
  82: ['mskh', 0x03],
  87: ['insh', 0x03],
  90: ['exth', 0x03],
  98: ['mskh', 0x0f],
  103: ['insh', 0x0f],
  106: ['exth', 0x0f],
  114: ['mskh', 0xff],
  119: ['insh', 0xff],
  122: ['exth', 0xff],
};

function operate(w: number, k: number, pc: number, ctx: BlockContext): Translated | null {
  const op = opcodeOf(w);
  const fn = funcOf(w);
  const a = raOf(w);
  const c = rcOf(w);
  const lit = isLiteral(w);
  const b = rbOf(w);
  const ops =
    `const aL=${lo(a)},aH=${hi(a)};` +
    (lit ? `const bL=${literalOf(w)},bH=0;` : `const bL=${lo(b)},bH=${hi(b)};`);
  const plain = OPERATE[op]?.[fn];
  if (plain) {
    let code = `{${ops}${plain.body}${put(c)}`;
    if (plain.ov) code += `if(${plain.ov}){@W;return M.trap(${ALPHA_TRAP.arithmetic},${hex(pc)},${k});}`;
    return { code: `${code}}`, ends: false };
  }
  if (op === 0x11) {
    const cond = CMOV[fn];
    if (cond) {
      if (c === 31) return { code: '', ends: false };
      return { code: `{${ops}if(${COND[cond]}){x${2 * c}=bL;x${2 * c + 1}=bH;}}`, ends: false };
    }
    if (fn === 0x61) {
      // AMASK: clears the bits of implemented features.
      return { code: `{${ops}const l=bL&${~ctx.amask};const h=bH;${put(c)}}`, ends: false };
    }
    if (fn === 0x6c) {
      return { code: `{const l=${ctx.implver},h=0;${put(c)}}`, ends: false };
    }
    return null;
  }
  if (op === 0x12) {
    const bytes = BYTES[fn];
    if (!bytes) return null;
    return {
      code: `{${ops}const l=O.${bytes[0]}(aL,aH,bL,${bytes[1]});const h=O.hi;${put(c)}}`,
      ends: false,
    };
  }
  if (op === 0x1c) {
    // SEXTB/SEXTW (BWX); Ra must be R31 and Rb a register (qemu: REQUIRE_REG_31, no literal form).
    if (a !== 31 || lit) return null;
    if (fn === 0x00) return { code: `{const l=(${lo(b)}<<24)>>24;const h=l>>31;${put(c)}}`, ends: false };
    if (fn === 0x01) return { code: `{const l=(${lo(b)}<<16)>>16;const h=l>>31;${put(c)}}`, ends: false };
    return null;
  }
  return null;
}

/**
 * The effective address Rb + disp as `ea` (int32, the low half) and `eh` (the high half of the
 * 64-bit sum): the address is canonical when eh === ea >> 31.
 */
function effectiveAddress(b: number, disp: number, name = 'ea'): string {
  if (b === 31) return `const ${name}=${disp | 0};const eh=${(disp | 0) >> 31};`;
  if (disp === 0) return `const ${name}=${lo(b)};const eh=${hi(b)};`;
  const carry = disp > 0 ? '(s>4294967295?1:0)' : '(s<0?-1:0)';
  return `const s=(${lo(b)}>>>0)+${disp};const ${name}=s|0;const eh=(${hi(b)}+${carry})|0;`;
}

/**
 * The page-table index of an access at `ea` (`at`, the address checked, for LDQ_U/STQ_U the unrounded
 * one): the page number when the address is canonical and aligned to `mask`+1, else one in the
 * tables' upper half, which is always 0 (memory.ts), so that one lookup sends every exception to the
 * slow path.
 */
function pageIndex(mask: number, at = 'ea'): string {
  return `(ea>>>13)|((((eh^(${at}>>31))|(${at}&${mask}))!==0)?${ALPHA_PAGE_COUNT}:0)`;
}

/** Loads and stores by opcode: their table, alignment mask and whether the address is rounded to 8. */
const ACCESS: Record<number, [Lookup['table'], number, boolean]> = {
  10: ['RD', 0, false], // LDBU
  12: ['RD', 1, false], // LDWU
  11: ['RD', 0, true], // LDQ_U
  40: ['RD', 3, false], // LDL
  42: ['RD', 3, false], // LDL_L
  41: ['RD', 7, false], // LDQ
  43: ['RD', 7, false], // LDQ_L
  14: ['WR', 0, false], // STB
  13: ['WR', 1, false], // STW
  15: ['WR', 0, true], // STQ_U
  44: ['WR', 3, false], // STL
  45: ['WR', 7, false], // STQ
  46: ['WR', 3, false], // STL_C
  47: ['WR', 7, false], // STQ_C
};

function memory(w: number, pc: number, kn: number): Translated | null {
  const t = memoryAccess(w, pc, kn);
  const op = opcodeOf(w);
  const access = ACCESS[op];
  // Loads into R31 other than LDx_L are prefetches: no code, no lookup.
  if (!t || !access || (raOf(w) === 31 && access[0] === 'RD' && op !== 0x2a && op !== 0x2b)) return t;
  const [table, mask, unaligned] = access;
  t.lookup = { pc: pc >>> 0, table, b: rbOf(w), disp: disp16Of(w), mask, unaligned };
  return t;
}

/**
 * The source of a load or store (or LDA/LDAH). Long because it is one switch over the memory-format
 * opcodes, each case a template of the generated source.
 */
function memoryAccess(w: number, pc: number, kn: number): Translated | null {
  // Slow paths get the instruction's index in its block and its address.
  const k = `${kn},${hex(pc)}`;
  const op = opcodeOf(w);
  const a = raOf(w);
  const b = rbOf(w);
  const disp = disp16Of(w);
  // o: the page's word offset in the arena MEM; 0 sends the access to the slow path, which raises
  // the fault the checks find (non-canonical, misaligned, page) or, for a store into a page with
  // translated code, drops that code and returns the offset.
  // The lookup (memory() records it): @H<pc>@ becomes its expression or a hoisted value.
  const entry = `@H${pc >>> 0}@`;
  const rdPage = (mask: number, at = 'ea') =>
    `const o=${entry};if(o===0){@W;M.rs(${at},eh,${mask},${k},ea);}const i=o+((ea&0x1fff)>>2);`;
  // A store that needed the slow path dropped translated code: stop continuing into other blocks.
  const wrPage = (mask: number, at = 'ea') =>
    `let o=${entry};if(o===0){@W;o=M.ws(${at},eh,${mask},${k},ea);c=-1;}const i=o+((ea&0x1fff)>>2);`;
  const setA = (l: string, h: string) => (a === 31 ? '' : `x${2 * a}=${l};x${2 * a + 1}=${h};`);
  switch (op) {
    case 0x08:
    case 0x09: {
      // LDA / LDAH: Ra = Rb + sext(disp) (<< 16 for LDAH).
      if (a === 31) return { code: '', ends: false };
      const cL = op === 0x08 ? disp : disp * 65536;
      const cH = cL < 0 ? -1 : 0;
      if (b === 31) return { code: `x${2 * a}=${cL | 0};x${2 * a + 1}=${cH};`, ends: false };
      return {
        code: `{const bL=${lo(b)},bH=${hi(b)};const l=(bL+${cL | 0})|0;const h=(bH+${cH}+((l>>>0)<(bL>>>0)?1:0))|0;x${2 * a}=l;x${2 * a + 1}=h;}`,
        ends: false,
      };
    }
    case 0x0a: // LDBU
      if (a === 31) return { code: '', ends: false };
      return {
        code: `{${effectiveAddress(b, disp)}${rdPage(0)}${setA('(MEM[i]>>>((ea&3)<<3))&255', '0')}}`,
        ends: false,
      };
    case 0x0c: // LDWU
      if (a === 31) return { code: '', ends: false };
      return {
        code: `{${effectiveAddress(b, disp)}${rdPage(1)}${setA('(MEM[i]>>>((ea&2)<<3))&65535', '0')}}`,
        ends: false,
      };
    case 0x0b: // LDQ_U (with Ra = R31 it is UNOP)
      if (a === 31) return { code: '', ends: false };
      return {
        code: `{${effectiveAddress(b, disp, 'ea0')}const ea=ea0&-8;${rdPage(0, 'ea0')}const v0=MEM[i],v1=MEM[i+1];${setA('v0', 'v1')}}`,
        ends: false,
      };
    case 0x28: // LDL
    case 0x2a: // LDL_L
      if (a === 31 && op === 0x28) return { code: '', ends: false };
      return {
        code: `{${effectiveAddress(b, disp)}${rdPage(3)}const v=MEM[i];${op === 0x2a ? 'M.lock=ea;' : ''}${setA('v', 'v>>31')}}`,
        ends: false,
      };
    case 0x29: // LDQ
    case 0x2b: // LDQ_L
      if (a === 31 && op === 0x29) return { code: '', ends: false };
      return {
        code: `{${effectiveAddress(b, disp)}${rdPage(7)}const v0=MEM[i],v1=MEM[i+1];${op === 0x2b ? 'M.lock=ea;' : ''}${setA('v0', 'v1')}}`,
        ends: false,
      };
    case 0x0e: // STB
      return {
        code: `{const v=${lo(a)};${effectiveAddress(b, disp)}${wrPage(0)}const sh=(ea&3)<<3;MEM[i]=(MEM[i]&~(255<<sh))|((v&255)<<sh);}`,
        ends: false,
      };
    case 0x0d: // STW
      return {
        code: `{const v=${lo(a)};${effectiveAddress(b, disp)}${wrPage(1)}const sh=(ea&2)<<3;MEM[i]=(MEM[i]&~(65535<<sh))|((v&65535)<<sh);}`,
        ends: false,
      };
    case 0x0f: // STQ_U
      return {
        code: `{const v0=${lo(a)},v1=${hi(a)};${effectiveAddress(b, disp, 'ea0')}const ea=ea0&-8;${wrPage(0, 'ea0')}MEM[i]=v0;MEM[i+1]=v1;}`,
        ends: false,
      };
    case 0x2c: // STL
      return {
        code: `{const v=${lo(a)};${effectiveAddress(b, disp)}${wrPage(3)}MEM[i]=v;}`,
        ends: false,
      };
    case 0x2d: // STQ
      return {
        code: `{const v0=${lo(a)},v1=${hi(a)};${effectiveAddress(b, disp)}${wrPage(7)}MEM[i]=v0;MEM[i+1]=v1;}`,
        ends: false,
      };
    case 0x2e: // STL_C
    case 0x2f: {
      // STQ_C: stores only if the lock is held on this address; Ra = 1 on success, 0 on failure. The
      // address checks come first (a fault even without the lock); the page only when storing.
      const quad = op === 0x2f;
      const mask = quad ? 7 : 3;
      const store = quad ? `MEM[i]=${lo(a)};MEM[i+1]=${hi(a)};` : `MEM[i]=${lo(a)};`;
      const result = a === 31 ? '' : `x${2 * a}=ok;x${2 * a + 1}=0;`;
      return {
        code: `{${effectiveAddress(b, disp)}if(((eh^(ea>>31))|(ea&${mask}))!==0){@W;M.rs(ea,eh,${mask},${k},ea,1);}let ok=0;if(M.lock===ea){${wrPage(mask)}${store}ok=1;}M.lock=-1;${result}}`,
        ends: false,
      };
    }
    default:
      return null;
  }
}

/** The exit to a branch target: loops inside the block when it is the block's start. */
/** Continues into block `link` of the same function when the limit allows, else returns `target`. */
export function continueTo(link: readonly [number, number], target: number): string {
  // @J<index>@ becomes `b=index;continue;` or the target block's code inlined (interpreter.ts).
  return `if(d+${link[0]}<=c){@J${link[1]}@}@W;return ${hex(target)};`;
}

/**
 * The exit to `target`: continues in the same function when the target block was compiled into it
 * and the instruction limit leaves room for all of that block, else returns the target address.
 */
function exitTo(target: number, ctx: BlockContext): string {
  const t = target >>> 0;
  const link = ctx.links?.get(t);
  if (link !== undefined) return `d+=${ctx.length};${continueTo(link, t)}`;
  return `d+=${ctx.length};@W;return ${hex(t)};`;
}

function branch(w: number, pc: number, ctx: BlockContext): Translated | null {
  const op = opcodeOf(w);
  const a = raOf(w);
  const target = (pc + 4 + 4 * disp21Of(w)) >>> 0;
  const next = (pc + 4) | 0;
  if (op === 0x30 || op === 0x34) {
    const link = a === 31 ? '' : `x${2 * a}=${next};x${2 * a + 1}=${next >> 31};`;
    return { code: `${link}${exitTo(target, ctx)}`, ends: true, next: [target] };
  }
  const cond: Record<number, string> = {
    56: 'lbc',
    57: 'eq',
    58: 'lt',
    59: 'le',
    60: 'lbs',
    61: 'ne',
    62: 'ge',
    63: 'gt',
  };
  const c = cond[op];
  if (!c) return null;
  return {
    code: `{const aL=${lo(a)},aH=${hi(a)};if(${COND[c]}){${exitTo(target, ctx)}}}${exitTo(pc + 4, ctx)}`,
    ends: true,
    next: [target, (pc + 4) >>> 0],
  };
}

function jump(w: number, pc: number, ctx: BlockContext): Translated {
  // JMP/JSR/RET/JSR_COROUTINE differ only in their hints; the target is read before Ra is written.
  void jumpTypeOf;
  const a = raOf(w);
  const b = rbOf(w);
  const next = (pc + 4) | 0;
  const link = a === 31 ? '' : `x${2 * a}=${next};x${2 * a + 1}=${next >> 31};`;
  // A target whose high half is not the sign extension of the low one comes back as low + 2^32:
  // the run loop reports a fetch fault at the low address.
  return {
    code: `{const t=${lo(b)}&-4;const th=${hi(b)};${link}d+=${ctx.length};@W;if(th!==(t>>31)){return (t>>>0)+4294967296;}return t>>>0;}`,
    ends: true,
  };
}

function misc(w: number, k: number): Translated | null {
  const a = raOf(w);
  switch (memFuncOf(w)) {
    case 0x0000: // TRAPB
    case 0x0400: // EXCB
    case 0x4000: // MB
    case 0x4400: // WMB
    case 0x8000: // FETCH
    case 0xa000: // FETCH_M
    case 0xe800: // ECB
    case 0xf800: // WH64
      return { code: '', ends: false };
    case 0xc000: // RPCC: the instructions retired in this run (a deterministic cycle counter).
      return { code: a === 31 ? '' : `x${2 * a}=(n0+d+${k})|0;x${2 * a + 1}=0;`, ends: false };
    case 0xe000: // RC
    case 0xf000: {
      // RS
      const set = memFuncOf(w) === 0xf000 ? 1 : 0;
      return {
        code: `${a === 31 ? '' : `x${2 * a}=M.intr;x${2 * a + 1}=0;`}M.intr=${set};`,
        ends: false,
      };
    }
    default:
      return null;
  }
}

/**
 * Translates the instruction `w` at `pc`, index `k` in its block. Instructions the interpreter does
 * not implement (floating point, PALcode-reserved opcodes, unknown functions) become an
 * invalid-instruction fault.
 */
export function translate(w: number, pc: number, k: number, ctx: BlockContext): Translated {
  const op = opcodeOf(w);
  let t: Translated | null = null;
  if (op === 0x00) {
    return { code: `@W;return M.pal(${hex(palFuncOf(w))},${hex(pc)},${k});`, ends: true };
  }
  if (op >= 0x10 && op <= 0x13) t = operate(w, k, pc, ctx);
  else if (op === 0x1c) t = operate(w, k, pc, ctx);
  else if (op === 0x18) t = misc(w, k);
  else if (op === 0x1a) t = jump(w, pc, ctx);
  else if (op >= 0x30) t = branch(w, pc, ctx);
  else t = memory(w, pc, k);
  return t ?? { code: `@W;M.inv(${hex(pc)},${k});`, ends: true };
}
