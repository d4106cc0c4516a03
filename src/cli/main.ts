// The nt351 command line: argument parsing and output only; the work is done by the layers below
// (src/boot, src/sandbox, src/replay, src/analysis, src/system), through their index.ts faces.

import { existsSync, fstatSync, statSync, writeSync } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';
import { Command, CommanderError, Option } from 'commander';
import type { TraceUnit } from '../boot/index.js';
import { MalformedPeError, PeImage } from '../pe/index.js';
import { bootProgress } from './boot-progress.js';
import { BootExit, EXIT_CODE_HELP, ExitCode, exitCodeHelp } from './exit-codes.js';
import {
  checkOutputDir,
  checkOutputFile,
  checkReadableFile,
  collectImages,
  examplePath,
  InputError,
  inputErrorOf,
  OutputError,
  openInputFile,
  packageVersion,
  readInputFile,
  reasonOf,
  UsageError,
  writeOutputFile,
} from './files.js';
import { malformedLine, renderInspect, renderResolve } from './render.js';

/**
 * The layers a command needs, loaded when that command runs (issue 19: `--version`, `--help`,
 * `inspect` and `resolve` do not load the emulator, koffi or the kernel's handlers).
 */
const load = {
  analysis: () => import('../analysis/index.js'),
  boot: () => import('../boot/index.js'),
  replay: () => import('../replay/index.js'),
  sandbox: () => import('../sandbox/index.js'),
  system: () => import('../system/index.js'),
  renderBoot: () => import('./render-boot.js'),
  renderPng: () => import('./render-png.js'),
  renderReplay: () => import('./render-replay.js'),
  renderRun: () => import('./render-run.js'),
};

/** Output sinks, replaceable for tests. */
export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** stderr is a terminal: progress is drawn in place there. */
  stderrIsTTY?: boolean;
}

const direct = new Map<number, boolean>();
/**
 * Whether fd 1 or 2 is a regular file or /dev/null: the CLI writes those with writeSync, as the
 * stream Node makes for them (a SyncWriteStream) does, without loading Node's stream modules (issue
 * 19: ~4 ms of `nt351 boot --json`'s start-up). Pipes and terminals go through process.stdout and
 * process.stderr (asynchronous pipes, the closed-pipe exit below).
 */
function writtenDirectly(fd: 1 | 2): boolean {
  let known = direct.get(fd);
  if (known === undefined) {
    try {
      const st = fstatSync(fd);
      known = st.isFile() || (st.isCharacterDevice() && st.rdev === statSync('/dev/null').rdev);
    } catch {
      known = false;
    }
    direct.set(fd, known);
  }
  return known;
}

const stream = (fd: 1 | 2) => (fd === 1 ? process.stdout : process.stderr);
const writeTo = (fd: 1 | 2) => (s: string) => {
  if (writtenDirectly(fd)) writeSync(fd, s);
  else stream(fd).write(s);
};
const processIo: Io = {
  stdout: writeTo(1),
  stderr: writeTo(2),
  get stderrIsTTY() {
    return !writtenDirectly(2) && process.stderr.isTTY === true;
  },
};

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/** `resolve` shows a progress line on a terminal above this many images. */
const PROGRESS_FROM = 100;

