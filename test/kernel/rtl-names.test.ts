// RtlIsNameLegalDOS8Dot3's handler (for kernels without the routine: --kernel registry) against the
// 8.3 facts table the fixture kernels' own x86 and Alpha code are checked with.
import { expect, it } from 'vitest';
import { legal8dot3 } from '../../src/kernel/exports/ntoskrnl/rtl-names.js';
import { DOS_8DOT3_NAMES } from '../helpers/nt351-facts.js';

it.each(DOS_8DOT3_NAMES)('%j: legal %s, spaces %s', (name, legal, spaces) => {
  expect(legal8dot3(name)).toEqual([legal, spaces]);
});
