// Typed errors of the event log code: bad .evt bytes (reader) and records that cannot be stored (writer).

/** Where in an .evt file a malformed structure was found, and why it was rejected. */
export interface EvtFormatDetails {
  /** Path (or label) of the file being read. */
  file: string;
  /** File offset of the offending bytes. */
  offset: number;
  /** `ELF_LOGFILE_HEADER`, `EVENTLOGRECORD` or `ELF_EOF_RECORD`. */
  structure: string;
  /** Field within the structure, e.g. `StringOffset`. */
  field: string;
  /** What was expected and what was found. */
  reason: string;
}

/** Thrown by {@link readEvtFile} for any malformed input; no other error escapes it for bad bytes. */
export class EvtFormatError extends Error implements EvtFormatDetails {
  override readonly name = 'EvtFormatError';
  readonly file: string;
  readonly offset: number;
  readonly structure: string;
  readonly field: string;
  readonly reason: string;

  constructor(d: EvtFormatDetails) {
    super(`${d.file}: offset 0x${d.offset.toString(16)}: ${d.structure}.${d.field}: ${d.reason}`);
    this.file = d.file;
    this.offset = d.offset;
    this.structure = d.structure;
    this.field = d.field;
    this.reason = d.reason;
  }

  /** The fields as plain data, for JSON reports. */
  toJSON(): EvtFormatDetails & { error: 'EvtFormatError' } {
    const { file, offset, structure, field, reason } = this;
    return { error: 'EvtFormatError', file, offset, structure, field, reason };
  }
}

/** Thrown by {@link writeEvtFile} when the records cannot be stored as NT would (a caller's bug). */
export class EvtWriteError extends Error {
  override readonly name = 'EvtWriteError';
  /** Index of the offending record in the input, or -1 for the log as a whole. */
  readonly record: number;

  constructor(record: number, reason: string) {
    super(record >= 0 ? `event record ${record}: ${reason}` : reason);
    this.record = record;
  }
}
