// `npm run bundle`: bundles the compiled CLI (dist/) for start-up (issue 19). Writes dist/bundle/:
// - cli.cjs, every module of the CLI in one CommonJS file, which bin/nt351.js runs: a layer's modules
//   initialise only when a command imports it (esbuild's lazy module wrappers), and a CommonJS entry
//   skips Node's ES-module loader; pure ASCII (non-ASCII characters escaped) so Node reads it fast;
// - cli.cjs.cache, V8's code cache for it, made after running --help, inspect, resolve and boot of the
//   seed image set in this process, so it holds the functions those commands compile;
// - cli.cjs.jobs-cache, the code cache `replay --jobs N` (N > 1) compiles it with, in its main thread
//   and its workers: made after a boot and replays, under the V8 flag bin/nt351.js sets for it;
// - worker.cjs, what a `replay --jobs` worker thread runs: cli.cjs, with cli.cjs.jobs-cache;
// - main.js and its chunks, the same modules as ES modules: test/cli/start-up.test.ts lists which
//   modules a command loads from them.
// In both, `koffi` is the stand-in scripts/koffi-native.cjs (koffi's entry loads https, crypto, zlib).
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const esbuild = require('esbuild');

const ROOT = join(__dirname, '..');
const OUT = join(ROOT, 'dist', 'bundle');
/**
 * commander requires node:child_process (and with it net, dgram and streams) to run executable
 * subcommands, which nt351 has none of: it gets a stand-in that loads child_process when called.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(build) {
    build.onResolve({ filter: /^node:child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer)
        ? { path: 'lazy-child-process', namespace: 'nt351' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'nt351' }, () => ({
      contents: "exports.spawn = (...args) => require('node:child_process').spawn(...args);",
      loader: 'js',
    }));
  },
};
/**
 * The emulator's `import koffi from 'koffi'` gets scripts/koffi-native.cjs, which loads koffi's native
 * module without the installer code koffi's entry runs first (and falls back to that entry).
 */
const koffiNative = {
  name: 'koffi-native',
  setup(build) {
    const standIn = join(__dirname, 'koffi-native.cjs');
    build.onResolve({ filter: /^koffi$/ }, (args) =>
      args.importer === standIn ? undefined : { path: standIn },
    );
  },
};
/**
 * In the CommonJS bundle, capstone (a CommonJS package) is required through a stand-in module also
 * where the code import()s it: bin/nt351.js compiles the bundle from a code cache this script made in
 * another process, and there Node 20 does not find the loader for an import() (the cache carries the
 * host-defined options it was made with: ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING, which broke
 * `nt351 boot --trace`). bundle() checks that no import() is left in cli.cjs.
 */
