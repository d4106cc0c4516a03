// `run-driver`: a sandbox run of one driver against an NT kernel (Speakeasy-style). Loads the kernel,
// HAL and driver with NT's loader rules, calls DllInitialize of the dependencies it pulled in,
// DriverEntry, each dispatch routine with a well-formed IRP, then DriverUnload, and reports
// everything the driver did as events (src/kernel/events.ts).
import { basename } from 'node:path';
import { createCpu, setupNtX64, setupNtX86, type X64Cpu, type X86Cpu } from '../cpu/index.js';
import {
  ALL_HANDLERS,
  attachedTop,
  buildLoadedModuleList,
  createDriverObject,
  createPhysicalDevice,
  DEFAULT_TRACE_LIMIT,
  EmulatedKernel,
  GuestAccessError,
  HandlerRegistry,
  type KernelVersion,
  kernelUnicodeString,
  NT351_VERSION,
  RegistryModel,
  seedServiceKey,
  servicesKey,
  Tracer,
} from '../kernel/index.js';
import { formatStatus, type LoadedModule, SystemLoader, statusName } from '../loader/index.js';
import { buildIrp, dispatchPlan } from './irp.js';
import { fileOf, imagesetFiles, type KernelFiles, kernelFiles } from './kernel-files.js';
import { describe, finish, isMiss } from './outcome.js';
import type { CallReport, RunDriverOptions, RunDriverReport, SecurityCookieReport } from './report.js';

/** What version queries answer for the kernel in use (the registry kernel stands in for Windows 2000). */
function versionOf(kind: 'image' | 'registry', fileVersion: string | null): KernelVersion {
  if (kind === 'registry') return { major: 5, minor: 0, build: 2195, wdm: [1, 0x10] };
  const v = /^(\d+)\.(\d+)\.(\d+)/.exec(fileVersion ?? '');
  return v ? { major: Number(v[1]), minor: Number(v[2]), build: Number(v[3]), wdm: [0, 0] } : NT351_VERSION;
}

/** The driver loaded with its kernel: what runDriverCode needs; null after a load failure (in the report). */
interface LoadedDriver {
  loader: SystemLoader;
  driver: LoadedModule;
  dependencies: LoadedModule[];
  /** Synthetic images of imported DLLs not on disk (`kernel: 'registry'`). */
  synthetic: KernelFiles['synthetic'];
}

export async function runDriver(opts: RunDriverOptions): Promise<RunDriverReport> {
  const registry = new HandlerRegistry(opts.handlers ?? ALL_HANDLERS);
  const files = kernelFiles(opts, registry);
  const driverFile = fileOf(opts.driver, 'System32\\drivers');
  const report: RunDriverReport = {
    driver: { file: opts.driver, ntPath: driverFile.ntPath, base: null, size: null, entryPoint: null },
    kernel: {
      kind: files.kind,
      file: files.kind === 'registry' ? null : files.kernel.ntPath,
      hal: files.kind === 'registry' ? null : files.hal.ntPath,
      version: null,
      note:
        files.kind === 'registry'
          ? `synthetic kernel and HAL exporting nt351's ${registry.all().length} handlers (not NT 3.51's export set)`
          : 'kernel image given; its export table decides what drivers can import',
    },
    load: { ok: true, modules: [] },
    loadedModuleList: null,
    calls: [],
    events: [],
    droppedApiCalls: 0,
    devices: [],
    symbolicLinks: [],
    poolLeaks: [],
    outcome: 'ok',
  };
  const loaded = loadDriver(report, files, driverFile);
  if (!loaded) return report;
  // The CPU is the kernel's: an AMD64 kernel (the synthetic one built for an AMD64 driver) runs on
  // Unicorn in long mode; the loader has refused drivers of another machine (0xC000007B).
  const cpu = loaded.loader.modules[0]?.image.is64 ? createCpu('amd64') : createCpu('x86');
  try {
    return await runDriverCode(opts, report, registry, loaded, cpu);
  } finally {
    cpu.close();
  }
}

/** A module's cookie as the report lists it (nothing for images without one). */
function cookieReport(c: LoadedModule['securityCookie']): { securityCookie?: SecurityCookieReport } {
  if (!c || c.kind === 'none') return {};
  if (c.kind === 'malformed') return { securityCookie: { result: 'malformed', reason: c.reason } };
  return { securityCookie: { result: c.kind, va: c.va, value: `0x${c.value.toString(16)}` } };
}

