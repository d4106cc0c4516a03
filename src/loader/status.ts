// NTSTATUS values the loader produces, with their symbolic names and NT's message texts
// (ntstatus.mc; see ../shared/docs/nt351-facts.md "Messages").
import { ntStatusMessage } from './messages.js';

/** An NTSTATUS the loader can return. */
export const NtStatus = {
  SUCCESS: 0x00000000,
  CONFLICTING_ADDRESSES: 0xc0000018,
  IMAGE_ALREADY_LOADED: 0xc000010e,
  OBJECT_NAME_NOT_FOUND: 0xc0000034,
  PROCEDURE_NOT_FOUND: 0xc000007a,
  DLL_NOT_FOUND: 0xc0000135,
  ORDINAL_NOT_FOUND: 0xc0000138,
  ENTRYPOINT_NOT_FOUND: 0xc0000139,
  IMAGE_MP_UP_MISMATCH: 0xc0000249,
  DRIVER_ORDINAL_NOT_FOUND: 0xc0000262,
  DRIVER_ENTRYPOINT_NOT_FOUND: 0xc0000263,
  INVALID_IMAGE_FORMAT: 0xc000007b,
  ACCESS_DENIED: 0xc0000022,
  INSUFFICIENT_RESOURCES: 0xc000009a,
} as const;
export type NtStatusCode = (typeof NtStatus)[keyof typeof NtStatus];

const NAMES = new Map<number, string>(Object.entries(NtStatus).map(([k, v]) => [v, `STATUS_${k}`]));

/** `STATUS_DRIVER_ENTRYPOINT_NOT_FOUND` for 0xC0000263; hex for codes we do not name. */
export const statusName = (code: number): string => NAMES.get(code) ?? formatStatus(code);

/** `0xC0000263`: NT's conventional spelling. */
export const formatStatus = (code: number): string =>
  `0x${(code >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;

/**
 * The parameters NT passes with a snap failure's status (its ntstatus.mc template's inserts, in
 * order): for drivers the importer's NT path, the entry point or ordinal, and the exporting module as
 * the import table spells it. Null for statuses without such a template.
 */
export function snapFailureParameters(
  code: number,
  image: string,
  module: string,
  what: { name: string | null; ordinal: number | null },
): (string | number)[] | null {
  const entry = what.name ?? `#${what.ordinal}`;
  switch (code) {
    case NtStatus.DRIVER_ENTRYPOINT_NOT_FOUND:
      return [image, entry, module];
    case NtStatus.DRIVER_ORDINAL_NOT_FOUND:
      return [image, what.ordinal ?? '?', module];
    case NtStatus.ENTRYPOINT_NOT_FOUND:
      return [entry, module];
    case NtStatus.ORDINAL_NOT_FOUND:
      return [what.ordinal ?? '?', module];
    default:
      return null;
  }
}

/**
 * NT's message for a failed import snap, with the caption NT shows in braces stripped off (the
 * System process prefixes it "System Process - "). `image` is the importer's NT path, `module` the
 * exporter as the import table spells it.
 */
export function snapFailureMessage(
  code: number,
  image: string,
  module: string,
  what: { name: string | null; ordinal: number | null },
): { caption: string | null; text: string } {
  // Codes with an ntstatus.mc template are rendered from it, with the parameters NT passes.
  const p = snapFailureParameters(code, image, module, what);
  const templated = p ? ntStatusMessage(code, p) : null;
  if (templated) return templated;
  switch (code) {
    case NtStatus.PROCEDURE_NOT_FOUND:
      return {
        caption: null,
        text: `${image} imports from the user-mode DLL ${module}, which kernel-mode images cannot use.`,
      };
    case NtStatus.IMAGE_MP_UP_MISMATCH:
      return {
        caption: null,
        text: `${image} is marked IMAGE_FILE_UP_SYSTEM_ONLY and cannot be loaded by a multiprocessor kernel.`,
      };
    case NtStatus.OBJECT_NAME_NOT_FOUND:
    case NtStatus.DLL_NOT_FOUND:
      return { caption: null, text: `${image} imports from ${module}, which is not in the image set.` };
    default:
      return { caption: null, text: `${image}: ${statusName(code)} resolving an import from ${module}.` };
  }
}
