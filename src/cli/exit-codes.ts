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
