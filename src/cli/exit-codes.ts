// Exit codes of the nt351 command line, documented in `nt351 --help`, each command's --help,
// README.md and docs/robustness.md ("Inputs and CLI").
//
// Two families, kept as they shipped: the PE tools (inspect, resolve, run-driver) use small numbers
// for input problems (2 malformed PE, 3 unreadable); the image-set tools (boot, replay) use 0-3 for
// outcomes and sysexits.h numbers for input problems (65 data error, 66 no input). Both share 64 (bad
// command line), 70 (internal error) and 73 (an output file cannot be written).

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
} as const;

export const EXIT_CODE_HELP = `Exit codes of inspect, resolve and run-driver (boot and replay: see their --help):
  0   success, nothing missing
  1   resolve: some imports cannot be resolved;
      run-driver: the driver did not load, DriverEntry failed, or the guest faulted, looped or bugchecked
  2   an input is not a valid PE image (the message names file, offset, structure and reason)
  3   an input cannot be read (missing, a directory, not a regular file, no permission)
  64  bad command line (all commands)
  70  internal error in nt351 (NT351_DEBUG=1 shows the stack; all commands); run-driver: a bug in
      one of nt351's export handlers, reported as a host error (not a guest fault)
  73  an output file cannot be written (boot --render/--save-overlay, replay --junit)
  141 the output pipe was closed by its reader (\`nt351 resolve DIR | head -1\`; all commands), as
      for a Unix filter killed by SIGPIPE; nothing is printed
Errors are one line on stderr, "nt351: PATH: reason"; with --json, also {"error": {...}} on stdout.`;

export const INSPECT_EXIT_CODE_HELP = `Exit codes of inspect:
  0   parsed; 2 the file is not a valid PE image, or a directory of it is malformed;
  3   the file cannot be read (missing, a directory, not a regular file, no permission); 64 bad command line`;

export const RESOLVE_EXIT_CODE_HELP = `Exit codes of resolve:
  0   every import resolves; 1 some imports cannot be resolved; 2 an image is not a valid PE image
      (one line per image on stderr, and in the report); 3 a path cannot be read or holds no PE images;
  64  bad command line`;

export const RUN_DRIVER_EXIT_CODE_HELP = `Exit codes of run-driver:
  0   every routine returned; 1 the driver did not load, DriverEntry failed, or the guest faulted, ran
      out of budget or bugchecked; 2 the driver, --kernel or --hal is not a valid PE image; 3 one of
      them (or --imageset's kernel and HAL) cannot be read; 64 bad command line; 70 a host error in
      one of nt351's handlers`;

/** `nt351 boot`'s exit codes (its own scheme: the outcome of a boot, then sysexits-style input errors). */
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

export const BOOT_EXIT_CODE_HELP = `Exit codes of boot:
  0   booted cleanly
  1   booted with errors (hard-error popups, error events, hung guest routines)
  2   did not boot: bugcheck (STOP screen) or the OS loader stopped
  3   emulator error (libunicorn missing, architecture not implemented, guest memory cap reached)
  64  bad command line
  65  the image set is malformed (machine.yaml; the message gives file, line and column), or is a file
  66  the image set or its machine.yaml does not exist or cannot be read
  70  internal error in nt351 (NT351_DEBUG=1 shows the stack)
  73  --render or --save-overlay cannot be written`;

export const REPLAY_EXIT_CODE_HELP = `Exit codes of replay:
  0   all scenarios pass; 1 some fail; 64 bad command line; 65 a scenario file has errors
  (file:line:column); 66 a path does not exist, cannot be read, is not a regular file, or holds no
  scenario files; 70 internal error; 73 --junit cannot be written`;
