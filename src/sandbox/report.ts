// What `run-driver` is asked and what it reports: one schema (schema/run-driver-report.schema.json
// when generated), rendered as text by the CLI from the same object.
import type { X64Reg, X86Reg } from '../cpu/index.js';
import type { ExportHandler, KernelEvent, TraceUnit, UnimplementedPolicy } from '../kernel/index.js';
import type { ImportMiss } from '../loader/index.js';

export interface RunDriverOptions {
  driver: string;
  /** A kernel image path, or 'registry' for the synthetic kernel made of our handlers. */
  kernel?: string;
  hal?: string;
  /** An installed image set: its kernel, HAL and System32/drivers are used. */
  imageset?: string;
  ioctls?: number[];
  maxInstructions?: number;
  maxMillis?: number;
  /** Trace every executed basic block ('block') or instruction ('insn') as events. */
  trace?: TraceUnit;
  /** Most trace entries kept (default DEFAULT_TRACE_LIMIT); a `trace-truncated` event marks the cut. */
  traceLimit?: number;
  /** Export handlers to use instead of nt351's own (for embedders and tests). */
  handlers?: readonly ExportHandler[];
  /**
   * What calling a routine without a handler does: `stop` that entry point (the default with
   * `kernel: 'registry'`; the others still run), `fail` with STATUS_NOT_IMPLEMENTED (the default
   * with a kernel image, whose stubs do that), or return `zero`.
   */
  onUnimplemented?: UnimplementedPolicy;
}

export type CallOutcome =
  | { kind: 'returned'; eax: number }
  | {
      kind: 'fault';
      fault: string;
      access: string | null;
      address: number;
      pc: number;
      /** An `exception` fault's vector (0 #DE, 1 #DB, 3 #BP, 13 #GP…): one no handler took or NT has no dispatch for. */
      vector?: number;
      instruction: string | null;
      /** x86: the general registers (AMD64: empty, see registers64). */
      registers: Partial<Record<X86Reg, number>>;
      /** AMD64: the guest's 64-bit faulting address and pc, and its registers, in hex. */
      address64?: string;
      pc64?: string;
      registers64?: Partial<Record<X64Reg, string>>;
      /** Set when the address lies in a pool block: 'freed' means use-after-free. */
      pool: { block: number; size: number; tag: string | null; freed: boolean } | null;
    }
  | {
      kind: 'budget';
      which: 'instructions' | 'time';
      pc: number;
      /** The instruction at pc (where the runaway code was cut), null when pc is not readable. */
      instruction: string | null;
    }
  | { kind: 'stopped'; reason: string; pc: number }
  | { kind: 'host-error'; message: string; stack: string | null };

export interface CallReport {
  routine: string;
  address: number;
  outcome: CallOutcome;
  /** NTSTATUS return, for routines returning one. */
  status: string | null;
  statusName: string | null;
  /** Indexes into `events` of what happened during this call: [firstEvent, firstEvent + eventCount). */
  firstEvent: number;
  eventCount: number;
  /** IRP.IoStatus after a dispatch routine. */
  irpStatus?: string;
  irpInformation?: number;
}

export interface RunDriverReport {
  /**
   * AMD64 runs: the guest address of address 0 in this report (hex). Every address the report gives
   * (bases, callers, devices, pool blocks, pcs) is an offset from it: the guest saw `addressBase +
   * address` (src/cpu/engine.ts X64Cpu). Absent for x86.
   */
  addressBase?: string;
  driver: {
    file: string;
    ntPath: string;
    base: number | null;
    size: number | null;
    entryPoint: number | null;
  };
  kernel: {
    kind: 'image' | 'registry';
    file: string | null;
    hal: string | null;
    version: string | null;
    note: string;
  };
  load:
    | {
        ok: true;
        modules: {
          name: string;
          base: number;
          size: number;
          loadedBy: string;
          /** The /GS cookie the loader set or found (registry kernel; absent for images without one). */
          securityCookie?: SecurityCookieReport;
        }[];
      }
    | {
        ok: false;
        status: string;
        statusName: string;
        reason: string;
        misses: (Omit<ImportMiss, 'status'> & { status: string })[];
      };
  /**
   * PsLoadedModuleList in guest memory: the kernel's exported variable when its image has one
   * (`exported`), else a kernel variable at `head` (NT 3.51 does not export it). Null before loading.
   */
  loadedModuleList: { head: number; exported: boolean } | null;
  calls: CallReport[];
  events: KernelEvent[];
  droppedApiCalls: number;
  /** Other events not kept once the kernel's log held MAX_EVENTS (src/kernel/events.ts); absent when none. */
  droppedEvents?: number;
  devices: { name: string; address: number }[];
  symbolicLinks: { link: string; target: string }[];
  poolLeaks: { address: number; size: number; tag: string | null }[];
  /** `unimplemented`: an entry point stopped at a routine without a handler (--on-unimplemented stop). */
  outcome:
    | 'ok'
    | 'load-failed'
    | 'driver-entry-failed'
    | 'fault'
    | 'budget'
    | 'bugcheck'
    | 'host-error'
    | 'unimplemented';
}

/** What the loader did with a module's /GS security cookie (src/loader/security-cookie.ts). */
export type SecurityCookieReport =
  | { result: 'initialised' | 'kept'; va: number; value: string }
  | { result: 'malformed'; reason: string };