function program(io: Io, setExit: (code: number) => void): Command {
  const cli = new Command('nt351')
    .description(
      'nt351: an emulator of the Windows NT 3.51 kernel image.\nParses PE images and resolves driver imports with NT 3.51 loader semantics.',
    )
    .version(packageVersion())
    .showHelpAfterError('(run nt351 --help for usage)')
    .addHelpText('after', `\n${EXIT_CODE_HELP}`)
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  cli
    .command('boot')
    .description(
      'boot an NT 3.51 image set: OS loader, kernel and HAL initialisation, drivers, services; show popups, events and STOP screens',
    )
    .argument(
      '[imageset]',
      'what to boot (required): a drive root with BOOT.INI, a system root (WINNT35), or an image set with machine.yaml',
    )
    .option('--cpus <n>', "processors present (default: machine.yaml's cpus, else 1); a UP kernel starts one")
    .option(
      '--profile <name>',
      "machine profile (default: machine.yaml's, else the one HAL.DLL was built for)",
    )
    .option(
      '--boot-entry <n>',
      "BOOT.INI's [operating systems] entry to start, 1-based (default: its default=)",
    )
    .option(
      '--last-known-good',
      "boot the SYSTEM hive's LastKnownGood control set (the space bar at NT's prompt)",
    )
    .option(
      '--save-overlay <dir>',
      'write the files the boot changed (the System event log) under this folder',
    )
    .option(
      '--render <file>',
      'draw the boot as a picture (popups, STOP screen, Event Viewer, timeline, outcome): FILE.svg, FILE.png or FILE.html',
    )
    .option('--trace [unit]', "list the guest code the boot runs: 'block' (default) or 'insn'")
    .option('--trace-limit <n>', 'most trace entries to keep', '5000')
    .option('--max-instructions <n>', 'instruction budget per guest routine', '10000000')
    .option('--max-millis <n>', 'wall-clock budget per guest routine in milliseconds', '5000')
    .option('--json', 'print the report as JSON (schema/boot-report.schema.json)')
    .addHelpText(
      'after',
      `\nExamples:\n  nt351 boot fixtures/imagesets/kb138713-x86-up\n  nt351 boot --cpus 2 fixtures/imagesets/mismatched-hal-x86\n\n${exitCodeHelp('boot')}`,
    )
    .action(
      async (
        dirArg: string | undefined,
        opts: {
          cpus?: string;
          profile?: string;
          bootEntry?: string;
          lastKnownGood?: boolean;
          saveOverlay?: string;
          render?: string;
          trace?: string | boolean;
          traceLimit: string;
          maxInstructions: string;
          maxMillis: string;
          json?: boolean;
        },
      ) => {
        const { ImageSet, ImageSetError } = await load.system();
        const { boot, BootUnsupportedError, GuestMemoryLimitError, profileNames, UnicornUnavailableError } =
          await load.boot();
        const { renderBoot, renderBootHtml, renderBootSvg } = await load.renderBoot();
        const fail = (exit: number, error: string, message: string) => {
          if (opts.json) io.stdout(json({ error: { error, message } }));
          io.stderr(`nt351: ${message}\n`);
          setExit(exit);
        };
        const number = (flag: string, text: string, min: number, max: number) => {
          const n = Number(text);
          if (!Number.isInteger(n) || n < min || n > max) {
            fail(
              BootExit.USAGE,
              'UsageError',
              `${flag} expects a whole number from ${min} to ${max}, got '${text}'`,
            );
            return null;
          }
          return n;
        };
        const cpus = opts.cpus === undefined ? undefined : number('--cpus', opts.cpus, 1, 32);
        const maxInstructions = number('--max-instructions', opts.maxInstructions, 1, 2 ** 53);
        const maxMillis = number('--max-millis', opts.maxMillis, 1, 2 ** 31);
        const traceLimit = number('--trace-limit', opts.traceLimit, 1, 10_000_000);
        const bootEntry =
          opts.bootEntry === undefined ? undefined : number('--boot-entry', opts.bootEntry, 1, 99);
        if (
          cpus === null ||
          maxInstructions === null ||
          maxMillis === null ||
          traceLimit === null ||
          bootEntry === null
        )
          return;
        const traced = traceArgs(dirArg, opts.trace);
        if ('error' in traced) return fail(BootExit.USAGE, 'UsageError', traced.error);
        if (traced.target !== undefined) traced.target = examplePath(traced.target);
        if (opts.profile !== undefined && !profileNames().includes(opts.profile))
          return fail(
            BootExit.USAGE,
            'UsageError',
            `--profile: unknown machine profile '${opts.profile}' (known: ${profileNames().join(', ')})`,
          );
        const { target: dir, trace } = traced;
        if (dir === undefined)
          return fail(BootExit.USAGE, 'UsageError', "missing required argument 'imageset'");
        if (opts.render && !/\.(svg|png|html?)$/i.test(opts.render))
          return fail(
            BootExit.USAGE,
            'UsageError',
            `--render expects a file name ending in .svg, .png or .html, got '${opts.render}'`,
          );
        try {
          if (opts.render) checkOutputFile(opts.render);
          // resvg's native binary loads before the boot, so a platform without one fails at once.
          const png = opts.render && /\.png$/i.test(opts.render) ? await load.renderPng() : null;
          if (opts.saveOverlay) await checkOutputDir(opts.saveOverlay, [dir]);
          const set = ImageSet.open(dir, bootEntry === undefined ? {} : { bootEntry });
          for (const w of set.skipped) io.stderr(`nt351: warning: ${w}\n`);
          // A progress line on a terminal for a long boot, erased before the report.
          const progress = !opts.json && io.stderrIsTTY === true ? bootProgress(io.stderr) : null;
          let report: Awaited<ReturnType<typeof boot>>;
          try {
            report = await boot(set, {
              cpus,
              profile: opts.profile,
              ...(opts.lastKnownGood ? { lastKnownGood: true } : {}),
              maxInstructions,
              maxMillis,
              trace,
              traceLimit,
              ...(progress ? { onProgress: progress.onProgress } : {}),
            });
          } finally {
            progress?.done();
          }
          if (opts.saveOverlay) {
            try {
              set.saveOverlay(opts.saveOverlay);
            } catch (e) {
              throw new OutputError(opts.saveOverlay, reasonOf(e));
            }
          }
          if (opts.render) {
            let picture: string | Uint8Array;
            try {
              picture = png
                ? png.svgToPng(renderBootSvg(report))
                : /\.svg$/i.test(opts.render)
                  ? renderBootSvg(report)
                  : renderBootHtml(report);
            } catch (e) {
              if (png && e instanceof png.PictureTooLargeError) throw new OutputError(opts.render, e.message);
              throw e;
            }
            await writeOutputFile(opts.render, picture, [dir]);
          }
          io.stdout(opts.json ? json(report) : renderBoot(report));
          setExit(
            report.outcome === 'clean'
              ? BootExit.CLEAN
              : report.outcome === 'errors'
                ? BootExit.ERRORS
                : BootExit.STOPPED,
          );
        } catch (e) {
          if (e instanceof ImageSetError)
            return fail(
              /not found|missing/.test(e.reason) ? BootExit.NO_INPUT : BootExit.BAD_INPUT,
              'ImageSetError',
              e.message,
            );
          if (
            e instanceof BootUnsupportedError ||
            e instanceof UnicornUnavailableError ||
            e instanceof GuestMemoryLimitError
          )
            return fail(BootExit.EMULATOR, e.name, e.message.replace(/^nt351: /, ''));
          if (e instanceof OutputError) return fail(BootExit.CANT_CREATE, e.name, e.message);
          if (e instanceof InputError) return fail(BootExit.NO_INPUT, e.name, e.message);
          const input = inputErrorOf(e);
          if (input) return fail(BootExit.NO_INPUT, input.name, input.message);
          throw e;
        }
      },
    );

  cli
    .command('replay')
    .description(
      'run scenario files (install, service packs, file changes, boots, expectations) on copy-on-write image sets',
    )
    .argument('<paths...>', 'scenario files (.yaml) and/or folders of them')
    .option('--json', 'print the results as JSON')
    .option('--junit <file>', 'also write JUnit XML for CI systems')
    .option('--filter <text>', 'only scenarios whose name or file contains this text')
    .option('--jobs <n>', 'worker threads', '1')
    .option('--media <dir>', 'where media names are looked up (default: the fixture media)')
    .addHelpText(
      'after',
      `\nExamples:\n  nt351 replay scenarios/kb138713\n  nt351 replay --filter "sp=3" --jobs 2 --junit kb.xml scenarios/kb138713\n\n${exitCodeHelp('replay')}`,
    )
    .action(
      async (
        paths: string[],
        opts: { json?: boolean; junit?: string; filter?: string; jobs: string; media?: string },
      ) => {
        const { replay, scenarioFiles } = await load.replay();
        const { progressBar, progressLine, renderJunit, renderReplay } = await load.renderReplay();
        paths = paths.map(examplePath);
        if (opts.media !== undefined) opts.media = examplePath(opts.media);
        const fail = (exit: number, error: string, message: string, path?: string) => {
          if (opts.json) io.stdout(json({ error: { error, ...(path ? { path } : {}), message } }));
          io.stderr(`nt351: ${message}\n`);
          setExit(exit);
        };
        const jobs = Number(opts.jobs);
        if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)
          return fail(
            BootExit.USAGE,
            'UsageError',
            `--jobs expects a whole number from 1 to 64, got '${opts.jobs}'`,
          );
        for (const p of paths) {
          if (!existsSync(p)) return fail(BootExit.NO_INPUT, 'InputError', `${p}: no such file or folder`, p);
          try {
            checkReadableFile(p);
          } catch (e) {
            if (!(e instanceof InputError)) throw e;
            return fail(BootExit.NO_INPUT, e.name, e.message, e.path);
          }
        }
        if (opts.media !== undefined && !isFolder(opts.media))
          return fail(BootExit.NO_INPUT, 'InputError', `${opts.media}: no such folder (--media)`, opts.media);
        if (opts.junit) {
          try {
            checkOutputFile(opts.junit);
          } catch (e) {
            if (!(e instanceof OutputError)) throw e;
            return fail(BootExit.CANT_CREATE, e.name, e.message, e.path);
          }
        }
        let files: string[];
        try {
          files = scenarioFiles(paths);
        } catch (e) {
          const input = inputErrorOf(e);
          if (!input) throw e;
          return fail(BootExit.NO_INPUT, input.name, input.message, input.path);
        }
        if (files.length === 0)
          return fail(
            BootExit.NO_INPUT,
            'InputError',
            `${paths.join(' ')}: no scenario files (*.yaml, *.yml) found`,
          );
        const tty = !opts.json && io.stderrIsTTY === true;
        let report: Awaited<ReturnType<typeof replay>>;
        try {
          report = await replay(paths, {
            jobs,
            ...(opts.filter ? { filter: opts.filter } : {}),
            ...(opts.media ? { mediaRoot: opts.media } : {}),
            onResult: opts.json
              ? undefined
              : (r, done, total) =>
                  io.stderr(tty ? progressBar(done, total) : `${progressLine(r, done, total)}\n`),
          });
        } catch (e) {
          const input = inputErrorOf(e);
          if (!input) throw e;
          return fail(BootExit.NO_INPUT, input.name, input.message, input.path);
        }
        if (tty) io.stderr('\n');
        if (opts.filter && report.results.length === 0 && report.errors.length === 0)
          return fail(
            BootExit.NO_INPUT,
            'InputError',
            `--filter '${opts.filter}' matches none of the scenarios in ${paths.join(' ')}`,
          );
        if (opts.junit) {
          try {
            await writeOutputFile(opts.junit, renderJunit(report));
          } catch (e) {
            if (!(e instanceof OutputError)) throw e;
            return fail(BootExit.CANT_CREATE, e.name, e.message, e.path);
          }
        }
        io.stdout(opts.json ? json(report) : renderReplay(report));
        for (const e of report.errors) io.stderr(`nt351: ${e.message}\n`);
        setExit(report.errors.length ? BootExit.BAD_INPUT : report.summary.failed ? 1 : 0);
      },
    );

  cli
    .command('inspect')
    .description(
      'show the headers, sections, exports, imports, relocations and version resource of a PE image',
    )
    .argument('<file>', 'PE image (.exe, .dll, .sys)')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `\nExample:\n  nt351 inspect fixtures/imagesets/kb138713-x86-up/WINNT35/SYSTEM32/NTOSKRNL.EXE\n\n${exitCodeHelp('inspect')}`,
    )
    .action(async (given: string, opts: { json?: boolean }) => {
      const { inspectImage } = await load.analysis();
      const file = examplePath(given);
      const bytes = readInputFile(file);
      const report = inspectImage(PeImage.parse(bytes, file), bytes.length);
      io.stdout(opts.json ? json(report) : renderInspect(report));
      setExit(report.errors.length ? ExitCode.MALFORMED : ExitCode.OK);
    });

  cli
    .command('resolve')
    .description(
      "resolve every import of a set of images against the set's exports (Dependency Walker style), giving NT's status for each miss",
    )
    .argument(
      '<paths...>',
      'image files and/or directories (searched recursively for files starting with "MZ")',
    )
    .option(
      '--kernel-mode',
      "apply the NT kernel loader's rules (driver statuses 0xC0000263/0xC0000262, no user-mode DLLs)",
    )
    .option('--json', 'print the report as JSON')
    .option('--verbose', 'list every miss, refused image and warning (default: a summary that fits a screen)')
    .addOption(
      new Option('--user-mode', "apply the user-mode loader's rules (the default)").conflicts('kernelMode'),
    )
    .addHelpText(
      'after',
      `\nExample (KB Q138713: SP3 srv.sys with the RTM kernel):\n  nt351 resolve --kernel-mode fixtures/imagesets/kb138713-x86-up\n\n${exitCodeHelp('resolve')}`,
    )
    .action(async (given: string[], opts: { kernelMode?: boolean; json?: boolean; verbose?: boolean }) => {
      const { resolveImages } = await load.analysis();
      const paths = given.map(examplePath);
      const files = collectImages(paths);
      if (files.length === 0) throw new InputError(paths.join(' '), 'contains no PE images');
      // A progress line on a terminal for large folders, redrawn in place and erased at the end.
      const progress =
        io.stderrIsTTY === true && files.length > PROGRESS_FROM
          ? (done: number, total: number) => {
              if (done % 25 === 0 || done === total) io.stderr(`\rresolve: ${done}/${total} images`);
            }
          : undefined;
      // Each file is opened when its turn comes and read only where its headers and tables are.
      let report: ReturnType<typeof resolveImages>;
      try {
        report = resolveImages(
          files.map((path) => ({ path, open: () => openInputFile(path) })),
          opts.kernelMode ? 'kernel' : 'user',
          progress ? { onProgress: progress } : {},
        );
      } finally {
        if (progress) io.stderr('\r\x1b[K');
      }
      io.stdout(opts.json ? json(report) : renderResolve(report, { verbose: opts.verbose }));
      for (const e of report.errors) io.stderr(`nt351: ${malformedLine(e)}\n`);
      setExit(
        report.errors.length
          ? ExitCode.MALFORMED
          : report.missing.length || report.refused.length
            ? ExitCode.UNRESOLVED
            : ExitCode.OK,
      );
    });
  cli
    .command('run-driver')
    .description(
      'run a driver in the emulator: DriverEntry, its dispatch routines with IRPs, DriverUnload; report API calls, DbgPrint, devices, leaks and faults',
    )
    // Optional only in commander's eyes: `--trace X.sys` gives the driver to --trace (an optional
    // option-argument takes the next word); the action takes it back (see below).
    .argument('[driver]', 'driver image (.sys), required')
    .option(
      '--kernel <image|registry>',
      "kernel image (default: the NT 3.51 SP5 fixture kernel), or 'registry' for a synthetic kernel exporting nt351's handlers",
    )
    .option('--hal <image>', 'HAL image (default: hal.dll beside the kernel, else the fixture hal.dll)')
    .option('--imageset <dir>', 'use an installed image set: its NTOSKRNL.EXE, HAL.DLL and System32\\drivers')
    .option(
      '--ioctl <code>',
      'send IRP_MJ_DEVICE_CONTROL with this code (hex like 0x222000 or decimal); repeat for more',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--trace [unit]',
      "list every executed basic block ('block', the default) or instruction ('insn') with its disassembly",
    )
    .option('--trace-limit <n>', 'most trace entries to keep', '5000')
    .option('--max-instructions <n>', 'instruction budget per entry point', '10000000')
    .option('--max-millis <n>', 'wall-clock budget per entry point in milliseconds', '5000')
    .option(
      '--on-unimplemented <stop|fail|zero>',
      "calling a routine without a handler: 'stop' that entry point (default with --kernel registry), 'fail' with STATUS_NOT_IMPLEMENTED (default with a kernel image), or return 'zero'",
    )
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `\nExample:\n  nt351 run-driver fixtures/bin/nt351/sp5/srv.sys\n  nt351 run-driver --kernel fixtures/bin/nt351/rtm/ntoskrnl.exe fixtures/bin/nt351/sp3/srv.sys\n\n${exitCodeHelp('run-driver')}`,
    )
    .action(
      async (
        driverArg: string | undefined,
        opts: {
          kernel?: string;
          hal?: string;
          imageset?: string;
          ioctl?: string[];
          trace?: string | boolean;
          traceLimit: string;
          maxInstructions: string;
          maxMillis: string;
          onUnimplemented?: string;
          json?: boolean;
        },
      ) => {
        const { runDriver } = await load.sandbox();
        const { renderRunDriver } = await load.renderRun();
        const onUnimplemented = opts.onUnimplemented;
        if (
          onUnimplemented !== undefined &&
          onUnimplemented !== 'stop' &&
          onUnimplemented !== 'fail' &&
          onUnimplemented !== 'zero'
        )
          throw new UsageError(`--on-unimplemented expects stop, fail or zero, got '${onUnimplemented}'`);
        const traced = traceArgs(driverArg, opts.trace);
        if ('error' in traced) throw new UsageError(traced.error);
        const { target, trace } = traced;
        if (target === undefined) throw new UsageError("missing required argument 'driver' (a .sys image)");
        const driver = examplePath(target);
        for (const k of ['kernel', 'hal', 'imageset'] as const) {
          const v = opts[k];
          if (v !== undefined && v !== 'registry') opts[k] = examplePath(v);
        }
        const number = (flag: string, text: string, min: number) => {
          const n = Number(text);
          if (!Number.isInteger(n) || n < min || n > 0xffffffff)
            throw new UsageError(`${flag} expects a whole number from ${min} to 4294967295, got '${text}'`);
          return n;
        };
        const traceLimit = number('--trace-limit', opts.traceLimit, 1);
        const ioctls = (opts.ioctl ?? []).map((c) => number('--ioctl', c, 0));
        const maxInstructions = number('--max-instructions', opts.maxInstructions, 1);
        const maxMillis = number('--max-millis', opts.maxMillis, 1);
        // Clear errors for missing, unreadable or non-PE inputs before anything loads.
        const parse = (path: string) => PeImage.parse(readInputFile(path), path);
        parse(driver);
        if (opts.kernel && opts.kernel !== 'registry') parse(opts.kernel);
        if (opts.hal) parse(opts.hal);
        if (opts.imageset) checkImagesetFolder(opts.imageset);
        const report = await runDriver({
          driver,
          trace,
          traceLimit,
          kernel: opts.kernel,
          hal: opts.hal,
          imageset: opts.imageset,
          ioctls,
          maxInstructions,
          maxMillis,
          ...(onUnimplemented ? { onUnimplemented } : {}),
        });
        io.stdout(opts.json ? json(report) : renderRunDriver(report));
        setExit(
          report.outcome === 'ok'
            ? ExitCode.OK
            : report.outcome === 'host-error'
              ? ExitCode.INTERNAL
              : ExitCode.GUEST_FAILED,
        );
      },
    );
  return cli;
}

