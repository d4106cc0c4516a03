// Runs one scenario: its steps on a copy-on-write image set (an installed set from a folder, or one
// Setup builds from media), boots, and checks each `expect:` against the last boot. The user's files
// are only read; everything a step writes stays in the overlay.
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { halFor } from '../../hal/index.js';
import { IMAGE_FILE_UP_SYSTEM_ONLY, MalformedPeError, PeImage } from '../../pe/index.js';
import { type BootOutcome, type BootReport, boot } from '../boot.js';
import { ImageSet, ImageSetError } from '../imageset.js';
import { compare, type Difference } from './expect.js';
import { Media, MediaError } from './media.js';
import type { Scenario, Step } from './scenario.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** The fixture CDs the package carries (NT 3.51 RTM and SP1-SP5, x86 and Alpha). */
export const DEFAULT_MEDIA_ROOT = join(ROOT, 'fixtures', 'media');

/** Where `media:` names are looked up unless a run says otherwise: $NT351_MEDIA, else the fixture CDs. */
export function defaultMediaRoot(): string {
  return process.env.NT351_MEDIA || DEFAULT_MEDIA_ROOT;
}

export interface RunScenarioOptions {
  mediaRoot?: string;
  maxInstructions?: number;
  maxMillis?: number;
}

export interface StepResult {
  step: string;
  line: number;
  ok: boolean;
  /** What the step did (files copied, the boot's outcome) or why it could not be done. */
  detail: string;
  differences?: Difference[];
}

export interface ScenarioResult {
  file: string;
  name: string;
  passed: boolean;
  steps: StepResult[];
  /** The last boot's outcome, or null when the scenario did not boot. */
  outcome: BootOutcome | null;
  /** The first failing step's first difference (or its error), for summaries. */
  firstDifference: (Difference & { line: number }) | null;
  boots: number;
  /** Wall-clock time the scenario took, in milliseconds (JUnit's `time`). */
  millis: number;
}

/** A step that cannot be carried out (a missing file, media or boot before expect). */
class StepError extends Error {}

