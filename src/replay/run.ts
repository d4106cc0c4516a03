// Runs one scenario: its steps on a copy-on-write image set (an installed set from a folder, or one
// Setup builds from media), boots, and checks each `expect:` against the last boot. The user's files
// are only read; everything a step writes stays in the overlay.
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type BootOutcome,
  type BootReport,
  BootUnsupportedError,
  boot,
  SERVICE_GROUP_ORDER,
} from '../boot/index.js';
import { MalformedPeError } from '../pe/index.js';
import {
  applyServicePack,
  deleteRegistryPath,
  ImageSet,
  ImageSetError,
  installFromMedia,
  MalformedHiveError,
  Media,
  MediaError,
  readRegistryValue,
  SetupError,
  setRegistryValue,
} from '../system/index.js';
import { compare, type Difference } from './expect.js';
import type { Expectation, Scenario, Step } from './scenario.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
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

/** Runs `s`; never throws for problems in the scenario or the guest (they fail the scenario). */
export async function runScenario(s: Scenario, opts: RunScenarioOptions = {}): Promise<ScenarioResult> {
  const started = performance.now();
  const result = await runSteps(s, opts);
  result.millis = Math.round(performance.now() - started);
  return result;
}

async function runSteps(s: Scenario, opts: RunScenarioOptions): Promise<ScenarioResult> {
  const run = new ScenarioRun(s, opts);
  const { result } = run;
  try {
    if (s.start) run.set = ImageSet.open(isAbsolute(s.start) ? s.start : resolve(dirname(s.file), s.start));
  } catch (e) {
    return fail(result, 0, 'start', e);
  }
  for (const step of s.steps) {
    let r: StepResult;
    try {
      r = await run.step(step);
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

/** One scenario in progress: its media, the image set its steps change, the last boot. */
class ScenarioRun {
  readonly result: ScenarioResult;
  set: ImageSet | null = null;
  private last: BootReport | null = null;
  private readonly media = new Map<string, Media>();

  constructor(
    s: Scenario,
    private readonly opts: RunScenarioOptions,
  ) {
    this.result = {
      file: s.file,
      name: s.name,
      passed: true,
      steps: [],
      outcome: null,
      firstDifference: null,
      boots: 0,
      millis: 0,
    };
  }

  /** Carries out one step; throws StepError (and the input errors `fail` knows) when it cannot. */
  async step(step: Step): Promise<StepResult> {
    const done = (detail: string): StepResult => ({ step: step.kind, line: step.line, ok: true, detail });
    switch (step.kind) {
      case 'install': {
        const r = installFromMedia(
          this.mediaNamed(step.media),
          step.media,
          step.machine,
          SERVICE_GROUP_ORDER,
          step.cpus ?? undefined,
        );
        this.set = r.set;
        return done(
          `${r.files} files from ${step.media} (${r.kind} kernel, ${r.cpus} processor${r.cpus === 1 ? '' : 's'})`,
        );
      }
      case 'service-pack': {
        const r = applyServicePack(this.needSet(), this.mediaNamed(step.media), step.media, step.skip);
        return done(
          `${r.copied} files from ${step.media}${r.skipped.length ? `; not copied: ${r.skipped.join(', ')}` : ''}`,
        );
      }
      case 'copy':
        this.needSet().write(step.to, this.source(step.from));
        return done(`${step.from} -> ${step.to}`);
      case 'rename': {
        const t = this.needSet();
        const bytes = t.read(step.from);
        if (!bytes) throw new StepError(`${step.from}: no such file in the image set`);
        t.write(step.to, bytes); // like MOVE /Y: an existing target is replaced
        if (t.resolve(step.from).toLowerCase() !== t.resolve(step.to).toLowerCase()) t.delete(step.from);
        return done(`${step.from} -> ${step.to}`);
      }
      case 'delete':
        if (!this.needSet().delete(step.path))
          throw new StepError(`${step.path}: no such file in the image set`);
        return done(step.path);
      case 'registry':
        if ('delete' in step) {
          if (!deleteRegistryPath(this.needSet(), step.delete))
            throw new StepError(`${step.delete}: no such key or value in the SYSTEM hive`);
          return done(`deleted ${step.delete}`);
        }
        setRegistryValue(this.needSet(), step.set, step.value);
        return done(`${step.set} = ${JSON.stringify(step.value)}`);
      case 'boot':
        return done(await this.boot(step));
      case 'expect': {
        if (!this.last) throw new StepError('expect before any boot');
        const differences = [...compare(step.expect, this.last), ...this.registryDifferences(step.expect)];
        return {
          step: step.kind,
          line: step.line,
          ok: differences.length === 0,
          detail: differences.length === 0 ? 'as expected' : `${differences.length} difference(s)`,
          differences,
        };
      }
    }
  }

  /** Boots the current set with the step's and the run's options; the detail line of the step. */
  private async boot(step: Extract<Step, { kind: 'boot' }>): Promise<string> {
    const { opts } = this;
    const b = await boot(this.needSet(), {
      ...(step.cpus !== null ? { cpus: step.cpus } : {}),
      ...(step.profile !== null ? { profile: step.profile } : {}),
      ...(opts.maxInstructions !== undefined ? { maxInstructions: opts.maxInstructions } : {}),
      ...(opts.maxMillis !== undefined ? { maxMillis: opts.maxMillis } : {}),
    });
    this.last = b;
    this.result.boots++;
    this.result.outcome = b.outcome;
    return `${b.outcome}${b.bugcheck ? ` ${b.bugcheck.name}` : ''} (${b.hardErrors.length} hard errors, ${b.events.length} events)`;
  }

  /** `expect.registry`: each value as the SYSTEM hive holds it now (after the boot, in the overlay). */
  private registryDifferences(e: Expectation): Difference[] {
    const out: Difference[] = [];
    for (const [path, want] of Object.entries(e.registry ?? {})) {
      const have = readRegistryValue(this.needSet(), path);
      const shown = (v: unknown) => (v instanceof Uint8Array ? `${v.length} bytes` : JSON.stringify(v));
      if (shown(have) !== shown(want))
        out.push({ what: `registry ${path}`, expected: shown(want), actual: shown(have) });
    }
    return out;
  }

  private mediaNamed(name: string): Media {
    let m = this.media.get(name);
    if (!m) {
      m = Media.open(this.opts.mediaRoot ?? defaultMediaRoot(), name);
      this.media.set(name, m);
    }
    return m;
  }

  private needSet(): ImageSet {
    if (!this.set) throw new StepError('no system yet: start from an image set or install one first');
    return this.set;
  }

  /** Bytes from `media:NAME\path` or from the image set. */
  private source(from: string): Uint8Array {
    const m = /^media:([^\\/]+)[\\/](.+)$/i.exec(from);
    if (m) return this.mediaNamed(m[1]!).read(m[2]!);
    const bytes = this.needSet().read(from);
    if (!bytes) throw new StepError(`${from}: no such file in the image set`);
    return bytes;
  }
}

function fail(result: ScenarioResult, line: number, step: string, e: unknown): ScenarioResult {
  if (
    !(
      e instanceof StepError ||
      e instanceof SetupError ||
      e instanceof MediaError ||
      e instanceof ImageSetError ||
      e instanceof MalformedPeError ||
      e instanceof MalformedHiveError ||
      // What the emulator cannot boot (an Alpha kernel copied over an x86 one) fails this scenario only.
      e instanceof BootUnsupportedError
    )
  )
    throw e;
  result.passed = false;
  result.steps.push({ step, line, ok: false, detail: e.message });
  result.firstDifference = { what: `${step} step`, expected: 'the step to succeed', actual: e.message, line };
  return result;
}
