// Phase 4, the Service Control Manager: auto-start services in group order (loading drivers through
// NtLoadDriver), the System-log events it writes (2508 from Server, 7023 and 7026 from the SCM) and
// drivers' error-log packets, the EventLog service's SysEvent.Evt in the overlay, and the boot's outcome.
import { runServiceControlManager, SystemLog, toEvtRecords, writeEvtFile } from '../kernel/index.js';
import { NtStatus } from '../loader/index.js';
import type { BootKernel } from './boot-kernel.js';
import type { BootContext } from './context.js';
import type { IoManager } from './io-init.js';
import { SYSEVENT_PATH } from './report.js';

/** Runs the SCM and closes the report: events, the event-log file, the outcome. */
export function startServices(ctx: BootContext, bk: BootKernel, io: IoManager): void {
  const { report } = ctx;
  const services = ctx.config.services;
  const systemLog = new SystemLog();
  const byName = new Map(services.map((s) => [s.name.toLowerCase(), s]));
  let bugchecked = false;
  // Drivers' IoWriteErrorLogEntry packets go to the System log (queued until the EventLog service starts).
  let fed = 0;
  const feedErrorLog = () => {
    const events = bk.kernel.log.events;
    for (; fed < events.length; fed++) {
      const e = events[fed]!;
      if (e.type === 'io-error-log') systemLog.addIoError(e);
    }
  };
  feedErrorLog();
  report.services = runServiceControlManager(services, io.states, io.failedDrivers, {
    log: systemLog,
    note: (step, detail) => ctx.note(step, detail),
    loadDriver: (name) => {
      const s = byName.get(name.toLowerCase());
      if (!s) return NtStatus.OBJECT_NAME_NOT_FOUND;
      if (bugchecked) return NtStatus.OBJECT_NAME_NOT_FOUND;
      const r = io.loadAndStart(s, 'NtLoadDriver');
      feedErrorLog();
      if (r === null) bugchecked = true;
      return r ?? NtStatus.OBJECT_NAME_NOT_FOUND;
    },
    openDevice: (path) =>
      bk.kernel.objects.lookup(path) ? NtStatus.SUCCESS : NtStatus.OBJECT_NAME_NOT_FOUND,
  });
  report.events = systemLog.events;
  // The EventLog service's file, in the overlay: NT keeps the System log in SysEvent.Evt.
  const records = toEvtRecords(systemLog.events);
  ctx.set.write(SYSEVENT_PATH, () => writeEvtFile(records));
  report.overlay.push(ctx.set.actualPath(SYSEVENT_PATH)!);
  if (report.outcome !== 'bugcheck')
    report.outcome =
      report.hardErrors.length > 0 ||
      report.events.some((e) => e.type === 'error') ||
      report.guestProblems.length > 0
        ? 'errors'
        : 'clean';
}
