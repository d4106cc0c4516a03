// AlphaInterpreter: the Alpha AXP CpuEngine, a translating interpreter in TypeScript (neither Unicorn
// nor any library we use has Alpha). Basic blocks are translated into JavaScript functions (codegen.ts,
// compiled with `new Function`, shared by source text across CPUs) and cached by address; a block
// entered HOT times is retranslated as a region: the blocks reachable from it by direct branches on
// its page, in one function, continuing into one another (inlined a few deep, else through a switch
// whose cases are loops of their own) while the instruction limit allows; the region's other blocks
// are entered through it. Page lookups of accesses whose base register a function never writes are
// made once on entry. Translations are closures over one process-wide Machine (see install()).
// Integer registers live in an Int32Array as 32-bit halves, held in locals inside translated code,
// and become bigints only at reg()/setReg(). The reference mode (options.reference) runs one
// instruction per dispatch and is what the translator is tested against.
//
// Model (documented choices, see also codegen.ts and pal.ts):
// - Addresses are NT's 32-bit addresses sign-extended to 64 bits; memory (memory.ts) covers the low
//   32 bits in 8 KiB pages. A data address or jump target whose high half is not the sign extension
//   of bit 31 faults as `unmapped` at its low 32 bits. Run results report pcs as unsigned 32-bit.
// - CALL_PAL n calls the interrupt hooks with vector n (the PAL function code; NT's are in pal.ts),
//   with pc already past the CALL_PAL; a hook may set pc. Without hooks it ends the run as an
//   `exception` fault with vector n and pc at the CALL_PAL. CALL_PAL IMB also drops translated code.
// - /V integer overflow calls the interrupt hooks with ALPHA_TRAP.arithmetic (the result is written,
//   pc is past the instruction); without hooks it is an `exception` fault at the instruction.
// - Unaligned LDWU/LDL/LDQ/LDx_L/STW/STL/STQ/STx_C end the run as an `exception` fault with vector
//   ALPHA_TRAP.unaligned, `access` read or write and `address` the data address (not the pc).
// - Floating-point instructions and other unimplemented opcodes end the run as `invalid-instruction`.
// - hookCode hooks run before the instruction at their address; if a hook changes pc or calls stop(),
//   the instruction is not executed. Adding or removing a code hook drops all translated code.
// - Instruction budgets are exact: a block that would overrun the budget is executed one instruction
//   at a time. RPCC returns the instructions retired so far in the run.
// - hookTrace: a `block` hook sees each translated block as it starts (with tracing on, blocks never
//   continue into one another, so every block is seen); an `insn` hook makes the run go one
//   instruction at a time.
// - Self-modifying code: a guest store into a page with translated code (or a host write, or unmap /
//   protect) drops the page's translations; the block doing the store finishes as translated, and
//   the next block is translated afresh (Alpha requires an IMB before modified code is executed).

import type {
  AlphaCpu,
  AlphaReg,
  CodeHook,
  FaultAccess,
  FaultKind,
  HookHandle,
  InterruptHook,
  Perm,
  RunOptions,
  RunResult,
  TraceHook,
} from '../engine.js';
import { monotonicMs } from '../monotonic.js';
import { type BlockContext, continueTo, type Lookup, lookupCode, translate } from './codegen.js';
import { ALPHA_PAGE_SIZE, AlphaMemory, PAGE_SHIFT } from './memory.js';
import { AlphaOps } from './ops.js';
import { ALPHA_TRAP, NT_PAL } from './pal.js';

const TWO32 = 4294967296;
/** Most instructions in one translated block. */
const MAX_BLOCK = 128;
/** Most blocks in one translated region. */
const MAX_REGION = 64;
/** How deep blocks are inlined into the blocks jumping to them, and how much source that may add. */
const INLINE_DEPTH = 3;
const INLINE_CHARS = 200_000;
/** Entries from the run loop after which a block is retranslated as a region. */
const HOT = 8;

