// Every `$ npx nt351 …` example in README.md runs here, and what README shows it printing (the shown
// lines, in order) and its exit status must be what the command does, so README cannot drift.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { haveUnicorn } from '../helpers/unicorn.js';
import { missingChunk, readmeExamples } from './readme-examples.js';

const examples = readmeExamples(readFileSync('README.md', 'utf8'));

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
      let stdout = '';
      const code = await run(['node', 'nt351', ...e.args], {
        stdout: (s) => (stdout += s),
        stderr: () => {},
      });
      expect(missingChunk(e.shown, stdout), `shown in README.md but not printed:\n${stdout}`).toBeNull();
      expect(code).toBe(e.exit);
    },
  );
});
