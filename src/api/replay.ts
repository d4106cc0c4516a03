// The library API's replay(): scenario files, folders or scenario text (docs/replay.md) in, one
// result per scenario out. A thin typed layer over the replay module (src/replay/).
import {
  defaultMediaRoot,
  mediaCatalog,
  parseScenarios,
  type ReplayOptions,
  type ReplayReport,
  replay as replayFiles,
  runScenario,
  type ScenarioResult,
} from '../replay/index.js';
import { checkReplayOptions } from './replay-options.js';

/** Options of replay(): the replay module's, plus the name scenario text goes by. */
export interface ReplayApiOptions extends ReplayOptions {
  /**
   * For scenario text only: the file name its error positions and results show, and the folder a
   * relative `start:` is resolved from (its directory). Default `<scenario text>`: the current directory.
   */
  file?: string;
}

/** Scenario files that could not be read or parsed (each as file:line:column: reason). */
export class ReplayError extends Error {
  override readonly name = 'ReplayError';
  constructor(readonly errors: ReplayReport['errors']) {
    super(
      `${errors.length} scenario file${errors.length === 1 ? '' : 's'} could not be used:\n${errors.map((e) => `  ${e.message}`).join('\n')}`,
    );
  }
}

/**
 * Runs scenarios and returns one result per scenario (per matrix combination), in file order.
 * `source` is a scenario file, a folder searched for *.yaml, a list of those, or scenario text
 * (a string with a line break). A scenario that fails (a difference, a step that cannot be done)
 * is a result with `passed: false`; a file that cannot be parsed throws: ScenarioError for text
 * (with its line and column), ReplayError for files. Scenario text runs one scenario after another
 * (`jobs` applies to files, and to the compiled package only). Options out of range or of the wrong
 * type throw ReplayOptionsError before anything runs.
 */
export async function replay(
  source: string | string[],
  opts: ReplayApiOptions = {},
): Promise<ScenarioResult[]> {
  checkReplayOptions(opts);
  if (typeof source === 'string' && /[\r\n]/.test(source)) {
    const f = opts.filter?.toLowerCase();
    const media = mediaCatalog(opts.mediaRoot ?? defaultMediaRoot());
    const scenarios = parseScenarios(source, opts.file ?? '<scenario text>', { media }).filter(
      (s) => !f || `${s.file} ${s.name}`.toLowerCase().includes(f),
    );
    const results: ScenarioResult[] = [];
    for (const s of scenarios) {
      results.push(await runScenario(s, opts));
      opts.onResult?.(results[results.length - 1]!, results.length, scenarios.length);
    }
    return results;
  }
  const report = await replayFiles(typeof source === 'string' ? [source] : source, opts);
  if (report.errors.length > 0) throw new ReplayError(report.errors);
  return report.results;
}