/**
 * `boot`'s image set must hold machine.yaml as a regular file: a symlink could point out of the set,
 * and a device or FIFO (/dev/zero) would never finish reading. A missing one is left to ImageSet.open.
 */
/**
 * `--trace [unit]` beside an optional positional argument. Commander gives `cmd --trace X` X as the
 * unit; when the positional is missing and X is not a unit, X is the positional (`boot --trace SET`,
 * `run-driver --trace X.sys`) and the unit the default, 'block'.
 */
function traceArgs(
  positional: string | undefined,
  trace: string | boolean | undefined,
): { target: string | undefined; trace: TraceUnit | undefined } | { error: string } {
  if (positional === undefined && typeof trace === 'string' && !/^(block|insn)$/.test(trace))
    return { target: trace, trace: 'block' };
  const unit = trace === undefined ? undefined : trace === true ? 'block' : trace;
  if (unit !== undefined && unit !== 'block' && unit !== 'insn')
    return { error: `--trace expects 'block' or 'insn', got '${unit}'` };
  return { target: positional, trace: unit };
}

/** True when `path` is a folder (following links). */
function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** `run-driver --imageset`: a folder. */
function checkImagesetFolder(dir: string): void {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dir);
  } catch (e) {
    throw inputErrorOf(e) ?? e;
  }
  if (!st.isDirectory()) throw new InputError(dir, 'is not a folder; --imageset expects an image set folder');
}