const fileName = (p: string) => p.replace(/\//g, '\\').split('\\').pop()!.toLowerCase();

/** Runs `s`; never throws for problems in the scenario or the guest (they fail the scenario). */
export async function runScenario(s: Scenario, opts: RunScenarioOptions = {}): Promise<ScenarioResult> {
  const started = performance.now();
  const result = await runSteps(s, opts);
  result.millis = Math.round(performance.now() - started);
  return result;
}

async function runSteps(s: Scenario, opts: RunScenarioOptions): Promise<ScenarioResult> {
  const mediaRoot = opts.mediaRoot ?? defaultMediaRoot();
  const media = new Map<string, Media>();
  const mediaNamed = (name: string) => {
    let m = media.get(name);
    if (!m) {
      m = Media.open(mediaRoot, name);
      media.set(name, m);
    }
    return m;
  };
  const result: ScenarioResult = {
    file: s.file,
    name: s.name,
    passed: true,
    steps: [],
    outcome: null,
    firstDifference: null,
    boots: 0,
    millis: 0,
  };
  let set: ImageSet | null = null;
  let last: BootReport | null = null;
  const needSet = () => {
    if (!set) throw new StepError('no system yet: start from an image set or install one first');
    return set;
  };
  /** Bytes from `media:NAME\path` or from the image set. */
  const source = (from: string): Uint8Array => {
    const m = /^media:([^\\/]+)[\\/](.+)$/i.exec(from);
    if (m) return mediaNamed(m[1]!).read(m[2]!);
    const bytes = needSet().read(from);
    if (!bytes) throw new StepError(`${from}: no such file in the image set`);
    return bytes;
  };

  const run = async (step: Step): Promise<StepResult> => {
    const label = step.kind;
    switch (step.kind) {
      case 'install': {
        const setup = mediaNamed(step.media);
        if (setup.kind !== 'setup')
          throw new StepError(`${step.media} is not Setup media (it has no SETUP.INF)`);
        const hal = halFor(step.machine);
        if (!hal) throw new StepError(`unknown machine '${step.machine}'`);
        const kind = hal.variant.kind; // Setup picks the kernel by processor kind: NTKRNLMP.EXE on MP HALs
        const cpus = step.cpus ?? (kind === 'mp' ? 2 : 1);
        const files: Record<string, Uint8Array> = {};
        for (const f of setup.inf.files) {
          if (f.condition && f.condition !== kind && f.condition !== step.machine) continue;
          files[`WINNT35\\${f.destination}`] = setup.read(f.source);
        }
        set = ImageSet.fromMemory(
          {
            description: `installed by nt351 replay from ${step.media} on ${step.machine}`,
            machine: { architecture: hal.profile.architecture, cpus, profile: step.machine },
            systemRoot: 'WINNT35',
            kernel: 'System32\\ntoskrnl.exe',
            hal: 'System32\\hal.dll',
            services: setup.services(),
          },
          files,
        );
        return {
          step: label,
          line: step.line,
          ok: true,
          detail: `${Object.keys(files).length} files from ${step.media} (${kind} kernel, ${cpus} processor${cpus === 1 ? '' : 's'})`,
        };
      }
      case 'service-pack': {
        const sp = mediaNamed(step.media);
        if (sp.kind !== 'update')
          throw new StepError(`${step.media} is not a service pack (it has no UPDATE.INF)`);
        const target = needSet();
        // UPDATE.EXE copies the kernel matching the installed one (UP or MP), whatever its file name.
        const kernelPath = `\\SystemRoot\\${target.manifest.kernel}`;
        const kernel = target.read(kernelPath);
        if (!kernel) throw new StepError(`${kernelPath}: no kernel installed`);
        const up =
          (PeImage.parse(kernel, kernelPath).headers.fileHeader.characteristics &
            IMAGE_FILE_UP_SYSTEM_ONLY) !==
          0;
        const skip = step.skip.map((x) => x.replace(/\//g, '\\').toLowerCase());
        let copied = 0;
        const skipped: string[] = [];
        for (const f of sp.inf.files) {
          if (f.condition && f.condition !== (up ? 'up' : 'mp')) continue;
          const dest = f.destination.toLowerCase();
          if (skip.some((k) => k === dest || k === fileName(dest) || `system32\\${k}` === dest)) {
            skipped.push(f.destination);
            continue;
          }
          target.write(`\\SystemRoot\\${f.destination}`, sp.read(f.source));
          copied++;
        }
        return {
          step: label,
          line: step.line,
          ok: true,
          detail: `${copied} files from ${step.media}${skipped.length ? `; not copied: ${skipped.join(', ')}` : ''}`,
        };
      }
      case 'copy': {
        needSet().write(step.to, source(step.from));
        return { step: label, line: step.line, ok: true, detail: `${step.from} -> ${step.to}` };
      }
      case 'rename': {
        const t = needSet();
        const bytes = t.read(step.from);
        if (!bytes) throw new StepError(`${step.from}: no such file in the image set`);
        t.write(step.to, bytes); // like MOVE /Y: an existing target is replaced
        if (t.resolve(step.from).toLowerCase() !== t.resolve(step.to).toLowerCase()) t.delete(step.from);
        return { step: label, line: step.line, ok: true, detail: `${step.from} -> ${step.to}` };
      }
      case 'delete': {
        if (!needSet().delete(step.path)) throw new StepError(`${step.path}: no such file in the image set`);
        return { step: label, line: step.line, ok: true, detail: step.path };
      }
      case 'boot': {
        last = await boot(needSet(), {
          ...(step.cpus !== null ? { cpus: step.cpus } : {}),
          ...(step.profile !== null ? { profile: step.profile } : {}),
          ...(opts.maxInstructions !== undefined ? { maxInstructions: opts.maxInstructions } : {}),
          ...(opts.maxMillis !== undefined ? { maxMillis: opts.maxMillis } : {}),
        });
        result.boots++;
        result.outcome = last.outcome;
        const b = last as BootReport;
        return {
          step: label,
          line: step.line,
          ok: true,
          detail: `${b.outcome}${b.bugcheck ? ` ${b.bugcheck.name}` : ''} (${b.hardErrors.length} hard errors, ${b.events.length} events)`,
        };
      }
      case 'expect': {
        if (!last) throw new StepError('expect before any boot');
        const differences = compare(step.expect, last);
        return {
          step: label,
          line: step.line,
          ok: differences.length === 0,
          detail: differences.length === 0 ? 'as expected' : `${differences.length} difference(s)`,
          differences,
        };
      }
    }
  };

  try {
    if (s.start) {
      const dir = isAbsolute(s.start) ? s.start : resolve(dirname(s.file), s.start);
      set = ImageSet.open(dir);
    }
  } catch (e) {
    return fail(result, 0, 'start', e);
  }
  for (const step of s.steps) {
    let r: StepResult;
    try {
      r = await run(step);
    } catch (e) {
      return fail(result, step.line, step.kind, e);
    }
    result.steps.push(r);
    if (!r.ok) {
      result.passed = false;
      const d = r.differences?.[0];
      if (d && !result.firstDifference) result.firstDifference = { ...d, line: step.line };
    }
  }
  return result;
}

function fail(result: ScenarioResult, line: number, step: string, e: unknown): ScenarioResult {
  if (
    !(
      e instanceof StepError ||
      e instanceof MediaError ||
      e instanceof ImageSetError ||
      e instanceof MalformedPeError
    )
  )
    throw e;
  result.passed = false;
  result.steps.push({ step, line, ok: false, detail: e.message });
  result.firstDifference = { what: `${step} step`, expected: 'the step to succeed', actual: e.message, line };
  return result;
}
