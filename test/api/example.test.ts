// The harness API example of issue 7 ("Harness API"): the seed's popup and events on kb138713-x86-up,
// MISMATCHED_HAL on a 2-CPU boot of mismatched-hal-x86, the fixed set booting clean, and the KB's
// symptom scenarios. docs/api.md shows this code word for word (checked below).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { boot, imageSet, loadImageSet, replay } from '../../src/index.js';
import '../../src/api/vitest.js';
import { skipReason, unicorn } from './helpers.js';

describe.skipIf(!unicorn)(`the harness API example (issue 7)${skipReason}`, () => {
  // docs/api.md example: begin
  it('KB Q138713: the symptom, a STOP on the wrong HAL, and the fix', async () => {
    const r = await boot('fixtures/imagesets/kb138713-x86-up');
    expect(r).toRaiseHardError({
      status: 0xc0000263,
      entry: 'RtlIsNameLegalDOS8Dot3',
      module: 'NTOSKRNL.EXE',
    });
    expect(r).toLogEvent({ id: 2508, source: 'Server' });
    expect(r).toLogEvent({ id: 7023, source: 'Service Control Manager', win32Error: 2 });

    const set = loadImageSet('fixtures/imagesets/mismatched-hal-x86');
    expect(await boot(set, { cpus: 2 })).toBugCheck({ code: 0x79, params: [2, 2, 0] });

    // The fix on a uniprocessor machine: the SP3 kernel copied over NTOSKRNL.EXE, in memory only.
    const sp3 = new Uint8Array(readFileSync('fixtures/bin/nt351/sp3/ntoskrnl.exe'));
    const fixed = imageSet('fixtures/imagesets/kb138713-x86-up')
      .replace('\\SystemRoot\\System32\\ntoskrnl.exe', sp3)
      .build();
    const r2 = await boot(fixed);
    expect(r2).toBootCleanly();
    expect(r2).toHaveServiceState('LanmanServer', 'running');

    // The KB's symptom scenario: SP1-SP5 on UP and MP machines, ten boots.
    const results = await replay('scenarios/kb138713/x86/symptom.yaml');
    expect(results.map((s) => s.passed)).toEqual(Array(10).fill(true));
  });
  // docs/api.md example: end
});

describe('docs/api.md', () => {
  it('shows the example above word for word, with the package imports', () => {
    const me = readFileSync(new URL(import.meta.url), 'utf8');
    const region = me.slice(
      me.indexOf('  it(', me.indexOf('example: begin')),
      me.indexOf('  // docs/api.md example: end'),
    );
    const example = region.replace(/^ {2}/gm, '');
    const doc = readFileSync('docs/api.md', 'utf8');
    const block = /## Example\n[\s\S]*?```ts\n([^`]*?)```/.exec(doc)?.[1];
    expect(block).toBeDefined();
    expect(block).toContain(
      "import { boot, imageSet, loadImageSet, replay } from 'nt351';\nimport 'nt351/vitest';\n",
    );
    expect(block).toContain(example);
    // README's "Use it from tests" shows the same code.
    const readme = readFileSync('README.md', 'utf8');
    const readmeBlock = /## Use it from tests\n[\s\S]*?```ts\n([^`]*?)```/.exec(readme)?.[1];
    expect(readmeBlock).toBe(block);
  });
});
