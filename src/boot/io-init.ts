// Phase 3, the I/O manager (IoInitSystem): DllInitialize and DriverEntry of the boot drivers the OS
// loader mapped, the boot file system check, then MmLoadSystemImage + DriverEntry of each
// system-start driver in group order (IopLoadDriver), the same path NtLoadDriver takes for the SCM.
import {
  createDriverObject,
  hardError,
  inGroupOrder,
  type ServiceState,
  serviceState,
} from '../kernel/index.js';
import type { LoadedModule, LoadFailure } from '../loader/index.js';
import { formatStatus, NtStatus, snapFailureParameters, statusName } from '../loader/index.js';
import { type ServiceConfig, UnreadableFileError } from '../system/index.js';
import type { BootKernel } from './boot-kernel.js';
import type { BootContext } from './context.js';
import { imagePathOf, isDriver, type LoadedSystem, moduleEntry } from './os-loader.js';

/** The I/O manager of one boot: driver states and the drivers whose failure the SCM reports. */
export class IoManager {
  /** Service states by lower-case name, shared with the Service Control Manager. */
  readonly states = new Map<string, ServiceState>();
  /** Drivers that failed with ErrorControl normal or higher (the SCM's Event 7026). */
  readonly failedDrivers: string[] = [];
  /** Why NT restarts this boot with the LastKnownGood control set; null while it goes on. */
  revert: string | null = null;

  constructor(
    private readonly ctx: BootContext,
    private readonly sys: LoadedSystem,
    private readonly bk: BootKernel,
  ) {}

  /** IopInitializeBootDrivers, then the boot volume check; false when the boot bugchecked. */
  initializeBootDrivers(): boolean {
    for (const { service: s, module } of this.sys.bootDrivers) {
      const st = this.stateFor(s);
      const status = this.startDriver(s, module);
      if (status === null) return false;
      st.status = status;
      st.state = (status | 0) >= 0 ? 'running' : 'stopped';
      st.startedBy = 'boot-loader';
      this.ctx.note('io', `boot driver ${s.name}: DriverEntry returned ${formatStatus(status)}`);
      if (!this.failed(s, status)) return false;
    }
    // Model: with boot file system drivers listed but none started, the system cannot mount its
    // boot volume: INACCESSIBLE_BOOT_DEVICE (parameter 1 would be the ARC boot device name's address).
    const bootFs = this.sys.bootDrivers.filter(
      ({ service }) => service.group?.toLowerCase() === 'boot file system',
    );
    if (bootFs.length > 0 && !bootFs.some(({ service }) => this.stateFor(service).state === 'running')) {
      this.bk.stopWith(0x7b, [0, 0, 0, 0], null, null);
      return false;
    }
    return true;
  }

  /** IopInitializeSystemDrivers: system-start (Start 1) drivers in group order; false after a bugcheck. */
  initializeSystemDrivers(): boolean {
    const services = this.ctx.config.services;
    for (const s of inGroupOrder(
      services.filter((x) => isDriver(x) && x.start === 1),
      this.ctx.loadOrder,
    )) {
      const status = this.loadAndStart(s, 'io-manager');
      if (status === null || !this.failed(s, status)) return false;
    }
    return true;
  }

