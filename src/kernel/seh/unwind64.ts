// AMD64 table-based unwinding as NT's Rtl does it: RtlLookupFunctionEntry over an image's .pdata
// (RUNTIME_FUNCTION array, sorted by address) and RtlVirtualUnwind over its UNWIND_INFO, including
// the epilogue check, chained unwind info and machine frames. Follows Microsoft Learn's "x64 exception
// handling" (unwind data, "Unwind procedure") and ReactOS's sdk/lib/rtl/amd64/unwind.c / Wine's
// dlls/ntdll/signal_x86_64.c (RtlVirtualUnwind, is_inside_epilog). Pure over a memory reader, so a
// test can check it against real images' unwind data.
import { RSP, RUNTIME_FUNCTION, UnwindFlag, UnwindOp } from './layout64.js';

/** Guest memory as the unwinder reads it: 64-bit guest addresses; throws when not mapped. */
export interface UnwindMemory {
  read(address: bigint, size: number): Uint8Array;
}

/** The registers unwinding changes: integer registers (GPR64 order), RIP and XMM0-15 (low, high). */
export interface Context64 {
  gpr: bigint[];
  rip: bigint;
  /** 32 entries: XMMn's low 64 bits at 2n, high at 2n+1. */
  xmm: bigint[];
}

/** A RUNTIME_FUNCTION of an image: where it is and what it says (RVAs). */
export interface FunctionEntry {
  /** The guest address of the RUNTIME_FUNCTION itself (what RtlLookupFunctionEntry returns). */
  address: bigint;
  begin: number;
  end: number;
  unwindData: number;
}

/** What RtlVirtualUnwind returns besides the changed context. */
export interface UnwindResult {
  /** The language handler's address when the frame has one of the asked type, else null. */
  handler: bigint | null;
  /** Its data (the scope table of __C_specific_handler), the address after the handler's RVA. */
  handlerData: bigint;
  /** The frame's establisher frame: RSP after the prologue's fixed allocation, or the frame register's base. */
  establisherFrame: bigint;
}

/** Malformed unwind data (a bad version or opcode, a chain too deep): the unwind cannot go on. */
export class UnwindDataError extends Error {
  constructor(
    readonly address: bigint,
    reason: string,
  ) {
    super(`unwind data at 0x${address.toString(16)}: ${reason}`);
    this.name = 'UnwindDataError';
  }
}

const MASK64 = (1n << 64n) - 1n;
const u64 = (v: bigint) => v & MASK64;
/** Most chained UNWIND_INFO links one unwind follows (a loop in corrupt data ends it). */
const MAX_CHAIN = 32;

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const rdU8 = (m: UnwindMemory, a: bigint) => m.read(a, 1)[0]!;
const rdU16 = (m: UnwindMemory, a: bigint) => view(m.read(a, 2)).getUint16(0, true);
const rdU32 = (m: UnwindMemory, a: bigint) => view(m.read(a, 4)).getUint32(0, true);
const rdU64 = (m: UnwindMemory, a: bigint) => view(m.read(a, 8)).getBigUint64(0, true);

/** Most pages the image-base search walks down from a pc (model: NT asks its loaded-module list). */
const MAX_IMAGE_PAGES = 0x4000;

/**
 * RtlPcToFileHeader's answer from the image headers in memory: the nearest page at or below `pc`
 * holding an MZ header whose PE32+ image covers `pc`, or null (model: the search stops at the first
 * unmapped page; images are mapped whole from their headers on).
 */
export function imageBaseOf(mem: UnwindMemory, pc: bigint): bigint | null {
  let page = pc & ~0xfffn;
  for (let n = 0; n < MAX_IMAGE_PAGES && page >= 0n; n++, page -= 0x1000n) {
    try {
      if (rdU16(mem, page) === 0x5a4d) {
        const nt = page + BigInt(rdU32(mem, page + 0x3cn));
        if (rdU32(mem, nt) === 0x4550 && rdU16(mem, nt + 0x18n) === 0x20b) {
          const sizeOfImage = BigInt(rdU32(mem, nt + 0x18n + 0x38n));
          if (pc < page + sizeOfImage) return page;
        }
      }
    } catch {
      return null;
    }
  }
  return null;
}

