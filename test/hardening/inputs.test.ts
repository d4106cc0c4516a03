// Issue 20, items 5, 8 and 9: no input ends as an internal error (exit 70). Guest-written driver-object
// fields the kernel reads, odd machine.yaml keys, malformed images anywhere in a set, bad API options,
// device names, and inputs read without limits each end as a report or a typed, documented error.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { runDriver } from '../../src/sandbox/index.js';
import { haveUnicorn } from '../helpers/unicorn.js';
import { x86Driver } from '../helpers/x86-driver.js';

const tmp = mkdtempSync(join(tmpdir(), 'nt351-inputs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the CLI, returning its exit code and what it wrote. */
async function cli(...args: string[]) {
  let out = '';
  let err = '';
  const code = await run(['node', 'nt351', ...args], {
    stdout: (s: string) => {
      out += s;
    },
    stderr: (s: string) => {
      err += s;
    },
  });
  return { code, out, err };
}

// DriverEntry: mov eax, [esp+4] (the DRIVER_OBJECT); then `body`; xor eax, eax; ret 8.
const entry = (...body: number[]) => [0x8b, 0x44, 0x24, 0x04, ...body, 0x31, 0xc0, 0xc2, 0x08, 0x00];
const WILD = [0xef, 0xbe, 0xad, 0xde]; // 0xdeadbeef

describe.skipIf(!haveUnicorn)('(5) driver-object fields the kernel reads after DriverEntry', () => {
  const cases: [string, number[], string][] = [
    // mov dword [eax+0x18], 0xdeadbeef
    ['DriverExtension = 0xdeadbeef', entry(0xc7, 0x40, 0x18, ...WILD), 'DriverExtension'],
    // mov dword [eax+4], 0xdeadbeef; mov dword [eax+0x38], 1 (IRP_MJ_CREATE, never called)
    [
      'DeviceObject = 0xdeadbeef',
      entry(0xc7, 0x40, 0x04, ...WILD, 0xc7, 0x40, 0x38, 1, 0, 0, 0),
      'StackSize',
    ],
    // DriverExtension->AddDevice = the routine below, which sets Pdo->AttachedDevice = 0xdeadbeef.
    [
      'a wild AttachedDevice set in AddDevice',
      [
        ...[0x8b, 0x44, 0x24, 0x04], // mov eax, [esp+4]
        ...[0x8b, 0x50, 0x18], // mov edx, [eax+0x18]
        ...[0xe8, 0, 0, 0, 0, 0x59], // call $+5; pop ecx
        ...[0x83, 0xc1, 0x0c], // add ecx, 12 (AddDevice below)
        ...[0x89, 0x4a, 0x04], // mov [edx+4], ecx
        ...[0x31, 0xc0, 0xc2, 0x08, 0x00], // xor eax, eax; ret 8
        ...[0x8b, 0x44, 0x24, 0x08], // AddDevice: mov eax, [esp+8] (the PDO)
        ...[0xc7, 0x40, 0x10, ...WILD], // mov dword [eax+0x10], 0xdeadbeef
        ...[0x31, 0xc0, 0xc2, 0x08, 0x00],
      ],
      'AttachedDevice',
    ],
  ];
  for (const [what, code, routine] of cases) {
    it(`${what}: a guest fault at the kernel's read and NT's bugcheck 0x1E, not an internal error`, async () => {
      const driver = join(tmp, `${routine}.sys`);
      writeFileSync(
        driver,
        x86Driver([], (a) => a.emit(...code)),
      );
      const r = await runDriver({ driver });
      expect(r.outcome).toBe('bugcheck');
      const last = r.calls.at(-1)!;
      expect(last.routine).toContain(routine);
      expect(last.outcome.kind).toBe('stopped');
      const bug = r.events.find((e) => e.type === 'bugcheck');
      expect(bug).toMatchObject({ code: 0x1e, parameters: [0xc0000005, 0, 0, expect.any(Number)] });
      const c = await cli('run-driver', '--json', driver);
      expect(c.code).toBe(1);
    });
  }
});
