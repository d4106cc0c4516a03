// The one error type of the installed-system layer: a problem with an image set, a disk layout, its
// machine.yaml, BOOT.INI or a path inside it, for the user (`file:line:column: reason`).
import { PositionedInputError } from '../input/index.js';

/** A problem with an image set (its folder, its machine.yaml or a path inside it), for the user. */
export class ImageSetError extends PositionedInputError {
  override readonly name = 'ImageSetError';
}
