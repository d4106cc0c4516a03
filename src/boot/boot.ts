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

/** Boots an image set (a folder or an in-memory ImageSet) and reports what NT 3.51 would have shown. */
export async function boot(input: string | ImageSet, opts: BootOptions = {}): Promise<BootReport> {
  checkBootOptions(opts);
  const set = typeof input === 'string' ? ImageSet.open(input) : input;
  const ctx = new BootContext(set, opts, machineOf(set, opts));
  const sys = runOsLoader(ctx);
  if (!sys) return ctx.report;
  const cpu = createCpu(ctx.report.machine.architecture);
  try {
    const bk = new BootKernel(ctx, sys, cpu);
    const io = new IoManager(ctx, sys, bk);
    if (initializeKernel(ctx, sys, bk) && io.initializeBootDrivers() && io.initializeSystemDrivers())
      startServices(ctx, bk, io);
    await bk.finish();
    return ctx.report;
  } finally {
    cpu.close();
  }
}
