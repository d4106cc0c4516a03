// The packed package on its own: `npm pack`, install the tarball offline into a fresh project (its
// dependencies linked from this checkout's node_modules), then there: `tsc --noEmit` on a test using
// every matcher, `vitest run` of it, README.md's command-line examples with their exit statuses, a
// scenario file and a driver of the user's own, a PNG picture of a boot drawn with the packaged fonts,
// and error messages that name only files the user has.
// Needs dist/ (npm test builds it first); under CI=true a missing dist/ or libunicorn fails the run.
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOLDEN_TOLERANCE, withinTolerance } from '../helpers/golden-png.js';
import { comparePixels, decodePng, type Pixels, PNG_SIGNATURE } from '../helpers/png.js';
import { haveUnicorn } from '../helpers/unicorn.js';
import { missingChunk, readmeExamples } from './readme-examples.js';

const repo = process.cwd();
/** `boot --render` of the seed as a PNG (test/cli/render-png.test.ts keeps it current). */
const GOLDEN = new Uint8Array(readFileSync('test/golden/png/kb138713-boot.png'));
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> };
const missing = !existsSync('dist/index.js')
  ? 'dist/ is not built (npm run build)'
  : !haveUnicorn
    ? 'libunicorn.so.2 does not load'
    : null;

/** The environment for child npm/node runs: without the npm_* variables of an enclosing `npm test`. */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
/**
 * Runs a program to its end without blocking this worker (vitest's worker must stay responsive: a
 * synchronous child of tens of seconds times its RPC out).
 */
