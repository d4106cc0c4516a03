// The boot's public data: the options a caller gives and the report every phase fills in (one schema,
// schema/boot-report.schema.json; the CLI renders human output from the same object).
import type { HardError, ServiceState, SystemEvent, TraceUnit } from '../kernel/index.js';

export interface BootOptions {
  /** Processors present (default: machine.yaml's `cpus`). A UP kernel starts one whatever this says. */
  cpus?: number;
  /** Machine profile (default: machine.yaml's `profile`). */
  profile?: string;
  /** Instruction budget per guest routine (default 10 M). */
  maxInstructions?: number;
  /** Wall-clock budget per guest routine in ms (default 5000). */
  maxMillis?: number;
  /**
   * Boot the SYSTEM hive's LastKnownGood control set, as the user pressing the space bar at NT's
   * "Last Known Good" prompt would (default: the Default control set).
   */
  lastKnownGood?: boolean;
  /** Trace the guest code the boot runs, by basic block or instruction. */
  trace?: TraceUnit;
  /** Most trace entries kept (default 5000). */
  traceLimit?: number;
  /**
   * Called with each boot-log entry (`report.timeline`) as the boot adds it, for a progress display;
   * an exception it throws ends the boot with that exception.
   */
  onProgress?: (step: string, detail: string) => void;
}

export interface BootTraceEntry {
  /** The guest routine the boot was running (KiSystemStartup, DriverEntry (Srv), …). */
  routine: string;
  address: number;
  module: string | null;
  instructions: { address: number; text: string }[];
}

export type BootOutcome = 'clean' | 'errors' | 'bugcheck' | 'loader-stop';

export interface BootBugcheck {
  code: number;
  name: string;
  params: number[];
  /** The module whose code raised it or faulted, when known. */
  module: string | null;
  /** The faulting instruction, for exceptions in kernel-mode code. */
  instruction: string | null;
  /** The STOP screen's lines (model of NT 3.51's text-mode screen). */
  screen: string[];
}

export interface BootModule {
  name: string;
  ntPath: string;
  base: number;
  size: number;
  loadedBy: 'boot-loader' | 'io-manager' | 'NtLoadDriver' | string;
}

export interface BootReport {
  imageSet: string;
  machine: {
    profile: string;
    architecture: 'x86' | 'alpha';
    hal: { file: string; variant: 'up' | 'mp' };
    kernel: { file: string; version: string | null; build: 'up' | 'mp' };
    processorsPresent: number;
    processorsStarted: number;
    activeProcessors: number;
    /**
     * Where each machine fact came from when not from machine.yaml: `option`, `HAL.DLL` (its version
     * resource), `NTOSKRNL.EXE`, `boot.ini`, `default`. Absent for image sets whose machine.yaml says all.
     */
    sources?: Record<string, string>;
  };
  /**
   * Where the services came from: the SYSTEM hive's control set (with Select's use: Default, or
   * LastKnownGood), or machine.yaml. Null when the boot stopped before reading it.
   */
  configuration: {
    source: 'hive' | 'manifest';
    controlSet: string | null;
    use: 'Current' | 'Default' | 'LastKnownGood' | null;
  } | null;
  outcome: BootOutcome;
  /** NTLDR's message when the OS loader stopped the boot (outcome `loader-stop`). */
  loaderMessage: string[] | null;
  hardErrors: HardError[];
  events: SystemEvent[];
  bugcheck: BootBugcheck | null;
  modules: BootModule[];
  services: ServiceState[];
  timeline: { step: string; detail: string }[];
  /** Guest routines that did not return normally without stopping the boot (hangs cut by the budget). */
  guestProblems: {
    routine: string;
    problem: string;
    /** Where a budget cut the routine, and the instruction there; null for a stop (its reason says where). */
    pc: number | null;
    instruction: string | null;
  }[];
  /** Calls to kernel routines nt351 has no code for (module!name and caller). */
  unimplemented: { routine: string; caller: number }[];
  /** Files the boot wrote into the image set's overlay (set-relative), e.g. the System event log. */
  overlay: string[];
  /** With `trace`: what the guest executed, in order; `truncated` when the limit cut it. */
  trace: { unit: TraceUnit; limit: number; truncated: boolean; entries: BootTraceEntry[] } | null;
  /** Kernel events a guest produced past the kernel's cap (a loop calling a stub), not kept. */
  droppedEvents?: number;
}

/** Where NT 3.51 keeps the System event log. */
export const SYSEVENT_PATH = '\\SystemRoot\\System32\\config\\SysEvent.Evt';

/** An image set nt351 cannot boot at all (e.g. a kernel built for another processor than the machine's). */
export class BootUnsupportedError extends Error {
  override readonly name = 'BootUnsupportedError';
}