const requireCapstone = {
  name: 'require-capstone',
  setup(build) {
    build.onResolve({ filter: /^@alexaltea\/capstone-js$/ }, (args) =>
      args.namespace === 'nt351-require' ? undefined : { path: args.path, namespace: 'nt351-require' },
    );
    build.onLoad({ filter: /.*/, namespace: 'nt351-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};
const common = {
  bundle: true,
  plugins: [lazyChildProcess, koffiNative],
  platform: 'node',
  target: 'node20',
  external: ['koffi', '@alexaltea/capstone-js', '@resvg/resvg-js'],
  logLevel: 'warning',
};

/**
 * dist/bundle/worker.cjs: a `replay --jobs` worker thread (src/replay/pool.ts starts it when it is
 * there) that runs the CLI bundle compiled with its code cache, as bin/nt351.js does, instead of the
 * compiled modules (which a worker would load through the ES-module loader and compile from source).
 */
const WORKER = `// A replay worker thread of the CLI bundle (written by scripts/bundle.cjs).
'use strict';
const { loadBundle, BUNDLE } = require('../../bin/nt351.js');
const { parentPort } = require('node:worker_threads');
loadBundle(BUNDLE, \`\${BUNDLE}.jobs-cache\`).exports.replayWorker(parentPort);
`;

/** Code units outside ASCII, as \u escapes (the bundle has them in strings and regular expressions only). */
const ascii = (text) =>
  text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** Runs the CLI commands in this process, then writes the code cache of the bundle to `file`. */
async function writeCodeCache(file, commands) {
  const { loadBundle, BUNDLE } = require('../bin/nt351.js');
  const { exports: cli, script } = loadBundle(BUNDLE, null);
  const quiet = { stdout: () => {}, stderr: () => {} };
  for (const args of commands.filter((a) => a.length === 1 || existsSync(a[a.length - 1])))
    await cli.run(['node', 'nt351', ...args], quiet);
  writeFileSync(`${file}.tmp`, script.createCachedData());
  renameSync(`${file}.tmp`, file);
}

const SET = join(ROOT, 'fixtures', 'imagesets', 'kb138713-x86-up');
const BUNDLE = join(OUT, 'cli.cjs');

/** cli.cjs.cache, which bin/nt351.js compiles the bundle with. */
const mainCache = () =>
  writeCodeCache(`${BUNDLE}.cache`, [
    ['--help'],
    ['inspect', join(SET, 'WINNT35', 'SYSTEM32', 'NTOSKRNL.EXE')],
    ['resolve', SET],
    ['boot', '--json', SET],
  ]);

/**
 * cli.cjs.jobs-cache, which `replay --jobs N` (bin/nt351.js) and its workers (worker.cjs) compile the
 * bundle with: made in a child process under the flag bin/nt351.js sets for it (TIER_UP_LATER; V8
 * accepts a cache only under the flags it was made with), after a boot and replays.
 */
function jobsCache() {
  const { TIER_UP_LATER } = require('../bin/nt351.js');
  const r = spawnSync(process.execPath, [TIER_UP_LATER, __filename, '--jobs-cache'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`replay --jobs code cache: exit ${r.status ?? r.signal}`);
}

async function bundle() {
  rmSync(OUT, { recursive: true, force: true });
  await esbuild.build({
    ...common,
    entryPoints: [join(ROOT, 'dist/cli/main.js')],
    splitting: true,
    format: 'esm',
    outdir: OUT,
    entryNames: '[name]',
    banner: {
      js: "import{createRequire as __nt351Require}from'node:module';const require=__nt351Require(import.meta.url);",
    },
  });
  const cjs = BUNDLE;
  await esbuild.build({
    ...common,
    plugins: [...common.plugins, requireCapstone],
    entryPoints: [join(ROOT, 'dist/cli/main.js')],
    format: 'cjs',
    outfile: cjs,
    charset: 'ascii',
    minifyWhitespace: true,
    // import.meta.url as the ES bundle's main.js, beside it: same relative paths (../.., ./worker.js).
    define: { 'import.meta.url': '__nt351_url' },
    banner: {
      js: `"use strict";const __nt351_url=require('node:url').pathToFileURL(require('node:path').join(__dirname,'main.js')).href;`,
    },
  });
  const text = readFileSync(cjs, 'utf8');
  const dynamic = /(?<![\w$.])import\(\s*["'`][^"'`]*/.exec(text);
  if (dynamic) throw new Error(`cli.cjs has an import() bin/nt351.js cannot run: ${dynamic[0]}`);
  writeFileSync(cjs, ascii(text));
  writeFileSync(join(OUT, 'worker.cjs'), WORKER);
  await mainCache();
  jobsCache();
}

(process.argv[2] === '--jobs-cache'
  ? writeCodeCache(`${BUNDLE}.jobs-cache`, [
      ['boot', '--json', SET],
      ['replay', '--filter', 'sp=3', join(ROOT, 'scenarios', 'kb138713')],
    ])
  : bundle()
).then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bundle: ${e?.stack ?? e}\n`);
    process.exit(1);
  },
);
