// Phase 2, kernel initialisation: KiSystemStartup (phase 0 and 1) on the boot processor, where the
// HAL's HalInitSystem checks the kernel's build type (MISMATCHED_HAL), then the further processors the
// HAL starts (none for a uniprocessor kernel), each running the kernel's start-up on its own PCR.
import { BuildType } from '../hal/index.js';
import type { BootKernel } from './boot-kernel.js';
import type { BootContext } from './context.js';
import type { LoadedSystem } from './os-loader.js';

/** Runs kernel initialisation on every processor that starts; false when it bugchecked. */
export function initializeKernel(ctx: BootContext, sys: LoadedSystem, bk: BootKernel): boolean {
  const { report } = ctx;
  const { hal, present } = ctx.machine;
  const entry = sys.kernel.entryPoint;
  report.machine.processorsStarted = 1;
  report.machine.activeProcessors = 1;
  if (entry === null) {
    ctx.note('kernel', 'the kernel image has no entry point; phase 0 skipped (model)');
  } else {
    ctx.note('kernel', 'KiSystemStartup on processor 0 (HalInitSystem phase 0 and 1)');
    if (bk.callGuest('KiSystemStartup', entry, [0]) === null) return false;
  }
  const buildType = bk.processors.buildType();
  // Processors: a UP kernel starts one whatever the machine has (nt351-facts.md); an MP kernel
  // starts what the HAL starts.
  const started =
    sys.kernelIsUp || (buildType & BuildType.UP_FREE) !== 0
      ? 1
      : hal.variant.processorsToStart(present, hal.profile.maxProcessors);
  if (started < present)
    ctx.note(
      'hal',
      `${present} processors present, ${started} started (${sys.kernelIsUp ? 'uniprocessor kernel' : hal.profile.name})`,
    );
  for (let n = 1; n < started && entry !== null; n++) {
    bk.processors.start(n);
    bk.processors.switchTo(n);
    ctx.note('hal', `HalStartNextProcessor: processor ${n} runs KiSystemStartup`);
    const r = bk.callGuest(`KiSystemStartup (processor ${n})`, entry, [0]);
    bk.processors.switchTo(0);
    if (r === null) return false;
  }
  report.machine.processorsStarted = started;
  report.machine.activeProcessors = started >= 32 ? 0xffffffff : (2 ** started - 1) >>> 0;
  const keNumberProcessors = bk.kernel.ctx.systemRoutine('KeNumberProcessors');
  if (keNumberProcessors !== null) bk.cpu.writeU8(keNumberProcessors, started);
  return true;
}
