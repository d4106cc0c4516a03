// What each command loads before it works (issue 19: commands import only what they use): `--version`
// none of the CLI, `inspect` and `resolve` not the emulator, the kernel, the system layer or yaml.
// Start-up time itself is measured in bench/cli-start.ts, not here. Needs dist/ (npm test builds it).
// bin/nt351.js runs dist/bundle/cli.cjs, one CommonJS file whose layers initialise when a command
// imports them; the module graph is checked on the ES bundle built beside it from the same modules
// (dist/bundle/main.js, whose loaded files name the modules esbuild put in them in `// path` comments).
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { haveUnicorn } from '../helpers/unicorn.js';

const KERNEL = 'fixtures/imagesets/kb138713-x86-up/WINNT35/SYSTEM32/NTOSKRNL.EXE';
const SET = 'fixtures/imagesets/kb138713-x86-up';

// A loader hook reporting each module URL to the main thread, which prints them at exit.
const HOOK = [
  'import{register}from"node:module";import{MessageChannel}from"node:worker_threads";',
  'const{port1,port2}=new MessageChannel();const seen=new Set();port1.on("message",(u)=>seen.add(u));port1.unref();',
  'register("data:text/javascript,let p;export function initialize(d){p=d.port}export async function resolve(s,c,n){const r=await n(s,c);p.postMessage(r.url);return r}",{data:{port:port2},transferList:[port2]});',
  'process.on("exit",()=>process.stderr.write("MODULES "+JSON.stringify([...seen])+"\\n"));',
].join('');

