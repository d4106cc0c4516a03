// The emulated kernel: maps loaded images into the CPU, hooks the kernel's and HAL's exports (our
// handler when we have one, an `unimplemented-routine` event for a stub with none, the image's own
// code otherwise), and calls guest routines with NT's calling conventions.
import { type CpuEngine, type Perm, type RunResult, RX } from '../cpu/engine.js';
import { pushCall, returnFromStdcall } from '../cpu/x86-call.js';
import type { LoadedModule } from '../loader/system-loader.js';
import type { KernelContext } from './context.js';
import { type DecodedArg, EventLog } from './events.js';
import { GuestAccessError, GuestMemory } from './guest.js';
import { ObjectNamespace } from './objects.js';
import { Pool } from './pool.js';
import { type ArgType, calleeCleanup, type ExportHandler, type HandlerRegistry } from './registry.js';

/** Return address of host-initiated calls: reaching it ends the run with `returned`. */
export const CALL_SENTINEL = 0x80030000;
/** API-call events kept per run; later calls are counted in `droppedApiCalls`. */
export const MAX_API_EVENTS = 10_000;

export type ExportPolicy =
  | { kind: 'handler'; handler: ExportHandler }
  | { kind: 'unimplemented'; module: string; name: string };

export interface CallResult {
  run: RunResult;
  /** EAX when the routine returned. */
  eax: number | null;
}

const PAGE = 0x1000;
/** CMOS clock registers (BCD): 1996-09-19 12:00:00, a Thursday (NT 3.51 SP5's month). */
const CMOS: Record<number, number> = {
  0: 0x00,
  2: 0x00,
  4: 0x12,
  6: 0x05,
  7: 0x19,
  8: 0x09,
  9: 0x96,
  50: 0x19,
};

export class EmulatedKernel {
  readonly mem: GuestMemory;
  readonly log = new EventLog();
  readonly pool: Pool;
  readonly objects = new ObjectNamespace();
  readonly ctx: KernelContext;
  droppedApiCalls = 0;
  private readonly exportsByName = new Map<string, number>();
  private apiEvents = 0;

  constructor(
    readonly cpu: CpuEngine,
    private readonly registry: HandlerRegistry,
    private readonly stackTop: number,
    /** Devices the machine has beyond the clock: fixed values read from their ports (the machine profile's). */
    devicePorts: ReadonlyMap<number, number> = new Map(),
  ) {
    this.mem = new GuestMemory(cpu);
    this.pool = new Pool(cpu);
    // Model of an ISA PC with no devices but the MC146818 clock: unclaimed ports float high (all
    // ones), as a bus with nothing on it reads; CMOS 0x70/0x71 answers with a fixed BCD date.
    let cmosIndex = 0;
    cpu.hookPortIo({
      in: (port, size) =>
        port === 0x71
          ? (CMOS[cmosIndex] ?? 0)
          : (devicePorts.get(port) ?? (size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff)),
      out: (port, _size, value) => {
        if (port === 0x70) cmosIndex = value & 0x7f;
      },
    });
    cpu.map(CALL_SENTINEL, PAGE, RX);
    cpu.write(CALL_SENTINEL, new Uint8Array([0xf4])); // hlt, never executed: `until` stops first
    this.ctx = {
      cpu,
      mem: this.mem,
      pool: this.pool,
      objects: this.objects,
      log: this.log,
      caller: 0,
      statics: new Map(),
      stop: (reason) => cpu.stop(reason),
      systemRoutine: (name) => this.exportsByName.get(name) ?? null,
    };
  }

  /** Copies a loaded image into guest memory with its sections' protections (per page, merged). */
  mapModule(m: LoadedModule): void {
    const pages = new Map<number, Perm>();
    for (const r of m.mapped.ranges) {
      for (let at = r.rva & ~(PAGE - 1); at < r.rva + r.size; at += PAGE) {
        const p = pages.get(at) ?? { read: false, write: false, execute: false };
        pages.set(at, {
          read: p.read || r.protection.read,
          write: p.write || r.protection.write,
          execute: p.execute || r.protection.execute,
        });
      }
    }
    // One mapping per run of pages with equal protection, then one write across them (the engine
    // writes through read-only pages): protecting page by page after the fact split Unicorn's memory
    // regions once per call and made mapping the slowest part of a boot.
    const R = { read: true, write: false, execute: false };
    const same = (a: Perm, b: Perm) => a.read === b.read && a.write === b.write && a.execute === b.execute;
    for (let at = 0; at < m.size; ) {
      const perm = pages.get(at) ?? R;
      let end = at + PAGE;
      while (end < m.size && same(pages.get(end) ?? R, perm)) end += PAGE;
      this.cpu.map(m.base + at, end - at, perm);
      at = end;
    }
    this.cpu.write(m.base, m.mapped.bytes);
  }

