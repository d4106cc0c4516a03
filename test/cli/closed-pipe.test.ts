// Every command on a closed output pipe (`nt351 resolve DIR | head -1`): no stack trace, the exit
// status a Unix filter killed by SIGPIPE has (141), nothing on stderr. Runs the CLI from src/ in a
// child process, since EPIPE only arises on a real pipe.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { EXIT_CLOSED_PIPE } from '../../src/cli/main.js';

/** Runs `nt351 ...args` with its stdout pipe closed by the reader before anything is written. */
function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const script = `import('./src/cli/main.ts').then((m) => m.main(['node', 'nt351', ...${JSON.stringify(args)}]))`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((done) => child.on('close', (code) => done({ code, stderr })));
}

describe('a closed stdout pipe', () => {
  it.each([
    [['resolve', 'fixtures/imagesets/kb138713-x86-up']],
    [['resolve', '--json', 'fixtures/bin']],
    [['inspect', 'fixtures/bin/nt351/sp5/ntoskrnl.exe']],
    [['help', 'boot']],
    [['--help']],
    [['replay', '--help']],
  ])('nt351 %j exits 141 without a stack trace', async (args) => {
    const r = await runWithClosedStdout(args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT_CLOSED_PIPE);
  });
});
