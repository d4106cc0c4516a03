// The run-driver report of an exception fault names the exception and its vector (text and JSON): a
// driver loading DS with a selector beyond the GDT (test/kernel/guest/gp-fault.c) faults with #GP.
import { describe, expect, it } from 'vitest';
import { cliInProcess } from '../helpers/cli.js';
import { buildGuestDriver, haveMingw } from '../kernel/guest-driver.js';

describe.skipIf(!haveMingw())('run-driver report of an exception fault (needs gcc-mingw-w64-i686)', () => {
  it('names the exception and its vector', async () => {
    const driver = buildGuestDriver('test/kernel/guest/gp-fault.c', 'gpfault');
    const text = await cliInProcess('run-driver', '--kernel', 'registry', driver);
    expect(text.stdout).toMatch(
      /DriverEntry at 0x[0-9a-f]+ FAULT: exception #GP \(vector 13\) at 0x[0-9a-f]+, pc 0x[0-9a-f]+: mov ds, eax\n/,
    );
    const json = await cliInProcess('run-driver', '--kernel', 'registry', '--json', driver);
    expect(JSON.parse(json.stdout).calls[0].outcome).toMatchObject({
      kind: 'fault',
      fault: 'exception',
      access: null,
      vector: 13,
    });
  }, 60_000);
});
