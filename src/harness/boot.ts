// `nt351 boot`: an NT 3.51 boot of an image set, as docs/boot.md describes it step by step. The OS
// loader maps the kernel, the HAL and boot-start drivers; the kernel's entry code and the HAL's
// HalInitSystem run as guest code (the build-type check); the I/O manager runs boot drivers'
// DriverEntry and loads system-start drivers; the SCM starts auto-start services. Failures become
// hard errors, System-log events and bugchecks in one report, from which the CLI renders everything.
// x86 image sets run on Unicorn, Alpha AXP ones on our interpreter (src/cpu/alpha), with the same
// kernel: handlers are called through the CPU's calling convention (src/cpu/abi.ts).
import type { AnyCpu } from '../cpu/abi.js';
import { disassembleAlpha } from '../cpu/alpha/disasm.js';
import { AlphaInterpreter } from '../cpu/alpha/interpreter.js';
import { disassembleAt } from '../cpu/disasm.js';
import { UnicornX86 } from '../cpu/unicorn.js';
import { halFor, profileNames } from '../hal/index.js';
import { setupProcessors } from '../hal/processors.js';
import { BuildType } from '../hal/profiles.js';
import { bugcheckName, stopScreenLines } from '../kernel/bugcheck.js';
import { writeEvtFile } from '../kernel/eventlog/index.js';
import type { KernelEvent } from '../kernel/events.js';
import { ALL_HANDLERS } from '../kernel/exports/index.js';
import { type HardError, hardError } from '../kernel/hard-error.js';
import { createDriverObject } from '../kernel/io-manager.js';
import { EmulatedKernel } from '../kernel/kernel.js';
import { HandlerRegistry } from '../kernel/registry.js';
import { inGroupOrder, runServiceControlManager, type ServiceState, serviceState } from '../kernel/scm.js';
import { type SystemEvent, SystemLog, toEvtRecords } from '../kernel/system-log.js';
import { DEFAULT_TRACE_LIMIT, Tracer, type TraceUnit } from '../kernel/trace.js';
import { formatStatus, NtStatus, snapFailureParameters, statusName } from '../loader/status.js';
import type { LoadedModule, LoadFailure, ModuleFile, ModuleSource } from '../loader/system-loader.js';
import { SystemLoader } from '../loader/system-loader.js';
import { IMAGE_FILE_UP_SYSTEM_ONLY } from '../pe/index.js';

const IMAGE_FILE_MACHINE_I386 = 0x14c;
const IMAGE_FILE_MACHINE_ALPHA = 0x184;

/** The instruction at `pc` as the report shows it: Capstone's x86 text, or our Alpha disassembler's. */
async function instructionAt(cpu: AnyCpu, pc: number): Promise<string | null> {
  if (cpu.arch === 'x86') return (await disassembleAt(cpu, pc))[0]?.text ?? null;
  try {
    return disassembleAlpha(cpu.read(pc, 4), pc)[0]?.text.replace('\t', ' ') ?? null;
  } catch {
    return null; // the fetch itself faulted
  }
}

import { ImageSet, ImageSetError, type ServiceConfig } from './imageset.js';

export interface BootOptions {
  /** Processors present (default: machine.yaml's `cpus`). A UP kernel starts one whatever this says. */
  cpus?: number;
  /** Machine profile (default: machine.yaml's `profile`). */
  profile?: string;
  /** Instruction budget per guest routine (default 10 M). */
  maxInstructions?: number;
  /** Wall-clock budget per guest routine in ms (default 5000). */
  maxMillis?: number;
  /** Trace the guest code the boot runs, by basic block or instruction. */
  trace?: TraceUnit;
  /** Most trace entries kept (default 5000). */
  traceLimit?: number;
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
  };
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

const isDriver = (s: ServiceConfig) => s.type === 1 || s.type === 2;

