// The nt351 command line: argument parsing and output only; the work is done by src/harness.
import { existsSync, writeFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { UnicornUnavailableError } from '../cpu/unicorn.js';
import { BootUnsupportedError, boot } from '../harness/boot.js';
import { ImageSet, ImageSetError } from '../harness/imageset.js';
import { inspectImage } from '../harness/inspect.js';
import { replay } from '../harness/replay/index.js';
import { resolveImages } from '../harness/resolve.js';
import { runDriver } from '../harness/run-driver.js';
import { MalformedPeError, PeImage } from '../pe/index.js';
import { BOOT_EXIT_CODE_HELP, BootExit, EXIT_CODE_HELP, ExitCode } from './exit-codes.js';
import { collectImages, InputError, readInputFile } from './files.js';
import { renderInspect, renderResolve } from './render.js';
import { bootScreens, renderBoot } from './render-boot.js';
import { progressBar, progressLine, renderJunit, renderReplay } from './render-replay.js';
import { renderRunDriver } from './render-run.js';
import { renderScreensHtml, renderScreensSvg } from './render-screen.js';

/** Output sinks, replaceable for tests. */
export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}
const processIo: Io = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

function program(io: Io, setExit: (code: number) => void): Command {
  const cli = new Command('nt351')
    .description(
      'nt351: an emulator of the Windows NT 3.51 kernel image.\nParses PE images and resolves driver imports with NT 3.51 loader semantics.',
    )
    .version('0.1.0')
    .showHelpAfterError('(run nt351 --help for usage)')
    .addHelpText('after', `\n${EXIT_CODE_HELP}`)
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  cli
    .command('boot')
    .description(
      'boot an NT 3.51 image set: OS loader, kernel and HAL initialisation, drivers, services; show popups, events and STOP screens',
    )
    .argument('[imageset]', 'image set folder (an installed system root plus machine.yaml); required')
    .option('--cpus <n>', "processors present (default: machine.yaml's cpus); a UP kernel starts one")
    .option('--profile <name>', "machine profile (default: machine.yaml's profile)")
    .option(
      '--save-overlay <dir>',
      'write the files the boot changed (the System event log) under this folder',
    )
    .option('--render <file>', 'draw the popups and STOP screen as a picture: FILE.svg or FILE.html')
    .option('--trace [unit]', "list the guest code the boot runs: 'block' (default) or 'insn'")
    .option('--trace-limit <n>', 'most trace entries to keep', '5000')
    .option('--max-instructions <n>', 'instruction budget per guest routine', '10000000')
    .option('--max-millis <n>', 'wall-clock budget per guest routine in milliseconds', '5000')
    .option('--json', 'print the report as JSON (schema/boot-report.schema.json)')
    .addHelpText(
      'after',
      `\nExamples:\n  nt351 boot fixtures/imagesets/kb138713-x86-up\n  nt351 boot --cpus 2 fixtures/imagesets/mismatched-hal-x86\n\n${BOOT_EXIT_CODE_HELP}`,
    )
    .action(
      async (
        dirArg: string | undefined,
        opts: {
          cpus?: string;
          profile?: string;
          saveOverlay?: string;
          render?: string;
          trace?: string | boolean;
          traceLimit: string;
          maxInstructions: string;
          maxMillis: string;
          json?: boolean;
        },
      ) => {
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
        if (cpus === null || maxInstructions === null || maxMillis === null || traceLimit === null) return;
        let dir = dirArg;
        // `boot --trace SET`: commander gives SET to --trace's optional unit; it is the image set.
        if (dir === undefined && typeof opts.trace === 'string' && !/^(block|insn)$/.test(opts.trace)) {
          dir = opts.trace;
          opts.trace = true;
        }
        if (dir === undefined)
          return fail(BootExit.USAGE, 'UsageError', "missing required argument 'imageset'");
        const trace = opts.trace === undefined ? undefined : opts.trace === true ? 'block' : opts.trace;
        if (trace !== undefined && trace !== 'block' && trace !== 'insn')
          return fail(BootExit.USAGE, 'UsageError', `--trace expects 'block' or 'insn', got '${trace}'`);
        if (opts.render && !/\.(svg|html?)$/i.test(opts.render))
          return fail(
            BootExit.USAGE,
            'UsageError',
            `--render expects a file name ending in .svg or .html, got '${opts.render}'`,
          );
        try {
          const set = ImageSet.open(dir);
          const report = await boot(set, {
            cpus,
            profile: opts.profile,
            maxInstructions,
            maxMillis,
            trace,
            traceLimit,
          });
          if (opts.saveOverlay) set.saveOverlay(opts.saveOverlay);
          if (opts.render) {
            const screens = bootScreens(report);
            writeFileSync(
              opts.render,
              /\.svg$/i.test(opts.render) ? renderScreensSvg(screens) : renderScreensHtml(screens),
            );
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
          if (e instanceof BootUnsupportedError || e instanceof UnicornUnavailableError)
            return fail(BootExit.EMULATOR, e.name, e.message.replace(/^nt351: /, ''));
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
      '\nExamples:\n  nt351 replay scenarios/kb138713\n  nt351 replay --filter "sp=3" --jobs 2 --junit kb.xml scenarios/kb138713\n\nExit codes of replay: 0 all scenarios pass; 1 some fail; 64 bad command line; 65 a scenario file has errors (file:line:column); 66 a path does not exist',
    )
    .action(
      async (
        paths: string[],
        opts: { json?: boolean; junit?: string; filter?: string; jobs: string; media?: string },
      ) => {
        const jobs = Number(opts.jobs);
        if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) {
          io.stderr(`nt351: --jobs expects a whole number from 1 to 64, got '${opts.jobs}'\n`);
          setExit(BootExit.USAGE);
          return;
        }
        for (const p of paths) {
          if (!existsSync(p)) {
            if (opts.json)
              io.stdout(json({ error: { error: 'InputError', message: `${p}: no such file or folder` } }));
            io.stderr(`nt351: ${p}: no such file or folder\n`);
            setExit(BootExit.NO_INPUT);
            return;
          }
        }
        const tty = !opts.json && process.stderr.isTTY === true && io === processIo;
        const report = await replay(paths, {
          jobs,
          ...(opts.filter ? { filter: opts.filter } : {}),
          ...(opts.media ? { mediaRoot: opts.media } : {}),
          onResult: opts.json
            ? undefined
            : (r, done, total) =>
                io.stderr(tty ? progressBar(done, total) : `${progressLine(r, done, total)}\n`),
        });
        if (tty) io.stderr('\n');
        if (opts.junit) writeFileSync(opts.junit, renderJunit(report));
        io.stdout(opts.json ? json(report) : renderReplay(report));
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
      '\nExample:\n  nt351 inspect fixtures/imagesets/kb138713-x86-up/WINNT35/SYSTEM32/NTOSKRNL.EXE',
    )
    .action((file: string, opts: { json?: boolean }) => {
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
    .addOption(
      new Option('--user-mode', "apply the user-mode loader's rules (the default)").conflicts('kernelMode'),
    )
    .addHelpText(
      'after',
      '\nExample (KB Q138713: SP3 srv.sys with the RTM kernel):\n  nt351 resolve --kernel-mode fixtures/imagesets/kb138713-x86-up',
    )
    .action((paths: string[], opts: { kernelMode?: boolean; json?: boolean }) => {
      const files = collectImages(paths);
      if (files.length === 0) throw new InputError(paths.join(' '), 'contains no PE images');
      const report = resolveImages(
        files.map((path) => ({ path, bytes: readInputFile(path) })),
        opts.kernelMode ? 'kernel' : 'user',
      );
      io.stdout(opts.json ? json(report) : renderResolve(report));
      setExit(
        report.errors.length ? ExitCode.MALFORMED : report.missing.length ? ExitCode.UNRESOLVED : ExitCode.OK,
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
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  nt351 run-driver fixtures/bin/nt351/sp5/srv.sys\n  nt351 run-driver --kernel fixtures/bin/nt351/rtm/ntoskrnl.exe fixtures/bin/nt351/sp3/srv.sys',
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
          json?: boolean;
        },
      ) => {
        let driver = driverArg;
        if (driver === undefined && typeof opts.trace === 'string' && !/^(block|insn)$/.test(opts.trace)) {
          driver = opts.trace; // `run-driver --trace X.sys`: X.sys is the driver, the unit the default
          opts.trace = true;
        }
        if (driver === undefined) throw new InputError('run-driver', 'needs a driver image (.sys)');
        readInputFile(driver); // a clear error for a missing or unreadable driver before anything loads
        if (opts.kernel && opts.kernel !== 'registry') readInputFile(opts.kernel);
        if (opts.hal) readInputFile(opts.hal);
        const number = (flag: string, text: string) => {
          const n = Number(text);
          if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
            throw new InputError(text, `${flag} expects a non-negative integer`);
          return n;
        };
        const trace = opts.trace === undefined ? undefined : opts.trace === true ? 'block' : opts.trace;
        if (trace !== undefined && trace !== 'block' && trace !== 'insn')
          throw new InputError(String(trace), "--trace expects 'block' or 'insn'");
        const report = await runDriver({
          driver,
          trace,
          traceLimit: number('--trace-limit', opts.traceLimit),
          kernel: opts.kernel,
          hal: opts.hal,
          imageset: opts.imageset,
          ioctls: (opts.ioctl ?? []).map((c) => number('--ioctl', c)),
          maxInstructions: number('--max-instructions', opts.maxInstructions),
          maxMillis: number('--max-millis', opts.maxMillis),
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

/** Runs the CLI with `argv` (as process.argv) and resolves to the exit code; never rejects. */
export async function run(argv: readonly string[], io: Io = processIo): Promise<number> {
  let code: number = ExitCode.OK;
  const wantsJson = argv.includes('--json');
  const fail = (exit: number, error: object, line: string) => {
    if (wantsJson) io.stdout(json({ error }));
    io.stderr(`nt351: ${line}\n`);
    return exit;
  };
  try {
    await program(io, (c) => {
      code = c;
    }).parseAsync(argv as string[]);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      const ok =
        e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help';
      return ok ? ExitCode.OK : ExitCode.USAGE;
    }
    if (e instanceof MalformedPeError) return fail(ExitCode.MALFORMED, e.toJSON(), e.message);
    if (e instanceof InputError)
      return fail(ExitCode.INPUT, { error: 'InputError', path: e.path, message: e.message }, e.message);
    if (e instanceof UnicornUnavailableError) {
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

/** Entry point used by bin/nt351.js. */
export function main(argv: readonly string[]): void {
  void run(argv).then((code) => {
    process.exitCode = code;
  });
}