/** The image's exception directory (RVA, size) from its PE32+ headers, or null. */
function exceptionDirectory(mem: UnwindMemory, imageBase: bigint): { rva: number; size: number } | null {
  const nt = imageBase + BigInt(rdU32(mem, imageBase + 0x3cn));
  const optional = nt + 0x18n;
  const count = rdU32(mem, optional + 0x6cn); // NumberOfRvaAndSizes
  if (count <= 3) return null;
  const rva = rdU32(mem, optional + 0x70n + 3n * 8n);
  const size = rdU32(mem, optional + 0x70n + 3n * 8n + 4n);
  return rva === 0 || size === 0 ? null : { rva, size };
}

function readEntry(mem: UnwindMemory, at: bigint): FunctionEntry {
  const b = view(mem.read(at, RUNTIME_FUNCTION.size));
  return {
    address: at,
    begin: b.getUint32(RUNTIME_FUNCTION.BeginAddress, true),
    end: b.getUint32(RUNTIME_FUNCTION.EndAddress, true),
    unwindData: b.getUint32(RUNTIME_FUNCTION.UnwindData, true),
  };
}

/**
 * RtlLookupFunctionEntry within one image: binary search of its .pdata for the entry whose
 * [BeginAddress, EndAddress) holds `pc`; null for a leaf function (no entry).
 */
export function lookupFunctionEntry(mem: UnwindMemory, imageBase: bigint, pc: bigint): FunctionEntry | null {
  const dir = exceptionDirectory(mem, imageBase);
  if (!dir) return null;
  const rva = Number(pc - imageBase);
  let lo = 0;
  let hi = Math.floor(dir.size / RUNTIME_FUNCTION.size) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const e = readEntry(mem, imageBase + BigInt(dir.rva + mid * RUNTIME_FUNCTION.size));
    if (rva < e.begin) hi = mid - 1;
    else if (rva >= e.end) lo = mid + 1;
    else return e;
  }
  return null;
}

/** A parsed UNWIND_INFO header and where its codes and trailer are. */
interface UnwindInfo {
  at: bigint;
  flags: number;
  prologSize: number;
  codeCount: number;
  frameRegister: number;
  frameOffset: number;
  /** The address after the (even-padded) codes: handler RVA or chained RUNTIME_FUNCTION. */
  trailer: bigint;
}

function readInfo(mem: UnwindMemory, at: bigint): UnwindInfo {
  const b = mem.read(at, 4);
  const version = b[0]! & 7;
  if (version !== 1 && version !== 2) throw new UnwindDataError(at, `UNWIND_INFO version ${version}`);
  const codeCount = b[2]!;
  return {
    at,
    flags: b[0]! >> 3,
    prologSize: b[1]!,
    codeCount,
    frameRegister: b[3]! & 0xf,
    frameOffset: b[3]! >> 4,
    trailer: at + 4n + BigInt(2 * ((codeCount + 1) & ~1)),
  };
}

/** Slots an UNWIND_CODE takes (Microsoft's table; ALLOC_LARGE with OpInfo 1 takes three). */
function slots(op: number, info: number): number {
  switch (op) {
    case UnwindOp.ALLOC_LARGE:
      return info === 0 ? 2 : 3;
    case UnwindOp.SAVE_NONVOL:
    case UnwindOp.SAVE_XMM128:
    case UnwindOp.EPILOG:
      return 2;
    case UnwindOp.SAVE_NONVOL_FAR:
    case UnwindOp.SAVE_XMM128_FAR:
      return 3;
    default:
      return 1;
  }
}

/**
 * Whether `pc` is at an epilogue ("x64 exception handling", Unwind procedure: `add rsp, n` or
 * `lea rsp, [frame+n]`, then `pop`s of nonvolatile registers, then `ret` or a `jmp` out of the
 * function), and if so unwinds it by emulating those instructions.
 */
