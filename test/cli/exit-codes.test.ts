// One exit-code table per command: `nt351 CMD --help` ends with it and README.md shows the same
// table under the command, both rendered from src/cli/exit-codes.ts, so neither can drift.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CommandName, EXIT_CODES, exitCodeHelp, exitCodeMarkdown } from '../../src/cli/exit-codes.js';
import { run } from '../../src/cli/main.js';

const commands = Object.keys(EXIT_CODES) as CommandName[];
const readme = readFileSync('README.md', 'utf8');

describe.each(commands)('nt351 %s', (command) => {
  it('--help ends with its exit-code table, one code per line', async () => {
    let stdout = '';
    expect(
      await run(['node', 'nt351', command, '--help'], { stdout: (s) => (stdout += s), stderr: () => {} }),
    ).toBe(0);
    expect(stdout.trimEnd().endsWith(exitCodeHelp(command))).toBe(true);
    expect(stdout.match(/Exit codes of /g)).toHaveLength(1);
  });

  it('README.md shows the same table in its section', () => {
    const start = readme.indexOf(`### \`nt351 ${command}`);
    const end = readme.indexOf('\n### ', start + 1);
    expect(start).toBeGreaterThan(0);
    expect(readme.slice(start, end)).toContain(exitCodeMarkdown(command));
  });

  it('lists 64, 70 and 141 as every command does', () => {
    const codes = EXIT_CODES[command].map(([c]) => c);
    expect(codes).toEqual(expect.arrayContaining([64, 70, 141]));
    expect(codes).toEqual([...codes].sort((a, b) => a - b));
  });
});
