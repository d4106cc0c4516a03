// Exit codes of the nt351 command line, documented in `nt351 --help` and README.md.

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
  /** Bad command line (unknown option, missing argument). */
  USAGE: 64,
  /** A bug in nt351 itself. Set NT351_DEBUG=1 for the stack trace. */
  INTERNAL: 70,
} as const;

export const EXIT_CODE_HELP = `Exit codes:
  0   success, nothing missing
  1   resolve: some imports cannot be resolved;
      run-driver: the driver did not load, DriverEntry failed, or the guest faulted, looped or bugchecked
  2   an input is not a valid PE image (the message names file, offset, structure and reason)
  3   an input cannot be read (missing, a directory, no permission)
  64  bad command line
  70  internal error in nt351 (NT351_DEBUG=1 shows the stack); run-driver: a bug in one of
      nt351's export handlers, reported as a host error (not a guest fault)`;

/** `nt351 boot`'s exit codes (its own scheme: the outcome of a boot, then sysexits-style input errors). */
export const BootExit = {
  /** Booted cleanly: no hard errors, no error events. */
  CLEAN: 0,
  /** Booted, with hard errors, error events or guest routines that hung. */
  ERRORS: 1,
  /** Did not boot: a bugcheck (STOP screen) or the OS loader stopped. */
  STOPPED: 2,
  /** The emulator cannot run it (libunicorn missing, architecture not implemented) or failed. */
  EMULATOR: 3,
  USAGE: 64,
  /** The image set is malformed (machine.yaml errors, unknown profile). */
  BAD_INPUT: 65,
  /** The image set (or its machine.yaml) does not exist. */
  NO_INPUT: 66,
} as const;

export const BOOT_EXIT_CODE_HELP = `Exit codes of boot:
  0   booted cleanly
  1   booted with errors (hard-error popups, error events, hung guest routines)
  2   did not boot: bugcheck (STOP screen) or the OS loader stopped
  3   emulator error (libunicorn missing, architecture not implemented, internal error)
  64  bad command line
  65  the image set is malformed (machine.yaml; the message gives file, line and column)
  66  the image set or its machine.yaml does not exist`;
