// Win32's reserved device names, which a file in an image set can never be called: a path part
// naming one opens the device instead of a file. The rule follows RtlIsDosDeviceName_U as Wine's
// tests document it (dlls/ntdll/tests/path.c: "c:prn     ", "c:prn.......", "c:NUL  ....  " are
// devices): the name before the first dot, with trailing spaces dropped, is compared case-insensitively.
// CONIN$ and CONOUT$ are the console names CreateFile opens; COM0/LPT0 and the superscript COM¹²³/LPT¹²³
// are on Microsoft's reserved list ("Naming Files, Paths, and Namespaces"), so they are refused too.

const DEVICES = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])$/i;

/** The device a path part names (`NUL .txt` → `NUL`), or null when it is an ordinary name. */
export function deviceNameOf(part: string): string | null {
  const base = part.split('.')[0]!.replace(/ +$/, '');
  return DEVICES.test(base) ? base : null;
}
