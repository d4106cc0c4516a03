// The real-driver corpus (test/corpus/*/): every driver is run by run-driver under --kernel
// registry, and the routines without a handler it reaches are compared with
// test/corpus/unimplemented.json, a list that may only shrink (pe-parse's corkami corpus test):
// a new miss fails, and so does a listed miss no longer reached, until the list is updated.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runDriver } from '../../src/sandbox/index.js';

const ROOT = fileURLToPath(new URL('.', import.meta.url));
const LIST = join(ROOT, 'unimplemented.json');

/** Every .sys file under `dir`, absolute. */
function sysFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sysFiles(join(dir, e.name)) : /\.sys$/i.test(e.name) ? [join(dir, e.name)] : [],
  );
}
/** The corpus's drivers as paths relative to its folder, with forward slashes. */
const corpusDrivers = () =>
  sysFiles(ROOT)
    .map((p) => relative(ROOT, p).split('\\').join('/'))
    .sort();

const listed = (JSON.parse(readFileSync(LIST, 'utf8')) as { drivers: Record<string, string[]> }).drivers;
const drivers = corpusDrivers();

describe('real-driver corpus under run-driver --kernel registry', () => {
  it('has drivers, each listed in unimplemented.json, and lists no driver that is gone', () => {
    expect(drivers.length).toBeGreaterThan(0);
    expect(Object.keys(listed).sort()).toEqual(drivers);
  });

  it.each(drivers)(
    '%s reaches only the listed unimplemented routines',
    async (driver) => {
      const report = await runDriver({ driver: join(ROOT, driver), kernel: 'registry' });
      expect(report.calls.filter((c) => c.outcome.kind === 'host-error')).toEqual([]);
      const reached = [
        ...new Set(
          report.events.flatMap((e) => (e.type === 'unimplemented-routine' ? [`${e.module}!${e.name}`] : [])),
        ),
      ].sort();
      const known = listed[driver] ?? [];
      const added = reached.filter((r) => !known.includes(r));
      const gone = known.filter((r) => !reached.includes(r));
      expect(
        added,
        `${driver} reaches routines not in unimplemented.json: implement them or list them`,
      ).toEqual([]);
      expect(
        gone,
        `${driver} no longer reaches these: remove them from unimplemented.json (the list only shrinks)`,
      ).toEqual([]);
    },
    60_000,
  );
});
