// Issue 18, "Why" item 6: `npm test` printed an ERR_PACKAGE_PATH_NOT_EXPORTED stack trace while passing
// (a child `node` resolving a specifier the exports map refuses wrote its trace to the inherited
// stderr). Runs every test file that expects that error in a vitest of its own: each must pass with
// nothing on stderr and no trace in its output. Needs dist/ and libunicorn, as test/api/dist.test.ts.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveUnicorn } from '../helpers/unicorn.js';

const missing = !existsSync('dist/index.js')
  ? 'dist/ is not built (npm run build)'
  : !haveUnicorn
    ? 'libunicorn.so.2 does not load'
    : null;

/** Test files (other than this one) that provoke ERR_PACKAGE_PATH_NOT_EXPORTED on purpose. */
const provoking = readdirSync('test', { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.test.ts') && !f.endsWith('quiet-tests.test.ts'))
  .map((f) => join('test', f))
  .filter((f) => readFileSync(f, 'utf8').includes('ERR_PACKAGE_PATH_NOT_EXPORTED'));

/** The environment of a nested run: without an enclosing npm's or vitest's variables. */
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(npm_|VITEST)/i.test(k) && k !== 'TEST'),
);

function vitest(files: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...files], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe.skipIf(missing !== null && !process.env.CI)(
  `npm test's output${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    it('the tests that resolve refused package paths pass without printing a stack trace', async () => {
      if (missing) throw new Error(`CI=true and ${missing}`);
      expect(provoking).toContain(join('test', 'api', 'dist.test.ts'));
      const r = await vitest(provoking);
      expect(r.stdout, r.stderr).toMatch(/\n\d+ passed, 0 failed, 0 skipped/);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).not.toMatch(/ERR_PACKAGE_PATH_NOT_EXPORTED|^\s+at .*:\d+:\d+\)?$/m);
    }, 120_000);
  },
);
