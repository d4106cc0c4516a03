// NT's message texts as data: NTSTATUS templates (ntstatus.mc), Win32 error texts (winerror.h's
// message table) and RtlNtStatusToDosError for the codes nt351 produces. Rendering follows NT:
// `{Caption}` opens a hard-error message, printf-style inserts (%hs, %ld, %s, %x) take its parameters.
// Source: ../shared/docs/nt351-facts.md "Messages"; texts not listed there are NT 4's (model).

/** ntstatus.mc templates, caption in braces. */
export const NTSTATUS_MESSAGES: ReadonlyMap<number, string> = new Map([
  [
    0xc0000263,
    '{Driver Entry Point Not Found}\nThe %hs device driver could not locate the entry point %hs in driver %hs.',
  ],
  [
    0xc0000262,
    '{Driver Entry Point Not Found}\nThe %hs device driver could not locate the ordinal %ld in driver %hs.',
  ],
  [
    0xc0000139,
    '{Entry Point Not Found}\nThe procedure entry point %hs could not be located in the dynamic link library %hs.',
  ],
  [0xc0000138, '{Ordinal Not Found}\nThe ordinal %ld could not be located in the dynamic link library %hs.'],
  [
    0xc0000135,
    '{Unable To Locate Component}\nThis application has failed to start because %hs was not found.',
  ],
]);

/** Win32 error texts (FormatMessage of the system message table), with NT's trailing CRLF. */
export const WIN32_MESSAGES: ReadonlyMap<number, string> = new Map([
  [0, 'The operation completed successfully.\r\n'],
  [2, 'The system cannot find the file specified.\r\n'],
  [3, 'The system cannot find the path specified.\r\n'],
  [5, 'Access is denied.\r\n'],
  [31, 'A device attached to the system is not functioning.\r\n'],
  [127, 'The specified procedure could not be found.\r\n'],
  [182, 'The operating system cannot run %1.\r\n'],
  [193, '%1 is not a valid Windows NT application.\r\n'],
  [1058, 'The specified service is disabled and cannot be started.\r\n'],
  [1068, 'The dependency service or group failed to start.\r\n'],
  [1075, 'The dependency service does not exist or has been marked for deletion.\r\n'],
  [1450, 'Insufficient system resources exist to complete the requested service.\r\n'],
]);

/** RtlNtStatusToDosError for the statuses nt351 produces (ntstatus.h → winerror.h). */
const NT_TO_DOS: ReadonlyMap<number, number> = new Map([
  [0x00000000, 0],
  [0xc0000034, 2], // STATUS_OBJECT_NAME_NOT_FOUND → ERROR_FILE_NOT_FOUND
  [0xc000003a, 3], // STATUS_OBJECT_PATH_NOT_FOUND → ERROR_PATH_NOT_FOUND
  [0xc000000e, 2], // STATUS_NO_SUCH_DEVICE → ERROR_FILE_NOT_FOUND
  [0xc0000263, 127], // STATUS_DRIVER_ENTRYPOINT_NOT_FOUND → ERROR_PROC_NOT_FOUND
  [0xc0000139, 127],
  [0xc000007a, 127], // STATUS_PROCEDURE_NOT_FOUND
  [0xc0000262, 182], // STATUS_DRIVER_ORDINAL_NOT_FOUND → ERROR_INVALID_ORDINAL
  [0xc0000138, 182],
  [0xc000007b, 193], // STATUS_INVALID_IMAGE_FORMAT → ERROR_BAD_EXE_FORMAT
  [0xc0000249, 193], // model
  [0xc0000135, 2],
  [0xc0000022, 5], // STATUS_ACCESS_DENIED → ERROR_ACCESS_DENIED
  [0xc000009a, 1450], // STATUS_INSUFFICIENT_RESOURCES → ERROR_NO_SYSTEM_RESOURCES
]);

/** Win32 error for an NTSTATUS (ERROR_MR_MID_NOT_FOUND, 317, for codes outside the table, as NT does). */
export const ntStatusToDosError = (status: number): number => NT_TO_DOS.get(status >>> 0) ?? 317;

/** FormatMessage's text for a Win32 error, `%1`-style inserts filled from `inserts`. */
export function win32Message(code: number, inserts: string[] = []): string {
  const t = WIN32_MESSAGES.get(code);
  return t === undefined ? `Unknown error ${code}.\r\n` : formatInserts(t, inserts);
}

/**
 * Fills FormatMessage inserts: %1..%99 from `inserts`, %n a line break, %% a percent sign; any other
 * `%` stays. A scan rather than a replace with a callback, which cost more than the rest of adding an
 * event to the System log (issue 19).
 */
export function formatInserts(template: string, inserts: string[]): string {
  let out = '';
  let from = 0;
  for (let i = template.indexOf('%'); i >= 0; i = template.indexOf('%', i)) {
    const c = template.charCodeAt(i + 1);
    let end = i + 2;
    let text: string;
    if (c === 0x6e) text = '\r\n';
    else if (c === 0x25) text = '%';
    else if (c >= 0x30 && c <= 0x39) {
      const d = template.charCodeAt(i + 2);
      if (d >= 0x30 && d <= 0x39) end++;
      const k = template.slice(i + 1, end);
      text = inserts[Number(k) - 1] ?? `%${k}`;
    } else {
      i++;
      continue;
    }
    out += template.slice(from, i) + text;
    from = i = end;
  }
  return out + template.slice(from);
}

/**
 * Renders an NTSTATUS message as a hard error shows it: the braced caption apart, then the text
 * with printf-style inserts (%hs, %s, %ws: strings; %ld, %d, %lu: decimals; %x, %lx: hex) filled
 * from `params` in order. Null when there is no template for `status`.
 */
export function ntStatusMessage(
  status: number,
  params: (string | number)[],
): { caption: string | null; text: string } | null {
  const t = templateOf(status >>> 0);
  if (t === null) return null;
  // parts: literal text, then an insert's format and the text after it, alternately.
  let text = t.parts[0]!;
  for (let i = 1, n = 0; i < t.parts.length; i += 2, n++) {
    const f = t.parts[i]!;
    const v = params[n];
    text += v === undefined ? `%${f}` : f.endsWith('x') ? (Number(v) >>> 0).toString(16) : String(v);
    text += t.parts[i + 1]!;
  }
  return { caption: t.caption, text };
}

/** NTSTATUS templates split once into caption and parts (hard errors render them on every boot). */
const templates = new Map<number, { caption: string | null; parts: string[] }>();

function templateOf(status: number): { caption: string | null; parts: string[] } | null {
  const known = templates.get(status);
  if (known) return known;
  const t = NTSTATUS_MESSAGES.get(status);
  if (t === undefined) return null;
  const m = /^\{([^}]*)\}\n/.exec(t);
  const body = m ? t.slice(m[0].length) : t;
  const parsed = { caption: m ? m[1]! : null, parts: body.split(/%(hs|ws|s|ld|lu|d|u|lx|x)/) };
  templates.set(status, parsed);
  return parsed;
}
