// The running kernel of a boot: the emulated kernel on the boot's CPU with every loaded image mapped
// and the kernel's and HAL's exports hooked, and the one way the phases run guest code (callGuest),
// which turns what the guest did into report data: unimplemented routines, traces, hangs, bugchecks.
import { type AnyCpu, instructionAt } from '../cpu/index.js';
import { type Processors, setupProcessors } from '../hal/index.js';
import type { KernelEvent } from '../kernel/index.js';
import {
  ALL_HANDLERS,
  bugcheckName,
  DEFAULT_TRACE_LIMIT,
  EmulatedKernel,
  fatalTrap,
  faultException,
  HandlerRegistry,
  stopScreenLines,
  Tracer,
} from '../kernel/index.js';
import { formatStatus } from '../loader/index.js';
import type { BootContext } from './context.js';
import type { LoadedSystem } from './os-loader.js';

/**
 * The registry of every handler, built once: it only maps names to the shared handler objects, and
 * building it (~600 keys) was a measurable part of every warm boot (issue 19).
 */
let allHandlers: HandlerRegistry | null = null;
const handlers = (): HandlerRegistry => {
  allHandlers ??= new HandlerRegistry(ALL_HANDLERS);
  return allHandlers;
};

/** Each frozen port table's ports as the kernel takes them, made once (the profiles' tables are frozen). */
const portMaps = new WeakMap<object, ReadonlyMap<number, number>>();
function portMap(ports: Readonly<Record<number, number>>): ReadonlyMap<number, number> {
  const kept = portMaps.get(ports);
  if (kept) return kept;
  const map = new Map(Object.entries(ports).map(([k, v]) => [Number(k), v]));
  if (Object.isFrozen(ports)) portMaps.set(ports, map);
  return map;
}

export class BootKernel {
  readonly kernel: EmulatedKernel;
  readonly processors: Processors;
  private readonly tracer: Tracer | null = null;
  private readonly traced: { routine: string; event: Extract<KernelEvent, { type: 'trace' }> }[] = [];
  /** The pc of a fault that bugchecked; disassembled once the boot is over (Capstone is async). */
  private faultPc: number | null = null;
  /** NtBuildNumber (0xF0000000 | build), SYSVER on the STOP screen; null when the kernel has none. */
  private readonly buildNumber: number | null;

  constructor(
    private readonly ctx: BootContext,
    private readonly sys: LoadedSystem,
    readonly cpu: AnyCpu,
  ) {
    const { report, opts } = ctx;
    this.processors = setupProcessors(cpu);
    this.kernel = new EmulatedKernel(
      cpu,
      handlers(),
      this.processors.stackTop,
      portMap(ctx.machine.hal.profile.ports),
    );
    for (const mod of sys.loader.modules) this.kernel.mapModule(mod);
    this.kernel.hookExports(sys.kernel, 'ntoskrnl');
    this.kernel.hookExports(sys.hal, 'hal');
    if (opts.trace) {
      const limit = opts.traceLimit ?? DEFAULT_TRACE_LIMIT;
      this.tracer = new Tracer(cpu, this.kernel.log, opts.trace, limit);
      if (this.tracer.start()) report.trace = { unit: opts.trace, limit, truncated: false, entries: [] };
    }
    const ntBuildNumber = this.kernel.ctx.systemRoutine('NtBuildNumber');
    this.buildNumber = ntBuildNumber === null ? null : cpu.readU32(ntBuildNumber);
  }

  /** The loaded module holding `address`, by base name. */
  moduleAt(address: number): string | null {
    return (
      this.sys.loader.modules.find((x) => address >= x.base && address < x.base + x.size)?.baseName ?? null
    );
  }

