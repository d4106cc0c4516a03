// `nt351` with no command: the usage on stderr and exit 64 (a bad command line), never a silent 0.
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { run } from '../../src/cli/main.js';

describe('nt351 alone', () => {
  it('prints the usage with the commands on stderr and exits 64', async () => {
    let stdout = '';
    let stderr = '';
    const code = await run(['node', 'nt351'], {
      stdout: (s) => (stdout += s),
      stderr: (s) => (stderr += s),
    });
    expect(code).toBe(ExitCode.USAGE);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^Usage: nt351 \[options\] \[command\]/);
    for (const c of ['boot', 'replay', 'inspect', 'resolve', 'run-driver'])
      expect(stderr).toContain(`  ${c} `);
    expect(stderr).toContain('64  bad command line');
  });
});