  /**
   * Hooks the exports of the kernel (`ntoskrnl`) or the HAL (`hal`) image. Returns the policy chosen for
   * each hooked address. Pure handlers give way to real code in the image; routines in a `.stub`
   * section without a handler become `unimplemented-routine` events (the stub then returns
   * STATUS_NOT_IMPLEMENTED and pops its arguments, as the image's own code does).
   */
  hookExports(m: LoadedModule, module: 'ntoskrnl' | 'hal'): Map<number, ExportPolicy> {
    const stub = m.image.sections.find((s) => s.name === '.stub');
    const inStub = (rva: number) =>
      stub !== undefined && rva >= stub.virtualAddress && rva < stub.virtualAddress + stub.virtualSize;
    const policies = new Map<number, ExportPolicy>();
    for (const e of m.image.exports()?.entries ?? []) {
      if (e.rva === null || e.name === null) continue;
      const address = (m.base + e.rva) >>> 0;
      this.exportsByName.set(e.name, address);
      const handler = this.registry.get(module, e.name);
      if (handler && (!handler.pure || inStub(e.rva))) policies.set(address, { kind: 'handler', handler });
      else if (inStub(e.rva)) policies.set(address, { kind: 'unimplemented', module, name: e.name });
    }
    const onCall = (address: number) => {
      const p = policies.get(address);
      if (!p) return;
      const caller = this.cpu.readU32(this.cpu.reg('esp'));
      if (p.kind === 'unimplemented') {
        this.log.add({ type: 'unimplemented-routine', module: p.module, name: p.name, caller });
        return;
      }
      this.dispatch(p.handler, caller);
    };
    if (stub)
      this.cpu.hookCode(
        m.base + stub.virtualAddress,
        m.base + stub.virtualAddress + stub.virtualSize - 1,
        onCall,
      );
    for (const address of policies.keys()) {
      if (!stub || !inStub(address - m.base)) this.cpu.hookCode(address, address, onCall);
    }
    return policies;
  }

  private args(h: ExportHandler): number[] {
    const esp = this.cpu.reg('esp');
    return h.args.map((_, i) => {
      if (h.conv === 'fastcall' && i < 2) return this.cpu.reg(i === 0 ? 'ecx' : 'edx');
      const slot = h.conv === 'fastcall' ? i - 2 : i;
      return this.mem.u32(esp + 4 + 4 * slot, 'stack argument');
    });
  }

  private decode(type: ArgType, value: number): string | null | undefined {
    try {
      if (type === 'PUNICODE_STRING') return this.mem.unicodeString(value);
      if (type === 'PANSI_STRING') return this.mem.ansiString(value);
      if (type === 'PCSTR') return value ? this.mem.cString(value, 256) : null;
      if (type === 'PCWSTR') return value ? this.mem.wString(value, 256) : null;
    } catch {
      return null;
    }
    return undefined;
  }

  private dispatch(h: ExportHandler, caller: number): void {
    this.ctx.caller = caller;
    let args: number[];
    try {
      args = this.args(h);
    } catch (e) {
      if (!(e instanceof GuestAccessError)) throw e;
      this.cpu.stop(`guest fault reading ${h.name}'s arguments: ${e.message}`);
      return;
    }
    const decoded: DecodedArg[] = h.args.map((a, i) => {
      const text = this.decode(a.type, args[i]!);
      return text === undefined ? { name: a.name, value: args[i]! } : { name: a.name, value: args[i]!, text };
    });
    let result: number | undefined;
    const at = this.log.events.length; // the call is listed before what it caused
    try {
      result = h.impl(this.ctx, args);
    } catch (e) {
      if (!(e instanceof GuestAccessError)) throw e;
      this.cpu.stop(`guest fault in ${h.module}!${h.name}: ${e.message}`);
      return;
    }
    if (this.apiEvents++ < MAX_API_EVENTS) {
      this.log.events.splice(at, 0, {
        type: 'api-call',
        module: h.module,
        name: h.name,
        args: decoded,
        result: result === undefined ? null : result >>> 0,
        caller,
      });
    } else {
      this.droppedApiCalls++;
    }
    returnFromStdcall(this.cpu, result ?? this.cpu.reg('eax'), calleeCleanup(h));
  }

  /** Calls a stdcall guest routine with `args` on a fresh stack; the run ends at the sentinel. */
  call(
    address: number,
    args: number[],
    budget: { maxInstructions?: number; maxMillis?: number },
  ): CallResult {
    this.cpu.setReg('esp', this.stackTop);
    pushCall(this.cpu, args, CALL_SENTINEL);
    const run = this.cpu.run({ start: address, until: CALL_SENTINEL, ...budget });
    return { run, eax: run.kind === 'returned' ? this.cpu.reg('eax') : null };
  }
}
