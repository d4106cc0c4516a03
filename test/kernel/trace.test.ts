// run-driver --trace: executed blocks or instructions with Capstone's disassembly, interleaved with
// API calls in the report, capped with a truncation marker; nothing traced when not asked for.
import { describe, expect, it } from 'vitest';
import { type RunDriverReport, runDriver } from '../../src/sandbox/index.js';
import { cliInProcess } from '../helpers/cli.js';

const MODULES = 'fixtures/bin/samples/modules.sys';

const cli = cliInProcess;
const traced = (r: RunDriverReport) => r.events.filter((e) => e.type === 'trace');

describe('run-driver --trace', () => {
  it('lists every basic block with its instructions (golden), the driver given after --trace', async () => {
    const human = await cli('run-driver', '--trace', MODULES);
    expect(human.code).toBe(0);
    await expect(human.stdout).toMatchFileSnapshot('../golden/run-driver-trace.txt');
  });

  it('starts at DriverEntry, disassembles each block and shows the import thunk before the API call', async () => {
    const r = await runDriver({ driver: MODULES, trace: 'block' });
    const blocks = traced(r);
    expect(blocks[0]).toMatchObject({ unit: 'block', address: r.driver.entryPoint });
    for (const b of blocks) {
      if (b.type !== 'trace') continue;
      expect(b.instructions.length).toBeGreaterThan(0);
      expect(b.instructions[0]!.address).toBe(b.address);
    }
    const firstCall = r.events.findIndex((e) => e.type === 'api-call');
    expect(r.events[firstCall - 2]).toMatchObject({
      type: 'trace',
      instructions: [{ text: expect.stringMatching(/^jmp dword ptr \[0x[0-9a-f]+\]$/) }],
    });
    expect(r.events.some((e) => e.type === 'trace-truncated')).toBe(false);
  });

  it('traces single instructions with --trace=insn and stops at the limit with a marker', async () => {
    const json = await cli('run-driver', '--json', '--trace=insn', '--trace-limit', '6', MODULES);
    const r = JSON.parse(json.stdout) as RunDriverReport;
    const entries = traced(r);
    expect(entries.map((e) => (e.type === 'trace' ? e.instructions.map((i) => i.text) : []))).toEqual([
      ['push ebp'],
      ['push edi'],
      ['push esi'],
      ['push ebx'],
      ['sub esp, 0xc'],
      ['mov eax, dword ptr [esp + 0x20]'],
    ]);
    expect(r.events.filter((e) => e.type === 'trace-truncated')).toEqual([
      { type: 'trace-truncated', limit: 6 },
    ]);
    expect(r.outcome).toBe('ok'); // the run goes on untraced
  });

  it('records nothing without --trace', async () => {
    expect(traced(await runDriver({ driver: MODULES }))).toEqual([]);
  });
});
