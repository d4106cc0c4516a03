// The export-handler registry: TypeScript implementations of kernel and HAL exports, each declared
// with its NT prototype, calling convention and typed arguments (Speakeasy's @apihook, Wine's .spec).
// Stack cleanup is derived from the declaration. Keys are `module!Name`, e.g. `ntoskrnl!IoCreateDevice`.
import type { CallingConvention } from '../cpu/abi.js';
import { x86CalleeCleanup } from '../cpu/abi-x86.js';
import type { KernelContext } from './context.js';

/** x86 conventions; on Alpha every handler takes NT's one calling standard (src/cpu/abi.ts). */
export type { CallingConvention } from '../cpu/abi.js';

/** How an argument is decoded for reports. */
export type ArgType =
  | 'ULONG'
  | 'LONG'
  | 'BOOLEAN'
  | 'UCHAR'
  | 'PVOID'
  | 'HANDLE'
  | 'PUNICODE_STRING'
  | 'PANSI_STRING'
  | 'PCSTR'
  | 'PCWSTR'
  | 'NTSTATUS';

export type ReturnType = 'NTSTATUS' | 'ULONG' | 'PVOID' | 'BOOLEAN' | 'VOID' | 'UCHAR' | 'LONG';

export interface ArgSpec {
  name: string;
  type: ArgType;
}

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

/** What a handler returns: EAX, undefined for VOID (EAX unchanged), or a transfer to guest code. */
export type HandlerResult = number | undefined | GuestCall | TailCall;

export const guestCall = (routine: number, args: number[], onReturn: GuestCall['onReturn']): GuestCall => ({
  kind: 'guest-call',
  routine,
  args,
  onReturn,
});
export const tailCall = (routine: number, args: number[]): TailCall => ({ kind: 'tail-call', routine, args });

/** A handler: `impl` gets the raw 32-bit arguments and returns EAX (undefined for VOID). */
export interface ExportHandler {
  /** `nt351` marks routines of the emulator's own (a model's code), reachable only by address. */
  module: 'ntoskrnl' | 'hal' | 'nt351';
  name: string;
  /** The NT prototype, as the DDK declares it. */
  prototype: string;
  conv: CallingConvention;
  args: ArgSpec[];
  returns: ReturnType;
  /**
   * Computes only from its arguments (string and memory helpers): when the loaded kernel image has
   * real code for the export, that code runs and this handler is not hooked.
   */
  pure?: boolean;
  impl: (ctx: KernelContext, args: number[]) => HandlerResult;
}

/**
 * Bytes an x86 callee pops: all stack arguments for stdcall, those past ECX/EDX for fastcall, none for
 * cdecl. (An Alpha callee pops nothing.)
 */
export function calleeCleanup(h: Pick<ExportHandler, 'conv' | 'args'>): number {
  return x86CalleeCleanup(h.conv, h.args.length);
}

export const handlerKey = (module: string, name: string) => `${module.toLowerCase()}!${name}`;

/** Declares a handler; used by src/kernel/exports/*.ts. */
export const defineExport = (h: ExportHandler): ExportHandler => h;

export class HandlerRegistry {
  private readonly handlers = new Map<string, ExportHandler>();

  constructor(handlers: readonly ExportHandler[]) {
    for (const h of handlers) {
      const key = handlerKey(h.module, h.name);
      if (this.handlers.has(key)) throw new Error(`duplicate export handler ${key}`);
      this.handlers.set(key, h);
    }
  }

  get(module: string, name: string): ExportHandler | undefined {
    return this.handlers.get(handlerKey(module, name));
  }

  all(): ExportHandler[] {
    return [...this.handlers.values()];
  }
}
