// Human output of `nt351 boot`, rendered from the BootReport: boot log, modules, services, the hard
// errors as boxed dialogs, the System log as an Event Viewer-like table, the STOP screen, the outcome.
import type { BootReport } from '../boot/index.js';
import { hex } from './render.js';
import { type EventViewerInput, svgEventViewer, svgTimeline } from './render-eventviewer.js';
import type { ScreenInput, SvgPart } from './render-screen.js';
import { renderScreensHtml, renderScreensSvg, wrapText } from './render-screen.js';

/** Wrapped lines without the trailing empty ones a final CRLF leaves. */
const wrap = (text: string, width: number): string[] => {
  const lines = wrapText(text, width);
  while (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
};

/** The screens `--render` draws first for a boot: its popups and STOP screen. */
export function bootScreens(r: BootReport): ScreenInput {
  return {
    title: `nt351 boot ${r.imageSet}`,
    hardErrors: r.hardErrors.map((h) => ({ caption: h.caption, text: h.text, status: Number(h.status) })),
    bugcheck: r.bugcheck && {
      code: r.bugcheck.code,
      name: r.bugcheck.name,
      params: r.bugcheck.params,
      module: r.bugcheck.module,
      modules: r.modules
        .filter((m) => m.loadedBy === 'boot-loader')
        .map((m) => ({ name: m.name.toLowerCase(), base: m.base })),
    },
  };
}

/** Event Viewer's System log for a boot, with the first error selected (else the last event). */
export function eventViewerOf(r: BootReport): EventViewerInput {
  const rows = r.events.map((e) => ({
    ...when(e.time),
    source: e.source,
    type: e.type,
    id: e.id,
    message: e.message,
    data: e.data,
  }));
  const firstError = rows.findIndex((e) => e.type === 'error');
  return {
    computer: 'NT351',
    rows,
    selected: rows.length === 0 ? null : firstError >= 0 ? firstError : rows.length - 1,
  };
}

/**
 * `boot --render FILE.svg`: the whole boot as a person would look at it: the popups and STOP screen,
 * then Event Viewer with the System log and the selected event's detail, then the timeline and outcome.
 */
export function renderBootSvg(r: BootReport): string {
  return renderScreensSvg(bootScreens(r), bootWindows(r));
}

/** `boot --render FILE.html`: the same pictures as the SVG, the popups and STOP screen as HTML. */
export function renderBootHtml(r: BootReport): string {
  return renderScreensHtml(bootScreens(r), bootWindows(r));
}

/** What follows the popups and STOP screen: Event Viewer (with Event Detail), the timeline and outcome. */
function bootWindows(r: BootReport): SvgPart[] {
  return [
    (y, width) => svgEventViewer(eventViewerOf(r), y, width),
    (y, width) => svgTimeline({ steps: r.timeline, outcome: outcomeText(r) }, y, width),
  ];
}

const WIDTH = 64;

/** A hard-error popup as a text box: caption bar, wrapped text, OK button. */
function dialog(caption: string, text: string): string[] {
  const inner = WIDTH - 4;
  const bar = `+${'-'.repeat(WIDTH - 2)}+`;
  const row = (s: string) => `| ${s.padEnd(inner)} |`;
  const ok = '[  OK  ]';
  return [
    bar,
    ...wrap(caption, inner).map(row),
    bar,
    row(''),
    ...wrap(text, inner).map(row),
    row(''),
    row(`${' '.repeat(Math.floor((inner - ok.length) / 2))}${ok}`),
    bar,
  ];
}

/** Event Viewer's date and time columns (NT 3.51 showed m/d/yy and h:mm:ss AM/PM). */
function when(iso: string): { date: string; time: string } {
  const d = new Date(iso);
  const h = d.getUTCHours();
  const pad = (n: number) => n.toString().padStart(2, '0');
  return {
    date: `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${pad(d.getUTCFullYear() % 100)}`,
    time: `${h % 12 || 12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`,
  };
}

const typeName = { error: 'Error', warning: 'Warning', information: 'Information' } as const;

/** The report's head: image set, machine, kernel, HAL, where services and inferred facts came from. */
function renderHead(r: BootReport): string[] {
  const out: string[] = [];
  const m = r.machine;
  out.push(`Image set  ${r.imageSet}`);
  out.push(
    `Machine    ${m.profile} (${m.architecture}), ${m.processorsPresent} processor${m.processorsPresent === 1 ? '' : 's'} present, ${m.processorsStarted} started`,
  );
  out.push(
    `Kernel     ${m.kernel.file}  ${m.kernel.version ?? 'no version resource'} (${m.kernel.build === 'up' ? 'uniprocessor' : 'multiprocessor'} build)`,
  );
  out.push(
    `HAL        ${m.hal.file} (${m.hal.variant === 'up' ? 'uniprocessor' : 'multiprocessor'} HAL component)`,
  );
  const c = r.configuration;
  if (c)
    out.push(
      `Services   ${c.source === 'hive' ? `SYSTEM hive, ${c.controlSet} (${c.use})` : 'manifest (machine.yaml or API)'}`,
    );
  const facts = Object.entries(m.sources ?? {});
  for (const [i, [k, v]] of facts.entries()) out.push(`${i === 0 ? 'Read from ' : '          '} ${k}: ${v}`);

  return out;
}

export function renderBoot(r: BootReport): string {
  const out: string[] = renderHead(r);
  out.push('', 'Boot log');
  for (const t of r.timeline) out.push(`  ${t.step.padEnd(10)}  ${t.detail}`);

  if (r.modules.length > 0) {
    out.push('', 'Modules', `  ${'base'.padEnd(10)}  ${'size'.padEnd(8)}  ${'name'.padEnd(14)}  loaded by`);
    for (const mod of r.modules)
      out.push(
        `  ${hex(mod.base)}  ${mod.size.toString(16).padStart(8, '0')}  ${mod.name.padEnd(14)}  ${mod.loadedBy}`,
      );
  }
  if (r.services.length > 0) {
    out.push('', 'Services', `  ${'name'.padEnd(20)}  ${'start'.padEnd(9)}  ${'state'.padEnd(11)}  exit`);
    const starts = ['boot', 'system', 'automatic', 'demand', 'disabled'];
    for (const s of r.services)
      out.push(
        `  ${s.name.padEnd(20)}  ${(starts[s.start] ?? String(s.start)).padEnd(9)}  ${s.state.padEnd(11)}  ${s.win32ExitCode || ''}`.trimEnd(),
      );
  }

  for (const h of r.hardErrors) out.push('', ...dialog(h.caption, h.text));

  if (r.events.length > 0) {
    out.push('', 'Event Viewer - System Log');
    out.push(`  ${'Date'.padEnd(9)} ${'Time'.padEnd(11)} ${'Source'.padEnd(24)} ${'Type'.padEnd(11)} Event`);
    for (const e of r.events) {
      const w = when(e.time);
      out.push(
        `  ${w.date.padEnd(9)} ${w.time.padEnd(11)} ${e.source.padEnd(24)} ${typeName[e.type].padEnd(11)} ${e.id}`,
      );
      for (const line of wrap(e.message, 70)) if (line) out.push(`      ${line.trimEnd()}`);
    }
  }

  if (r.trace) {
    out.push(
      '',
      `Trace (${r.trace.unit === 'insn' ? 'instructions' : 'basic blocks'}, ${r.trace.entries.length} entries${r.trace.truncated ? `, truncated at ${r.trace.limit}` : ''})`,
    );
    let routine = '';
    for (const t of r.trace.entries) {
      if (t.routine !== routine) {
        routine = t.routine;
        out.push(`  ${routine}`);
      }
      const where = `${hex(t.address)}${t.module ? ` ${t.module}` : ''}`;
      if (r.trace.unit === 'insn') out.push(`    ${where}  ${t.instructions[0]?.text ?? '(undecodable)'}`);
      else {
        out.push(`    block ${where}`);
        for (const i of t.instructions) out.push(`      ${hex(i.address)}  ${i.text}`);
      }
    }
  }
  if (r.loaderMessage) out.push('', ...r.loaderMessage);
  if (r.bugcheck) {
    out.push('', ...r.bugcheck.screen);
    if (r.bugcheck.instruction)
      out.push('', `Faulting instruction: ${r.bugcheck.instruction} in ${r.bugcheck.module ?? '?'}`);
  }
  for (const g of r.guestProblems)
    out.push(
      '',
      `Guest problem: ${g.routine} ${g.problem}`,
      ...(g.pc === null ? [] : [`  at ${hex(g.pc)}${g.instruction ? `: ${g.instruction}` : ''}`]),
    );
  if (r.droppedEvents) out.push('', `(${r.droppedEvents} further kernel events not kept)`);
  if (r.unimplemented.length > 0)
    out.push(
      '',
      `Unimplemented kernel routines called: ${[...new Set(r.unimplemented.map((u) => u.routine))].join(', ')}`,
    );

  out.push('', `Outcome: ${outcomeText(r)}`);
  return `${out.join('\n')}\n`;
}

/** The boot's outcome in words, as the last line of the text output and of the picture. */
function outcomeText(r: BootReport): string {
  const errors = r.events.filter((e) => e.type === 'error').length;
  return r.outcome === 'clean'
    ? 'booted cleanly'
    : r.outcome === 'errors'
      ? `booted with errors (${r.hardErrors.length} hard error${r.hardErrors.length === 1 ? '' : 's'}, ${errors} error event${errors === 1 ? '' : 's'})`
      : r.outcome === 'bugcheck'
        ? `STOP ${hex(r.bugcheck!.code)} ${r.bugcheck!.name}`
        : 'the OS loader stopped the boot';
}
