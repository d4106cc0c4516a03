// The one error type of the installed-system layer: a problem with an image set, a disk layout, its
// machine.yaml, BOOT.INI or a path inside it, for the user (`file:line:column: reason`).
import { PositionedInputError } from '../input/index.js';

/** A problem with an image set (its folder, its machine.yaml or a path inside it), for the user. */
export class ImageSetError extends PositionedInputError {
  override readonly name = 'ImageSetError';
}

/**
 * A file of the set that exists but cannot be read: over nt351's size limit for its kind
 * (`tooLarge`), or refused by the host (permissions, I/O error). The boot turns it into the load
 * failure NT would report for that driver instead of ending.
 */
export class UnreadableFileError extends ImageSetError {
  override readonly name = 'ImageSetError';
  constructor(
    file: string,
    reason: string,
    readonly tooLarge: boolean,
  ) {
    super(file, reason);
  }
}
