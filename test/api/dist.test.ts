// The built package's entry points (`npm run build`): 'nt351' and 'nt351/vitest' resolve through
// package.json's exports map to dist/, and the compiled API and matchers work in a test. Skipped when
// dist/ has not been built. Only dist's modules are loaded here: koffi registers Unicorn's callback
// types once per process, so a second copy of src/cpu/unicorn.ts (via ./helpers.js) could not bind.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';

const built = existsSync('dist/index.js') && existsSync('dist/api/vitest.js');
/** libunicorn loads (probed through dist's own binding). */
const unicorn =
  built &&
  (await import(new URL('../../dist/cpu/unicorn.js', import.meta.url).href).then(
    (m: typeof import('../../src/cpu/unicorn.js')) => {
      try {
        new m.UnicornX86().close();
        return true;
      } catch {
        return false;
      }
    },
  ));
const skipped = !built
  ? ' (skipped: dist/ is not built, run npm run build)'
  : !unicorn
    ? ' (skipped: libunicorn is missing)'
    : '';

/** Where Node resolves `specifier` from the package root (a self-reference: the exports map decides). */
const resolved = (specifier: string) =>
  execFileSync(
    process.execPath,
    ['--input-type=module', '-e', `process.stdout.write(import.meta.resolve(${JSON.stringify(specifier)}))`],
    // stderr piped: a refused specifier's stack trace belongs in the thrown error, not in npm test's output.
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );

describe.skipIf(!built || !unicorn)(`the built package${skipped}`, () => {
  it("resolves 'nt351' and 'nt351/vitest' to dist/ with their type declarations", () => {
    const main = fileURLToPath(resolved('nt351'));
    const matchers = fileURLToPath(resolved('nt351/vitest'));
    expect(main).toMatch(/[\\/]dist[\\/]index\.js$/);
    expect(matchers).toMatch(/[\\/]dist[\\/]api[\\/]vitest\.js$/);
    // dist/index.d.ts re-exports the public surface of dist/api/index.d.ts.
    expect(readFileSync(main.replace(/\.js$/, '.d.ts'), 'utf8')).toContain('./api/index.js');
    expect(readFileSync(main.replace(/index\.js$/, 'api/index.d.ts'), 'utf8')).toMatch(/\breplay\b/);
    expect(readFileSync(matchers.replace(/\.js$/, '.d.ts'), 'utf8')).toContain("declare module 'vitest'");
    expect(() => resolved('nt351/harness/boot.js')).toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });

  it('the compiled boot, builder and matchers give the seed symptom and the fixed boot', async () => {
    const api = (await import(resolved('nt351'))) as typeof import('../../src/index.js');
    await import(resolved('nt351/vitest'));
    const r = await api.boot('fixtures/imagesets/kb138713-x86-up');
    expect(r).toRaiseHardError({
      status: 0xc0000263,
      entry: 'RtlIsNameLegalDOS8Dot3',
      module: 'NTOSKRNL.EXE',
    });
    let failure = '';
    try {
      expect(r).toBootCleanly();
    } catch (e) {
      failure = stripVTControlCharacters((e as Error).message);
    }
    expect(failure).toContain('Expected outcome "clean", received "errors"');
    const kernel = new Uint8Array(readFileSync('fixtures/bin/nt351/sp3/ntoskrnl.exe'));
    const fixed = api
      .imageSet('fixtures/imagesets/kb138713-x86-up')
      .replace('\\SystemRoot\\System32\\ntoskrnl.exe', kernel);
    expect(await api.boot(fixed.build())).toBootCleanly();
  });
});