function tryEpilogue(
  mem: UnwindMemory,
  pc: bigint,
  imageBase: bigint,
  entry: FunctionEntry,
  info: UnwindInfo,
  ctx: Context64,
): boolean {
  let code: Uint8Array;
  try {
    code = mem.read(pc, 64);
  } catch {
    return false;
  }
  let i = 0;
  let rsp = ctx.gpr[RSP]!;
  const s32 = (o: number) => view(code).getInt32(o, true);
  // add rsp, imm8 / imm32; lea rsp, [reg + disp8/disp32] (the frame register)
  if (code[0] === 0x48 && code[1] === 0x83 && code[2] === 0xc4) {
    rsp = u64(rsp + BigInt((code[3]! << 24) >> 24));
    i = 4;
  } else if (code[0] === 0x48 && code[1] === 0x81 && code[2] === 0xc4) {
    rsp = u64(rsp + BigInt(s32(3)));
    i = 7;
  } else if ((code[0] === 0x48 || code[0] === 0x49) && code[1] === 0x8d && ((code[2]! >> 3) & 7) === 4) {
    const mod = code[2]! >> 6;
    const rm = (code[2]! & 7) + (code[0] === 0x49 ? 8 : 0);
    if (info.frameRegister === 0 || rm !== info.frameRegister || (rm & 7) === 4) return false;
    if (mod === 1) {
      rsp = u64(ctx.gpr[rm]! + BigInt((code[3]! << 24) >> 24));
      i = 4;
    } else if (mod === 2) {
      rsp = u64(ctx.gpr[rm]! + BigInt(s32(3)));
      i = 7;
    } else return false;
  }
  const pops: number[] = [];
  for (;;) {
    if (code[i]! >= 0x58 && code[i]! <= 0x5f) {
      pops.push(code[i]! - 0x58);
      i += 1;
    } else if (code[i] === 0x41 && code[i + 1]! >= 0x58 && code[i + 1]! <= 0x5f) {
      pops.push(code[i + 1]! - 0x58 + 8);
      i += 2;
    } else break;
    if (i > 56) return false;
  }
  const ends =
    code[i] === 0xc3 ||
    (code[i] === 0xf3 && code[i + 1] === 0xc3) ||
    (code[i] === 0xff && code[i + 1] === 0x25) ||
    (code[i] === 0x48 && code[i + 1] === 0xff && code[i + 2] === 0x25) ||
    (code[i] === 0xe9 &&
      (() => {
        const target = pc + BigInt(i + 5) + BigInt(s32(i + 1)) - imageBase;
        return target < BigInt(entry.begin) || target >= BigInt(entry.end);
      })());
  if (!ends) return false;
  for (const r of pops) {
    ctx.gpr[r] = rdU64(mem, rsp);
    rsp = u64(rsp + 8n);
  }
  ctx.rip = rdU64(mem, rsp);
  ctx.gpr[RSP] = u64(rsp + 8n);
  return true;
}

/**
 * RtlVirtualUnwind(HandlerType, ImageBase, ControlPc, FunctionEntry, ContextRecord, …): changes `ctx`
 * from the frame of the function at `pc` to its caller's (the registers the prologue saved, RSP
 * above the return address, RIP the return address) and returns the frame's handler of
 * `handlerType` (UnwindFlag.EHANDLER / UHANDLER) and its establisher frame. In the prologue only
 * the codes already executed are undone; in an epilogue the rest of it is emulated and no handler
 * is named.
 */
export function virtualUnwind(
  mem: UnwindMemory,
  handlerType: number,
  imageBase: bigint,
  pc: bigint,
  entry: FunctionEntry,
  ctx: Context64,
): UnwindResult {
  const info = readInfo(mem, imageBase + BigInt(entry.unwindData));
  const offset = Number(pc - imageBase) - entry.begin;
  const inProlog = offset >= 0 && offset < info.prologSize;
  // The establisher frame: the frame register's base once the prologue set it, else RSP.
  let establisherFrame = ctx.gpr[RSP]!;
  if (info.frameRegister !== 0) {
    let set = !inProlog;
    for (let i = 0; inProlog && i < info.codeCount; ) {
      const at = info.at + 4n + BigInt(2 * i);
      const op = rdU8(mem, at + 1n) & 0xf;
      if (op === UnwindOp.SET_FPREG && rdU8(mem, at) <= offset) set = true;
      i += slots(op, rdU8(mem, at + 1n) >> 4);
    }
    if (set) establisherFrame = u64(ctx.gpr[info.frameRegister]! - BigInt(16 * info.frameOffset));
  }
  if (!inProlog && tryEpilogue(mem, pc, imageBase, entry, info, ctx))
    return { handler: null, handlerData: 0n, establisherFrame };

  const primary = info;
  const machineFrame = applyCodes(
    mem,
    imageBase,
    info,
    inProlog ? offset : Number.POSITIVE_INFINITY,
    establisherFrame,
    ctx,
  );
  if (!machineFrame) {
    const rsp = ctx.gpr[RSP]!;
    ctx.rip = rdU64(mem, rsp);
    ctx.gpr[RSP] = u64(rsp + 8n);
  }
  const wanted = primary.flags & handlerType & (UnwindFlag.EHANDLER | UnwindFlag.UHANDLER);
  if (wanted === 0 || inProlog || primary.flags & UnwindFlag.CHAININFO)
    return { handler: null, handlerData: 0n, establisherFrame };
  return {
    handler: imageBase + BigInt(rdU32(mem, primary.trailer)),
    handlerData: primary.trailer + 4n,
    establisherFrame,
  };
}