  /** Ends the boot with a bugcheck: the report's outcome, the STOP screen and a timeline entry. */
  stopWith(code: number, params: number[], module: string | null, instruction: string | null): void {
    const { report } = this.ctx;
    report.outcome = 'bugcheck';
    report.bugcheck = {
      code,
      name: bugcheckName(code),
      params,
      module,
      instruction,
      screen: stopScreenLines({
        code,
        name: bugcheckName(code),
        params,
        module,
        modules: this.sys.loader.modules.map((x) => ({
          name: x.baseName.toLowerCase(),
          base: x.base,
          date: x.image.headers.fileHeader.timeDateStamp.toString(16).padStart(8, '0'),
        })),
        ...(this.buildNumber !== null ? { sysver: this.buildNumber } : {}),
      }),
    };
    this.ctx.note('bugcheck', `${bugcheckName(code)} (${params.map((p) => formatStatus(p)).join(', ')})`);
  }

  /** Runs a guest routine; returns its EAX (-1 after a hang), or null after a bugcheck (the boot is over). */
  callGuest(routine: string, address: number, args: number[]): number | null {
    const { report } = this.ctx;
    const firstEvent = this.kernel.log.events.length;
    const { run, eax } = this.kernel.call(address, args, this.ctx.budget);
    const events = this.kernel.log.events.slice(firstEvent);
    for (const e of events) {
      if (e.type === 'trace') this.traced.push({ routine, event: e });
      if (e.type === 'trace-truncated' && report.trace) report.trace.truncated = true;
    }
    for (const e of events)
      if (e.type === 'unimplemented-routine')
        report.unimplemented.push({ routine: `${e.module}!${e.name}`, caller: e.caller });
    const bug = events.find((e) => e.type === 'bugcheck');
    if (bug && bug.type === 'bugcheck') {
      this.stopWith(bug.code, bug.parameters, this.moduleAt(bug.caller), null);
      return null;
    }
    if (run.kind === 'returned') return eax;
    const trap = run.kind === 'fault' ? fatalTrap(run) : null;
    if (trap !== null) {
      // A trap NT does not raise as an exception in kernel mode (a #GP, #NP, #SS…): the system stops
      // with UNEXPECTED_KERNEL_MODE_TRAP and the trap number.
      this.stopWith(0x7f, [trap, 0, 0, 0], this.moduleAt(run.pc), null);
      this.faultPc = run.pc;
      return null;
    }
    if (run.kind === 'fault') {
      // An exception in kernel-mode code no handler on the FS:[0] chain took (src/kernel/seh/):
      // KMODE_EXCEPTION_NOT_HANDLED with the exception's code, address and first two parameters, as
      // the trap handlers raise it (an access violation: 0 read / 1 write, the address).
      const e = faultException(run) ?? {
        code: 0xc0000005,
        address: run.pc,
        parameters: [run.access === 'write' ? 1 : 0, run.address],
      };
      this.stopWith(
        0x1e,
        [e.code, e.address, e.parameters?.[0] ?? 0, e.parameters?.[1] ?? 0],
        this.moduleAt(run.pc),
        null,
      );
      this.faultPc = run.pc;
      return null;
    }
    if (run.kind === 'host-error') throw run.error;
    const problem =
      run.kind === 'budget'
        ? `did not return within the ${run.which === 'time' ? 'time' : 'instruction'} budget (the real system would hang here)`
        : `stopped: ${run.reason}`;
    report.guestProblems.push({
      routine,
      problem,
      pc: run.kind === 'budget' ? run.pc : null,
      instruction: null,
    });
    this.ctx.note('guest', `${routine} ${problem}`);
    return -1;
  }

  /** Completes the report once the guest is done: trace entries and disassembly (Capstone is async). */
  async finish(): Promise<void> {
    const { report } = this.ctx;
    if (this.tracer && report.trace) {
      await this.tracer.flush();
      report.trace.entries = this.traced.map(({ routine, event }) => ({
        routine,
        address: event.address,
        module: this.moduleAt(event.address),
        instructions: event.instructions,
      }));
    }
    if (this.faultPc !== null && report.bugcheck)
      report.bugcheck.instruction = await instructionAt(this.cpu, this.faultPc);
    for (const p of report.guestProblems)
      if (p.pc !== null) p.instruction = await instructionAt(this.cpu, p.pc);
    if (this.kernel.log.dropped > 0) report.droppedEvents = this.kernel.log.dropped;
  }
}
