// Events the emulated kernel reports about a guest's run: data for reports, never console output.

/**
 * What a call of a routine without a handler does (`--on-unimplemented`): `stop` ends the entry
 * point being run there, `fail` returns STATUS_NOT_IMPLEMENTED, `zero` returns 0.
 */
export type UnimplementedPolicy = 'stop' | 'fail' | 'zero';

export interface DecodedArg {
  name: string;
  value: number;
  /** The high 32 bits of a 64-bit argument (LONGLONG, LARGE_INTEGER by value); `value` is the low. */
  high?: number;
  /** Decoded form for pointers to strings (UNICODE_STRING, C strings); null when unreadable. */
  text?: string | null;
}

export type KernelEvent =
  | {
      type: 'api-call';
      module: string;
      name: string;
      args: DecodedArg[];
      result: number | null;
      caller: number;
    }
  | {
      type: 'unimplemented-routine';
      module: string;
      name: string;
      caller: number;
      /** The first stack words (x86) or argument registers (Alpha) at the call: the likely arguments. */
      stack?: number[];
      /** What the run did next (--on-unimplemented): absent or 'fail' the stub returned STATUS_NOT_IMPLEMENTED. */
      policy?: UnimplementedPolicy;
    }
  | { type: 'dbgprint'; text: string; caller: number }
  | {
      type: 'device-created';
      name: string | null;
      device: number;
      deviceType: number;
      /** The device's security as SDDL, when it was created with one (KMDF control devices, IoCreateDeviceSecure). */
      sddl?: string;
      /** The self-relative SECURITY_DESCRIPTOR built from `sddl`, in kernel pool. */
      securityDescriptor?: number;
    }
  | { type: 'device-deleted'; name: string | null; device: number }
  | { type: 'symlink-created'; link: string; target: string }
  | { type: 'symlink-deleted'; link: string }
  /**
   * A Windows Filtering Platform object became visible (`added`: at once, or when its transaction
   * committed) or went away (`deleted`), as fwpkclnt.sys keeps them for an engine handle.
   */
  | {
      type: 'wfp-object';
      action: 'added' | 'deleted';
      kind:
        | 'engine'
        | 'provider'
        | 'sublayer'
        | 'callout'
        | 'filter'
        | 'injection-handle'
        | 'callout-registration';
      /** The object's GUID key (braced), or for handles the handle value in hex. */
      key: string;
      name: string | null;
      /** Runtime id (callout and filter ids), else null. */
      id: number | null;
    }
  | { type: 'pool-double-free'; address: number; caller: number }
  | { type: 'pool-bad-free'; address: number; caller: number }
  | { type: 'pool-leak'; address: number; size: number; tag: string | null }
  /**
   * A pool block's POOL_HEADER or its neighbour's was overwritten (a write past the block's end or
   * before its start): found by ExFreePool (`caller` set; a BAD_POOL_HEADER bugcheck follows) or by
   * run-driver's check of live blocks at the end of the run.
   */
  | {
      type: 'pool-overrun';
      address: number;
      size: number;
      tag: string | null;
      /** The header found corrupted. */
      header: number;
      caller?: number;
    }
  | { type: 'bugcheck'; code: number; parameters: number[]; caller: number }
  /**
   * IoWriteErrorLogEntry: a driver's IO_ERROR_LOG_PACKET (src/kernel/exports/ntoskrnl/io-errorlog.ts);
   * `data` is the record's binary data as hex, `driver` the source name, `device` the %1 insert.
   */
  | {
      type: 'io-error-log';
      driver: string | null;
      device: string | null;
      errorCode: number;
      uniqueErrorValue: number;
      finalStatus: number;
      eventCategory: number;
      majorFunction: number;
      sequenceNumber: number;
      dumpData: number[];
      strings: string[];
      data: string;
      caller: number;
    }
  /** An exception was raised (by a routine or a CPU fault) and dispatched to the FS:[0] chain. */
  | { type: 'exception'; code: number; flags: number; address: number; parameters: number[] }
  /** IoCompleteRequest called a driver's completion routine; `result` is what it returned. */
  | {
      type: 'completion-routine';
      routine: number;
      irp: number;
      device: number;
      context: number;
      result: number | null;
    }
  /**
   * The NDIS wrapper called a miniport's handler for an adapter (src/kernel/exports/ndis/miniport.ts):
   * MiniportInitialize (`initialize`, with the medium it selected), MiniportQueryInformation (`query`,
   * with the OID and the bytes written, hex) or MiniportHalt (`halt`, which returns nothing).
   */
  | {
      type: 'ndis-adapter';
      action: 'initialize' | 'query' | 'halt';
      /** The adapter's device name, `\Device\<adapter>`. */
      adapter: string;
      status: number | null;
      medium?: number;
      oid?: number;
      data?: string;
      /** Why NDIS failed an initialisation the miniport returned success for (a medium it never offered). */
      reason?: string;
    }
  /**
   * PsCreateSystemThread made a thread (`thread`: its ETHREAD). It runs when the running thread waits,
   * delays or ends, or when the entry point the host called returns (src/kernel/scheduler.ts).
   */
  | {
      type: 'system-thread';
      startRoutine: number;
      startContext: number;
      handle: number;
      caller: number;
      thread: number;
    }
  /** A system thread ran for the first time: StartRoutine(StartContext) on its own stack. */
  | { type: 'thread-started'; thread: number; startRoutine: number; startContext: number }
  /**
   * A system thread ended: its start routine `returned`, it called PsTerminateSystemThread
   * (`terminated`, with its ExitStatus), or the run ended while it ran (`cut`: a budget, fault or stop,
   * `reason`); its object is signalled unless cut.
   */
  | {
      type: 'thread-ended';
      thread: number;
      startRoutine: number;
      how: 'returned' | 'terminated' | 'cut';
      exitStatus: number | null;
      reason?: string;
    }
  /** --trace: a basic block or instruction the guest executed, disassembled. */
  | {
      type: 'trace';
      unit: 'block' | 'insn';
      address: number;
      size: number;
      instructions: { address: number; text: string }[];
    }
  /** --trace hit its cap; nothing more was traced in this run. */
  | { type: 'trace-truncated'; limit: number };

/**
 * Events one kernel keeps through `add`; later ones are only counted in `EventLog.dropped`. A guest
 * loop calling a stub (`unimplemented-routine`, about 100 bytes each) or creating symbolic links
 * would otherwise grow the host's memory for as long as its budget lasts. Not counted: trace entries
 * (bounded by their own limit), bugchecks (they end the run) and API calls (`MAX_API_EVENTS`).
 */
export const MAX_EVENTS = 100_000;

export class EventLog {
  readonly events: KernelEvent[] = [];
  /** Events not kept because MAX_EVENTS had been reached. */
  dropped = 0;
  private kept = 0;

  add(e: KernelEvent): void {
    if (e.type !== 'trace' && e.type !== 'trace-truncated' && e.type !== 'bugcheck') {
      if (this.kept >= MAX_EVENTS) {
        this.dropped++;
        return;
      }
      this.kept++;
    }
    this.events.push(e);
  }
}
