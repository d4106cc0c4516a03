// Structured exception handling on x86 (src/kernel/seh/): guest drivers register raw handlers at
// FS:[0] and check raising, CPU faults, continue-execution and -search, RtlUnwind and ProbeFor*
// in guest code (test/kernel/guest/seh.c); unhandled exceptions and corrupt chains end as reports.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { disassemble } from '../../src/cpu/index.js';
import { SEH_CODE, SehRoutine, sehCode } from '../../src/kernel/seh/code.js';
import { runDriver } from '../../src/sandbox/index.js';
import { buildGuestDriver, haveMingw } from './guest-driver.js';

describe('the handler-call code page', () => {
  it('disassembles to RtlpExecuteHandler and the nested-frame handlers', async () => {
    const code = sehCode();
    const text = async (at: number, count: number) =>
      (await disassemble(code.subarray(at - SEH_CODE, at - SEH_CODE + 0x60), at, count))
        .slice(0, count)
        .map((i) => i.text);
    const execute = await text(SehRoutine.ExecuteHandlerForException, 20);
    expect(execute.slice(0, 2)).toEqual([
      `mov edx, 0x${SehRoutine.ExceptionHandler.toString(16)}`,
      'jmp 0x8003700c',
    ]);
    expect(execute).toContain('call ecx');
    expect(execute).toContain('ret 0x14');
    expect(await text(SehRoutine.ExecuteHandlerForUnwind, 1)).toEqual([
      `mov edx, 0x${SehRoutine.UnwindHandler.toString(16)}`,
    ]);
    expect((await text(SehRoutine.ExceptionHandler, 10)).at(-1)).toBe('ret');
    expect(await text(SehRoutine.UnwindHandler, 10)).toContain('mov eax, 3');
  });
});

describe.skipIf(!haveMingw())(
  'structured exception handling in guest code (needs gcc-mingw-w64-i686)',
  () => {
    it('seh.c: every check in guest code passes', async () => {
      const source = 'test/kernel/guest/seh.c';
      const r = await runDriver({ driver: buildGuestDriver(source, 'seh'), kernel: 'registry' });
      const printed = r.events.flatMap((e) => (e.type === 'dbgprint' ? [e.text] : []));
      expect(printed.filter((t) => t.startsWith('FAIL'))).toEqual([]);
      const summary = printed.at(-1) ?? '';
      expect(summary).toMatch(/^seh: \d+ passed, 0 failed\n$/);
      const checks = readFileSync(source, 'utf8').match(/^\s+CHECK\(/gm)?.length;
      expect(Number(/(\d+) passed/.exec(summary)?.[1])).toBe(checks);
      expect(r.outcome).toBe('ok');
      // Each exception is listed in the report.
      const codes = r.events.flatMap((e) => (e.type === 'exception' ? [e.code] : []));
      expect(codes).toContain(0xc0000123);
      expect(codes).toContain(0xc0000094);
    });
  },
);

describe.skipIf(!haveMingw())('exceptions no handler takes (needs gcc-mingw-w64-i686)', () => {
  const run = async (mode: number) =>
    runDriver({
      driver: buildGuestDriver('test/kernel/guest/seh-unhandled.c', `seh-unhandled-${mode}`, [
        `-DMODE=${mode}`,
      ]),
      kernel: 'registry',
    });
  const bugcheck = (r: Awaited<ReturnType<typeof run>>) => r.events.find((e) => e.type === 'bugcheck');

  it.each([
    [1, 'a declining handler', 0xc0000123],
    [2, 'an empty chain', 0xc0000124],
    [3, 'a frame linking out of the stack', 0xc0000125],
    [4, 'a frame linking to itself', 0xc0000126],
    [7, 'a raise after a caught fault at the same depth', 0xc0000128],
  ])('mode %i (%s): KMODE_EXCEPTION_NOT_HANDLED with the code and the address', async (mode, _what, code) => {
    const r = await run(mode);
    expect(r.outcome).toBe('bugcheck');
    const b = bugcheck(r);
    expect(b?.type === 'bugcheck' && b.code).toBe(0x1e);
    const exception = r.events.filter((e) => e.type === 'exception').at(-1);
    expect(exception?.type === 'exception' && exception.code).toBe(code);
    // NT's parameters: the code, the address, the first two exception parameters (none here).
    if (b?.type === 'bugcheck' && exception?.type === 'exception')
      expect(b.parameters).toEqual([code, exception.address, 0, 0]);
    expect(r.events.some((e) => e.type === 'dbgprint')).toBe(false);
  });

  it('a CPU fault no handler takes ends the call as that fault, after the handlers saw it', async () => {
    const r = await run(5);
    expect(r.outcome).toBe('fault');
    const outcome = r.calls.at(-1)?.outcome;
    expect(outcome?.kind === 'fault' && [outcome.access, outcome.address]).toEqual(['write', 0x10]);
    // The registers are the fault's, not the dispatcher's.
    if (outcome?.kind === 'fault') expect(outcome.registers.eip).toBe(outcome.pc);
    expect(r.events.find((e) => e.type === 'exception')).toMatchObject({
      code: 0xc0000005,
      parameters: [1, 0x10],
    });
  });

  it('a handler pointer into unmapped memory ends as a reported fault, not a hang or a host error', async () => {
    const r = await run(6);
    expect(['fault', 'bugcheck']).toContain(r.outcome);
    expect(r.calls.every((c) => c.outcome.kind !== 'host-error')).toBe(true);
  });
});

describe.skipIf(!haveMingw())('the /GS-era handler, EH4 (needs gcc-mingw-w64-i686)', () => {
  it('seh4.c: an EH4 frame built as MSVC does, served by _except_handler4_common', async () => {
    const source = 'test/kernel/guest/seh4.c';
    const r = await runDriver({ driver: buildGuestDriver(source, 'seh4'), kernel: 'registry' });
    const printed = r.events.flatMap((e) => (e.type === 'dbgprint' ? [e.text] : []));
    expect(printed.filter((t) => t.startsWith('FAIL'))).toEqual([]);
    const summary = printed.at(-1) ?? '';
    expect(summary).toMatch(/^seh4: \d+ passed, 0 failed\n$/);
    const checks = readFileSync(source, 'utf8').match(/^\s+CHECK\(/gm)?.length;
    expect(Number(/(\d+) passed/.exec(summary)?.[1])).toBe(checks);
    expect(r.outcome).toBe('ok');
  });
});
