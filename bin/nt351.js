#!/usr/bin/env node
// Command-line entry: loads the compiled CLI (run `npm run build` or ./scripts/setup.sh first).
// CommonJS (bin/package.json), so that start-up skips Node's ES-module loader (issue 19).
// `nt351 --version` is answered here from package.json, before the CLI's modules load.
// The CLI runs from dist/bundle/cli.cjs (`npm run bundle`: every module in one CommonJS file whose
// layers initialise only when a command imports them), compiled with the V8 code cache the build
// wrote beside it (cli.cjs.cache; one V8 rejects, e.g. another Node's, is ignored), unless that
// bundle is older than dist/cli/main.js (a `tsc`-only rebuild since): then from the compiled modules.
'use strict';
const { readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const BUNDLE = join(ROOT, 'dist', 'bundle', 'cli.cjs');
const MODULES = join(ROOT, 'dist', 'cli', 'main.js');

/**
 * V8's flag for commands whose functions should tier up ~15 times later than usual (see start()); set
 * after the bundle is compiled (a code cache is only accepted under the flags it was made with).
 */
const TIER_UP_LATER = '--interrupt-budget=1000000';

/**
 * Compiles and runs the bundle `file` as a CommonJS module with `cache` (default `file`.cache; null:
 * none) as V8's code cache when there is one; returns its exports and the compiled script (scripts/bundle.cjs makes
 * the caches from it).
 */
function loadBundle(file, cache = `${file}.cache`) {
  const vm = require('node:vm');
  const { createRequire } = require('node:module');
  let cachedData;
  try {
    if (cache) cachedData = readFileSync(cache);
  } catch {}
  const source = readFileSync(file, 'utf8');
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const mod = { exports: {} };
  script.runInThisContext().call(mod.exports, mod.exports, createRequire(file), mod, file, join(file, '..'));
  return { exports: mod.exports, script };
}

function start() {
  const args = process.argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    process.stdout.write(`${pkg.version}\n`);
    return;
  }
  const mtime = (path) => statSync(path, { throwIfNoEntry: false })?.mtimeMs;
  const bundled = mtime(BUNDLE);
  const modules = mtime(MODULES);
  // Functions tier up ~15 times later (TIER_UP_LATER) for:
  // - `resolve`, which runs its parser over each image once: V8's optimising compiler, at its usual
  //   budget, compiles code that ends before it pays off (a quarter of resolve's CPU on the 125-file
  //   corpus of bench/resolve.ts, a seventh on the 820-file one);
  // - `replay --jobs N` with N > 1, where every core runs scenarios: the optimising compiler, which
  //   with one job works on the otherwise idle core, then competes with the jobs, and each worker's
  //   isolate optimises the same functions again (its background threads took 0.65 s of CPU per
  //   isolate beside a 0.9 s main thread for the 49 x86 KB scenarios; 0.05 s with this budget).
  // A code cache is only accepted under the flags it was made with: resolve sets the flag after the
  // bundle is compiled; replay --jobs sets it first and compiles the bundle with cli.cjs.jobs-cache,
  // made under it after replays (scripts/bundle.cjs), as its workers do (dist/bundle/worker.cjs).
  const command = args.find((a) => !a.startsWith('-'));
  const jobs = command === 'replay' && jobsOf(args) > 1;
  if (jobs) require('node:v8').setFlagsFromString(TIER_UP_LATER);
  const cli =
    bundled !== undefined && (modules === undefined || bundled >= modules)
      ? loadBundle(BUNDLE, jobs ? `${BUNDLE}.jobs-cache` : undefined).exports
      : undefined;
  if (command === 'resolve') require('node:v8').setFlagsFromString(TIER_UP_LATER);
  if (cli) return cli.main(process.argv);
  import('../dist/cli/main.js').then(
    (m) => m.main(process.argv),
    (err) => {
      if (err && err.code === 'ERR_MODULE_NOT_FOUND' && modules === undefined) {
        process.stderr.write('nt351: dist/ is missing: in a checkout of nt351, run npm run build first\n');
        process.exit(70);
      }
      throw err;
    },
  );
}

/** The value of `--jobs N` or `--jobs=N` in `args` (1 when absent or not a number). */
function jobsOf(args) {
  const at = args.indexOf('--jobs');
  const text = at >= 0 ? args[at + 1] : args.find((a) => a.startsWith('--jobs='))?.slice(7);
  return Number(text) || 1;
}

if (require.main === module) start();
else module.exports = { loadBundle, BUNDLE, TIER_UP_LATER };
