// `nt351 boot`: an NT 3.51 boot of an image set, as docs/boot.md describes it step by step, one file
// per phase in NT's order: the OS loader (os-loader.ts), kernel initialisation with the HAL's check
// and the processors (kernel-init.ts), the I/O manager's drivers (io-init.ts), the Service Control
// Manager (services.ts). Failures become hard errors, System-log events and bugchecks in one report.
import { createCpu } from '../cpu/index.js';
import { ImageSet } from '../system/index.js';
import { BootKernel } from './boot-kernel.js';
import { BootContext, machineOf } from './context.js';
import { IoManager } from './io-init.js';
import { initializeKernel } from './kernel-init.js';
import { checkBootOptions } from './options.js';
import { runOsLoader } from './os-loader.js';
import type { BootOptions, BootReport } from './report.js';
import { startServices } from './services.js';

/**
 * Boots an image set (a folder or an in-memory ImageSet) and reports what NT 3.51 would have shown.
 * A driver failing with ErrorControl severe or critical makes NT restart with the LastKnownGood control
 * set: the report is then the second pass's, with both passes in its timeline.
 */
export async function boot(input: string | ImageSet, opts: BootOptions = {}): Promise<BootReport> {
  checkBootOptions(opts);
  const set = typeof input === 'string' ? ImageSet.open(input) : input;
  const first = await bootPass(set, opts);
  if (first.revert === null) return first.report;
  const second = await bootPass(set, { ...opts, lastKnownGood: true });
  second.report.timeline = [
    ...first.report.timeline,
    { step: 'restart', detail: `${first.revert}: restarting with the LastKnownGood control set` },
    ...second.report.timeline,
  ];
  return second.report;
}

/** One pass of the boot, from the OS loader on; `revert` says why NT would restart it with LastKnownGood. */
async function bootPass(
  set: ImageSet,
  opts: BootOptions,
): Promise<{ report: BootReport; revert: string | null }> {
  const ctx = new BootContext(set, opts, machineOf(set, opts));
  const sys = runOsLoader(ctx);
  if (!sys) return { report: ctx.report, revert: null };
  const cpu = createCpu(ctx.report.machine.architecture);
  try {
    const bk = new BootKernel(ctx, sys, cpu);
    const io = new IoManager(ctx, sys, bk);
    if (initializeKernel(ctx, sys, bk) && io.initializeBootDrivers() && io.initializeSystemDrivers())
      startServices(ctx, bk, io);
    await bk.finish();
    return { report: ctx.report, revert: io.revert };
  } finally {
    cpu.close();
  }
}