function exec(
  file: string,
  args: string[],
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
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
async function npm(args: string[], cwd: string): Promise<string> {
  const r = await exec('npm', args, cwd);
  if (r.code !== 0) throw new Error(`npm ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

/** A test project of the user's: every matcher, with the types `nt351/vitest` declares. */
const MATCHERS_TEST = `import { boot, imageSet, type BootReport } from 'nt351';
import 'nt351/vitest';
import { expect, it } from 'vitest';

const sets = 'node_modules/nt351/fixtures/imagesets';
it('KB Q138713 with every matcher', async () => {
  const r: BootReport = await boot(\`\${sets}/kb138713-x86-up\`);
  expect(r).toRaiseHardError({ status: 0xc0000263, entry: 'RtlIsNameLegalDOS8Dot3', module: 'NTOSKRNL.EXE' });
  expect(r).toLogEvent({ id: 2508, source: 'Server' });
  expect(r).toLogEvent({ id: 7023, source: 'Service Control Manager', win32Error: 2 });
  expect(r).toHaveServiceState('LanmanServer', 'stopped');
  expect(r).not.toBootCleanly();
  expect(await boot(\`\${sets}/mismatched-hal-x86\`, { cpus: 2 })).toBugCheck({ code: 0x79, params: [2, 2, 0] });
  expect(await boot(imageSet(\`\${sets}/sp3-x86-up\`).build())).toBootCleanly();
  expect({ report: r }).toEqual({ report: expect.toRaiseHardError('Driver Entry Point Not Found') });
});
`;

const MY_SCENARIO = `schema: nt351-scenario/1
name: my symptom
steps:
  - install: { media: nt351-x86-rtm, machine: x86-pc-up }
  - service-pack: { media: nt351-x86-sp3, skip: [NTOSKRNL.EXE] }
  - boot: {}
  - expect: { outcome: errors, events: [{ id: 2508 }, { id: 7023 }] }
`;

describe.skipIf(missing !== null && !process.env.CI)(
  `the packed tarball in a project of its own${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let tmp = '';
    let app = '';
    let installed = '';
    beforeAll(async () => {
      if (missing) throw new Error(`CI=true and ${missing}`);
      tmp = mkdtempSync(join(tmpdir(), 'nt351-consumer-'));
      const [packed] = JSON.parse(
        await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], repo),
      ) as {
        filename: string;
      }[];
      app = join(tmp, 'app');
      mkdirSync(join(app, 'test'), { recursive: true });
      // Dependencies as links to this checkout's copies: the install needs no network and no cache.
      const link = (name: string) => `file:${realpathSync(join(repo, 'node_modules', name))}`;
      const deps: Record<string, string> = { nt351: `file:${join(tmp, packed!.filename)}` };
      for (const name of [...Object.keys(pkg.dependencies), 'vitest', 'typescript', '@types/node'])
        deps[name] = link(name);
      writeFileSync(
        join(app, 'package.json'),
        JSON.stringify({ name: 'app', private: true, type: 'module', dependencies: deps }),
      );
      await npm(['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], app);
      installed = join(app, 'node_modules', 'nt351');
      writeFileSync(join(app, 'test', 'kb.test.ts'), MATCHERS_TEST);
      writeFileSync(
        join(app, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: ['node'],
          },
          include: ['test'],
        }),
      );
    }, 120_000);
    afterAll(() => {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    /** `node_modules/.bin/nt351 ...args` in the project, with the package's own folder shown as ''. */
    const nt351 = async (...args: string[]) => {
      const r = await exec(join(app, 'node_modules', '.bin', 'nt351'), args, app);
      const local = (s: string) => s.split(`${installed}/`).join('');
      return { code: r.code, stdout: local(r.stdout), stderr: local(r.stderr) };
    };

    it('carries the fixtures its defaults and README use, and no sources or tests', () => {
      for (const p of [
        'fixtures/bin/nt351/sp5/ntoskrnl.exe',
        'fixtures/bin/nt351/common/hal.dll',
        'fixtures/media/nt351-x86-rtm',
        'fixtures/imagesets/kb138713-x86-up/machine.yaml',
        'scenarios/kb138713/x86/symptom.yaml',
        'fixtures/README.md',
        'fonts/LiberationSans-Regular.ttf',
        'fonts/LiberationSans-Bold.ttf',
        'fonts/LiberationMono-Regular.ttf',
        'fonts/LICENSE',
      ])
        expect(existsSync(join(installed, p)), p).toBe(true);
      for (const p of ['src', 'test', 'fixtures/src', 'scripts'])
        expect(existsSync(join(installed, p)), p).toBe(false);
    });

    it('tsc --noEmit accepts a test using every matcher (nt351/vitest augments vitest)', async () => {
      const r = await exec(
        process.execPath,
        [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'],
        app,
      );
      expect(r.stdout + r.stderr).toBe('');
      expect(r.code).toBe(0);
    }, 120_000);

    it('vitest runs that test and it passes', async () => {
      const r = await exec(process.execPath, [join(app, 'node_modules', 'vitest', 'vitest.mjs'), 'run'], app);
      expect(r.stdout).toContain('1 passed');
      expect(r.code).toBe(0);
    }, 120_000);

    it("runs README.md's examples from the project's folder, with the output and exit status shown", async () => {
      const examples = readmeExamples(readFileSync(join(installed, 'README.md'), 'utf8'));
      expect(examples.length).toBeGreaterThan(4);
      for (const e of examples) {
        const r = await nt351(...e.args);
        expect(
          missingChunk(e.shown, r.stdout),
          `README.md:${e.line}: nt351 ${e.args.join(' ')}\n${r.stderr}`,
        ).toBeNull();
        expect(r.code, `README.md:${e.line}: nt351 ${e.args.join(' ')}\n${r.stderr}`).toBe(e.exit);
      }
    }, 120_000);

    it("replays the user's own scenario file with the packaged media, and runs the user's driver with the default kernel", async () => {
      writeFileSync(join(app, 'my.yaml'), MY_SCENARIO);
      const replay = await nt351('replay', 'my.yaml');
      expect(replay.stdout).toContain('1 scenario(s): 1 passed, 0 failed; 1 boot(s)');
      expect(replay.code).toBe(0);
      copyFileSync(join(repo, 'fixtures/bin/samples/ioctl.sys'), join(app, 'my.sys'));
      const driver = await nt351('run-driver', 'my.sys');
      expect(driver.stdout).toContain('Outcome: ok');
      expect(driver.code).toBe(0);
    }, 60_000);

    it('draws the seed boot as a PNG with the fonts it carries (boot --render out.png)', async () => {
      const r = await nt351('boot', '--render', 'out.png', 'fixtures/imagesets/kb138713-x86-up');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(1);
      const png = new Uint8Array(readFileSync(join(app, 'out.png')));
      expect([...png.subarray(0, 8)]).toEqual([...PNG_SIGNATURE]);
      const picture = decodePng(png);
      expect([picture.width, picture.height]).toEqual([900, decodePng(GOLDEN).height]);
      expect(png.length).toBeGreaterThan(50_000);
      // Text drawn with the packaged Liberation fonts: below its title (which names the set's path,
      // here inside node_modules), the picture is the checkout's golden.
      const below = (p: Pixels, y: number): Pixels => ({
        width: p.width,
        height: p.height - y,
        pixels: p.pixels.subarray(y * p.width * 4),
      });
      const diff = comparePixels(below(picture, 44), below(decodePng(GOLDEN), 44), GOLDEN_TOLERANCE.channel);
      expect(withinTolerance(diff), JSON.stringify(diff)).toBe(true);
    }, 60_000);

    it('names in its messages only files the user has', async () => {
      mkdirSync(join(app, 'empty'));
      for (const args of [
        ['boot', 'empty'],
        ['boot', 'nowhere'],
        ['replay', 'nowhere.yaml'],
        ['run-driver', 'nowhere.sys'],
      ]) {
        const r = await nt351(...args);
        expect(r.code, args.join(' ')).not.toBe(0);
        expect(r.stderr).not.toMatch(/setup\.sh|README\.md(?! in the nt351 package)/);
        for (const m of r.stderr.matchAll(/([\w/]+\.md) in the nt351 package/g))
          expect(existsSync(join(installed, m[1]!))).toBe(true);
      }
    });
  },
);
