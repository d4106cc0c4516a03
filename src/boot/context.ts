// What the boot's phases share before any guest code runs: the image set and its files as NT paths,
// the machine the boot was asked for, the budgets, and the report with its timeline.
import { type Hal, halFor, profileNames } from '../hal/index.js';
import type { LoadOrder } from '../kernel/index.js';
import type { ModuleFile } from '../loader/index.js';
import { type BootConfiguration, type ImageSet, ImageSetError } from '../system/index.js';
import type { BootOptions, BootReport } from './report.js';

/** The machine a boot runs on: machine.yaml's facts, overridden by the caller's options. */
export interface BootMachine {
  /** The machine profile's name (src/hal/profiles.ts). */
  profile: string;
  hal: Hal;
  /** Processors present. */
  present: number;
  /** Where facts came from other than machine.yaml (inferred from files, or options). */
  sources: Record<string, string>;
}

/** The machine for `set`: its profile (checked against the set's architecture) and processor count. */
export function machineOf(set: ImageSet, opts: BootOptions): BootMachine {
  const m = set.manifest;
  const profileName = opts.profile ?? m.machine.profile;
  if (!profileName)
    throw new ImageSetError(
      set.label,
      `cannot tell the machine: ${m.sources?.profile ?? 'no profile'}; give --profile NAME (known: ${profileNames().join(', ')})`,
    );
  const hal = halFor(profileName);
  if (!hal)
    throw new ImageSetError(
      set.label,
      `unknown machine profile '${profileName}' (known: ${profileNames().join(', ')})`,
    );
  if (hal.profile.architecture !== m.machine.architecture)
    throw new ImageSetError(
      set.label,
      `profile '${profileName}' is for ${hal.profile.architecture}, but the image set is ${m.machine.architecture}`,
    );
  const sources: Record<string, string> = { ...(m.sources ?? {}) };
  if (opts.profile !== undefined) sources.profile = 'option';
  if (opts.cpus !== undefined) sources.cpus = 'option';
  return { profile: profileName, hal, present: opts.cpus ?? m.machine.cpus, sources };
}

/** The state every phase reads and the report every phase writes. */
export class BootContext {
  readonly report: BootReport;
  /** The services and load order (set by the OS loader, which reads the SYSTEM hive as NTLDR does). */
  config: BootConfiguration = {
    source: 'manifest',
    services: [],
    groupOrder: null,
    tagOrder: new Map(),
    controlSet: null,
    select: null,
  };
  readonly budget: { maxInstructions: number; maxMillis: number };

  constructor(
    readonly set: ImageSet,
    readonly opts: BootOptions,
    readonly machine: BootMachine,
  ) {
    const m = set.manifest;
    this.budget = { maxInstructions: opts.maxInstructions ?? 10_000_000, maxMillis: opts.maxMillis ?? 5_000 };
    this.report = {
      imageSet: set.label,
      machine: {
        profile: machine.profile,
        architecture: m.machine.architecture,
        hal: { file: m.hal, variant: machine.hal.variant.kind },
        kernel: { file: m.kernel, version: null, build: 'up' },
        processorsPresent: machine.present,
        processorsStarted: 0,
        activeProcessors: 0,
        ...(Object.keys(machine.sources).length > 0 ? { sources: machine.sources } : {}),
      },
      configuration: null,
      outcome: 'clean',
      loaderMessage: null,
      hardErrors: [],
      events: [],
      bugcheck: null,
      modules: [],
      services: [],
      timeline: [],
      guestProblems: [],
      unimplemented: [],
      overlay: [],
      trace: null,
    };
  }

  /** Adds a step to the report's timeline. */
  note(step: string, detail: string): void {
    this.report.timeline.push({ step, detail });
    this.opts.onProgress?.(step, detail);
  }

  /** The load order of the configuration (ServiceGroupOrder and GroupOrderList). */
  get loadOrder(): LoadOrder {
    return { groups: this.config.groupOrder, tags: this.config.tagOrder };
  }

  /** `\SystemRoot\<rel>` for a path relative to the system root. */
  ntPathOf(rel: string): string {
    return `\\SystemRoot\\${rel.replace(/^\\+/, '')}`;
  }

  /** The set's file at `ntPath` as the loader takes it, or null when the set has none. */
  fileAt(ntPath: string, baseName?: string): ModuleFile | null {
    const bytes = this.set.read(ntPath);
    if (!bytes) return null;
    if (baseName !== undefined) return { baseName, ntPath, bytes };
    const actual = this.set.actualPath(ntPath)!;
    return { baseName: actual.slice(actual.lastIndexOf('\\') + 1), ntPath, bytes };
  }
}
