// The CLI run in this process (src/cli/main.ts's run with captured output): exit code, stdout, stderr.
import { run } from '../../src/cli/main.js';

/** Runs `nt351 ...args`, returning its exit code and what it wrote. */
export async function cliInProcess(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(['node', 'nt351', ...args], {
    stdout: (s: string) => {
      out += s;
    },
    stderr: (s: string) => {
      err += s;
    },
  });
  return { code, out, err };
}
