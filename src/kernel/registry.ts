// The export-handler registry: TypeScript implementations of kernel and HAL exports, each declared
// with its NT prototype, calling convention and typed arguments (Speakeasy's @apihook, Wine's .spec).
// Stack cleanup is derived from the declaration. Keys are `module!Name`, e.g. `ntoskrnl!IoCreateDevice`.
import type { CallingConvention } from '../cpu/abi.js';
import { x86CalleeCleanup } from '../cpu/abi-x86.js';
import type { KernelContext } from './context.js';
import { type ParamSpec, type Prototype, PrototypeError, parsePrototype } from './prototype.js';

/** x86 conventions; on Alpha every handler takes NT's one calling standard (src/cpu/abi.ts). */
export type { CallingConvention } from '../cpu/abi.js';

/** The modules nt351 has handlers for (`nt351`: routines of the emulator's own, reachable only by address). */
export type ExportModule =
  | 'ntoskrnl'
  | 'hal'
  | 'ndis'
  | 'tdi'
  | 'nt351'
  /** KMDF's loader (WDFLDR.SYS): version binding. */
  | 'wdfldr'
  /** The KMDF library (Wdf01000.sys): its functions reach drivers through the bound function table, not by import. */
  | 'wdf01000'
  /** The Windows Filtering Platform's kernel client (fwpkclnt.sys). */
  | 'fwpkclnt';

/** One declared argument, derived from the prototype (src/kernel/prototype.ts). */
export type ArgSpec = ParamSpec;

/** What kind of handler a routine has (docs/kernel-surface.md). */
export type HandlerKind = 'pure' | 'hle' | 'data';

/**
 * A handler's request to run guest code before it returns (see kernel.ts, "Guest calls from
 * handlers"): `routine` (stdcall on x86) is called with `args`; when it returns, `onReturn` gets its
 * result register (EAX, Alpha v0) and
 * says what happens next, another guest call or the handler's own return value.
 */
export interface GuestCall {
  readonly kind: 'guest-call';
  routine: number;
  args: number[];
  onReturn: (eax: number) => HandlerResult;
  /** Indexes of `args` that are integers (lengths, codes), not pointers: AMD64 passes them zero-extended. */
  scalars?: readonly number[];
}

/**
 * A handler's request to leave by jumping to `routine` with `args` in place of its own, so that
 * `routine` returns straight to the handler's caller (IoCallDriver's transfer to a dispatch routine).
 */
export interface TailCall {
  readonly kind: 'tail-call';
  routine: number;
  args: number[];
}

/**
 * A handler's statement that it has set the CPU's registers itself and the guest goes on from there,
 * not from the handler's return address (NtContinue; raising an exception, src/kernel/seh/).
 */
export interface ContinueContext {
  readonly kind: 'continue';
}

/**
 * What a handler returns: EAX (a bigint: EDX:EAX), undefined for VOID (EAX unchanged), a transfer to
 * guest code, or the CPU state it set (ContinueContext).
 */
export type HandlerResult = number | bigint | undefined | GuestCall | TailCall | ContinueContext;

export const guestCall = (
  routine: number,
  args: number[],
  onReturn: GuestCall['onReturn'],
  scalars?: readonly number[],
): GuestCall =>
  scalars
    ? { kind: 'guest-call', routine, args, onReturn, scalars }
    : { kind: 'guest-call', routine, args, onReturn };
export const tailCall = (routine: number, args: number[]): TailCall => ({ kind: 'tail-call', routine, args });

/**
 * A handler: `impl` gets the raw 32-bit arguments (a 64-bit argument as two entries, low then high)
 * and returns the result (undefined for VOID; a bigint for a 64-bit result). Everything but the
 * module, the body and `pure` is derived from `prototype`.
 */
export interface ExportHandler {
  module: ExportModule;
  name: string;
  /** The NT prototype, as the DDK declares it (with IN/OUT, and the convention when not NTAPI). */
  prototype: string;
  conv: CallingConvention;
  args: readonly ArgSpec[];
  /** The return type as written. */
  returns: string;
  /** 8 when the result is 64 bits wide (x86 EDX:EAX). */
  returnWidth: 0 | 4 | 8;
  /** Each argument's width when any is 64 bits (for the ABI); absent when all are 32. */
  widths?: readonly (4 | 8)[];
  /**
   * Computes only from its arguments (string and memory helpers): when the loaded kernel image has
   * real code for the export, that code runs and this handler is not hooked.
   */
  pure?: boolean;
  /** A data export (KeTickCount, SeExports…): guest data of `size` bytes, not code; `impl` is never called. */
  data?: DataSpec;
  impl: (ctx: KernelContext, args: number[]) => HandlerResult;
}

/** A data export's storage: `size` bytes in the synthetic image, filled by `init` once mapped. */
export interface DataSpec {
  size: number;
  init?: (ctx: KernelContext, address: number) => void;
}

/** The handler's kind for docs/kernel-surface.md. */
export const handlerKind = (h: ExportHandler): HandlerKind => (h.data ? 'data' : h.pure ? 'pure' : 'hle');

/**
 * Whether a loaded image's own code for the export runs instead of the handler: pure routines, and
 * the HAL's (a HAL image's code is the machine it was written for). Stubs never have code to run.
 */
export const defersToImage = (h: ExportHandler): boolean => h.pure === true || h.module === 'hal';

