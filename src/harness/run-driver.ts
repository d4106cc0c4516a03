// `run-driver`: a sandbox run of one driver against an NT kernel (Speakeasy-style). Loads the kernel,
// HAL and driver with NT's loader rules, calls DllInitialize of the dependencies it pulled in,
// DriverEntry, each dispatch routine with a well-formed IRP, then DriverUnload, and reports
// everything as data (human output is rendered from the same object).
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { disassembleAt } from '../cpu/disasm.js';
import type { RunResult, X86Reg } from '../cpu/engine.js';
import { UnicornX86 } from '../cpu/unicorn.js';
import { setupNtX86 } from '../cpu/x86-setup.js';
import { type FileProvider, type KernelVersion, NT351_VERSION } from '../kernel/context.js';
import type { KernelEvent, UnimplementedPolicy } from '../kernel/events.js';
import { ALL_HANDLERS } from '../kernel/exports/index.js';
import { RegistryModel, seedServiceKey } from '../kernel/hive.js';
import { createDriverObject, kernelUnicodeString, servicesKey } from '../kernel/io-manager.js';
import { EmulatedKernel } from '../kernel/kernel.js';
import { buildLoadedModuleList } from '../kernel/loaded-modules.js';
import {
  DEVICE_OBJECT,
  DRIVER_EXTENSION,
  DRIVER_OBJECT,
  IO_STACK_LOCATION,
  IO_TYPE_IRP,
  IRP,
  IRP_MJ,
  IRP_MJ_NAMES,
  IRP_MN,
} from '../kernel/objects.js';
import { attachedTop, createPhysicalDevice } from '../kernel/pnp.js';
import { type ExportHandler, HandlerRegistry } from '../kernel/registry.js';
import { importedNames, moduleOfDll, syntheticImage } from '../kernel/synthetic.js';
import { DEFAULT_TRACE_LIMIT, Tracer, type TraceUnit } from '../kernel/trace.js';
import { formatStatus, statusName } from '../loader/status.js';
import type { ImportMiss, ModuleFile, ModuleSource } from '../loader/system-loader.js';
import { SystemLoader } from '../loader/system-loader.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The default kernel: NT 3.51 SP5 uniprocessor and the standard PC HAL (fixtures). */
export const DEFAULT_KERNEL = join(ROOT, 'fixtures/bin/nt351/sp5/ntoskrnl.exe');
export const DEFAULT_HAL = join(ROOT, 'fixtures/bin/nt351/common/hal.dll');

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
      instruction: string | null;
      registers: Record<X86Reg, number>;
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
    | { ok: true; modules: { name: string; base: number; size: number; loadedBy: string }[] }
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

/**
 * Finds a file by name, case-insensitively, in `dirs` (first match wins). With `links` false, an
 * entry that is a symbolic link is not a match (the image set's own folders: a link could lead out).
 */
function findIn(dirs: string[], name: string, links = true): string | null {
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    const hit = readdirSync(dir, { withFileTypes: true }).find(
      (f) => f.name.toLowerCase() === name.toLowerCase() && (links || !f.isSymbolicLink()),
    );
    if (hit) return join(dir, hit.name);
  }
  return null;
}

const fileOf = (path: string, ntDir: string): ModuleFile => ({
  baseName: basename(path),
  ntPath: `\\SystemRoot\\${ntDir}\\${basename(path).toLowerCase()}`,
  bytes: new Uint8Array(readFileSync(path)),
});

/**
 * The image set's files as NT paths see them: `\SystemRoot\…` is its WINNT35 directory and
 * `\??\C:\…` (or `\DosDevices\C:\…`) its root, each component matched case-insensitively as
 * NTFS and FAT do. Reads only; anything outside the set is not found.
 */
export function imagesetFiles(root: string): FileProvider {
  return {
    read(ntPath) {
      const m = /^\\(?:SystemRoot((?:\\.*)?)|(?:\?\?|DosDevices)\\C:((?:\\.*)?))$/i.exec(ntPath);
      if (!m) return null;
      const rest = (m[1] ?? m[2] ?? '').split('\\').filter((p) => p.length > 0);
      if (rest.some((p) => p === '.' || p === '..')) return null;
      // Each component is looked up without following symbolic links (readdir's entry types are
      // lstat's), and the file itself must be a regular file: nothing outside the set is reachable.
      let at = m[1] !== undefined ? findIn([root], 'WINNT35', false) : root;
      for (const part of rest) {
        if (at === null || (at !== root && !lstatSync(at).isDirectory())) return null;
        at = findIn([at], part, false);
      }
      if (at === null || !lstatSync(at).isFile()) return null;
      return new Uint8Array(readFileSync(at));
    },
  };
}

