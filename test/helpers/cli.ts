// The CLI run in this process (src/cli/main.ts's run with captured output): exit code, stdout, stderr.
import { run } from '../../src/cli/main.js';

/** Runs `nt351 ...args`, returning its exit code and what it wrote. */
export async function cliInProcess(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(['node', 'nt351', ...args], {
    stdout: (s: string) => {
      stdout += s;
    },
    stderr: (s: string) => {
      stderr += s;
    },
  });
  return { code, stdout, stderr };
}