/** What a declaration states: the module, the prototype, the body (and whether it is pure). */
export interface ExportDeclaration {
  module: ExportModule;
  prototype: string;
  pure?: boolean;
  impl: ExportHandler['impl'];
}

/**
 * Bytes an x86 callee pops: all stack arguments for stdcall, those past ECX/EDX for fastcall, none for
 * cdecl. (An Alpha callee pops nothing.)
 */
export function calleeCleanup(h: Pick<ExportHandler, 'conv' | 'args' | 'widths'>): number {
  return x86CalleeCleanup(h.conv, h.args.length, h.widths);
}

export const handlerKey = (module: string, name: string) => `${module.toLowerCase()}!${name}`;

/** The routine name of a prototype without parsing it: the last identifier before the first `(`. */
const ROUTINE_NAME = /([A-Za-z_]\w*)\s*\(/;

/**
 * A declared handler whose prototype is parsed when a field derived from it is first read (a boot
 * calls a few dozen of the ~600 handlers; parsing them all cost ~30 ms of every CLI start, issue 19).
 * The derived fields are getters on the class, so the objects keep one fast shape.
 */
class DeclaredExport implements ExportHandler {
  readonly pure?: boolean;
  #parsed: { p: Prototype; widths: readonly (4 | 8)[] | undefined } | undefined;

  constructor(
    readonly module: ExportModule,
    readonly name: string,
    private readonly declared: string,
    pure: boolean | undefined,
    readonly impl: ExportHandler['impl'],
  ) {
    if (pure) this.pure = true;
  }

  #parse() {
    if (this.#parsed) return this.#parsed;
    const p = parsePrototype(this.declared);
    if (p.name !== this.name)
      throw new PrototypeError(this.declared, `name read as ${this.name} but parsed as ${p.name}`);
    const wide = p.params.some((a) => a.width === 8);
    this.#parsed = { p, widths: wide ? p.params.map((a) => a.width) : undefined };
    return this.#parsed;
  }
  get prototype(): string {
    return this.#parse().p.text;
  }
  get conv(): CallingConvention {
    return this.#parse().p.conv;
  }
  get args(): readonly ArgSpec[] {
    return this.#parse().p.params;
  }
  get returns(): string {
    return this.#parse().p.returns;
  }
  get returnWidth(): 0 | 4 | 8 {
    return this.#parse().p.returnWidth;
  }
  get widths(): readonly (4 | 8)[] | undefined {
    return this.#parse().widths;
  }
}

/**
 * Declares a handler from its prototype and body; used by src/kernel/exports/**. Only the name is read
 * now; the rest is parsed on first use (DeclaredExport), so a bad prototype throws PrototypeError then
 * (test/kernel/lazy-prototypes.test.ts parses every declaration).
 */
export function defineExport(d: ExportDeclaration): ExportHandler {
  const open = d.prototype.indexOf('(');
  const name =
    (open >= 0 ? ROUTINE_NAME.exec(`${d.prototype.slice(0, open)}(`)?.[1] : undefined) ??
    parsePrototype(d.prototype).name;
  return new DeclaredExport(d.module, name, d.prototype, d.pure, d.impl);
}

/**
 * Declares a data export from its C declaration (`ULONG KeNumberProcessors`, `PEPROCESS
 * PsInitialSystemProcess`): `size` bytes of guest data that `init` fills.
 */
export function defineData(d: { module: ExportModule; declaration: string } & DataSpec): ExportHandler {
  const m = /^(.*?)\s*\b([A-Za-z_]\w*)$/.exec(d.declaration.trim());
  if (!m) throw new Error(`bad data declaration "${d.declaration}"`);
  return {
    module: d.module,
    name: m[2]!,
    prototype: d.declaration.trim(),
    conv: 'stdcall',
    args: [],
    returns: m[1]!,
    returnWidth: 0,
    data: { size: d.size, ...(d.init ? { init: d.init } : {}) },
    impl: () => {
      throw new Error(`${d.declaration} is data, not a routine`);
    },
  };
}

/**
 * Declares one routine exported by several modules (the C runtime in ntoskrnl and NDIS): one
 * prototype and body, one handler per module.
 */
export function defineShared(
  modules: readonly ExportModule[],
  d: Omit<ExportDeclaration, 'module'>,
): ExportHandler[] {
  return modules.map((module) => defineExport({ ...d, module }));
}

export class HandlerRegistry {
  private readonly handlers = new Map<string, ExportHandler>();
  /** The handlers by module (lower case), then by name: get() builds no key string. */
  private readonly byModule = new Map<string, Map<string, ExportHandler>>();

  constructor(handlers: readonly ExportHandler[]) {
    for (const h of handlers) {
      const key = handlerKey(h.module, h.name);
      if (this.handlers.has(key)) throw new Error(`duplicate export handler ${key}`);
      this.handlers.set(key, h);
      const module = h.module.toLowerCase();
      let names = this.byModule.get(module);
      if (!names) {
        names = new Map();
        this.byModule.set(module, names);
      }
      names.set(h.name, h);
    }
  }

  get(module: string, name: string): ExportHandler | undefined {
    return (this.byModule.get(module) ?? this.byModule.get(module.toLowerCase()))?.get(name);
  }

  all(): ExportHandler[] {
    return [...this.handlers.values()];
  }
}