export interface AlphaInterpreterOptions {
  /** IMPLVER result: 0 = EV4 (21064, default), 1 = EV5, 2 = EV6. */
  implver?: number;
  /** AMASK feature bits implemented (cleared from AMASK's result). Default 1: BWX only. */
  amask?: number;
  /**
   * Run one instruction per dispatch, never continuing from one block into another: the reference
   * the translator is differentially tested against (slow; same results by design).
   */
  reference?: boolean;
}

/** A guest fault raised inside translated code: `k` instructions of the block had retired. */
class AlphaFault {
  constructor(
    readonly fault: FaultKind,
    readonly access: FaultAccess | null,
    readonly address: number,
    readonly vector: number | undefined,
    readonly k: number,
    /** The faulting instruction's address (uint32). */
    readonly pc: number,
  ) {}
}

/** Thrown through translated code when a host hook threw; the error is in Runtime.hostError. */
const HOST_ERROR = Symbol('host-error');

interface Block {
  start: number;
  len: number;
  fn: Translation;
  /** Which block of the function to start at (its `case`; 0 for the function's own start). */
  entry: number;
  valid: boolean;
  /** Times the run loop entered it (a single block becomes a region at HOT). */
  hits: number;
  l1pc: number;
  l1: Block | null;
  l2pc: number;
  l2: Block | null;
}

interface CodeHookEntry {
  begin: number;
  end: number;
  fn: CodeHook;
}

/** The state translated code reads and the entry points it calls (the `M` of codegen.ts). */
class Runtime {
  /** Instructions retired in the current run. */
  n = 0;
  /**
   * Most instructions translated code may retire before returning to the run loop (int32): it does
   * not continue into a block that would pass it.
   */
  c = 0;
  /** Address locked by LDx_L (int32), or -1. */
  lock = -1;
  /** The RC/RS interrupt flag. */
  intr = 0;
  /** Program counter as seen by hooks (uint32; +2^32 when the 64-bit value is not canonical). */
  pc = 0;
  stopReason: string | null = null;
  hostError: Error | null = null;
  codeHooks: CodeHookEntry[] = [];
  interruptHooks: InterruptHook[] = [];

  constructor(
    readonly mem: AlphaMemory,
    private readonly flushAll: () => void,
    /** Installs this CPU's state again after host code ran (it may have run another CPU or mapped). */
    private readonly reinstall: () => void,
  ) {}

  /**
   * The address checks of an access at `at` (LDQ_U/STQ_U: before rounding; `eh` its high half) in the
   * model's order: not canonical, then misaligned (`mask`); throws the AlphaFault.
   */
  private check(at: number, eh: number, mask: number, k: number, pc: number, access: FaultAccess): void {
    if (eh !== at >> 31) throw new AlphaFault('unmapped', access, at >>> 0, undefined, k, pc);
    if (at & mask) throw new AlphaFault('exception', access, at >>> 0, ALPHA_TRAP.unaligned, k, pc);
  }
  /**
   * Slow path of a load from `ea` (checked as `at`): throws the fault. With `write`, the address
   * checks of STx_C only (which throw, as translated code calls this only when one fails).
   */
  rs(at: number, eh: number, mask: number, k: number, pc: number, ea: number, write = 0): void {
    this.check(at, eh, mask, k, pc, write ? 'write' : 'read');
    if (write) return;
    throw new AlphaFault(this.mem.denied(ea), 'read', ea >>> 0, undefined, k, pc);
  }
  /** Slow path of a store: the page's word offset when writable (dropping its code), else throws. */
  ws(at: number, eh: number, mask: number, k: number, pc: number, ea: number): number {
    this.check(at, eh, mask, k, pc, 'write');
    const o = this.mem.writablePage(ea);
    if (o) return o;
    throw new AlphaFault(this.mem.denied(ea), 'write', ea >>> 0, undefined, k, pc);
  }
  inv(pc: number, k: number): never {
    throw new AlphaFault('invalid-instruction', 'fetch', pc, undefined, k, pc);
  }

