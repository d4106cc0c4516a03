// How a sandbox run's guest calls end up in its report: each engine result described with its
// disassembly, registers and pool block, and the report closed with the kernel's objects, the
// driver's pool leaks and the run's outcome.
import {
  disassembleAt,
  type RunResult,
  X64_GENERAL_REGS,
  type X64Cpu,
  X86_GENERAL_REGS,
  type X86Cpu,
  type X86Reg,
} from '../cpu/index.js';
import type { EmulatedKernel } from '../kernel/index.js';
import type { CallOutcome, RunDriverReport } from './report.js';

const hex64 = (v: bigint) => `0x${v.toString(16).padStart(16, '0')}`;

/** A fault's registers: x86's by number; AMD64's 64-bit ones as hex, with the guest's fault address and pc. */
function faultRegisters(run: Extract<RunResult, { kind: 'fault' }>, cpu: X86Cpu | X64Cpu) {
  if (cpu.arch === 'x86')
    return {
      registers: Object.fromEntries(X86_GENERAL_REGS.map((r) => [r, cpu.reg(r)])) as Record<X86Reg, number>,
    };
  return {
    registers: {},
    ...(run.address64 !== undefined ? { address64: hex64(run.address64) } : {}),
    ...(run.pc64 !== undefined ? { pc64: hex64(run.pc64) } : {}),
    registers64: Object.fromEntries(X64_GENERAL_REGS.map((r) => [r, hex64(cpu.reg(r))])),
  };
}

/** The report's outcome of one guest call. */
export async function describe(
  run: RunResult,
  cpu: X86Cpu | X64Cpu,
  kernel: EmulatedKernel,
): Promise<CallOutcome> {
  switch (run.kind) {
    case 'returned':
      return { kind: 'returned', eax: kernel.abi.result() };
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
      const block = kernel.pool.blockAt(run.address);
      return {
        kind: 'fault',
        fault: run.fault,
        access: run.access,
        address: run.address,
        pc: run.pc,
        ...(run.vector !== undefined ? { vector: run.vector } : {}),
        instruction,
        ...faultRegisters(run, cpu),
        pool: block ? { block: block.address, size: block.size, tag: block.tag, freed: block.freed } : null,
      };
    }
  }
}

/** Completes the report from the kernel's state once the run is over. */
export function finish(report: RunDriverReport, kernel: EmulatedKernel): RunDriverReport {
  report.events = kernel.log.events;
  report.droppedApiCalls = kernel.droppedApiCalls;
  if (kernel.log.dropped > 0) report.droppedEvents = kernel.log.dropped;
  for (const { name, object } of kernel.objects.list()) {
    if (object.kind === 'device') report.devices.push({ name, address: object.address });
    if (object.kind === 'symlink') report.symbolicLinks.push({ link: name, target: object.target ?? '' });
  }
  // Overruns of blocks still allocated: their POOL_HEADERs checked as ExFreePool would (pool-header.ts).
  const reported = new Set(report.events.flatMap((e) => (e.type === 'pool-overrun' ? [e.address] : [])));
  for (const block of kernel.pool.live('driver')) {
    const bad = reported.has(block.address) ? null : kernel.pool.check(block);
    if (bad) {
      const { address, size, tag } = block;
      kernel.log.add({ type: 'pool-overrun', address, size, tag, header: bad.header });
    }
  }
  // Leaks are the driver's own blocks; kernel objects made for it (devices, IRPs) are reported apart.
  report.poolLeaks = kernel.pool
    .live('driver')
    .map((b) => ({ address: b.address, size: b.size, tag: b.tag }));
  const last = report.calls[report.calls.length - 1]?.outcome;
  if (report.events.some((e) => e.type === 'bugcheck')) report.outcome = 'bugcheck';
  else if (last?.kind === 'fault') report.outcome = 'fault';
  else if (last?.kind === 'budget') report.outcome = 'budget';
  else if (last?.kind === 'host-error') report.outcome = 'host-error';
  else if (last?.kind === 'stopped' && !isMiss(last))
    report.outcome = 'fault'; // a guest fault inside a handler
  else if (report.calls.some((c) => isMiss(c.outcome))) report.outcome = 'unimplemented';
  return report;
}

/** An entry point stopped at a routine without a handler (--on-unimplemented stop): the run goes on. */
export function isMiss(o: CallOutcome | undefined): boolean {
  return o?.kind === 'stopped' && o.reason.startsWith('unimplemented routine ');
}
