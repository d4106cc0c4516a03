// Every `$ npx nt351 …` example in README.md runs here, and what README shows it printing (the shown
// lines, in order) and its exit status must be what the command does, so README cannot drift.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { haveUnicorn } from '../helpers/unicorn.js';
import { missingChunk, readmeExamples } from './readme-examples.js';

const examples = readmeExamples(readFileSync('README.md', 'utf8'));

/**
 * `nt351 ...args` from src/ in a child process: the whole KB suite's 80 boots run synchronously, and
 * in this worker they would keep vitest's RPC waiting past its timeout on a loaded machine.
 */
function nt351(args: string[]): Promise<{ code: number | null; stdout: string }> {
  const script = `import('./src/cli/main.ts').then((m) => m.main(['node', 'nt351', ...${JSON.stringify(args)}]))`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  return new Promise((done) => child.on('close', (code) => done({ code, stdout })));
}

describe('README.md examples', () => {
  it('shows at least one example of every command, each with its exit status', () => {
    const commands = new Set(examples.map((e) => e.args.find((a) => !a.startsWith('-'))));
    expect([...commands].sort()).toEqual(['boot', 'inspect', 'replay', 'resolve', 'run-driver']);
    for (const e of examples) expect(e.exit, `README.md:${e.line} shows no exit status`).not.toBeNull();
  });

  it.for(examples.map((e) => [`README.md:${e.line}: nt351 ${e.args.join(' ')}`, e] as const))(
    '%s',
    async ([, e], { skip }) => {
      // Every example but inspect and resolve emulates x86 code.
      if (!['inspect', 'resolve'].includes(e.args[0]!) && !haveUnicorn) skip('libunicorn.so.2 does not load');
      const { code, stdout } = await nt351(e.args);
      expect(missingChunk(e.shown, stdout), `shown in README.md but not printed:\n${stdout}`).toBeNull();
      expect(code).toBe(e.exit);
    },
  );
});
