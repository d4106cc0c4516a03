// What each command loads before it works (issue 19: commands import only what they use): `--version`
// none of the CLI, `inspect` and `resolve` not the emulator, the kernel, the system layer or yaml.
// Start-up time itself is measured in bench/cli-start.ts, not here. Needs dist/ (npm test builds it).
// From the bundle (dist/bundle/, npm run bundle), a loaded file stands for the modules esbuild put in it,
// which it names in `// path` comments.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// A loader hook reporting each module URL to the main thread, which prints them at exit.
const HOOK = [
  'import{register}from"node:module";import{MessageChannel}from"node:worker_threads";',
  'const{port1,port2}=new MessageChannel();const seen=new Set();port1.on("message",(u)=>seen.add(u));port1.unref();',
  'register("data:text/javascript,let p;export function initialize(d){p=d.port}export async function resolve(s,c,n){const r=await n(s,c);p.postMessage(r.url);return r}",{data:{port:port2},transferList:[port2]});',
  'process.on("exit",()=>process.stderr.write("MODULES "+JSON.stringify([...seen])+"\\n"));',
].join('');

function modules(...args: string[]): { stdout: string; loaded: string[] } {
  const r = spawnSync(
    process.execPath,
    ['--import', `data:text/javascript,${HOOK}`, 'bin/nt351.js', ...args],
    {
      encoding: 'utf8',
    },
  );
  const line = r.stderr.split('\n').find((l) => l.startsWith('MODULES '));
  if (!line) throw new Error(`no module list: ${r.stderr}`);
  const urls = JSON.parse(line.slice(8)) as string[];
  return { stdout: r.stdout, loaded: urls.flatMap(modulesIn) };
}

/** The module `url` is, or for a file of the bundle the modules it holds (as `/path`). */
function modulesIn(url: string): string[] {
  if (!url.includes('/dist/bundle/')) return [url];
  const text = readFileSync(fileURLToPath(url), 'utf8');
  return [...text.matchAll(/^\/\/ (\S+\.[cm]?js)$/gm)].map((m) => `/${m[1]}`);
}

const heavy = /\/dist\/(kernel|cpu|boot|system|sandbox|replay|hal|regf)\/|\/node_modules\/(yaml|koffi)\//;

describe('modules loaded per command', () => {
  it('--version prints the package version without loading the CLI', () => {
    const { stdout, loaded } = modules('--version');
    expect(stdout).toBe(`${JSON.parse(readFileSync('package.json', 'utf8')).version}\n`);
    expect(loaded.filter((u) => u.includes('/dist/'))).toEqual([]);
  });

  it('inspect and resolve load neither the emulator nor the system layer nor yaml', () => {
    for (const args of [
      ['inspect', 'fixtures/imagesets/kb138713-x86-up/WINNT35/SYSTEM32/NTOSKRNL.EXE'],
      ['resolve', 'fixtures/imagesets/kb138713-x86-up'],
    ]) {
      const { stdout, loaded } = modules(...args);
      expect(stdout.length).toBeGreaterThan(0);
      expect(loaded.some((u) => u.includes('/dist/pe/'))).toBe(true);
      expect(loaded.filter((u) => heavy.test(u))).toEqual([]);
    }
  });
});