/** Runs `node ...args` with the hook; its stdout and the modules it loaded. */
function modules(...args: string[]): { stdout: string; loaded: string[] } {
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${HOOK}`, ...args], {
    encoding: 'utf8',
  });
  const line = r.stderr.split('\n').find((l) => l.startsWith('MODULES '));
  if (!line) throw new Error(`no module list: ${r.stderr}`);
  const urls = JSON.parse(line.slice(8)) as string[];
  return { stdout: r.stdout, loaded: urls.flatMap(modulesIn) };
}

/** Runs the CLI's ES bundle (dist/bundle/main.js) as bin/nt351.js runs its CommonJS one. */
function esBundle(...cliArgs: string[]): { stdout: string; loaded: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'nt351-start-'));
  try {
    const driver = join(dir, 'driver.mjs');
    const main = pathToFileURL(join(process.cwd(), 'dist/bundle/main.js')).href;
    writeFileSync(driver, `const m=await import(${JSON.stringify(main)});m.main(process.argv);\n`);
    return modules(driver, ...cliArgs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The module `url` is, or for a file of the ES bundle the modules it holds (as `/path`). */
function modulesIn(url: string): string[] {
  if (!url.includes('/dist/bundle/')) return [url];
  const text = readFileSync(fileURLToPath(url), 'utf8');
  return [...text.matchAll(/^\/\/ (\S+\.[cm]?js)$/gm)].map((m) => `/${m[1]}`);
}

const heavy = /\/dist\/(kernel|cpu|boot|system|sandbox|replay|hal|regf)\/|\/node_modules\/(yaml|koffi)\//;

/** What `node bin/nt351.js ...args` loaded: Node's built-in modules and CommonJS files. */
function loadedByBin(...args: string[]): { stdout: string; builtins: string[]; files: string[] } {
  const report =
    'process.on("exit",()=>process.stderr.write("LOADED "+JSON.stringify({b:process.moduleLoadList,f:Object.keys(require.cache)})+"\\n"))';
  const dir = mkdtempSync(join(tmpdir(), 'nt351-start-'));
  try {
    writeFileSync(join(dir, 'report.cjs'), report);
    const r = spawnSync(process.execPath, ['-r', join(dir, 'report.cjs'), 'bin/nt351.js', ...args], {
      encoding: 'utf8',
    });
    const line = r.stderr.split('\n').find((l) => l.startsWith('LOADED '));
    if (!line) throw new Error(`no module list: ${r.stderr}`);
    const { b, f } = JSON.parse(line.slice(7)) as { b: string[]; f: string[] };
    return { stdout: r.stdout, builtins: b, files: f };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('modules loaded per command', () => {
  it('--version prints the package version without loading the CLI', () => {
    const { stdout, loaded } = modules('bin/nt351.js', '--version');
    expect(stdout).toBe(`${JSON.parse(readFileSync('package.json', 'utf8')).version}\n`);
    expect(loaded.filter((u) => u.includes('/dist/'))).toEqual([]);
  });

  it('inspect and resolve load neither the emulator nor the system layer nor yaml', () => {
    for (const args of [
      ['inspect', KERNEL],
      ['resolve', SET],
    ]) {
      const { stdout, loaded } = esBundle(...args);
      expect(stdout.length).toBeGreaterThan(0);
      expect(loaded.some((u) => u.includes('/dist/pe/'))).toBe(true);
      expect(loaded.filter((u) => heavy.test(u))).toEqual([]);
    }
  });

  it('bin/nt351.js runs the CommonJS bundle: no ES-module loader, koffi or child_process for inspect and resolve', () => {
    for (const args of [
      ['inspect', KERNEL],
      ['resolve', SET],
    ]) {
      const { stdout, builtins, files } = loadedByBin(...args);
      expect(stdout).toBe(esBundle(...args).stdout);
      expect(
        builtins.filter((m) => /^NativeModule (child_process|internal\/modules\/esm\/module_job)$/.test(m)),
      ).toEqual([]);
      expect(files.filter((f) => /[\\/]node_modules[\\/]/.test(f))).toEqual([]);
    }
  });

  it.skipIf(!haveUnicorn)(
    "boot loads koffi's native module without koffi's installer helpers (https, crypto, zlib)",
    () => {
      const { stdout, builtins, files } = loadedByBin('boot', '--json', SET);
      expect(JSON.parse(stdout).outcome).toBeDefined();
      expect(files.some((f) => /[\\/]koffi[\\/]build[\\/].*koffi\.node$/.test(f))).toBe(true);
      expect(builtins.filter((m) => /^NativeModule (https|crypto|zlib|tls)$/.test(m))).toEqual([]);
    },
  );
});

describe('output to a file', () => {
  it("is written without loading Node's stream modules, byte for byte as through a pipe", () => {
    const dir = mkdtempSync(join(tmpdir(), 'nt351-out-'));
    try {
      const report = join(dir, 'report.cjs');
      const loaded = join(dir, 'loaded.json');
      writeFileSync(
        report,
        `process.on("exit",()=>require("node:fs").writeFileSync(${JSON.stringify(loaded)},JSON.stringify(process.moduleLoadList)))`,
      );
      const out = join(dir, 'out.txt');
      const fd = openSync(out, 'w');
      try {
        spawnSync(process.execPath, ['-r', report, 'bin/nt351.js', 'inspect', KERNEL], {
          stdio: ['ignore', fd, 'ignore'],
        });
      } finally {
        closeSync(fd);
      }
      const builtins = JSON.parse(readFileSync(loaded, 'utf8')) as string[];
      expect(builtins.filter((m) => /^NativeModule (stream|net|tty)$/.test(m))).toEqual([]);
      expect(readFileSync(out, 'utf8')).toBe(loadedByBin('inspect', KERNEL).stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!haveUnicorn)('the bundle run by bin/nt351.js', () => {
  it('disassembles with Capstone (boot --trace): the package is required, not import()ed', () => {
    // An import() in code compiled from a code cache another process made fails in Node 20
    // (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING): scripts/bundle.cjs turns it into require().
    const r = spawnSync(
      process.execPath,
      ['bin/nt351.js', 'boot', '--json', '--trace', 'insn', '--trace-limit', '2', SET],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as { trace: { entries: { instructions: { text: string }[] }[] } };
    const texts = report.trace.entries.flatMap((e) => e.instructions.map((i) => i.text));
    expect(texts).toHaveLength(2);
    expect(texts.every((t) => /^[a-z]+/.test(t))).toBe(true);
  });
});

describe('the bundle code cache', () => {
  const require = createRequire(import.meta.url);
  const { loadBundle, BUNDLE } = require('../../bin/nt351.js') as {
    loadBundle: (file: string) => { exports: { main?: unknown }; script: { cachedDataRejected?: boolean } };
    BUNDLE: string;
  };

  it('is accepted by this Node for the bundle built beside it', () => {
    const { exports, script } = loadBundle(BUNDLE);
    expect(typeof exports.main).toBe('function');
    expect(script.cachedDataRejected).toBe(false);
  });

  it('the cache of replay --jobs 2 (main thread and workers) is accepted under the V8 flag it runs with', () => {
    // In a child, the flag set at run time as bin/nt351.js sets it (V8 checks a cache's flags).
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        'const b=require(process.argv[1]);require("node:v8").setFlagsFromString(b.TIER_UP_LATER);const l=b.loadBundle(b.BUNDLE,b.BUNDLE+".jobs-cache");console.log(typeof l.exports.replayWorker,l.script.cachedDataRejected)',
        join(process.cwd(), 'bin/nt351.js'),
      ],
      { encoding: 'utf8' },
    );
    expect(r.stdout).toBe('function false\n');
  });

  it('is ignored when it does not fit the bundle (corrupt, or made for another build)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nt351-cache-'));
    try {
      const file = join(dir, 'cli.cjs');
      const cache = readFileSync(`${BUNDLE}.cache`);
      const cases: [string, Buffer | Uint8Array][] = [
        [readFileSync(BUNDLE, 'utf8'), Buffer.from('not a code cache')],
        [readFileSync(BUNDLE, 'utf8'), cache.subarray(0, cache.length >> 1)],
        [`${readFileSync(BUNDLE, 'utf8')}\n// another build\n`, cache],
      ];
      for (const [source, bad] of cases) {
        writeFileSync(file, source);
        writeFileSync(`${file}.cache`, bad);
        // In a child: this process has compiled the bundle already (V8 would reuse that compilation).
        const r = spawnSync(
          process.execPath,
          [
            '-e',
            'const b=require(process.argv[1]).loadBundle(process.argv[2]);console.log(typeof b.exports.main,b.script.cachedDataRejected)',
            join(process.cwd(), 'bin/nt351.js'),
            file,
          ],
          { encoding: 'utf8' },
        );
        expect(r.stdout).toBe('function true\n');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
