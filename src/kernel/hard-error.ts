// Hard errors (ExRaiseHardError / NtRaiseHardError): the popup NT shows for a status raised with
// string parameters, rendered from the status's ntstatus.mc template. The caption in braces is
// prefixed with the raising process's name, as the hard-error port (CSRSS) does: "System Process - …"
// for the System process that loads drivers. Nothing is special-cased per status.

import { ntStatusMessage } from '../loader/messages.js';
import { formatStatus, statusName } from '../loader/status.js';

export interface HardError {
  caption: string;
  text: string;
  /** NTSTATUS as NT spells it (`0xC0000263`). */
  status: string;
  statusName: string;
  /** The parameters NT passed (for driver load failures: image, entry or ordinal, module). */
  parameters: (string | number)[];
  process: string;
}

/**
 * The hard error for `status` raised by `process` with `parameters`; null when NT has no message
 * template for the status (NT then shows no popup for it — model: such failures are logged only).
 */
export function hardError(
  status: number,
  parameters: (string | number)[],
  process = 'System Process',
): HardError | null {
  const m = ntStatusMessage(status, parameters);
  if (!m) return null;
  return {
    caption: m.caption ? `${process} - ${m.caption}` : process,
    text: m.text,
    status: formatStatus(status),
    statusName: statusName(status),
    parameters,
    process,
  };
}