/** The kernel and HAL, then the driver, with NT's loader rules; null after a failure (in the report). */
function loadDriver(
  report: RunDriverReport,
  files: ReturnType<typeof kernelFiles>,
  driverFile: ReturnType<typeof fileOf>,
): LoadedDriver | null {
  // A modern loader (what the registry kernel models) sets /GS cookies; the virtual clock's performance
  // counter reads 0 at load, so the cookie is its own address (deterministic). The registry kernel
  // resolves imports from user-mode DLLs too (to stubs reported when called), as it does any other.
  const loader = new SystemLoader(
    report.kernel.kind === 'registry' ? { securityCookie: { counter: 0 }, userModeDlls: true } : {},
  );
  const boot = loader.loadBootImages(
    [
      { file: files.kernel, role: 'kernel' },
      { file: files.hal, role: 'hal' },
    ],
    files.source,
  );
  const kernelModule = boot[0]?.ok ? boot[0].module : null;
  if (kernelModule) {
    try {
      const v = kernelModule.image.version();
      report.kernel.version = v ? `${v.fileVersion} ${v.strings.OriginalFilename ?? ''}`.trim() : null;
    } catch {
      report.kernel.version = null;
    }
  }
  const bootFailure = boot.find((r) => !r.ok);
  const load = bootFailure ?? loader.loadSystemImage(driverFile, files.source);
  if (!load.ok) {
    report.load = {
      ok: false,
      status: formatStatus(load.status),
      statusName: load.statusName,
      reason: load.reason,
      misses: load.misses.map((m) => ({ ...m, status: formatStatus(m.status) })),
    };
    report.outcome = 'load-failed';
    return null;
  }
  const driver = load.module;
  report.driver = { ...report.driver, base: driver.base, size: driver.size, entryPoint: driver.entryPoint };
  report.load = {
    ok: true,
    modules: loader.modules.map((m) => ({
      name: m.baseName,
      base: m.base,
      size: m.size,
      loadedBy: m.loadedBy,
      ...cookieReport(m.securityCookie),
    })),
  };
  return { loader, driver, dependencies: load.dependencies, synthetic: files.synthetic };
}

/**
 * The driver's code on the kernel: DllInitialize of its dependencies, DriverEntry, AddDevice for WDM
 * drivers, the dispatch plan, DriverUnload. Each step stops the run when the guest did not return.
 * Long because it is the sandbox's sequence, read top to bottom as NT would run it.
 */