  private interrupt(vector: number, pc: number, k: number): number {
    if (this.interruptHooks.length === 0) throw new AlphaFault('exception', null, pc, vector, k, pc);
    this.n += k + 1;
    this.pc = (pc + 4) >>> 0;
    for (const hook of this.interruptHooks) this.call(() => hook(vector));
    return this.pc;
  }
  pal(func: number, pc: number, k: number): number {
    this.lock = -1;
    if (func === NT_PAL.imb) this.flushAll();
    return this.interrupt(func, pc, k);
  }
  trap(vector: number, pc: number, k: number): number {
    return this.interrupt(vector, pc, k);
  }

  /** Runs the code hooks of `pc`; true when the instruction must not run (pc changed or stop). */
  hook(pc: number): boolean {
    this.pc = pc;
    for (const h of this.codeHooks) {
      if (pc >= h.begin && pc <= h.end) this.call(() => h.fn(pc));
    }
    return this.pc !== pc || this.stopReason !== null;
  }

  private call(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.hostError = e instanceof Error ? e : new Error(String(e));
      throw HOST_ERROR;
    } finally {
      this.reinstall();
    }
  }
}

/**
 * What translated code works on: one object per process, into which the running CPU installs its
 * registers, page tables, arena and runtime (install()). Every translation is a closure over it, made
 * once per source text, so V8 sees one closure per function and specializes it to this object: the
 * page tables and arena, the same objects from one CPU to the next (memory.ts parks and reuses them),
 * become constants in optimized code (no loads, known lengths).
 */
interface Machine {
  R: Int32Array;
  RD: Int32Array;
  WR: Int32Array;
  MEM: Int32Array;
  M: Runtime;
  O: AlphaOps;
}
/** Runs translated code from its block `entry` (0: the first); returns the next pc. */
type Translation = (entry: number) => number;

/** The helpers translated code calls (stateless but for a scratch slot), shared by every CPU. */
const OPS = new AlphaOps();
/** The process's Machine, made by the first install (with real values, so its fields start constant). */
let machine: Machine | null = null;

/** Makes `S` the state translated code works on; stores only what changed (V8 keeps the rest constant). */
function install(R: Int32Array, mem: AlphaMemory, M: Runtime): Machine {
  const S = machine;
  if (S === null) {
    machine = { R, RD: mem.rd, WR: mem.wr, MEM: mem.words, M, O: OPS };
    return machine;
  }
  if (S.R !== R) S.R = R;
  if (S.RD !== mem.rd) S.RD = mem.rd;
  if (S.WR !== mem.wr) S.WR = mem.wr;
  if (S.MEM !== mem.words) S.MEM = mem.words;
  if (S.M !== M) S.M = M;
  return S;
}

/**
 * Compiled translations by source text, shared by every AlphaInterpreter of the process (a replay or
 * test run boots the same kernel many times): the state is the process's Machine, so a later CPU
 * running the same guest code calls the same function, with V8's feedback and optimized code. Bounded
 * by the source kept (cleared when full).
 */
const translations = new Map<string, Translation>();
let translationChars = 0;
const MAX_TRANSLATION_CHARS = 32 << 20;

function translation(body: string, S: Machine): Translation {
  let f = translations.get(body);
  if (!f) {
    if (translationChars + body.length > MAX_TRANSLATION_CHARS) {
      translations.clear();
      translationChars = 0;
    }
    // The arena is read after a code hook (which may map memory and so replace it): in withLocals.
    f = new Function('S', `return function(e){const R=S.R,RD=S.RD,WR=S.WR,M=S.M,O=S.O;${body}}`)(
      S,
    ) as Translation;
    translations.set(body, f);
    translationChars += body.length;
  }
  return f;
}

const REG_NAME = /^([rf])(\d{1,2})$/;

/**
 * Wraps translated code so that the register halves it names (x0..x63) are locals, loaded on entry
 * and written back (`@W`) before every exit and every call out, with M.n (= n0 + d, d the
 * instructions retired in this call, at most c).
 */