/** What version queries answer for the kernel in use (the registry kernel stands in for Windows 2000). */
function versionOf(kind: 'image' | 'registry', fileVersion: string | null): KernelVersion {
  if (kind === 'registry') return { major: 5, minor: 0, build: 2195, wdm: [1, 0x10] };
  const v = /^(\d+)\.(\d+)\.(\d+)/.exec(fileVersion ?? '');
  return v ? { major: Number(v[1]), minor: Number(v[2]), build: Number(v[3]), wdm: [0, 0] } : NT351_VERSION;
}

const REGS: X86Reg[] = ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp', 'eip', 'eflags'];

export async function runDriver(opts: RunDriverOptions): Promise<RunDriverReport> {
  const registry = new HandlerRegistry(opts.handlers ?? ALL_HANDLERS);
  const driverPath = opts.driver;
  const driverName = basename(driverPath);
  const serviceName = driverName.replace(/\.[^.]*$/, '');

  // Where the kernel, the HAL and dependencies come from.
  let kernelFile: ModuleFile;
  let halFile: ModuleFile;
  let searchDirs: string[];
  /** With --imageset: its System32 and drivers folders, searched first and without following links. */
  let setDirs: string[] = [];
  let kernelKind: 'image' | 'registry' = 'image';
  /** With `kernel: 'registry'`: synthetic images of the DLLs the driver imports that are not on disk. */
  const syntheticFiles = new Map<string, { module: string; file: ModuleFile }>();
  if (opts.imageset) {
    // The set's own folders and files are never symbolic links (as ImageSet sees a set).
    const sys32 =
      findIn([join(opts.imageset, 'WINNT35')], 'SYSTEM32', false) ??
      join(opts.imageset, 'WINNT35', 'SYSTEM32');
    const drivers = findIn([sys32], 'DRIVERS', false) ?? join(sys32, 'DRIVERS');
    setDirs = [sys32, drivers];
    searchDirs = [dirname(driverPath)];
    kernelFile = fileOf(findIn([sys32], 'ntoskrnl.exe', false) ?? join(sys32, 'NTOSKRNL.EXE'), 'System32');
    halFile = fileOf(findIn([sys32], 'hal.dll', false) ?? join(sys32, 'HAL.DLL'), 'System32');
  } else if (opts.kernel === 'registry') {
    kernelKind = 'registry';
    // Call-time misses: every name the driver (or a dependency beside it) imports resolves, to a
    // handler or to a stub whose call is reported when it happens; DLLs not found are synthetic too.
    const byModule = (m: string) => registry.all().filter((h) => h.module === m);
    searchDirs = [dirname(driverPath)];
    const wanted = new Map<string, string[]>();
    const visit = (bytes: Uint8Array, depth: number) => {
      for (const [dll, names] of importedNames(bytes)) {
        const known = wanted.get(dll);
        wanted.set(dll, [...(known ?? []), ...names]);
        const onDisk =
          moduleOfDll(dll) === 'ntoskrnl' || moduleOfDll(dll) === 'hal' ? null : findIn(searchDirs, dll);
        if (!known && onDisk && depth < 8) visit(new Uint8Array(readFileSync(onDisk)), depth + 1);
      }
    };
    visit(new Uint8Array(readFileSync(driverPath)), 0);
    const missingOf = (m: string) =>
      [...wanted].filter(([dll]) => moduleOfDll(dll) === m).flatMap(([, n]) => n);
    kernelFile = {
      baseName: 'NTOSKRNL.EXE',
      ntPath: '\\SystemRoot\\System32\\ntoskrnl.exe',
      bytes: syntheticImage('ntoskrnl.exe', byModule('ntoskrnl'), 0x80100000, missingOf('ntoskrnl')),
    };
    halFile = {
      baseName: 'HAL.DLL',
      ntPath: '\\SystemRoot\\System32\\hal.dll',
      bytes: syntheticImage('hal.dll', byModule('hal'), 0x80400000, missingOf('hal')),
    };
    for (const dll of wanted.keys()) {
      const m = moduleOfDll(dll);
      if (m === 'ntoskrnl' || m === 'hal' || findIn(searchDirs, dll)) continue;
      syntheticFiles.set(dll, {
        module: m,
        file: {
          baseName: dll.toUpperCase(),
          ntPath: `\\SystemRoot\\System32\\drivers\\${dll}`,
          bytes: syntheticImage(dll, byModule(m), 0x80600000 + 0x100000 * syntheticFiles.size, missingOf(m)),
        },
      });
    }
  } else {
    const kernelPath = opts.kernel ?? DEFAULT_KERNEL;
    const halPath =
      opts.hal ?? (opts.kernel ? (findIn([dirname(kernelPath)], 'hal.dll') ?? DEFAULT_HAL) : DEFAULT_HAL);
    kernelFile = { ...fileOf(kernelPath, 'System32'), baseName: 'NTOSKRNL.EXE' };
    halFile = { ...fileOf(halPath, 'System32'), baseName: 'HAL.DLL' };
    searchDirs = [dirname(driverPath), dirname(kernelPath)];
  }
  const driverFile = fileOf(driverPath, 'System32\\drivers');
  const source: ModuleSource = {
    findDependency(name) {
      if (name.toLowerCase() === 'ntoskrnl.exe') return kernelFile;
      if (name.toLowerCase() === 'hal.dll') return halFile;
      const synthetic = syntheticFiles.get(name.toLowerCase());
      if (synthetic) return synthetic.file;
      const p = findIn(setDirs, name, false) ?? findIn(searchDirs, name);
      return p ? fileOf(p, /drivers/i.test(p) ? 'System32\\drivers' : 'System32') : null;
    },
  };

  const report: RunDriverReport = {
    driver: { file: driverPath, ntPath: driverFile.ntPath, base: null, size: null, entryPoint: null },
    kernel: {
      kind: kernelKind,
      file: kernelKind === 'registry' ? null : kernelFile.ntPath,
      hal: kernelKind === 'registry' ? null : halFile.ntPath,
      version: null,
      note:
        kernelKind === 'registry'
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

  const loader = new SystemLoader();
  const boot = loader.loadBootImages(
    [
      { file: kernelFile, role: 'kernel' },
      { file: halFile, role: 'hal' },
    ],
    source,
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
  const load = bootFailure ?? loader.loadSystemImage(driverFile, source);
  if (!load.ok) {
    report.load = {
      ok: false,
      status: formatStatus(load.status),
      statusName: load.statusName,
      reason: load.reason,
      misses: load.misses.map((m) => ({ ...m, status: formatStatus(m.status) })),
    };
    report.outcome = 'load-failed';
    return report;
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
    })),
  };

  const cpu = UnicornX86.acquire();
  try {
    const { stackTop, prcb } = setupNtX86(cpu, { number: 0 });
    const kernel = new EmulatedKernel(cpu, registry, stackTop);
    for (const m of loader.modules) kernel.mapModule(m);
    kernel.hookExports(loader.modules[0]!, 'ntoskrnl');
    kernel.hookExports(loader.modules[1]!, 'hal');
    for (const m of loader.modules) {
      const synthetic = syntheticFiles.get(m.baseName.toLowerCase());
      if (synthetic) kernel.hookExports(m, synthetic.module);
    }
    kernel.onUnimplemented = opts.onUnimplemented ?? (kernelKind === 'registry' ? 'stop' : 'fail');
    kernel.enterSystemThread(prcb);
    kernel.ctx.version = versionOf(kernelKind, report.kernel.version);
    // Model: the configuration registry holds the driver's services key and nothing else.
    kernel.ctx.registry = new RegistryModel();
    seedServiceKey(kernel.ctx.registry, servicesKey(serviceName), driverFile.ntPath);
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
    const tracer = opts.trace
      ? new Tracer(cpu, kernel.log, opts.trace, opts.traceLimit ?? DEFAULT_TRACE_LIMIT)
      : null;
    tracer?.start();
    const budget = {
      maxInstructions: opts.maxInstructions ?? 10_000_000,
      maxMillis: opts.maxMillis ?? 5_000,
    };

    const call = async (
      routine: string,
      address: number,
      args: number[],
      returnsStatus: boolean,
    ): Promise<CallReport> => {
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
    const goesOn = (r: CallReport) =>
      r.outcome.kind === 'returned' ||
      (r.outcome.kind === 'stopped' && r.outcome.reason.startsWith('unimplemented routine '));
    // DllInitialize for dependencies the driver pulled in (NT calls it with the dependency's key).
    for (const dep of load.dependencies) {
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
    const D = DRIVER_OBJECT;
    kernel.mem.setU32(driverObject + D.DriverSection, moduleList.entries.get(driver.base) ?? 0);
    const invalidRequest = 0;

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

    // WDM drivers (model of the PnP manager): AddDevice with a PDO of the kernel's bus driver, then
    // IRP_MN_START_DEVICE before any other request, and IRP_MN_REMOVE_DEVICE after the last.
    const addDevice = kernel.mem.u32(
      kernel.mem.u32(driverObject + D.DriverExtension) + DRIVER_EXTENSION.AddDevice,
    );
    let device = kernel.mem.u32(driverObject + D.DeviceObject);
    if (addDevice) {
      const pdo = createPhysicalDevice(kernel);
      const added = await call('AddDevice', addDevice, [driverObject, pdo], true);
      if (!goesOn(added)) return finish(report, kernel);
      if (added.outcome.kind === 'returned' && (added.outcome.eax | 0) < 0) {
        report.outcome = 'driver-entry-failed';
        return finish(report, kernel);
      }
      device = attachedTop(kernel, pdo);
    }
    // Dispatch routines with well-formed IRPs: create, each IOCTL, read, write, cleanup, close.
    const plan: { mj: number; minor?: number; ioctl?: number; name?: string }[] = [
      ...(addDevice
        ? [{ mj: IRP_MJ.PNP, minor: IRP_MN.START_DEVICE, name: 'IRP_MJ_PNP IRP_MN_START_DEVICE' }]
        : []),
      ...(addDevice
        ? [{ mj: IRP_MJ.POWER, minor: IRP_MN.SET_POWER, name: 'IRP_MJ_POWER IRP_MN_SET_POWER D0' }]
        : []),
      { mj: IRP_MJ.CREATE },
      ...(opts.ioctls ?? []).map((ioctl) => ({ mj: IRP_MJ.DEVICE_CONTROL, ioctl })),
      { mj: IRP_MJ.READ },
      { mj: IRP_MJ.WRITE },
      { mj: IRP_MJ.CLEANUP },
      { mj: IRP_MJ.CLOSE },
      ...(addDevice
        ? [{ mj: IRP_MJ.PNP, minor: IRP_MN.REMOVE_DEVICE, name: 'IRP_MJ_PNP IRP_MN_REMOVE_DEVICE' }]
        : []),
    ];
    for (const step of plan) {
      const routine = kernel.mem.u32(driverObject + D.MajorFunction + 4 * step.mj);
      if (routine === invalidRequest) continue;
      const irp = buildIrp(kernel, device, step.mj, step.ioctl, step.minor);
      const name =
        step.name ??
        `${IRP_MJ_NAMES[step.mj]}${step.ioctl !== undefined ? ` 0x${step.ioctl.toString(16).padStart(8, '0')}` : ''}`;
      const r = await call(name, routine, [device, irp], true);
      if (!goesOn(r)) return finish(report, kernel);
      r.irpStatus = formatStatus(kernel.mem.u32(irp + IRP.IoStatusStatus));
      r.irpInformation = kernel.mem.u32(irp + IRP.IoStatusInformation);
    }

    const unload = kernel.mem.u32(driverObject + D.DriverUnload);
    if (unload) await call('DriverUnload', unload, [driverObject], false);
    return finish(report, kernel);
  } finally {
    cpu.close();
  }
}

/**
 * An IRP set up as the I/O manager would for `mj`, with the device's StackSize stack locations and
 * the top one current (as IoCallDriver leaves it for the top driver's dispatch routine).
 */
function buildIrp(kernel: EmulatedKernel, device: number, mj: number, ioctl?: number, minor = 0): number {
  const count = Math.max(1, device ? kernel.mem.u8(device + DEVICE_OBJECT.StackSize) : 1);
  const size = IRP.size + count * IO_STACK_LOCATION.size;
  const irp = kernel.pool.allocate(size, 0, 'nt35', 'kernel')!;
  const buffer = kernel.pool.allocate(0x200, 0, 'nt35', 'kernel')!;
  const stack = irp + IRP.size + (count - 1) * IO_STACK_LOCATION.size;
  kernel.mem.setU16(irp + IRP.Type, IO_TYPE_IRP);
  kernel.mem.setU16(irp + IRP.Size, size);
  kernel.mem.write(irp + IRP.StackCount, new Uint8Array([count, count]));
  kernel.mem.setU32(irp + IRP.SystemBuffer, buffer);
  kernel.mem.setU32(irp + IRP.UserBuffer, buffer);
  kernel.mem.setU32(irp + IRP.CurrentStackLocation, stack);
  kernel.mem.write(stack + IO_STACK_LOCATION.MajorFunction, new Uint8Array([mj, minor]));
  kernel.mem.setU32(stack + IO_STACK_LOCATION.DeviceObject, device);
  const P = stack + IO_STACK_LOCATION.Parameters;
  if (mj === IRP_MJ.DEVICE_CONTROL) {
    kernel.mem.setU32(P, 0x200); // OutputBufferLength
    kernel.mem.setU32(P + 4, 0x200); // InputBufferLength
    kernel.mem.setU32(P + 8, ioctl ?? 0); // IoControlCode
    kernel.mem.setU32(P + 12, buffer); // Type3InputBuffer
  } else if (mj === IRP_MJ.READ || mj === IRP_MJ.WRITE) {
    kernel.mem.setU32(P, 0x200); // Length
  } else if (mj === IRP_MJ.POWER) {
    kernel.mem.setU32(P + 4, 1); // Parameters.Power.Type = DevicePowerState
    kernel.mem.setU32(P + 8, 1); // Parameters.Power.State = PowerDeviceD0
  }
  return irp;
}

async function describe(run: RunResult, cpu: UnicornX86, kernel: EmulatedKernel): Promise<CallOutcome> {
  switch (run.kind) {
    case 'returned':
      return { kind: 'returned', eax: cpu.reg('eax') };
    case 'budget':
      return {
        kind: 'budget',
        which: run.which,
        pc: run.pc,
        instruction: (await disassembleAt(cpu, run.pc))[0]?.text ?? null,
      };
    case 'stopped':
      return { kind: 'stopped', reason: run.reason, pc: run.pc };
    case 'host-error':
      return { kind: 'host-error', message: run.error.message, stack: run.error.stack ?? null };
    case 'fault': {
      // Null when the PC itself is not readable (a jump into unmapped memory).
      const instruction = (await disassembleAt(cpu, run.pc))[0]?.text ?? null;
      const registers = Object.fromEntries(REGS.map((r) => [r, cpu.reg(r)])) as Record<X86Reg, number>;
      const block = kernel.pool.blockAt(run.address);
      return {
        kind: 'fault',
        fault: run.fault,
        access: run.access,
        address: run.address,
        pc: run.pc,
        instruction,
        registers,
        pool: block ? { block: block.address, size: block.size, tag: block.tag, freed: block.freed } : null,
      };
    }
  }
}

function finish(report: RunDriverReport, kernel: EmulatedKernel): RunDriverReport {
  report.events = kernel.log.events;
  report.droppedApiCalls = kernel.droppedApiCalls;
  if (kernel.log.dropped > 0) report.droppedEvents = kernel.log.dropped;
  for (const { name, object } of kernel.objects.list()) {
    if (object.kind === 'device') report.devices.push({ name, address: object.address });
    if (object.kind === 'symlink') report.symbolicLinks.push({ link: name, target: object.target ?? '' });
  }
  // Leaks are the driver's own blocks; kernel objects made for it (devices, IRPs) are reported apart.
  report.poolLeaks = kernel.pool
    .live('driver')
    .map((b) => ({ address: b.address, size: b.size, tag: b.tag }));
  const last = report.calls[report.calls.length - 1]?.outcome;
  const isMiss = (o: CallOutcome | undefined) =>
    o?.kind === 'stopped' && o.reason.startsWith('unimplemented routine ');
  const stoppedAtMiss = report.calls.some((c) => isMiss(c.outcome));
  if (report.events.some((e) => e.type === 'bugcheck')) report.outcome = 'bugcheck';
  else if (last?.kind === 'fault') report.outcome = 'fault';
  else if (last?.kind === 'budget') report.outcome = 'budget';
  else if (last?.kind === 'host-error') report.outcome = 'host-error';
  else if (last?.kind === 'stopped' && !isMiss(last))
    report.outcome = 'fault'; // a guest fault inside a handler
  else if (stoppedAtMiss) report.outcome = 'unimplemented';
  return report;
}
