// Describes the machine a benchmark ran on, for docs/benchmarks.md.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

export function machineLine(): string {
  const cpu = cpus();
  const pefile = (() => {
    try {
      return execFileSync(
        '/usr/bin/python3',
        ['-c', 'import pefile,sys; print(pefile.__version__, sys.version.split()[0])'],
        {
          encoding: 'utf8',
        },
      ).trim();
    } catch {
      return 'unavailable';
    }
  })();
  return `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, pefile/python ${pefile}`;
}
