// Human rendering of the run-driver report (the JSON output is the same object).

import type { CallOutcome, KernelEvent, RunDriverReport } from '../sandbox/index.js';
import { hex } from './render.js';

function event(e: KernelEvent): string {
  switch (e.type) {
    case 'api-call': {
      const args = e.args.map(
        (a) =>
          `${a.name}=${a.text !== undefined ? (a.text === null ? 'NULL' : JSON.stringify(a.text)) : hex(a.value)}`,
      );
      return `${e.module}!${e.name}(${args.join(', ')})${e.result === null ? '' : ` = ${hex(e.result)}`}`;
    }
    case 'unimplemented-routine':
      return `UNIMPLEMENTED ${e.module}!${e.name} called from ${hex(e.caller)} (${
        e.policy === 'stop'
          ? 'this entry point stopped there'
          : e.policy === 'zero'
            ? 'returned 0'
            : 'the kernel stub returned STATUS_NOT_IMPLEMENTED'
      })`;
    case 'dbgprint':
      return `DbgPrint: ${e.text.replace(/\n$/, '').replace(/\n/g, '\n             ')}`;
    case 'device-created':
      return `device created: ${e.name ?? '(unnamed)'} at ${hex(e.device)}, type 0x${e.deviceType.toString(16)}${e.sddl ? `, security ${e.sddl} (descriptor at ${hex(e.securityDescriptor ?? 0)})` : ''}`;
    case 'device-deleted':
      return `device deleted: ${e.name ?? '(unnamed)'} at ${hex(e.device)}`;
    case 'symlink-created':
      return `symbolic link created: ${e.link} -> ${e.target}`;
    case 'symlink-deleted':
      return `symbolic link deleted: ${e.link}`;
    case 'wfp-object':
      return `WFP ${e.kind} ${e.action}: ${e.key}${e.name ? ` "${e.name}"` : ''}${e.id !== null ? ` id ${e.id}` : ''}`;
    case 'pool-double-free':
      return `POOL DOUBLE FREE of ${hex(e.address)} from ${hex(e.caller)}`;
    case 'pool-bad-free':
      return `POOL FREE of ${hex(e.address)}, which is not a pool block, from ${hex(e.caller)}`;
    case 'pool-leak':
      return `pool leak: ${e.size} bytes at ${hex(e.address)}`;
    case 'pool-overrun':
      return `POOL OVERRUN: the header at ${hex(e.header)} of or after the ${e.size}-byte block at ${hex(e.address)} was overwritten${e.caller === undefined ? ' (found at the end of the run)' : `, found freeing it from ${hex(e.caller)}`}`;
    case 'completion-routine':
      return `completion routine ${hex(e.routine)}(DeviceObject=${hex(e.device)}, Irp=${hex(e.irp)}, Context=${hex(e.context)})${e.result === null ? '' : ` = ${hex(e.result)}`}`;
    case 'system-thread':
      return `system thread ${hex(e.thread)} created: start routine ${hex(e.startRoutine)}(${hex(e.startContext)}), handle ${hex(e.handle)}`;
    case 'thread-started':
      return `system thread ${hex(e.thread)} started: ${hex(e.startRoutine)}(${hex(e.startContext)})`;
    case 'thread-ended':
      return `system thread ${hex(e.thread)} (${hex(e.startRoutine)}) ended: ${
        e.how === 'returned'
          ? 'its start routine returned'
          : e.how === 'terminated'
            ? `PsTerminateSystemThread(${hex(e.exitStatus ?? 0)})`
            : `cut off, ${e.reason ?? 'the run ended while it ran'}`
      }`;
    case 'trace':
      return e.unit === 'insn'
        ? `${hex(e.address)}  ${e.instructions[0]?.text ?? '(undecodable)'}`
        : `block ${hex(e.address)}:${e.instructions.map((i) => `\n    ${hex(i.address)}  ${i.text}`).join('')}`;
    case 'trace-truncated':
      return `trace truncated: limit of ${e.limit} entries reached`;
    case 'io-error-log':
      return `error log entry from ${e.driver ?? '(unknown driver)'}${e.device ? ` (${e.device})` : ''}: ErrorCode ${hex(e.errorCode)}, UniqueErrorValue ${hex(e.uniqueErrorValue)}, FinalStatus ${hex(e.finalStatus)}${e.strings.length ? `, strings ${e.strings.map((x) => JSON.stringify(x)).join(', ')}` : ''}${e.dumpData.length ? `, DumpData ${e.dumpData.map((d) => hex(d)).join(' ')}` : ''}`;
    case 'ndis-adapter':
      return e.action === 'halt'
        ? `NDIS MiniportHalt for ${e.adapter}`
        : e.action === 'query'
          ? `NDIS MiniportQueryInformation for ${e.adapter}, OID ${hex(e.oid ?? 0)} -> ${hex(e.status ?? 0)}${e.data ? `: ${e.data}` : ''}`
          : `NDIS MiniportInitialize for ${e.adapter} -> ${hex(e.status ?? 0)}${e.medium !== undefined ? `, medium ${e.medium}` : ''}${e.reason ? ` (${e.reason})` : ''}`;
    case 'exception':
      return `EXCEPTION 0x${e.code.toString(16).toUpperCase().padStart(8, '0')} at ${hex(e.address)}, flags ${hex(e.flags)}${e.parameters.length ? ` (${e.parameters.map((p) => hex(p)).join(', ')})` : ''}`;
    case 'bugcheck':
      return `BUGCHECK 0x${e.code.toString(16).toUpperCase().padStart(8, '0')} (${e.parameters.map((p) => hex(p)).join(', ')}) from ${hex(e.caller)}`;
  }
}

