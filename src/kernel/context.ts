// What an export handler works with: the CPU and guest memory, the pool, the object namespace,
// the event log, and a way to stop the run (bugchecks).
import type { AnyCpu } from '../cpu/abi.js';
import type { VirtualClock } from './clock.js';
import type { EventLog } from './events.js';
import type { GuestMemory } from './guest.js';
import type { ObjectManager } from './handles.js';
import type { RegistryModel } from './hive.js';
import type { ObjectNamespace } from './objects.js';
import type { Pool } from './pool.js';
import type { ExportHandler } from './registry.js';
import type { Scheduler } from './scheduler.js';
import type { ExceptionDispatcher } from './seh/dispatch.js';
import type { X64ExceptionDispatcher } from './seh/dispatch64.js';

export interface KernelContext {
  /** The CPU (x86 or Alpha AXP); handlers read arguments through `arg`, not its registers. */
  cpu: AnyCpu;
  mem: GuestMemory;
  pool: Pool;
  objects: ObjectNamespace;
  log: EventLog;
  /** Return address of the call being handled. */
  caller: number;
  /**
   * Argument `index` (32 bits) of the call being handled, as the CPU's calling convention passes it
   * (x86: the stack; Alpha: a0-a5, then the stack): for variadic routines such as DbgPrint, whose
   * arguments past the declared ones handlers read themselves. Throws GuestAccessError.
   */
  arg(index: number): number;
  /**
   * Where variadic arguments are 64-bit slots (AMD64): argument `index` whole, as the guest passed it
   * (a pointer is its 64-bit address, not a window offset), for %p, %I64x and %Ix. Absent elsewhere.
   */
  argSlot64?(index: number): bigint;
  /** Ends the current run (e.g. KeBugCheckEx); the report shows `reason`. */
  stop(reason: string): void;
  /** Kernel-owned guest structures created on first use (e.g. CONFIGURATION_INFORMATION), by name. */
  statics: Map<string, number>;
  /** Looks up an export of the loaded kernel or HAL by name (MmGetSystemRoutineAddress). */
  systemRoutine(name: string): number | null;
  /**
   * A guest address whose call runs handler `h` (routines reached by address, not by import: a KMDF
   * function table, a framework's dispatch routine). Absent in contexts without a kernel to hook.
   */
  hostRoutine?: (h: ExportHandler, options?: { silent?: boolean }) => number;
  /** A guest address whose call is an `unimplemented-routine` event for `module!name`. */
  hostMiss?: (module: string, name: string) => number;
  /** The version the loaded kernel answers with (PsGetVersion, IoIsWdmVersionAvailable). */
  version: KernelVersion;
  /** Handles and kernel objects (processes, threads, files, keys). */
  ob: ObjectManager;
  /** The deterministic virtual clock (tick count, system time, performance counter, timers, DPCs). */
  clock: VirtualClock;
  /** The machine's I/O ports (x86 `in`/`out` and the HAL's READ_PORT and WRITE_PORT routines reach the same devices). */
  ports: PortIo;
  /** The processor's IRQL as the HAL handlers keep it (PASSIVE_LEVEL 0 … HIGH_LEVEL 31). */
  irql: number;
  /** Files Zw*File routines can open (read-only); absent: every open is STATUS_OBJECT_NAME_NOT_FOUND. */
  files?: FileProvider;
  /** The configuration registry Zw*Key routines work on; absent: every open fails as not found. */
  registry?: RegistryModel;
  /** Structured exception handling (x86): raising, the FS:[0] chain, RtlUnwind. Absent on Alpha. */
  exceptions?: ExceptionDispatcher;
  /** Structured exception handling on AMD64: raising, .pdata unwinding, RtlUnwindEx. */
  exceptions64?: X64ExceptionDispatcher;
  /** The processor's threads (src/kernel/scheduler.ts); absent in contexts without a kernel. */
  threads?: Scheduler;
}

/** I/O port access of `size` bytes (1, 2 or 4). */
export interface PortIo {
  read(port: number, size: number): number;
  write(port: number, size: number, value: number): void;
}

/** A read-only view of files by NT path (`\SystemRoot\…`, `\??\C:\…`, `\DosDevices\C:\…`). */
export interface FileProvider {
  /** The file's bytes, or null when there is no such file. */
  read(ntPath: string): Uint8Array | null;
}

/** What version queries answer. */
export interface KernelVersion {
  major: number;
  minor: number;
  build: number;
  /** WDM level [major, minor] for IoIsWdmVersionAvailable; [0, 0] for kernels before WDM. */
  wdm: [number, number];
}

/** NT 3.51 (build 1057), the fixture kernels' version, before WDM. */
export const NT351_VERSION: KernelVersion = { major: 3, minor: 51, build: 1057, wdm: [0, 0] };