/** Runs the CLI with `argv` (as process.argv) and resolves to the exit code; never rejects. */
export async function run(argv: readonly string[], io: Io = processIo): Promise<number> {
  let code: number = ExitCode.OK;
  const wantsJson = argv.includes('--json');
  const fail = (exit: number, error: object, line: string) => {
    if (wantsJson) io.stdout(json({ error }));
    io.stderr(`nt351: ${line}\n`);
    return exit;
  };
  if (argv.length <= 2) {
    // No command: the usage on stderr and 64, as for any bad command line (sysexits EX_USAGE).
    io.stderr(`${program(io, () => {}).helpInformation()}\n${EXIT_CODE_HELP}\n`);
    return ExitCode.USAGE;
  }
  try {
    await program(io, (c) => {
      code = c;
    }).parseAsync(argv as string[]);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      const ok =
        e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help';
      // commander has printed its message (and the --help hint) on stderr already.
      if (!ok && wantsJson)
        io.stdout(json({ error: { error: 'UsageError', message: e.message.replace(/^error: /, '') } }));
      return ok ? ExitCode.OK : ExitCode.USAGE;
    }
    if (e instanceof UsageError)
      return fail(ExitCode.USAGE, { error: 'UsageError', message: e.message }, e.message);
    if (e instanceof MalformedPeError)
      return fail(ExitCode.MALFORMED, { ...e.toJSON(), message: e.message }, e.message);
    const input = e instanceof InputError ? e : inputErrorOf(e);
    if (input)
      return fail(
        ExitCode.INPUT,
        { error: 'InputError', path: input.path, message: input.message },
        input.message,
      );
    if (e instanceof OutputError)
      return fail(
        ExitCode.CANT_CREATE,
        { error: 'OutputError', path: e.path, message: e.message },
        e.message,
      );
    // By name: the boot layer (and its error classes) is loaded only by the commands that run guest code.
    if (e instanceof Error && e.name === 'GuestMemoryLimitError')
      return fail(ExitCode.GUEST_FAILED, { error: e.name, message: e.message }, e.message);
    if (e instanceof Error && e.name === 'UnicornUnavailableError') {
      return fail(
        ExitCode.INPUT,
        { error: 'UnicornUnavailable', message: e.message },
        e.message.replace(/^nt351: /, ''),
      );
    }
    const detail = process.env.NT351_DEBUG ? (e as Error).stack : String(e);
    return fail(
      ExitCode.INTERNAL,
      { error: 'InternalError', message: String(e) },
      `internal error: ${detail}`,
    );
  }
}

/**
 * What a filter exits with when its reader goes away (`nt351 resolve DIR | head -1`): the status a
 * shell reports for a process killed by SIGPIPE (128 + 13), as `seq 100000 | head -1` gives. Node
 * ignores SIGPIPE and reports EPIPE as an error event on the stream instead.
 */
export const EXIT_CLOSED_PIPE = ExitCode.CLOSED_PIPE;

/** Quits quietly when stdout or stderr is a pipe whose reader has closed it; other errors stay errors. */
function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(EXIT_CLOSED_PIPE);
  });
}

/**
 * Entry of a `replay --jobs` worker thread in the CLI bundle (dist/bundle/worker.cjs, made by
 * scripts/bundle.cjs): serves scenarios on `parentPort` to the pool of the thread that started it.
 */
export async function replayWorker(parentPort: MessagePort): Promise<void> {
  (await load.replay()).serveScenarios(parentPort);
}

/** Entry point used by bin/nt351.js. */
export function main(argv: readonly string[]): void {
  for (const fd of [1, 2] as const) if (!writtenDirectly(fd)) exitQuietlyOnClosedPipe(stream(fd));
  void run(argv).then((code) => {
    process.exitCode = code;
  });
}