/** x86 exception mnemonics by vector, '-' for the reserved ones (Intel SDM vol. 3A, table 6-1). */
const VECTORS = '#DE #DB NMI #BP #OF #BR #UD #NM #DF - #TS #NP #SS #GP #PF - #MF #AC #MC #XM'.split(' ');

/** What faulted: the kind, then the access ("unmapped read") or the exception ("exception #GP (vector 13)"). */
function faultKind(o: Extract<CallOutcome, { kind: 'fault' }>): string {
  if (o.vector === undefined) return o.access ? `${o.fault} ${o.access}` : o.fault;
  const name = VECTORS[o.vector];
  return `${o.fault} ${name && name !== '-' ? `${name} ` : ''}(vector ${o.vector})`;
}

/**
 * A fault's registers: x86's on one line; AMD64's 64-bit ones (the JSON's registers64, at the guest's
 * addresses) four to a line, with the guest's fault address and pc when they are given.
 */
function faultRegisters(o: Extract<CallOutcome, { kind: 'fault' }>): string[] {
  if (!o.registers64)
    return [
      `  registers: ${Object.entries(o.registers)
        .map(([k, v]) => `${k}=${hex(v)}`)
        .join(' ')}`,
    ];
  const regs = Object.entries(o.registers64).map(([k, v]) => `${`${k}=`.padStart(7)}${v}`);
  const lines = [
    `  registers (AMD64${o.pc64 ? `, pc ${o.pc64}` : ''}${o.address64 ? `, address ${o.address64}` : ''}):`,
  ];
  for (let i = 0; i < regs.length; i += 4) lines.push(`    ${regs.slice(i, i + 4).join('  ')}`);
  return lines;
}

export function renderRunDriver(r: RunDriverReport): string {
  const out: string[] = [];
  const kernel =
    r.kernel.kind === 'registry'
      ? 'the synthetic registry kernel'
      : `${r.kernel.file} (${r.kernel.version ?? 'no version resource'})`;
  out.push(`${r.driver.ntPath}: run against ${kernel}`);
  if (!r.load.ok) {
    out.push(`LOAD FAILED ${r.load.status} ${r.load.statusName}`, `  ${r.load.reason}`);
    for (const m of r.load.misses)
      out.push(
        `  missing ${m.module}!${m.name ?? `#${m.ordinal}`}: ${m.status} ${m.statusName} (${m.reason})`,
      );
    out.push(`Outcome: ${r.outcome}`);
    return `${out.join('\n')}\n`;
  }
  out.push(`Loaded: ${r.load.modules.map((m) => `${m.name} ${hex(m.base)}`).join(', ')}`);
  if (r.addressBase)
    out.push(`AMD64: addresses are offsets in system space; the guest sees ${r.addressBase} + address`);
  if (r.loadedModuleList)
    out.push(
      `PsLoadedModuleList at ${hex(r.loadedModuleList.head)}${r.loadedModuleList.exported ? ' (exported by the kernel)' : ' (a kernel variable; this kernel does not export it)'}`,
    );
  for (const c of r.calls) {
    const o = c.outcome;
    const head =
      o.kind === 'returned'
        ? `-> ${c.status ?? hex(o.eax)}${c.statusName && c.statusName !== c.status ? ` ${c.statusName}` : ''}${c.irpStatus ? `, IRP IoStatus ${c.irpStatus} information ${c.irpInformation}` : ''}`
        : o.kind === 'fault'
          ? `FAULT: ${faultKind(o)} at ${hex(o.address)}, pc ${hex(o.pc)}: ${o.instruction ?? '(unreadable)'}${o.pool ? ` (pool block ${hex(o.pool.block)}${o.pool.freed ? ', FREED: use after free' : ''})` : ''}`
          : o.kind === 'budget'
            ? `BUDGET: ${o.which} budget exhausted at pc ${hex(o.pc)}`
            : o.kind === 'stopped'
              ? `STOPPED: ${o.reason} at pc ${hex(o.pc)}`
              : `HOST ERROR in nt351 (not the guest's fault): ${o.message}`;
    out.push('', `${c.routine} at ${hex(c.address)} ${head}`);
    for (const e of r.events.slice(c.firstEvent, c.firstEvent + c.eventCount)) out.push(`  ${event(e)}`);
    if (o.kind === 'fault') out.push(...faultRegisters(o));
  }
  if (r.droppedApiCalls) out.push('', `(${r.droppedApiCalls} further API calls not listed)`);
  if (r.droppedEvents) out.push('', `(${r.droppedEvents} further events not kept)`);
  out.push('', `Devices: ${r.devices.map((d) => d.name).join(', ') || 'none'}`);
  out.push(`Symbolic links: ${r.symbolicLinks.map((l) => `${l.link} -> ${l.target}`).join(', ') || 'none'}`);
  out.push(
    `Pool leaks: ${r.poolLeaks.length ? r.poolLeaks.map((l) => `${l.size} bytes at ${hex(l.address)}`).join(', ') : 'none'}`,
  );
  out.push(`Outcome: ${r.outcome}`);
  return `${out.join('\n')}\n`;
}