/**
 * Undoes the unwind codes of `first` and of the UNWIND_INFO chained to it (at most MAX_CHAIN links):
 * those whose offset the pc has passed (`prologOffset`; every code once past the prologue). Returns
 * whether a machine frame gave RIP and RSP (then no return address is popped).
 */
function applyCodes(
  mem: UnwindMemory,
  imageBase: bigint,
  first: UnwindInfo,
  prologOffsetAtFirst: number,
  establisherFrame: bigint,
  ctx: Context64,
): boolean {
  let info = first;
  let machineFrame = false;
  let prologOffset = prologOffsetAtFirst;
  for (let depth = 0; ; depth++) {
    for (let i = 0; i < info.codeCount; ) {
      const at = info.at + 4n + BigInt(2 * i);
      const codeOffset = rdU8(mem, at);
      const byte = rdU8(mem, at + 1n);
      const op = byte & 0xf;
      const opInfo = byte >> 4;
      const n = slots(op, opInfo);
      if (i + n > info.codeCount && op !== UnwindOp.EPILOG)
        throw new UnwindDataError(at, `unwind code ${op} runs past CountOfCodes`);
      const slot16 = (k: number) => rdU16(mem, at + BigInt(2 * k));
      const slot32 = () => rdU32(mem, at + 2n);
      i += n;
      if (codeOffset > prologOffset) continue; // not executed yet
      const rsp = ctx.gpr[RSP]!;
      switch (op) {
        case UnwindOp.PUSH_NONVOL:
          ctx.gpr[opInfo] = rdU64(mem, rsp);
          ctx.gpr[RSP] = u64(rsp + 8n);
          break;
        case UnwindOp.ALLOC_LARGE:
          ctx.gpr[RSP] = u64(rsp + (opInfo === 0 ? BigInt(slot16(1) * 8) : BigInt(slot32())));
          break;
        case UnwindOp.ALLOC_SMALL:
          ctx.gpr[RSP] = u64(rsp + BigInt(opInfo * 8 + 8));
          break;
        case UnwindOp.SET_FPREG:
          ctx.gpr[RSP] = u64(ctx.gpr[info.frameRegister]! - BigInt(16 * info.frameOffset));
          break;
        case UnwindOp.SAVE_NONVOL:
          ctx.gpr[opInfo] = rdU64(mem, establisherFrame + BigInt(slot16(1) * 8));
          break;
        case UnwindOp.SAVE_NONVOL_FAR:
          ctx.gpr[opInfo] = rdU64(mem, establisherFrame + BigInt(slot32()));
          break;
        case UnwindOp.SAVE_XMM128:
        case UnwindOp.SAVE_XMM128_FAR: {
          const where = establisherFrame + BigInt(op === UnwindOp.SAVE_XMM128 ? slot16(1) * 16 : slot32());
          ctx.xmm[2 * opInfo] = rdU64(mem, where);
          ctx.xmm[2 * opInfo + 1] = rdU64(mem, where + 8n);
          break;
        }
        case UnwindOp.PUSH_MACHFRAME: {
          const base = u64(rsp + (opInfo === 1 ? 8n : 0n)); // an error code below the frame
          ctx.rip = rdU64(mem, base);
          ctx.gpr[RSP] = rdU64(mem, base + 24n);
          machineFrame = true;
          break;
        }
        case UnwindOp.EPILOG:
        case UnwindOp.SPARE_CODE:
          break;
        default:
          throw new UnwindDataError(at, `unknown unwind operation ${op}`);
      }
    }
    if (!(info.flags & UnwindFlag.CHAININFO)) break;
    if (depth >= MAX_CHAIN) throw new UnwindDataError(info.at, 'chained unwind info too deep');
    // The chained entry's prologue has run in full (its codes describe the function's primary prologue).
    const chained = readEntry(mem, info.trailer);
    info = readInfo(mem, imageBase + BigInt(chained.unwindData));
    prologOffset = Number.POSITIVE_INFINITY;
  }
  return machineFrame;
}

/** A leaf function (no RUNTIME_FUNCTION): RIP is at [RSP]; the caller's frame is above it. */
export function unwindLeaf(mem: UnwindMemory, ctx: Context64): void {
  const rsp = ctx.gpr[RSP]!;
  ctx.rip = rdU64(mem, rsp);
  ctx.gpr[RSP] = u64(rsp + 8n);
}
