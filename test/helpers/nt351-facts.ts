// Facts from ../shared/docs/nt351-facts.md that several tests assert.

/** Exports that drivers for later NT versions use but NT 3.x kernels lack ("Export lists"). */
export const NEVER_IN_3X: readonly string[] = [
  'PsGetVersion',
  'ZwQuerySystemInformation',
  'KeSetTimerEx',
  'IoAttachDeviceToDeviceStack',
  'PsGetCurrentProcessId',
  'ZwYieldExecution',
];
