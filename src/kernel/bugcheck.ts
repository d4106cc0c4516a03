// Bugcheck codes and names (bugcodes.h, as NT 3.51's STOP screen prints them) and the STOP screen's
// text, rendered from the bugcheck's data.

/** The bugcheck codes nt351 can raise or that fixture code raises, with NT's names. */
export const BUGCHECK_NAMES: ReadonlyMap<number, string> = new Map([
  [0x0a, 'IRQL_NOT_LESS_OR_EQUAL'],
  [0x1e, 'KMODE_EXCEPTION_NOT_HANDLED'],
  [0x50, 'PAGE_FAULT_IN_NONPAGED_AREA'],
  [0x79, 'MISMATCHED_HAL'],
  [0x7b, 'INACCESSIBLE_BOOT_DEVICE'],
  [0x7f, 'UNEXPECTED_KERNEL_MODE_TRAP'],
  [0x92, 'UP_DRIVER_ON_MP_SYSTEM'],
  [0xc2, 'BAD_POOL_CALLER'],
]);

export const bugcheckName = (code: number): string =>
  BUGCHECK_NAMES.get(code >>> 0) ?? `0x${(code >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;

const hex8 = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/**
 * NT 3.51's text-mode STOP screen: the STOP line with four parameters, the name, then the loaded
 * modules in two columns and the restart advice. Model: the layout follows NT 3.51/4 screens as
 * published; the processor/IRQL/SYSVER line and the date stamps are ours (no kernel debugger data).
 */
export function stopScreenText(
  code: number,
  params: number[],
  modules: { name: string; base: number; timeDateStamp: number }[],
  buildNumber = 1057,
): string[] {
  const p = [0, 1, 2, 3].map((i) => hex8(params[i] ?? 0));
  const lines = [
    `*** STOP: ${hex8(code)} (${p.join(',')})`,
    bugcheckName(code),
    '',
    `CPUID:GenuineIntel 5.2.c irql:1f  SYSVER 0xf000${buildNumber.toString(16).padStart(4, '0')}`,
    '',
    'Dll Base DateStmp - Name               Dll Base DateStmp - Name',
  ];
  const cell = (m: { name: string; base: number; timeDateStamp: number }) =>
    `${(m.base >>> 0).toString(16).padStart(8, '0')} ${(m.timeDateStamp >>> 0).toString(16).padStart(8, '0')} - ${m.name}`.padEnd(
      39,
    );
  for (let i = 0; i < modules.length; i += 2) {
    lines.push(`${cell(modules[i]!)}${modules[i + 1] ? cell(modules[i + 1]!) : ''}`.trimEnd());
  }
  lines.push(
    '',
    'Restart and set the recovery options in the system control panel',
    'or the /CRASHDEBUG system start option. If this message reappears,',
    'contact your system administrator or technical support group.',
  );
  return lines;
}