/** Boots an image set (a folder or an in-memory ImageSet) and reports what NT 3.51 would have shown. */
export async function boot(input: string | ImageSet, opts: BootOptions = {}): Promise<BootReport> {
  const set = typeof input === 'string' ? ImageSet.open(input) : input;
  const m = set.manifest;
  const profileName = opts.profile ?? m.machine.profile;
  const hal = halFor(profileName);
  if (!hal)
    throw new ImageSetError(
      set.label,
      `unknown machine profile '${profileName}' (known: ${profileNames().join(', ')})`,
    );
  if (hal.profile.architecture !== m.machine.architecture)
    throw new ImageSetError(
      set.label,
      `profile '${profileName}' is for ${hal.profile.architecture}, but the image set is ${m.machine.architecture}`,
    );
  const present = opts.cpus ?? m.machine.cpus;
  const budget = { maxInstructions: opts.maxInstructions ?? 10_000_000, maxMillis: opts.maxMillis ?? 5_000 };

  const report: BootReport = {
    imageSet: set.label,
    machine: {
      profile: profileName,
      architecture: m.machine.architecture,
      hal: { file: m.hal, variant: hal.variant.kind },
      kernel: { file: m.kernel, version: null, build: 'up' },
      processorsPresent: present,
      processorsStarted: 0,
      activeProcessors: 0,
    },
    outcome: 'clean',
    loaderMessage: null,
    hardErrors: [],
    events: [],
    bugcheck: null,
    modules: [],
    services: [],
    timeline: [],
    guestProblems: [],
    unimplemented: [],
    overlay: [],
    trace: null,
  };
  const note = (step: string, detail: string) => report.timeline.push({ step, detail });

  // --- 1. OS loader (NTLDR): kernel, HAL, boot-start drivers ---------------------------------------
  const ntPathOf = (rel: string) => `\\SystemRoot\\${rel.replace(/^\\+/, '')}`;
  const fileAt = (ntPath: string, baseName?: string): ModuleFile | null => {
    const bytes = set.read(ntPath);
    if (!bytes) return null;
    const actual = set.actualPath(ntPath)!;
    return { baseName: baseName ?? actual.split('\\').pop()!, ntPath, bytes };
  };
  const source: ModuleSource = {
    findDependency(name) {
      if (name.toLowerCase() === 'ntoskrnl.exe') return kernelFile;
      if (name.toLowerCase() === 'hal.dll') return halFile;
      return (
        fileAt(`\\SystemRoot\\System32\\${name}`) ??
        fileAt(`\\SystemRoot\\System32\\drivers\\${name.toLowerCase()}`)
      );
    },
  };
  const systemRootShown = `\\${m.systemRoot}`;
  const loaderStop = (what: string, reason: string): BootReport => {
    report.outcome = 'loader-stop';
    // Model of NTLDR's fatal-error screen for an unloadable boot file (nt351-facts.md: the boot loader
    // loads NTOSKRNL.EXE, HAL.DLL and boot-start drivers).
    report.loaderMessage = [
      'Windows NT could not start because the following file is missing or corrupt:',
      `${systemRootShown}\\${what.replace(/^\\SystemRoot\\/i, '')}`,
      reason,
    ];
    note('loader', `stopped: ${what}: ${reason}`);
    return report;
  };
  const kernelFile = fileAt(ntPathOf(m.kernel), 'NTOSKRNL.EXE');
  if (!kernelFile) return loaderStop(ntPathOf(m.kernel), 'the file is not in the image set');
  const halFile = fileAt(ntPathOf(m.hal), 'HAL.DLL');
  if (!halFile) return loaderStop(ntPathOf(m.hal), 'the file is not in the image set');

  const services = m.services;
  const imagePathOf = (s: ServiceConfig) => s.imagePath ?? `\\SystemRoot\\System32\\drivers\\${s.name}.sys`;
  const bootDrivers = inGroupOrder(services.filter((s) => isDriver(s) && s.start === 0));
  const bootFiles: { file: ModuleFile; role: 'kernel' | 'hal' | 'driver' }[] = [
    { file: kernelFile, role: 'kernel' },
    { file: halFile, role: 'hal' },
  ];
  for (const s of bootDrivers) {
    const f = fileAt(imagePathOf(s));
    if (!f) return loaderStop(imagePathOf(s), `boot driver of service ${s.name} is not in the image set`);
    bootFiles.push({ file: f, role: 'driver' });
  }
  const loader = new SystemLoader();
  const loaded = loader.loadBootImages(bootFiles, source);
  for (const [i, r] of loaded.entries()) {
    if (!r.ok) return loaderStop(bootFiles[i]!.file.ntPath, r.misses[0]?.message ?? r.reason);
  }
  const kernelModule = (loaded[0] as { module: LoadedModule }).module;
  const halModule = (loaded[1] as { module: LoadedModule }).module;
  const machineType = kernelModule.image.headers.fileHeader.machine;
  const expectedType =
    m.machine.architecture === 'alpha' ? IMAGE_FILE_MACHINE_ALPHA : IMAGE_FILE_MACHINE_I386;
  if (machineType !== expectedType)
    throw new BootUnsupportedError(
      `${m.kernel} is built for machine type 0x${machineType.toString(16)}, but the machine is ${m.machine.architecture} (0x${expectedType.toString(16)}): nt351 runs kernel images only on their own processor`,
    );
  const kernelIsUp =
    (kernelModule.image.headers.fileHeader.characteristics & IMAGE_FILE_UP_SYSTEM_ONLY) !== 0;
  report.machine.kernel.build = kernelIsUp ? 'up' : 'mp';
  try {
    const v = kernelModule.image.version();
    report.machine.kernel.version = v ? `${v.fileVersion} ${v.strings.OriginalFilename ?? ''}`.trim() : null;
  } catch {
    report.machine.kernel.version = null;
  }
  const moduleEntry = (mod: LoadedModule, loadedBy: string): BootModule => ({
    name: mod.baseName,
    ntPath: mod.ntPath,
    base: mod.base,
    size: mod.size,
    loadedBy,
  });
  for (const mod of loader.modules) report.modules.push(moduleEntry(mod, 'boot-loader'));
  note('loader', `loaded ${loader.modules.map((x) => x.baseName).join(', ')}`);

  // --- 2. Kernel phase 0/1 on the boot processor, the HAL's build-type check ----------------------
  const cpu: AnyCpu = m.machine.architecture === 'alpha' ? new AlphaInterpreter() : UnicornX86.acquire();
  /** The pc of a fault that bugchecked; disassembled once the boot is over (Capstone is async). */
  let faultPc: number | null = null;
  let tracer: Tracer | null = null;
  let eventsDropped = () => 0;
  const traced: { routine: string; event: Extract<KernelEvent, { type: 'trace' }> }[] = [];
  try {
    runKernel();
    if (tracer && report.trace) {
      await (tracer as Tracer).flush();
      report.trace.entries = traced.map(({ routine, event }) => ({
        routine,
        address: event.address,
        module:
          loader.modules.find((x) => event.address >= x.base && event.address < x.base + x.size)?.baseName ??
          null,
        instructions: event.instructions,
      }));
    }
    if (faultPc !== null && report.bugcheck) report.bugcheck.instruction = await instructionAt(cpu, faultPc);
    for (const p of report.guestProblems) if (p.pc !== null) p.instruction = await instructionAt(cpu, p.pc);
    if (eventsDropped() > 0) report.droppedEvents = eventsDropped();
    return report;
  } finally {
    cpu.close();
  }

  function runKernel(): void {
    const processors = setupProcessors(cpu);
    const { stackTop } = processors;
    const ports = new Map(Object.entries(hal!.profile.ports).map(([k, v]) => [Number(k), v]));
    const kernel = new EmulatedKernel(cpu, new HandlerRegistry(ALL_HANDLERS), stackTop, ports);
    eventsDropped = () => kernel.log.dropped;
    for (const mod of loader.modules) kernel.mapModule(mod);
    kernel.hookExports(kernelModule, 'ntoskrnl');
    kernel.hookExports(halModule, 'hal');
    if (opts.trace) {
      tracer = new Tracer(cpu, kernel.log, opts.trace, opts.traceLimit ?? DEFAULT_TRACE_LIMIT);
      if (tracer.start())
        report.trace = {
          unit: opts.trace,
          limit: opts.traceLimit ?? DEFAULT_TRACE_LIMIT,
          truncated: false,
          entries: [],
        };
    }
    const systemLog = new SystemLog();
    const states = new Map<string, ServiceState>();
    const failedDrivers: string[] = [];

    // SYSVER on the STOP screen is NtBuildNumber, the kernel's data export (0xF0000000 | build).
    const ntBuildNumber = kernel.ctx.systemRoutine('NtBuildNumber');
    const buildNumber = ntBuildNumber === null ? null : cpu.readU32(ntBuildNumber);
    const moduleAt = (address: number): string | null =>
      loader.modules.find((x) => address >= x.base && address < x.base + x.size)?.baseName ?? null;
    const stopWith = (code: number, params: number[], module: string | null, instruction: string | null) => {
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
          modules: loader.modules.map((x) => ({
            name: x.baseName.toLowerCase(),
            base: x.base,
            date: x.image.headers.fileHeader.timeDateStamp.toString(16).padStart(8, '0'),
          })),
          ...(buildNumber !== null ? { sysver: buildNumber } : {}),
        }),
      };
      note('bugcheck', `${bugcheckName(code)} (${params.map((p) => formatStatus(p)).join(', ')})`);
    };
    /** Runs a guest routine; returns its EAX, or null after a bugcheck (the boot is over). */
    const callGuest = (routine: string, address: number, args: number[]): number | null => {
      const firstEvent = kernel.log.events.length;
      const { run, eax } = kernel.call(address, args, budget);
      const events = kernel.log.events.slice(firstEvent);
      for (const e of events) {
        if (e.type === 'trace') traced.push({ routine, event: e });
        if (e.type === 'trace-truncated' && report.trace) report.trace.truncated = true;
      }
      for (const e of events)
        if (e.type === 'unimplemented-routine')
          report.unimplemented.push({ routine: `${e.module}!${e.name}`, caller: e.caller });
      const bug = events.find((e) => e.type === 'bugcheck');
      if (bug && bug.type === 'bugcheck') {
        stopWith(bug.code, bug.parameters, moduleAt(bug.caller), null);
        return null;
      }
      if (run.kind === 'returned') return eax;
      if (run.kind === 'fault') {
        // An exception in kernel-mode code nobody handles: KMODE_EXCEPTION_NOT_HANDLED with
        // STATUS_ACCESS_VIOLATION (or illegal instruction), the faulting pc and address (model of
        // parameter 3/4 as NT 4 documents them).
        const code = run.fault === 'invalid-instruction' ? 0xc000001d : 0xc0000005;
        stopWith(0x1e, [code, run.pc, run.access === 'write' ? 1 : 0, run.address], moduleAt(run.pc), null);
        faultPc = run.pc;
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
      note('guest', `${routine} ${problem}`);
      return -1;
    };

    // The boot processor runs from here on.
    report.machine.processorsStarted = 1;
    report.machine.activeProcessors = 1;
    if (kernelModule.entryPoint === null) {
      note('kernel', 'the kernel image has no entry point; phase 0 skipped (model)');
    } else {
      note('kernel', 'KiSystemStartup on processor 0 (HalInitSystem phase 0 and 1)');
      if (callGuest('KiSystemStartup', kernelModule.entryPoint, [0]) === null) return;
    }
    const buildType = processors.buildType();
    // Processors: a UP kernel starts one whatever the machine has (nt351-facts.md); an MP kernel
    // starts what the HAL starts. Each further processor runs the kernel's start-up on its own PCR.
    const started =
      kernelIsUp || (buildType & BuildType.UP_FREE) !== 0
        ? 1
        : hal!.variant.processorsToStart(present, hal!.profile.maxProcessors);
    if (started < present)
      note(
        'hal',
        `${present} processors present, ${started} started (${kernelIsUp ? 'uniprocessor kernel' : hal!.profile.name})`,
      );
    for (let n = 1; n < started && kernelModule.entryPoint !== null; n++) {
      processors.start(n);
      processors.switchTo(n);
      note('hal', `HalStartNextProcessor: processor ${n} runs KiSystemStartup`);
      const r = callGuest(`KiSystemStartup (processor ${n})`, kernelModule.entryPoint, [0]);
      processors.switchTo(0);
      if (r === null) return;
    }
    report.machine.processorsStarted = started;
    report.machine.activeProcessors = started >= 32 ? 0xffffffff : (2 ** started - 1) >>> 0;
    const keNumberProcessors = kernel.ctx.systemRoutine('KeNumberProcessors');
    if (keNumberProcessors !== null) cpu.writeU8(keNumberProcessors, started);

    // --- 3. I/O manager: boot drivers' DriverEntry, then system-start drivers ----------------------
    const stateFor = (s: ServiceConfig): ServiceState => serviceState(states, s);
    /** ErrorControl severe (2) or critical (3): NT would restart with LastKnownGood; not modelled. */
    const lastKnownGood = (s: ServiceConfig) =>
      note(
        'io',
        `${s.name} failed with ErrorControl ${s.errorControl === 2 ? 'severe' : 'critical'}: NT would restart with LastKnownGood (not modelled; the boot goes on)`,
      );
    /** DriverEntry for a loaded driver; returns its NTSTATUS, or null after a bugcheck. */
    const startDriver = (s: ServiceConfig, mod: LoadedModule): number | null => {
      for (const dep of loader.modules.filter(
        (x) => x.loadedBy === mod.baseName && x.dllInitialize !== null,
      )) {
        const { registryPath } = createDriverObject(kernel, {
          service: dep.baseName.replace(/\.[^.]*$/, ''),
          base: dep.base,
          size: dep.size,
          entryPoint: null,
        });
        if (callGuest(`DllInitialize (${dep.baseName})`, dep.dllInitialize!, [registryPath]) === null)
          return null;
      }
      if (mod.entryPoint === null) return NtStatus.INVALID_IMAGE_FORMAT;
      const { driverObject, registryPath } = createDriverObject(kernel, {
        service: s.name,
        base: mod.base,
        size: mod.size,
        entryPoint: mod.entryPoint,
      });
      const r = callGuest(`DriverEntry (${s.name})`, mod.entryPoint, [driverObject, registryPath]);
      return r === null ? null : r >>> 0;
    };
    const raiseFor = (failure: LoadFailure) => {
      const miss = failure.misses.find((x) => x.status === failure.status) ?? failure.misses[0];
      const params = miss ? snapFailureParameters(failure.status, failure.ntPath, miss.module, miss) : null;
      const popup = params ? hardError(failure.status, params) : null;
      if (popup) {
        report.hardErrors.push(popup);
        note('hard-error', `${popup.caption}: ${popup.text}`);
      }
    };
    /** MmLoadSystemImage + DriverEntry, as IopLoadDriver does for system-start drivers and NtLoadDriver. */
    const loadAndStart = (s: ServiceConfig, by: string): number | null => {
      const st = stateFor(s);
      if (st.state === 'running') return NtStatus.IMAGE_ALREADY_LOADED;
      const file = fileAt(imagePathOf(s));
      let status: number | null;
      if (!file) {
        status = NtStatus.OBJECT_NAME_NOT_FOUND;
        note('io', `${s.name}: ${imagePathOf(s)} not found (${statusName(status)})`);
      } else {
        const r = loader.loadSystemImage(file, source);
        if (!r.ok) {
          note('io', `${s.name}: ${r.ntPath} failed to load: ${statusName(r.status)}`);
          raiseFor(r);
          status = r.status;
        } else {
          report.modules.push(moduleEntry(r.module, by));
          for (const dep of r.dependencies) report.modules.push(moduleEntry(dep, r.module.baseName));
          for (const mod of [r.module, ...r.dependencies]) kernel.mapModule(mod);
          note('io', `${s.name}: ${r.module.ntPath} loaded at 0x${r.module.base.toString(16)}`);
          status = startDriver(s, r.module);
          if (status === null) return null;
          note('io', `${s.name}: DriverEntry returned ${formatStatus(status)}`);
        }
      }
      st.status = status;
      if ((status | 0) >= 0) {
        st.state = 'running';
        st.startedBy = by === 'io-manager' ? 'io-manager' : 'service';
      } else {
        st.state = 'stopped';
      }
      return status;
    };

    for (const [i, s] of bootDrivers.entries()) {
      const mod = (loaded[2 + i] as { module: LoadedModule }).module;
      const st = stateFor(s);
      const status = startDriver(s, mod);
      if (status === null) return;
      st.status = status;
      st.state = (status | 0) >= 0 ? 'running' : 'stopped';
      st.startedBy = 'boot-loader';
      note('io', `boot driver ${s.name}: DriverEntry returned ${formatStatus(status)}`);
      if ((status | 0) < 0 && s.errorControl >= 1) failedDrivers.push(s.name);
      if ((status | 0) < 0 && s.errorControl >= 2) lastKnownGood(s);
    }
    // Model: with boot file system drivers listed but none started, the system cannot mount its
    // boot volume: INACCESSIBLE_BOOT_DEVICE (parameter 1 would be the ARC boot device name's address).
    const bootFs = bootDrivers.filter((s) => s.group?.toLowerCase() === 'boot file system');
    if (bootFs.length > 0 && !bootFs.some((s) => stateFor(s).state === 'running')) {
      stopWith(0x7b, [0, 0, 0, 0], null, null);
      return;
    }
    for (const s of inGroupOrder(services.filter((x) => isDriver(x) && x.start === 1))) {
      const status = loadAndStart(s, 'io-manager');
      if (status === null) return;
      if ((status | 0) < 0 && s.errorControl >= 1) failedDrivers.push(s.name);
      if ((status | 0) < 0 && s.errorControl >= 2) lastKnownGood(s);
    }

    // --- 4. Service Control Manager --------------------------------------------------------------
    const byName = new Map(services.map((s) => [s.name.toLowerCase(), s]));
    let bugchecked = false;
    report.services = runServiceControlManager(services, states, failedDrivers, {
      log: systemLog,
      note,
      loadDriver: (name) => {
        const s = byName.get(name.toLowerCase());
        if (!s) return NtStatus.OBJECT_NAME_NOT_FOUND;
        if (bugchecked) return NtStatus.OBJECT_NAME_NOT_FOUND;
        const r = loadAndStart(s, 'NtLoadDriver');
        if (r === null) bugchecked = true;
        return r ?? NtStatus.OBJECT_NAME_NOT_FOUND;
      },
      openDevice: (path) => (kernel.objects.lookup(path) ? NtStatus.SUCCESS : NtStatus.OBJECT_NAME_NOT_FOUND),
    });
    report.events = systemLog.events;
    // The EventLog service's file, in the overlay: NT keeps the System log in SysEvent.Evt.
    set.write(SYSEVENT_PATH, writeEvtFile(toEvtRecords(systemLog.events)));
    report.overlay.push(set.actualPath(SYSEVENT_PATH)!);
    if (report.outcome !== 'bugcheck')
      report.outcome =
        report.hardErrors.length > 0 ||
        report.events.some((e) => e.type === 'error') ||
        report.guestProblems.length > 0
          ? 'errors'
          : 'clean';
  }
}
