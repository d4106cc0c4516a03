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

/**
 * 8.3 names and what RtlIsNameLegalDOS8Dot3 says of them: [name, legal, NameContainsSpaces when
 * legal] (FAT's short-name rules; the fixture kernels' x86 and Alpha code are both checked with it).
 */
export const DOS_8DOT3_NAMES: readonly (readonly [string, boolean, boolean])[] = [
  ['IPC$', true, false],
  ['FOO.TXT', true, false],
  ['foo.txt', true, false],
  ['README', true, false],
  ['ABCDEFGH.ABC', true, false],
  ['.', true, false],
  ['..', true, false],
  ['MY FILE.TXT', true, true],
  ['', false, false],
  ['ABCDEFGHI', false, false],
  ['ABCDEFGHI.TXT', false, false],
  ['A.TEXT', false, false],
  ['A.B.C', false, false],
  ['FOO.', false, false],
  ['.PROFILE', false, false],
  [' FOO', false, false],
  ['FOO ', false, false],
  ['FOO .TXT', false, false],
  ['A*B', false, false],
  ['A?.TXT', false, false],
  ['A+B', false, false],
  ['A,B', false, false],
  ['A;B', false, false],
  ['A=B', false, false],
  ['A[B]', false, false],
  ['A|B', false, false],
  ['A:B', false, false],
  ['A\\B', false, false],
  ['A/B', false, false],
  ['A"B', false, false],
  ['A<B>', false, false],
  ['A\tB', false, false],
];
