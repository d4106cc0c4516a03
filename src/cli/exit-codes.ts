// Exit codes of the nt351 command line: one table per command, from which each command's --help and
// README.md's tables are rendered (test/cli/exit-codes.test.ts keeps README in step).
//
// Two families, kept as they shipped: the PE tools (inspect, resolve, run-driver) use small numbers
// for input problems (2 malformed PE, 3 unreadable); the image-set tools (boot, replay) use 0-3 for
// outcomes and sysexits.h numbers for input problems (65 data error, 66 no input). All share 64 (bad
// command line: an unknown option, a missing argument, a flag's value that is out of range or names
// nothing nt351 knows, such as `--profile foo`), 70 (internal error), 73 (an output cannot be
// written) and 141 (the output pipe was closed). A wrong name inside an input file (a machine profile
// in machine.yaml or a scenario) is a data error of that file: 65.

export const ExitCode = {
  /** Everything worked and nothing is missing. */
  OK: 0,
  /** `resolve`: at least one import cannot be resolved. */
  UNRESOLVED: 1,
  /** `run-driver`: the driver did not load, DriverEntry failed, or the guest faulted, looped or bugchecked. */
  GUEST_FAILED: 1,
  /** An input file is not a valid PE image (MalformedPeError: file, offset, structure, reason). */
  MALFORMED: 2,
  /** An input cannot be read: missing, a directory where a file is wanted, no permission. */
  INPUT: 3,
  /** Bad command line (unknown option, missing argument, a flag's value out of range). */
  USAGE: 64,
  /** A bug in nt351 itself. Set NT351_DEBUG=1 for the stack trace. */
  INTERNAL: 70,
  /** An output file or folder cannot be written (sysexits EX_CANTCREAT). */
  CANT_CREATE: 73,
  /** The output pipe was closed by its reader: 128 + SIGPIPE, what a shell reports for `seq 1e6 | head -1`. */
  CLOSED_PIPE: 141,
} as const;

/** `nt351 boot`'s and `nt351 replay`'s exit codes (the outcome of a boot, then sysexits-style input errors). */
export const BootExit = {
  /** Booted cleanly: no hard errors, no error events. */
  CLEAN: 0,
  /** Booted, with hard errors, error events or guest routines that hung. */
  ERRORS: 1,
  /** Did not boot: a bugcheck (STOP screen) or the OS loader stopped. */
  STOPPED: 2,
  /** The emulator cannot run it (libunicorn missing, architecture not implemented, guest memory cap). */
  EMULATOR: 3,
  USAGE: 64,
  /** The image set is malformed (machine.yaml errors, unknown profile, a file instead of a folder). */
  BAD_INPUT: 65,
  /** The image set (or its machine.yaml) does not exist or cannot be read. */
  NO_INPUT: 66,
  /** --render or --save-overlay cannot be written. */
  CANT_CREATE: 73,
} as const;

/** The commands, in the order `nt351 --help` lists them. */
export type CommandName = 'boot' | 'replay' | 'inspect' | 'resolve' | 'run-driver';

const USAGE: [number, string] = [
  64,
  'bad command line: an unknown option, a missing argument, a value out of range or naming nothing nt351 knows',
];
const INTERNAL: [number, string] = [70, 'internal error in nt351 (`NT351_DEBUG=1` shows the stack)'];
const PIPE: [number, string] = [
  141,
  'the output pipe was closed by its reader (such as head); nothing is printed',
];

/** Each command's exit codes and their meaning, one row per code. */
export const EXIT_CODES: Record<CommandName, readonly (readonly [number, string])[]> = {
  boot: [
    [0, 'booted cleanly'],
    [1, 'booted with errors (hard-error popups, error events, hung guest routines)'],
    [2, 'did not boot: a bugcheck (STOP screen) or the OS loader stopped'],
    [3, 'emulator error (libunicorn missing, architecture not implemented, guest memory cap reached)'],
    USAGE,
    [65, "the image set is malformed (machine.yaml's file, line and column are given), or is a file"],
    [66, 'the image set or its machine.yaml does not exist or cannot be read'],
    INTERNAL,
    [73, '`--render` or `--save-overlay` cannot be written'],
    PIPE,
  ],
  replay: [
    [0, 'every scenario passed'],
    [1, 'some scenarios failed'],
    USAGE,
    [65, 'a scenario file has errors (file:line:column), e.g. an unknown machine profile or media name'],
    [
      66,
      'a path or `--media` does not exist or cannot be read, no scenario files, or `--filter` matches none',
    ],
    INTERNAL,
    [73, '`--junit` cannot be written'],
    PIPE,
  ],
  inspect: [
    [0, 'parsed'],
    [2, 'the file is not a valid PE image, or one of its directories is malformed'],
    [3, 'the file cannot be read (missing, a directory, not a regular file, no permission)'],
    USAGE,
    INTERNAL,
    PIPE,
  ],
  resolve: [
    [0, 'every import resolves'],
    [
      1,
      "some imports cannot be resolved, or NT's loader would refuse an image (STATUS_INVALID_IMAGE_FORMAT)",
    ],
    [2, 'an image is not a valid PE image (one line per image on stderr, and in the report)'],
    [3, 'a path cannot be read or holds no PE images'],
    USAGE,
    INTERNAL,
    PIPE,
  ],
  'run-driver': [
    [0, 'every routine returned'],
    [1, 'the driver did not load, DriverEntry failed, or the guest faulted, ran out of budget or bugchecked'],
    [2, 'the driver, `--kernel` or `--hal` is not a valid PE image'],
    [3, "one of them (or `--imageset`'s kernel and HAL) cannot be read"],
    USAGE,
    [
      70,
      "internal error in nt351, or a host error in one of nt351's handlers (`NT351_DEBUG=1` shows the stack)",
    ],
    PIPE,
  ],
};

/** `Exit codes of CMD:` and one line per code, for the end of `nt351 CMD --help`. */
export function exitCodeHelp(command: CommandName): string {
  const rows = EXIT_CODES[command].map(
    ([code, meaning]) => `  ${String(code).padEnd(4)}${meaning.replace(/`/g, '')}`,
  );
  return [`Exit codes of ${command}:`, ...rows].join('\n');
}

/** The same table as Markdown, as README.md shows it under each command. */
export function exitCodeMarkdown(command: CommandName): string {
  const rows = EXIT_CODES[command].map(([code, meaning]) => `| ${code} | ${meaning} |`);
  return ['| exit | meaning |', '| ---- | ------- |', ...rows].join('\n');
}

/** The end of `nt351 --help`: what every command shares. */
export const EXIT_CODE_HELP = `Exit codes: each command's --help lists its own. Every command exits
  64  bad command line (also: nt351 with no command)
  70  internal error in nt351 (NT351_DEBUG=1 shows the stack)
  141 the output pipe was closed by its reader (such as head); nothing is printed
Errors are one line on stderr, "nt351: PATH: reason"; with --json, also {"error": {...}} on stdout.`;
