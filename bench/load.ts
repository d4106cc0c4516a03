// Benchmark: the NT loader on the SP5 kernel, its HAL and srv.sys (parse, map, relocate, snap
// imports), in-process; reported per image. Target: under 1 ms per image.
import { readFileSync } from 'node:fs';
import type { ModuleFile, ModuleSource } from '../src/loader/system-loader.js';
import { SystemLoader } from '../src/loader/system-loader.js';

const file = (path: string, baseName: string, dir: string): ModuleFile => ({
  baseName,
  ntPath: `\\SystemRoot\\${dir}\\${baseName.toLowerCase()}`,
  bytes: new Uint8Array(readFileSync(path)),
});

export function benchLoad(log: (s: string) => void): { lines: string[] } {
  const kernel = file('fixtures/bin/nt351/sp5/ntoskrnl.exe', 'NTOSKRNL.EXE', 'System32');
  const hal = file('fixtures/bin/nt351/common/hal.dll', 'HAL.DLL', 'System32');
  const srv = file('fixtures/bin/nt351/sp5/srv.sys', 'SRV.SYS', 'System32\\drivers');
  const source: ModuleSource = {
    findDependency: (n) => [kernel, hal].find((f) => f.baseName === n.toUpperCase()) ?? null,
  };
  const once = () => {
    const loader = new SystemLoader();
    const boot = loader.loadBootImages(
      [
        { file: kernel, role: 'kernel' },
        { file: hal, role: 'hal' },
      ],
      source,
    );
    const r = loader.loadSystemImage(srv, source);
    if (!boot.every((b) => b.ok) || !r.ok) throw new Error('benchmark images failed to load');
  };
  for (let i = 0; i < 50; i++) once(); // warm-up
  const runs = 2000;
  const t = performance.now();
  for (let i = 0; i < runs; i++) once();
  const perImage = (performance.now() - t) / runs / 3;
  log(`load: ${(perImage * 1000).toFixed(1)} µs per image (SP5 kernel + HAL + srv.sys, ${runs} runs)`);
  return {
    lines: [
      `| NT loader: parse, map, relocate, snap (SP5 ntoskrnl.exe + hal.dll + srv.sys, ${runs} runs) | ${(perImage * 1000).toFixed(1)} µs per image | – | target < 1000 µs |`,
    ],
  };
}

if (process.argv[1]?.endsWith('load.ts')) benchLoad((s) => process.stdout.write(`${s}\n`));