  /** MmLoadSystemImage + DriverEntry, as IopLoadDriver does for system-start drivers and NtLoadDriver. */
  loadAndStart(s: ServiceConfig, by: string): number | null {
    const { ctx, sys } = this;
    const st = this.stateFor(s);
    if (st.state === 'running') return NtStatus.IMAGE_ALREADY_LOADED;
    const file = this.readImage(s);
    let status: number | null;
    if (typeof file === 'number') status = file;
    else if (!file) {
      status = NtStatus.OBJECT_NAME_NOT_FOUND;
      ctx.note('io', `${s.name}: ${imagePathOf(s)} not found (${statusName(status)})`);
    } else {
      const r = sys.loader.loadSystemImage(file, sys.source);
      if (!r.ok) {
        ctx.note('io', `${s.name}: ${r.ntPath} failed to load: ${statusName(r.status)}`);
        this.raiseFor(r);
        status = r.status;
      } else {
        ctx.report.modules.push(moduleEntry(r.module, by));
        for (const dep of r.dependencies) ctx.report.modules.push(moduleEntry(dep, r.module.baseName));
        for (const mod of [r.module, ...r.dependencies]) this.bk.kernel.mapModule(mod);
        ctx.note('io', `${s.name}: ${r.module.ntPath} loaded at 0x${r.module.base.toString(16)}`);
        status = this.startDriver(s, r.module);
        if (status === null) return null;
        ctx.note('io', `${s.name}: DriverEntry returned ${formatStatus(status)}`);
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
  }

  /**
   * The driver's image file; a file that exists but cannot be read is the status its load fails
   * with: over nt351's image limit, STATUS_INSUFFICIENT_RESOURCES (what MmLoadSystemImage returns
   * when it cannot get memory for the image); refused by the host, STATUS_ACCESS_DENIED.
   */
  private readImage(s: ServiceConfig): ReturnType<BootContext['fileAt']> | number {
    try {
      return this.ctx.fileAt(imagePathOf(s));
    } catch (e) {
      if (!(e instanceof UnreadableFileError)) throw e;
      const status = e.tooLarge ? NtStatus.INSUFFICIENT_RESOURCES : NtStatus.ACCESS_DENIED;
      this.ctx.note('io', `${s.name}: ${imagePathOf(s)} cannot be read: ${e.reason} (${statusName(status)})`);
      return status;
    }
  }

  private stateFor(s: ServiceConfig): ServiceState {
    return serviceState(this.states, s);
  }

  /**
   * A driver that failed, by its ErrorControl (nt351-facts.md "Services: ErrorControl and
   * LastKnownGood"): normal and above are listed for Event 7026; severe and critical restart the boot
   * with LastKnownGood unless it is already the one starting, where severe goes on and critical stops
   * the system (model: CRITICAL_SERVICE_FAILED, 0x5A, as bugcodes.h names that stop). Returns false
   * when this boot pass ends here.
   */
  private failed(s: ServiceConfig, status: number): boolean {
    if ((status | 0) >= 0) return true;
    if (s.errorControl >= 1) this.failedDrivers.push(s.name);
    if (s.errorControl < 2) return true;
    const level = s.errorControl === 2 ? 'severe' : 'critical';
    const { config } = this.ctx;
    if (!config.controlSet) {
      this.ctx.note(
        'io',
        `${s.name} failed with ErrorControl ${level}: NT would restart with LastKnownGood (the services come from the manifest, which has no LastKnownGood control set; the boot goes on)`,
      );
      return true;
    }
    if (config.controlSet.use !== 'LastKnownGood') {
      this.revert = `${s.name} failed with ErrorControl ${level} (${formatStatus(status)})`;
      this.ctx.note('io', `${this.revert}: NT restarts with the LastKnownGood control set`);
      return false;
    }
    if (level === 'severe') {
      this.ctx.note('io', `${s.name} failed with ErrorControl severe in LastKnownGood: the boot goes on`);
      return true;
    }
    this.ctx.note('io', `${s.name} failed with ErrorControl critical in LastKnownGood: startup fails`);
    this.bk.stopWith(0x5a, [0, 0, 0, 0], null, null);
    return false;
  }

  /** DllInitialize of what the driver pulled in, then DriverEntry; its NTSTATUS, or null after a bugcheck. */
  private startDriver(s: ServiceConfig, mod: LoadedModule): number | null {
    const { kernel } = this.bk;
    for (const dep of this.sys.loader.loadedBy(mod.baseName)) {
      if (dep.dllInitialize === null) continue;
      const { registryPath } = createDriverObject(kernel, {
        service: dep.baseName.replace(/\.[^.]*$/, ''),
        base: dep.base,
        size: dep.size,
        entryPoint: null,
      });
      if (this.bk.callGuest(`DllInitialize (${dep.baseName})`, dep.dllInitialize!, [registryPath]) === null)
        return null;
    }
    if (mod.entryPoint === null) return NtStatus.INVALID_IMAGE_FORMAT;
    const { driverObject, registryPath } = createDriverObject(kernel, {
      service: s.name,
      base: mod.base,
      size: mod.size,
      entryPoint: mod.entryPoint,
    });
    const r = this.bk.callGuest(`DriverEntry (${s.name})`, mod.entryPoint, [driverObject, registryPath]);
    return r === null ? null : r >>> 0;
  }

  /** The hard-error popup NT raises for a driver that failed to load (the seed's "Entry Point Not Found"). */
  private raiseFor(failure: LoadFailure): void {
    const miss = failure.misses.find((x) => x.status === failure.status) ?? failure.misses[0];
    const params = miss ? snapFailureParameters(failure.status, failure.ntPath, miss.module, miss) : null;
    const popup = params ? hardError(failure.status, params) : null;
    if (popup) {
      this.ctx.report.hardErrors.push(popup);
      this.ctx.note('hard-error', `${popup.caption}: ${popup.text}`);
    }
  }
}
