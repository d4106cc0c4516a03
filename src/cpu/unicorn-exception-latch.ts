// libunicorn 2.0.1 keeps QEMU's "exception in flight" (CPUX86State.old_exception) when an interrupt hook
// takes an exception: QEMU clears it only once it has delivered the exception through the IDT, which
// Unicorn never does with a hook. The next contributory exception or page fault then becomes a double
// fault (vector 8), and the one after it a triple fault, which halts the CPU and ends the run with no
// report. The field is not a register; it lies in the CPU state that uc_context_save copies. This module
// finds its offset in a saved context once per library (raising divide errors on a scratch engine and
// comparing contexts), then clears it in a live engine through a context save, a patch and a restore.
import koffi from 'koffi';
import { UC_ARCH_X86, UC_HOOK_INTR, UC_MODE_32, UcX86Reg } from './unicorn-abi.js';

/** The libunicorn calls this module uses (a subset of unicorn.ts's binding). */
export interface LatchApi {
  open: (arch: number, mode: number, out: unknown[]) => number;
  close: (uc: unknown) => number;
  memMap: (uc: unknown, address: number, size: number, perms: number) => number;
  memWrite: (uc: unknown, address: number, bytes: Uint8Array, size: number) => number;
  regWrite: (uc: unknown, reg: number, value: Uint8Array) => number;
  emuStart: (uc: unknown, begin: number, until: number, timeout: number, count: number) => number;
  emuStop: (uc: unknown) => number;
  hookAdd: (uc: unknown, hh: number[], type: number, cb: unknown, user: null, ...rest: unknown[]) => number;
  contextAlloc: (uc: unknown, out: unknown[]) => number;
  contextSave: (uc: unknown, context: unknown) => number;
  contextRestore: (uc: unknown, context: unknown) => number;
  contextFree: (context: unknown) => number;
  contextSize: (uc: unknown) => number | bigint;
}

/** Exceptions that set old_exception (QEMU's check_exception): #DE, #DF, #TS, #NP, #SS, #GP, #PF. */
export const LATCHING_VECTORS: ReadonlySet<number> = new Set([0, 8, 10, 11, 12, 13, 14]);

const CODE = 0x100000;
const DIVIDE_BY_ZERO = [0x31, 0xc9, 0xf7, 0xf1, 0xf4]; // xor ecx, ecx; div ecx; hlt

/** Where old_exception lies in a saved context of `library`'s engines, or null when not found. */
const offsets = new Map<string, number | null>();

/**
 * The offset of old_exception in a uc_context, found on a scratch engine: an int32 that reads -1 on a
 * new engine, 0 after a divide error taken by a hook and 8 after a second one (a double fault), and
 * that, set back to -1, makes a third divide error vector 0 again. Null if no single field does.
 */
export function latchOffset(library: string, api: LatchApi, intrProto: koffi.IKoffiCType): number | null {
  if (offsets.has(library)) return offsets.get(library)!;
  let found: number | null = null;
  const out: unknown[] = [null];
  if (api.open(UC_ARCH_X86, UC_MODE_32, out) !== 0) {
    offsets.set(library, null);
    return null;
  }
  const uc = out[0];
  let vector = -1;
  const cb = koffi.register((_uc: unknown, intno: number) => {
    vector = intno;
    api.emuStop(uc);
  }, koffi.pointer(intrProto));
  const ctx: unknown[] = [null];
  try {
    const size = Number(api.contextSize(uc));
    const reg = (id: number, v: number) => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setUint32(0, v, true);
      api.regWrite(uc, id, b);
    };
    const divide = () => {
      vector = -1;
      reg(UcX86Reg.eip, CODE);
      reg(UcX86Reg.esp, CODE + 0x800);
      api.emuStart(uc, CODE, CODE + 0xf00, 0, 16);
      return vector;
    };
    const snapshot = () => {
      api.contextSave(uc, ctx[0]);
      return new Int32Array(koffi.view(ctx[0], size).slice(0));
    };
    if (
      api.memMap(uc, CODE, 0x1000, 7) === 0 &&
      api.memWrite(uc, CODE, new Uint8Array(DIVIDE_BY_ZERO), DIVIDE_BY_ZERO.length) === 0 &&
      api.hookAdd(uc, [0], UC_HOOK_INTR, cb, null, 'uint64_t', 1, 'uint64_t', 0) === 0 &&
      api.contextAlloc(uc, ctx) === 0
    ) {
      const fresh = snapshot();
      const once = divide() === 0 ? snapshot() : null;
      const twice = divide() === 8 ? snapshot() : null;
      const candidates: number[] = [];
      if (once && twice)
        for (let i = 0; i < fresh.length; i++)
          if (fresh[i] === -1 && once[i] === 0 && twice[i] === 8) candidates.push(i * 4);
      if (candidates.length === 1) {
        clearAt(api, uc, ctx[0], size, candidates[0]!);
        if (divide() === 0) found = candidates[0]!;
      }
    }
  } finally {
    if (ctx[0]) api.contextFree(ctx[0]);
    api.close(uc);
    koffi.unregister(cb);
  }
  offsets.set(library, found);
  return found;
}

/** Sets old_exception (at `offset` in a context of `size` bytes) back to -1 in engine `uc`. */
export function clearAt(api: LatchApi, uc: unknown, context: unknown, size: number, offset: number): void {
  api.contextSave(uc, context);
  const field = new Int32Array(koffi.view(context, size), offset, 1);
  if (field[0] === -1) return;
  field[0] = -1;
  api.contextRestore(uc, context);
}
