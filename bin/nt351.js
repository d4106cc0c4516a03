#!/usr/bin/env node
// Command-line entry: loads the compiled CLI (run `npm run build` or ./scripts/setup.sh first).
// `nt351 --version` is answered here from package.json, before the CLI's modules load (start-up cost).
// The CLI runs from dist/bundle/ (`npm run bundle`: the compiled modules in a few files, so that
// start-up resolves and reads ~20 files instead of ~200, issue 19) unless that bundle is older than
// dist/cli/main.js (a `tsc`-only rebuild since), then from the compiled modules themselves.
import { statSync } from 'node:fs';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
} else {
  const mtime = (path) => statSync(new URL(path, import.meta.url), { throwIfNoEntry: false })?.mtimeMs;
  const bundled = mtime('../dist/bundle/main.js');
  const modules = mtime('../dist/cli/main.js');
  const entry =
    bundled !== undefined && (modules === undefined || bundled >= modules)
      ? '../dist/bundle/main.js'
      : '../dist/cli/main.js';
  // `resolve` runs its parser over each image once: V8's optimising compiler, at its usual budget,
  // compiles code that ends before it pays off (a quarter of resolve's CPU on the 125-file corpus of
  // bench/resolve.ts, a seventh on the 820-file one). Here functions tier up ~15 times later.
  if (args.find((a) => !a.startsWith('-')) === 'resolve') {
    const { setFlagsFromString } = await import('node:v8');
    setFlagsFromString('--interrupt-budget=1000000');
  }
  import(entry).then(
    (m) => m.main(process.argv),
    (err) => {
      if (err && err.code === 'ERR_MODULE_NOT_FOUND' && modules === undefined && bundled === undefined) {
        process.stderr.write('nt351: dist/ is missing: in a checkout of nt351, run npm run build first\n');
        process.exit(70);
      }
      throw err;
    },
  );
}
