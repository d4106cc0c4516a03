// The one typed error for bad hive input: every out-of-range or inconsistent read of a regf file ends here.

/** Where in a hive a malformed structure was found, and why it was rejected. */
export interface MalformedHiveDetails {
  /** Path (or label) of the hive being read. */
  file: string;
  /** File offset of the offending bytes; -1 when unknown. */
  offset: number;
  /** Structure being read, e.g. `nk` or `base block`. */
  structure: string;
  /** Field within the structure, e.g. `SubKeyCount`. */
  field: string;
  /** What was expected and what was found. */
  reason: string;
}

/** Thrown by the hive reader for any malformed input; no other error type escapes `src/regf` for bad bytes. */
export class MalformedHiveError extends Error implements MalformedHiveDetails {
  override readonly name = 'MalformedHiveError';
  readonly file: string;
  readonly offset: number;
  readonly structure: string;
  readonly field: string;
  readonly reason: string;

  constructor(details: MalformedHiveDetails) {
    const at = details.offset >= 0 ? `offset 0x${details.offset.toString(16)}` : 'offset unknown';
    super(`${details.file}: ${at}: ${details.structure}.${details.field}: ${details.reason}`);
    this.file = details.file;
    this.offset = details.offset;
    this.structure = details.structure;
    this.field = details.field;
    this.reason = details.reason;
  }

  /** The fields as plain data, for JSON reports. */
  toJSON(): MalformedHiveDetails & { error: 'MalformedHiveError' } {
    const { file, offset, structure, field, reason } = this;
    return { error: 'MalformedHiveError', file, offset, structure, field, reason };
  }
}