function withLocals(src: string, lookups: ReadonlyMap<number, Lookup>): string {
  const used = new Set<number>();
  const written = new Set<number>();
  for (const m of src.matchAll(/\bx(\d+)\b/g)) used.add(Number(m[1]));
  for (const m of src.matchAll(/\bx(\d+)=(?!=)/g)) written.add(Number(m[1]));
  // Page lookups of loads and stores whose base register the function never writes are made once,
  // on entry (codegen.ts, lookupCode): a loop over one buffer then does no table read per access.
  let prologue = '';
  const lookupAt = new Map<number, string>();
  for (const l of lookups.values()) {
    const hoist = l.b === 31 || !(written.has(2 * l.b) || written.has(2 * l.b + 1));
    if (hoist) {
      prologue += lookupCode(l, true);
      if (l.b !== 31) used.add(2 * l.b).add(2 * l.b + 1);
    }
    lookupAt.set(l.pc, hoist ? `P${l.pc}` : lookupCode(l, false));
  }
  if (lookupAt.size > 0) src = src.replace(/@H(\d+)@/g, (_, pc: string) => lookupAt.get(Number(pc))!);
  const flush = `(${[...written].map((i) => `R[${i}]=x${i},`).join('')}M.n=n0+d)`;
  const load = used.size > 0 ? `let ${[...used].map((i) => `x${i}=R[${i}]`).join(',')};` : '';
  return `const n0=M.n;let d=0;let c=M.c;const MEM=S.MEM;${load}${prologue}${src.replaceAll('@W', flush)}`;
}

/** An Alpha AXP CPU (21064 integer instruction set plus BWX), see the file comment for the model. */
export class AlphaInterpreter implements AlphaCpu {
  readonly arch = 'alpha' as const;
  readonly pageSize = ALPHA_PAGE_SIZE;
  private readonly R = new Int32Array(64);
  private readonly F = new BigUint64Array(32);
  private fpcr = 0n;
  private readonly mem: AlphaMemory;
  private readonly rt: Runtime;
  private readonly blocks = new Map<number, Block>();
  private readonly steps = new Map<number, Block>();
  private readonly pageBlocks = new Map<number, Block[]>();
  private readonly implver: number;
  private readonly amask: number;
  private readonly reference: boolean;
  /** The `until` translated blocks were cut at. */
  private until = -1;
  private running = false;
  private closed = false;
  private traceHooks: { unit: 'block' | 'insn'; fn: TraceHook }[] = [];

  constructor(options: AlphaInterpreterOptions = {}) {
    this.implver = options.implver ?? 0;
    this.amask = options.amask ?? 1;
    this.reference = options.reference ?? false;
    this.mem = new AlphaMemory((page) => this.dropBlocks(page));
    this.rt = new Runtime(
      this.mem,
      () => this.flushCode(),
      () => this.install(),
    );
  }

  /** Makes this CPU's state the one translated code works on (at run start and after host code). */
  private install(): Machine {
    return install(this.R, this.mem, this.rt);
  }

  map(address: number, size: number, perm: Perm): void {
    this.mem.map(address, size, perm);
  }
  unmap(address: number, size: number): void {
    this.mem.unmap(address, size);
  }
  protect(address: number, size: number, perm: Perm): void {
    this.mem.protect(address, size, perm);
  }

