// Execution tracing for run-driver's --trace: every basic block (or instruction) the guest runs,
// as events in the run's log with Capstone's disassembly, up to a cap. The hook only records
// addresses and bytes; disassembly happens after each run (Capstone's WASM API is asynchronous).
// A block at a hooked kernel export shows the stub's bytes although a handler ran in their place:
// the api-call event right after it says so.
import type { AnyCpu } from '../cpu/abi.js';
import { disassembleAlpha } from '../cpu/alpha/disasm.js';
import { disassemble } from '../cpu/disasm.js';
import type { HookHandle } from '../cpu/engine.js';
import type { EventLog, KernelEvent } from './events.js';

export type TraceUnit = 'block' | 'insn';
/** Trace entries kept per run-driver run unless told otherwise. */
export const DEFAULT_TRACE_LIMIT = 5000;

type TraceEvent = Extract<KernelEvent, { type: 'trace' }>;

export class Tracer {
  private readonly pending: { event: TraceEvent; bytes: Uint8Array }[] = [];
  private count = 0;
  private hook: HookHandle | null = null;

  constructor(
    private readonly cpu: AnyCpu,
    private readonly log: EventLog,
    private readonly unit: TraceUnit,
    private readonly limit: number,
  ) {}

  /** Installs the engine's trace hook; false when the engine cannot trace. */
  start(): boolean {
    if (!this.cpu.hookTrace) return false;
    this.hook = this.cpu.hookTrace(this.unit, (address, size) => this.record(address, size));
    return true;
  }

  private record(address: number, size: number): void {
    if (this.count++ >= this.limit) {
      // The cap: one marker, then the hook goes (the guest runs at full speed again).
      this.log.add({ type: 'trace-truncated', limit: this.limit });
      this.hook?.remove();
      this.hook = null;
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = this.cpu.read(address, size);
    } catch {
      bytes = new Uint8Array(0); // a fetch fault follows; the fault report has the details
    }
    const event: TraceEvent = { type: 'trace', unit: this.unit, address, size, instructions: [] };
    this.log.add(event);
    this.pending.push({ event, bytes });
  }

  /** Disassembles what the last run recorded. */
  async flush(): Promise<void> {
    for (const { event, bytes } of this.pending.splice(0)) {
      const insns =
        this.cpu.arch === 'alpha'
          ? disassembleAlpha(bytes, event.address).map((i) => ({ ...i, text: i.text.replace('\t', ' ') }))
          : this.cpu.arch === 'amd64'
            ? // AMD64: decoded in 64-bit mode at the guest's address; instruction addresses stay host ones.
              await disassemble(
                bytes,
                this.cpu.guestAddress(event.address),
                this.unit === 'insn' ? 1 : 1000,
                64,
              )
            : await disassemble(bytes, event.address, this.unit === 'insn' ? 1 : 1000);
      event.instructions = insns.map((i) => ({ address: i.address, text: i.text }));
    }
  }

  stop(): void {
    this.hook?.remove();
    this.hook = null;
  }
}
