// Bugcheck codes and names (bugcodes.h, as NT 3.51's STOP screen prints them) and the STOP screen's
// text, rendered from the bugcheck's data. Layout: the NT 4.0 Resource Kit, chapter 38, figure 38.1,
// which shows a build 1057 (NT 3.51) screen; the processor line's defaults are a model.

/** The bugcheck codes nt351 can raise or that fixture code raises, with NT's names. */
export const BUGCHECK_NAMES: ReadonlyMap<number, string> = new Map([
  [0x0a, 'IRQL_NOT_LESS_OR_EQUAL'],
  [0x19, 'BAD_POOL_HEADER'],
  [0x1e, 'KMODE_EXCEPTION_NOT_HANDLED'],
  [0x50, 'PAGE_FAULT_IN_NONPAGED_AREA'],
  [0x5a, 'CRITICAL_SERVICE_FAILED'],
  [0x79, 'MISMATCHED_HAL'],
  [0x7b, 'INACCESSIBLE_BOOT_DEVICE'],
  [0x7f, 'UNEXPECTED_KERNEL_MODE_TRAP'],
  [0x92, 'UP_DRIVER_ON_MP_SYSTEM'],
  [0xc2, 'BAD_POOL_CALLER'],
]);

export const bugcheckName = (code: number): string =>
  BUGCHECK_NAMES.get(code >>> 0) ?? `0x${(code >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;

/** A loaded module as the STOP screen lists it. */
export interface StopScreenModule {
  name: string;
  /** Dll Base column. */
  base: number;
  /** DateStmp column text: the image's TimeDateStamp as 8 hex digits; blank when absent. */
  date?: string;
}

/** A bugcheck as the STOP screen shows it. */
export interface StopScreen {
  code: number;
  /** Symbolic name, e.g. `MISMATCHED_HAL`. */
  name: string;
  params: number[];
  /** Module blamed for the stop, if known; shown when a parameter lies in it. */
  module: string | null;
  modules?: StopScreenModule[];
  /** Processor line values; modelled defaults when absent (see the file header). */
  cpu?: string;
  irql?: number;
  sysver?: number;
}

const MODEL_CPU = 'p4-0300';
const MODEL_IRQL = 0x1f;
const MODEL_SYSVER = 0xf0000421;

const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
const HEX8 = (n: number) => `0x${hex8(n).toUpperCase()}`;

/** The parameter that lies in `module` (nearest module base at or below it), NT's "has base at" line. */
function blamed(b: StopScreen): { address: number; base: number } | null {
  const mods = b.modules ?? [];
  const mine = mods.find((m) => m.name.toLowerCase() === b.module?.toLowerCase());
  if (!mine) return null;
  for (const p of b.params.map((x) => x >>> 0)) {
    const owner = mods
      .filter((m) => m.base >>> 0 <= p)
      .reduce<StopScreenModule | null>(
        (best, m) => (!best || m.base >>> 0 > best.base >>> 0 ? m : best),
        null,
      );
    if (owner === mine) return { address: p, base: mine.base >>> 0 };
  }
  return null;
}

/** The STOP screen's text, one string per row, none longer than 80 columns. */
export function stopScreenLines(b: StopScreen): string[] {
  const rows: string[] = [];
  const params = [0, 1, 2, 3].map((i) => HEX8(b.params[i] ?? 0)).join(',');
  rows.push(`*** STOP: ${HEX8(b.code)} (${params})`);
  const hit = blamed(b);
  const where = hit ? `*** Address ${hex8(hit.address)} has base at ${hex8(hit.base)} - ${b.module}` : '';
  rows.push(`${b.name}${where}`);
  rows.push(
    `${b.cpu ?? MODEL_CPU} irql:${(b.irql ?? MODEL_IRQL).toString(16)}   SYSVER 0x${hex8(b.sysver ?? MODEL_SYSVER)}`,
  );
  rows.push('');
  const mods = b.modules ?? [];
  if (mods.length) {
    // Second column at column 42, as in the Resource Kit's figure.
    const cell = (m: StopScreenModule) =>
      `${hex8(m.base)}  ${(m.date ?? '').slice(0, 8).padEnd(8)} - ${m.name}`;
    const head = 'Dll Base  DateStmp - Name';
    rows.push(`${head.padEnd(42)}${head}`);
    for (let i = 0; i < mods.length; i += 2) {
      const [l, r] = [mods[i], mods[i + 1]];
      rows.push(`${l ? cell(l).padEnd(42) : ''}${r ? cell(r) : ''}`.trimEnd());
    }
    rows.push('');
  }
  rows.push('Restart and set the recovery options in the system control panel');
  rows.push('or the /CRASHDEBUG system start option.');
  // The text-mode display wraps at the last column whatever the text (HalDisplayString), not at words.
  return rows.flatMap((r) => r.match(/.{1,80}/gsu) ?? ['']);
}