  read(address: number, size: number): Uint8Array {
    return this.mem.read(address, size);
  }
  write(address: number, bytes: Uint8Array): void {
    this.mem.write(address, bytes);
  }
  readU8(address: number): number {
    return this.mem.readByte(address);
  }
  readU16(address: number): number {
    const b = this.mem.read(address, 2);
    return b[0]! | (b[1]! << 8);
  }
  readU32(address: number): number {
    const b = this.mem.read(address, 4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }
  writeU8(address: number, value: number): void {
    this.mem.writeByte(address, value);
  }
  writeU16(address: number, value: number): void {
    this.mem.write(address, new Uint8Array([value & 0xff, (value >>> 8) & 0xff]));
  }
  writeU32(address: number, value: number): void {
    const v = value >>> 0;
    this.mem.write(address, new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]));
  }

  /** Integer registers and pc as unsigned 64-bit bigints (a KSEG0 pc reads 0xffffffff8xxxxxxx). */
  reg(name: AlphaReg): bigint {
    if (name === 'pc') {
      const pc = this.rt.pc;
      return pc >= TWO32 ? BigInt(pc - TWO32) : BigInt.asUintN(64, BigInt(pc | 0));
    }
    if (name === 'fpcr') return this.fpcr;
    const [kind, i] = this.regIndex(name);
    if (kind === 'f') return this.F[i]!;
    return (BigInt(this.R[2 * i + 1]! >>> 0) << 32n) | BigInt(this.R[2 * i]! >>> 0);
  }

  /**
   * Sets a register (value taken modulo 2^64; writes to r31/f31 are ignored). For pc, a value below
   * 2^32 is a 32-bit NT address and is sign-extended, so 0x80001000n and 0xffffffff80001000n agree.
   */
  setReg(name: AlphaReg, value: bigint): void {
    const v = BigInt.asUintN(64, value);
    if (name === 'pc') {
      const low = Number(v & 0xffffffffn);
      const high = Number(v >> 32n);
      const canonical = high === 0 || high === (low >= 0x80000000 ? 0xffffffff : 0);
      this.rt.pc = canonical ? low : low + TWO32;
      return;
    }
    if (name === 'fpcr') {
      this.fpcr = v;
      return;
    }
    const [kind, i] = this.regIndex(name);
    if (i === 31) return;
    if (kind === 'f') {
      this.F[i] = v;
      return;
    }
    this.R[2 * i] = Number(v & 0xffffffffn) | 0;
    this.R[2 * i + 1] = Number(v >> 32n) | 0;
  }

  private regIndex(name: string): ['r' | 'f', number] {
    const m = REG_NAME.exec(name);
    const i = m ? Number(m[2]) : 32;
    if (!m || i > 31) throw new RangeError(`no Alpha register ${name}`);
    return [m[1] as 'r' | 'f', i];
  }

  hookCode(begin: number, end: number, hook: CodeHook): HookHandle {
    const entry = { begin: begin >>> 0, end: end >>> 0, fn: hook };
    this.rt.codeHooks = [...this.rt.codeHooks, entry];
    this.flushCode();
    return {
      remove: () => {
        if (!this.rt.codeHooks.includes(entry)) return;
        this.rt.codeHooks = this.rt.codeHooks.filter((h) => h !== entry);
        this.flushCode();
      },
    };
  }

  hookTrace(unit: 'block' | 'insn', hook: TraceHook): HookHandle {
    const entry = { unit, fn: hook };
    this.traceHooks = [...this.traceHooks, entry];
    this.flushCode(); // blocks translated without tracing may loop inside themselves
    return {
      remove: () => {
        if (!this.traceHooks.includes(entry)) return;
        this.traceHooks = this.traceHooks.filter((h) => h !== entry);
        this.flushCode();
      },
    };
  }

  hookInterrupt(hook: InterruptHook): HookHandle {
    this.rt.interruptHooks = [...this.rt.interruptHooks, hook];
    return {
      remove: () => {
        this.rt.interruptHooks = this.rt.interruptHooks.filter((h) => h !== hook);
      },
    };
  }

  stop(reason: string): void {
    this.rt.stopReason ??= reason;
  }

  /** Drops all translated code (hooks changed, IMB). */
  private flushCode(): void {
    for (const page of [...this.pageBlocks.keys()]) this.mem.dropCode(page);
  }

  /** Called by memory when the code of a page must go. */
  private dropBlocks(page: number): void {
    const list = this.pageBlocks.get(page);
    if (!list) return;
    for (const b of list) {
      b.valid = false;
      if (this.blocks.get(b.start) === b) this.blocks.delete(b.start);
      if (this.steps.get(b.start) === b) this.steps.delete(b.start);
    }
    this.pageBlocks.delete(page);
  }

  private isHooked(pc: number): boolean {
    for (const h of this.rt.codeHooks) if (pc >= h.begin && pc <= h.end) return true;
    return false;
  }

  /** Whether blocks may continue into one another inside one function (not while tracing). */
  private chaining(): boolean {
    return !this.reference && this.traceHooks.length === 0;
  }

  /** Checks that `start` can be fetched; throws AlphaFault (fetch) when not. */
  private checkFetch(start: number): void {
    if (start >= TWO32) throw new AlphaFault('unmapped', 'fetch', start - TWO32, undefined, 0, start - TWO32);
    const fetch = this.mem.fetchable(start);
    if (fetch !== 'ok') throw new AlphaFault(fetch, 'fetch', start, undefined, 0, start);
    if (start & 3) throw new AlphaFault('exception', 'fetch', start, ALPHA_TRAP.unaligned, 0, start);
  }

  /**
   * The source of the block at `start` (at most `maxLen` instructions), its length and static
   * successors; `links` are the blocks of the same function an exit may continue into.
   */
  private blockSource(
    start: number,
    maxLen: number,
    links: ReadonlyMap<number, readonly [number, number]> | null,
  ): { src: string; len: number; next: number[]; lookups: Lookup[] } {
    const hooked = this.isHooked(start);
    const lookups: Lookup[] = [];
    const ctx: BlockContext = { start, links, length: 0, implver: this.implver, amask: this.amask };
    let src = '';
    let pc = start;
    let k = 0;
    for (;;) {
      const w = this.mem.word(pc) >>> 0;
      ctx.length = k + 1;
      const t = translate(w, pc, k, ctx);
      src += t.code;
      if (t.lookup) lookups.push(t.lookup);
      k++;
      pc = (pc + 4) >>> 0;
      if (t.ends) return { src, len: k, next: t.next ?? [], lookups };
      if (k >= maxLen || hooked || (pc & 0x1fff) === 0 || pc === this.until || this.isHooked(pc)) {
        // Cut here: continue at the next instruction (a block of its own).
        const link = (pc & 0x1fff) === 0 ? undefined : links?.get(pc);
        src += link !== undefined ? `d+=${k};${continueTo(link, pc)}` : `d+=${k};@W;return ${pc};`;
        return { src, len: k, next: (pc & 0x1fff) === 0 ? [] : [pc], lookups };
      }
    }
  }

  /**
   * Translates the code at `start` into one function: a single block of at most `maxLen`
   * instructions, or with `region` the blocks reachable from it by direct branches on the same page
   * (not hooked, not `until`), which continue into one another without returning to the run loop.
   * Throws AlphaFault on fetch faults.
   */
  private compile(start: number, maxLen: number, region = false): Block {
    this.checkFetch(start);
    const pageNo = start >>> PAGE_SHIFT;
    const chain = this.chaining() && !this.isHooked(start) && start !== this.until;
    const starts: number[] = [start];
    const lens = new Map<number, readonly [number, number]>();
    if (chain && region) {
      // Discover the region breadth-first (a block's shape does not depend on its links).
      for (let i = 0; i < starts.length; i++) {
        const s = starts[i]!;
        const { len, next } = this.blockSource(s, maxLen, null);
        lens.set(s, [len, i]);
        for (const t of next) {
          if (
            starts.length < MAX_REGION &&
            t >>> PAGE_SHIFT === pageNo &&
            !lens.has(t) &&
            !starts.includes(t) &&
            t !== this.until &&
            !this.isHooked(t)
          ) {
            starts.push(t);
          }
        }
      }
    } else if (chain && maxLen > 1) {
      lens.set(start, [this.blockSource(start, maxLen, null).len, 0]);
    }
    const links = lens.size > 0 ? lens : null;
    let src = '';
    let len = 0;
    const codes = starts.map((s) => this.blockSource(s, maxLen, links));
    len = codes[0]!.len;
    // A jump to another block of the function inlines that block's code (up to INLINE_DEPTH deep,
    // never the entry, never a block already on the way): a loop then goes through the switch once
    // per iteration, at its head, instead of once per block. Each case is a loop of its own (C<i>),
    // and a jump back to the block a case starts with continues it without the switch: V8 then
    // optimizes a loop over a few blocks as a small loop, not as a branch of one loop over them all.
    const multi = starts.length > 1;
    let room = INLINE_CHARS;
    const expand = (code: string, depth: number, path: readonly number[]): string =>
      code.replace(/@J(\d+)@/g, (_, j: string) => {
        const i = Number(j);
        if (i === path[0]) return multi ? `continue C${i};` : 'continue;';
        const target = codes[i]!.src;
        if (i === 0 || depth >= INLINE_DEPTH || path.includes(i) || target.length > room) {
          return `b=${i};continue O;`;
        }
        room -= target.length;
        return expand(target, depth + 1, [...path, i]);
      });
    codes.forEach((b, i) => {
      const code = expand(b.src, 0, [i]);
      src += multi ? `case ${i}:C${i}:for(;;){${code}}` : code;
    });
    const loop = multi ? `let b=e;O:for(;;){switch(b){${src}}}` : `for(;;){${src}}`;
    const hooked = this.isHooked(start);
    const hook = hooked ? `if(M.hook(${start})){return M.pc;}` : '';
    const lookups = new Map<number, Lookup>();
    for (const c of codes) for (const l of c.lookups) lookups.set(l.pc, l);
    const body = hook + withLocals(loop, lookups);
    const block: Block = {
      start,
      len,
      fn: translation(body, this.install()),
      entry: 0,
      valid: true,
      hits: region ? HOT : 0,
      l1pc: -1,
      l1: null,
      l2pc: -1,
      l2: null,
    };
    this.mem.markCode(pageNo);
    let list = this.pageBlocks.get(pageNo);
    if (!list) {
      list = [];
      this.pageBlocks.set(pageNo, list);
    }
    list.push(block);
    const map = maxLen === 1 ? this.steps : this.blocks;
    const old = map.get(start);
    if (old) old.valid = false;
    map.set(start, block);
    if (region && !hooked) this.enterThrough(block, starts, codes, list);
    return block;
  }

  /**
   * Makes the other blocks of `region` (starts[i], compiled as its case i) enter through it, rather
   * than each becoming a region of its own when hot: a loop entered in its middle (after a return to
   * the run loop) keeps running in the one function whose loop head is its first case.
   */
  private enterThrough(
    region: Block,
    starts: readonly number[],
    codes: readonly { len: number }[],
    list: Block[],
  ): void {
    for (let i = 1; i < starts.length; i++) {
      const s = starts[i]!;
      const cur = this.blocks.get(s);
      if (cur && cur.hits >= HOT) continue; // already a region or a region's entry
      const entry: Block = { ...region, start: s, len: codes[i]!.len, entry: i, hits: HOT };
      list.push(entry);
      if (cur) cur.valid = false;
      this.blocks.set(s, entry);
    }
  }

  /**
   * Runs from the pc until a stop, a fault or a budget. Long because it is the interpreter's hot loop:
   * block lookup, budget checks and hook dispatch stay inline so no call sits between two blocks.
   */
  run(opts: RunOptions): RunResult {
    const { maxInstructions, maxMillis } = opts;
    if (maxInstructions !== undefined && !(Number.isInteger(maxInstructions) && maxInstructions > 0)) {
      throw new RangeError(`maxInstructions must be a positive integer, not ${maxInstructions}`);
    }
    if (maxMillis !== undefined && !(maxMillis > 0)) {
      throw new RangeError(`maxMillis must be positive, not ${maxMillis}`);
    }
    if (this.running) throw new Error('AlphaInterpreter.run is not reentrant');
    const rt = this.rt;
    rt.stopReason = null;
    rt.hostError = null;
    rt.n = 0;
    const until = opts.until >>> 0;
    if (until !== this.until) {
      // Blocks were cut at the previous `until`; the page of the new one must be cut there too.
      this.until = until;
      this.mem.dropCode(until >>> PAGE_SHIFT);
    }
    const budget = maxInstructions ?? Number.POSITIVE_INFINITY;
    const deadline = maxMillis !== undefined ? monotonicMs() + maxMillis : Number.POSITIVE_INFINITY;
    // Translated code returns to this loop at least every `chunk` instructions: for the time budget, and
    // so that V8 optimizes the functions as a whole (code entered on a loop (OSR) runs slower here).
    const chunk = 1 << 16;
    let pc = opts.start >>> 0;
    let prev: Block | null = null;
    let iterations = 0;
    this.running = true;
    this.install();
    try {
      for (;;) {
        if (pc === until) return { kind: 'returned', pc, instructions: rt.n };
        if (rt.n >= budget) return { kind: 'budget', which: 'instructions', pc, instructions: rt.n };
        if (
          deadline !== Number.POSITIVE_INFINITY &&
          (++iterations & 255) === 0 &&
          monotonicMs() >= deadline
        ) {
          return { kind: 'budget', which: 'time', pc: pc >>> 0, instructions: rt.n };
        }
        try {
          let blk: Block | null = null;
          if (this.reference) blk = this.steps.get(pc) ?? this.compile(pc, 1);
          else if (prev !== null) {
            if (prev.l1pc === pc && prev.l1!.valid) blk = prev.l1;
            else if (prev.l2pc === pc && prev.l2!.valid) blk = prev.l2;
          }
          if (blk === null) {
            blk = this.blocks.get(pc) ?? this.compile(pc, MAX_BLOCK);
            if (prev !== null) {
              if (prev.l1 === null || !prev.l1.valid) {
                prev.l1pc = pc;
                prev.l1 = blk;
              } else {
                prev.l2pc = pc;
                prev.l2 = blk;
              }
            }
          }
          // A block entered HOT times is retranslated with the blocks it branches to (links to the old one
          // find it invalid and look again).
          if (++blk.hits === HOT && !this.reference) blk = this.compile(pc, MAX_BLOCK, true);
          const traces = this.traceHooks;
          const stepping = traces.length > 0 && traces.some((t) => t.unit === 'insn');
          if (stepping || rt.n + blk.len > budget) blk = this.steps.get(pc) ?? this.compile(pc, 1);
          for (const t of traces) {
            try {
              t.fn(pc >>> 0, t.unit === 'insn' ? 4 : blk.len * 4);
            } catch (e) {
              return {
                kind: 'host-error',
                error: e instanceof Error ? e : new Error(String(e)),
                pc: pc >>> 0,
              };
            }
          }
          if (traces.length > 0) this.install();
          if (rt.stopReason !== null)
            return { kind: 'stopped', reason: rt.stopReason, pc: pc >>> 0, instructions: rt.n };
          rt.c = Math.min(budget - rt.n, chunk) | 0;
          pc = blk.fn(blk.entry);
          prev = blk;
        } catch (e) {
          if (e instanceof AlphaFault) {
            rt.n += e.k;
            const fpc = e.pc;
            pc = fpc;
            const f = {
              kind: 'fault' as const,
              fault: e.fault,
              access: e.access,
              address: e.address,
              pc: fpc,
            };
            return {
              ...f,
              ...(e.vector !== undefined ? { vector: e.vector } : {}),
              instructions: rt.n,
            };
          }
          if (e === HOST_ERROR) {
            pc = rt.pc;
            return { kind: 'host-error', error: rt.hostError!, pc: pc >>> 0 };
          }
          throw e;
        }
        if (rt.stopReason !== null)
          return { kind: 'stopped', reason: rt.stopReason, pc: pc >>> 0, instructions: rt.n };
      }
    } finally {
      rt.pc = pc;
      this.running = false;
    }
  }

  /**
   * Ends this CPU: drops translated code and hooks and gives guest memory back for reuse by the next
   * AlphaInterpreter (cleared first). Using the CPU afterwards throws AlphaMemoryError.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.flushCode();
    this.rt.codeHooks = [];
    this.rt.interruptHooks = [];
    this.mem.release();
  }
}
