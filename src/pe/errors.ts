// The one typed error for bad PE input: every out-of-range or inconsistent read ends here.

/** Where in a file a malformed structure was found, and why it was rejected. */
export interface MalformedPeDetails {
  /** Path (or label) of the file being parsed. */
  file: string;
  /** File offset of the offending bytes, or the RVA's best file offset; -1 when unknown. */
  offset: number;
  /** Structure being read, e.g. `IMAGE_EXPORT_DIRECTORY`. */
  structure: string;
  /** Field within the structure, e.g. `AddressOfFunctions`. */
  field: string;
  /** What was expected and what was found. */
  reason: string;
}

/** Thrown by the parser for any malformed input; no other error type escapes `src/pe` for bad bytes. */
export class MalformedPeError extends Error implements MalformedPeDetails {
  override readonly name = 'MalformedPeError';
  readonly file: string;
  readonly offset: number;
  readonly structure: string;
  readonly field: string;
  readonly reason: string;

  constructor(details: MalformedPeDetails) {
    const at = details.offset >= 0 ? `offset 0x${details.offset.toString(16)}` : 'offset unknown';
    super(`${details.file}: ${at}: ${details.structure}.${details.field}: ${details.reason}`);
    this.file = details.file;
    this.offset = details.offset;
    this.structure = details.structure;
    this.field = details.field;
    this.reason = details.reason;
  }

  /** The fields as plain data, for JSON reports. */
  toJSON(): MalformedPeDetails & { error: 'MalformedPeError' } {
    const { file, offset, structure, field, reason } = this;
    return { error: 'MalformedPeError', file, offset, structure, field, reason };
  }
}