async function runDriverCode(
  opts: RunDriverOptions,
  report: RunDriverReport,
  registry: HandlerRegistry,
  { loader, driver, dependencies, synthetic }: LoadedDriver,
  cpu: X86Cpu | X64Cpu,
): Promise<RunDriverReport> {
  const serviceName = basename(opts.driver).replace(/\.[^.]*$/, '');
  const { stackTop, prcb } =
    cpu.arch === 'amd64' ? setupNtX64(cpu, { number: 0 }) : setupNtX86(cpu, { number: 0 });
  const kernel = new EmulatedKernel(cpu, registry, stackTop);
  for (const m of loader.modules) kernel.mapModule(m);
  kernel.hookExports(loader.modules[0]!, 'ntoskrnl');
  kernel.hookExports(loader.modules[1]!, 'hal');
  for (const m of loader.modules) {
    const made = synthetic.get(m.baseName.toLowerCase());
    if (made) kernel.hookExports(m, made.module);
  }
  kernel.onUnimplemented = opts.onUnimplemented ?? (report.kernel.kind === 'registry' ? 'stop' : 'fail');
  kernel.enterSystemThread(prcb);
  kernel.ctx.version = versionOf(report.kernel.kind, report.kernel.version);
  // Model: the configuration registry holds the driver's services key and nothing else.
  kernel.ctx.registry = new RegistryModel();
  seedServiceKey(kernel.ctx.registry, servicesKey(serviceName), report.driver.ntPath);
  if (opts.imageset) kernel.ctx.files = imagesetFiles(opts.imageset);
  const moduleList = buildLoadedModuleList(
    kernel,
    loader.modules.map((m) => ({
      ntPath: m.ntPath,
      base: m.base,
      size: m.size,
      entryPoint: m.entryPoint,
      checkSum: m.image.headers.optionalHeader.checkSum,
      timeDateStamp: m.image.headers.fileHeader.timeDateStamp,
    })),
  );
  report.loadedModuleList = { head: moduleList.head, exported: moduleList.exported };
  if (cpu.arch === 'amd64') report.addressBase = `0x${cpu.window.toString(16)}`;
  const tracer = opts.trace
    ? new Tracer(cpu, kernel.log, opts.trace, opts.traceLimit ?? DEFAULT_TRACE_LIMIT)
    : null;
  tracer?.start();
  const budget = { maxInstructions: opts.maxInstructions ?? 10_000_000, maxMillis: opts.maxMillis ?? 5_000 };

  const call = async (routine: string, address: number, args: number[], returnsStatus: boolean) => {
    const firstEvent = kernel.log.events.length;
    const { run } = kernel.call(address, args, budget);
    await tracer?.flush();
    const outcome = await describe(run, cpu, kernel);
    const eax = outcome.kind === 'returned' ? outcome.eax : null;
    const entry: CallReport = {
      routine,
      address,
      outcome,
      status: returnsStatus && eax !== null ? formatStatus(eax) : null,
      statusName: returnsStatus && eax !== null ? statusName(eax) : null,
      firstEvent,
      eventCount: kernel.log.events.length - firstEvent,
    };
    report.calls.push(entry);
    return entry;
  };
  /** Whether the run goes on after `r`: it returned, or stopped at an unimplemented routine (--on-unimplemented stop). */
  const goesOn = (r: CallReport) => r.outcome.kind === 'returned' || isMiss(r.outcome);
  // DllInitialize for dependencies the driver pulled in (NT calls it with the dependency's key).
  for (const dep of dependencies) {
    if (dep.dllInitialize === null) continue;
    const path = kernelUnicodeString(kernel, servicesKey(dep.baseName.replace(/\.[^.]*$/, '')));
    const r = await call(`DllInitialize (${dep.baseName})`, dep.dllInitialize, [path], true);
    if (!goesOn(r)) return finish(report, kernel);
  }

  const { driverObject, registryPath } = createDriverObject(kernel, {
    service: serviceName,
    base: driver.base,
    size: driver.size,
    entryPoint: driver.entryPoint,
  });
  const { DRIVER_OBJECT: D, DRIVER_EXTENSION, IRP, pointerSize } = kernel.mem.layouts;
  kernel.mem.setPtr(driverObject + D.DriverSection, moduleList.entries.get(driver.base) ?? 0);
  if (driver.entryPoint === null) {
    report.outcome = 'driver-entry-failed';
    return finish(report, kernel);
  }
  const entry = await call('DriverEntry', driver.entryPoint, [driverObject, registryPath], true);
  if (!goesOn(entry)) return finish(report, kernel);
  if (entry.outcome.kind === 'returned' && (entry.outcome.eax | 0) < 0) {
    report.outcome = 'driver-entry-failed';
    return finish(report, kernel);
  }

  // The I/O manager's own reads of fields the driver wrote (DriverExtension, DeviceObject and its
  // StackSize, AttachedDevice): a wild pointer there faults in the kernel, not in the driver's code.
  const ioManager = (routine: string, read: () => number): number | null => {
    try {
      return read();
    } catch (e) {
      if (!(e instanceof GuestAccessError)) throw e;
      kernelFault(report, kernel, routine, e);
      return null;
    }
  };
  // WDM drivers (model of the PnP manager): AddDevice with a PDO of the kernel's bus driver.
  const addDevice = ioManager('PnP manager: DriverObject->DriverExtension->AddDevice', () =>
    kernel.mem.ptr(kernel.mem.ptr(driverObject + D.DriverExtension) + DRIVER_EXTENSION.AddDevice),
  );
  if (addDevice === null) return finish(report, kernel);
  let device = kernel.mem.ptr(driverObject + D.DeviceObject);
  if (addDevice) {
    const pdo = createPhysicalDevice(kernel);
    const added = await call('AddDevice', addDevice, [driverObject, pdo], true);
    if (!goesOn(added)) return finish(report, kernel);
    if (added.outcome.kind === 'returned' && (added.outcome.eax | 0) < 0) {
      report.outcome = 'driver-entry-failed';
      return finish(report, kernel);
    }
    const top = ioManager("PnP manager: the PDO's AttachedDevice chain", () => attachedTop(kernel.mem, pdo));
    if (top === null) return finish(report, kernel);
    device = top;
  }
  // Dispatch routines with well-formed IRPs; a routine left at 0 is not called.
  for (const step of dispatchPlan(opts.ioctls ?? [], addDevice !== 0)) {
    const routine = kernel.mem.ptr(driverObject + D.MajorFunction + pointerSize * step.mj);
    if (routine === 0) continue;
    const irp = ioManager(`I/O manager: IoAllocateIrp(DeviceObject->StackSize) for ${step.name}`, () =>
      buildIrp(kernel, device, step.mj, step.ioctl, step.minor),
    );
    if (irp === null) return finish(report, kernel);
    const r = await call(step.name, routine, [device, irp], true);
    if (!goesOn(r)) return finish(report, kernel);
    r.irpStatus = formatStatus(kernel.mem.u32(irp + IRP.IoStatusStatus));
    r.irpInformation = kernel.mem.u32(irp + IRP.IoStatusInformation); // low 32 bits of a ULONG_PTR
  }

  const unload = kernel.mem.ptr(driverObject + D.DriverUnload);
  if (unload) await call('DriverUnload', unload, [driverObject], false);
  return finish(report, kernel);
}

/**
 * A kernel-mode read of a wild pointer the driver left in its objects: NT takes the access violation
 * in the I/O manager with no handler, KMODE_EXCEPTION_NOT_HANDLED (0x1E) with STATUS_ACCESS_VIOLATION
 * and the faulting address (as boot-kernel.ts models guest faults). Reported as a call of `routine`.
 */
function kernelFault(
  report: RunDriverReport,
  kernel: EmulatedKernel,
  routine: string,
  e: GuestAccessError,
): void {
  const firstEvent = kernel.log.events.length;
  kernel.log.add({ type: 'bugcheck', code: 0x1e, parameters: [0xc0000005, 0, 0, e.address], caller: 0 });
  report.calls.push({
    routine,
    address: 0,
    outcome: { kind: 'stopped', reason: `guest fault: ${e.message}`, pc: 0 },
    status: null,
    statusName: null,
    firstEvent,
    eventCount: kernel.log.events.length - firstEvent,
  });
}
