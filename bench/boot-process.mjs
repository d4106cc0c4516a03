// Child process of bench/boot.ts: in-process boots of one image set through dist/, the code a program
// that imports nt351 runs, in a process that ran nothing else first (the benchmark process has run
// others, whose feedback and heap the shared functions would carry). Prints one JSON line: the median
// wall and CPU ms of boots WARM+1 to WARM+RUNS, then of the RUNS boots after those.
// Usage: node bench/boot-process.mjs <image set> [warm-up boots] [runs]
import { boot } from '../dist/boot/index.js';
import { ImageSet } from '../dist/system/imageset.js';

const [setDir, warm = '20', runs = '200'] = process.argv.slice(2);
const set = ImageSet.open(setDir);
const median = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];

async function measure(n) {
  const wall = [];
  const cpu = [];
  for (let i = 0; i < n; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    const r = await boot(set.fork());
    wall.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
    if (r.outcome !== 'errors') throw new Error(`unexpected outcome ${r.outcome}`);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

for (let i = 0; i < Number(warm); i++) await boot(set.fork());
const first = await measure(Number(runs));
const then = await measure(Number(runs));
process.stdout.write(`${JSON.stringify({ first, then })}\n`);
