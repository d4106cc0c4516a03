// Benchmark: how fast `nt351 --version`, `nt351 inspect`, `nt351 resolve` (targets: within 1.5×) and
// `nt351 boot --json` (target: within 2×) start, against `node -e 0` in the same run, runs interleaved,
// medians of wall and CPU time; and how many ES module files each command loads (an ESM resolve hook
// counts them: bin/nt351.js runs the CLI from one CommonJS bundle, dist/bundle/cli.cjs, so 1, the bin).
import { spawnSync } from 'node:child_process';
import { haveTime, median, timed } from './timed.js';

const CLI = 'bin/nt351.js';
const KERNEL = 'fixtures/imagesets/kb138713-x86-up/WINNT35/SYSTEM32/NTOSKRNL.EXE';
const SET = 'fixtures/imagesets/kb138713-x86-up';
const RUNS = 11;

const COMMANDS: [string, string[]][] = [
  ['node -e 0', ['-e', '0']],
  ['nt351 --version', [CLI, '--version']],
  [`nt351 inspect ${KERNEL}`, [CLI, 'inspect', KERNEL]],
  [`nt351 resolve ${SET}`, [CLI, 'resolve', SET]],
  [`nt351 boot --json ${SET}`, [CLI, 'boot', '--json', SET]],
];
/** Target ratio to `node -e 0` per command (issue 19). */
const TARGET = (name: string) => (name.startsWith('nt351 boot') ? 2 : 1.5);

// A loader hook reporting each module URL to the main thread, which prints the count at exit.
const COUNT_HOOK = [
  'import{register}from"node:module";import{MessageChannel}from"node:worker_threads";',
  'const{port1,port2}=new MessageChannel();const seen=new Set();port1.on("message",(u)=>seen.add(u));port1.unref();',
  'register("data:text/javascript,let p;export function initialize(d){p=d.port}export async function resolve(s,c,n){const r=await n(s,c);p.postMessage(r.url);return r}",{data:{port:port2},transferList:[port2]});',
  'process.on("exit",()=>process.stderr.write("modules: "+[...seen].filter((u)=>!u.startsWith("node:")).length+"\\n"));',
].join('');

/** ES modules (ours and packages', not node: built-ins; CommonJS files not counted) `args` loads. */
function modulesLoaded(args: string[]): number {
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${COUNT_HOOK}`, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return Number(/modules: (\d+)/.exec(r.stderr)?.[1] ?? Number.NaN);
}

export function benchCliStart(log: (s: string) => void): { lines: string[] } {
  if (!haveTime) {
    log('cli start: skipped, /usr/bin/time (Debian package time) is not installed');
    return { lines: [] };
  }
  const runs = COMMANDS.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
  for (let i = 0; i < RUNS; i++) {
    COMMANDS.forEach(([, args], k) => {
      const t = timed(process.execPath, args);
      if (t.status !== 0 && t.status !== 1) throw new Error(`${COMMANDS[k]![0]} exited ${t.status}`);
      runs[k]!.wall.push(t.wallMs);
      runs[k]!.cpu.push(t.cpuMs);
    });
  }
  const node = { wall: median(runs[0]!.wall), cpu: median(runs[0]!.cpu) };
  const lines: string[] = [];
  COMMANDS.slice(1).forEach(([name, args], i) => {
    const wall = median(runs[i + 1]!.wall);
    const cpu = median(runs[i + 1]!.cpu);
    const modules = modulesLoaded(args);
    log(
      `cli start: ${name} ${wall.toFixed(0)} ms wall, ${cpu.toFixed(0)} ms CPU, ${modules} module files; node -e 0 ${node.wall.toFixed(0)} ms, ${node.cpu.toFixed(0)} ms CPU`,
    );
    lines.push(
      `| CLI start: \`${name}\` (median of ${RUNS}, interleaved) | ${wall.toFixed(0)} ms wall, ${cpu.toFixed(0)} ms CPU; ${modules} ES module files loaded | node -e 0: ${node.wall.toFixed(0)} ms wall, ${node.cpu.toFixed(0)} ms CPU | **${(wall / node.wall).toFixed(2)}×** wall, ${(cpu / node.cpu).toFixed(2)}× CPU (target ≤ ${TARGET(name)}×) |`,
    );
  });
  return { lines };
}

if (process.argv[1]?.endsWith('cli-start.ts')) benchCliStart((s) => process.stdout.write(`${s}\n`));
