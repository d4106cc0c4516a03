// The shape of a mistake in a user's input file (machine.yaml, a scenario): the file, the line and
// column when known, and the reason, printed as `file:line:column: reason`.

/** A mistake in an input file; subclasses name which kind of file. */
export abstract class PositionedInputError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly line: number | null = null,
    readonly column: number | null = null,
  ) {
    super(`${file}${line !== null ? `:${line}:${column ?? 1}` : ''}: ${reason}`);
  }
}
