// The vitest matchers of 'nt351/vitest' on real boots: each matcher passes and fails where it should,
// with and without .not, and its failure message shows the expectation, the boot's actual hard
// errors / events / bugcheck / services as a table and a diff against the closest item.
import { beforeAll, describe, expect, it } from 'vitest';
import { type BootReport, boot, imageSet } from '../../src/index.js';
import '../../src/api/vitest.js';
import { bin, failureOf, KB_UP, MISMATCHED_HAL, skipReason, unicorn } from './helpers.js';

/** The seed symptom, the fixed set, and MISMATCHED_HAL. */
let seed: BootReport;
let clean: BootReport;
let stop: BootReport;

describe.skipIf(!unicorn)(`nt351/vitest matchers${skipReason}`, () => {
  beforeAll(async () => {
    seed = await boot(KB_UP);
    clean = await boot(
      imageSet(KB_UP).replace('\\SystemRoot\\System32\\ntoskrnl.exe', bin('sp3/ntoskrnl.exe')).build(),
    );
    stop = await boot(MISMATCHED_HAL, { cpus: 2 });
  });

  describe('toBootCleanly', () => {
    it('passes on a clean boot; .not passes on the others', () => {
      expect(clean).toBootCleanly();
      expect(seed).not.toBootCleanly();
      expect(stop).not.toBootCleanly();
    });

    it('fails on the seed with the outcome, the popup and the System log as tables', () => {
      expect(() => expect(seed).toBootCleanly()).toThrow(/Expected outcome/);
      const m = failureOf(() => expect(seed).toBootCleanly());
      expect(m).toContain('expect(report).toBootCleanly()');
      expect(m).toContain('Expected outcome "clean", received "errors"');
      expect(m).toContain('outcome: errors (1 hard error, 2 error events, bugcheck: none)');
      expect(m).toMatch(
        /1 {2}0xC0000263 {2}RtlIsNameLegalDOS8Dot3 {2}NTOSKRNL\.EXE {2}System Process - Driver Entry Point Not Found: The \\SystemRoot\\System32\\drivers\\srv\.sys device driver/,
      );
      expect(m).toMatch(
        /3 {2}7023 {2}Service Control Manager {2}error {8}2 {11}The Server service terminated/,
      );
    });

    it('fails on a bugcheck with the STOP line; .not fails on a clean boot', () => {
      expect(failureOf(() => expect(stop).toBootCleanly())).toContain(
        'bugcheck: 0x00000079 MISMATCHED_HAL (0x00000002, 0x00000002, 0x00000000, 0x00000000) in HAL.DLL',
      );
      const m = failureOf(() => expect(clean).not.toBootCleanly());
      expect(m).toContain('expect(report).not.toBootCleanly()');
      expect(m).toContain('Expected the boot not to be clean, but it was.');
      expect(m).toContain('outcome: clean (0 hard errors, 0 error events, bugcheck: none)');
    });
  });

  describe('toRaiseHardError', () => {
    it('matches on status (number, hex string or name), caption, text, entry, module and image', () => {
      expect(seed).toRaiseHardError();
      expect(seed).toRaiseHardError({ status: 0xc0000263 });
      expect(seed).toRaiseHardError({ status: '0xc0000263' });
      expect(seed).toRaiseHardError({ status: 'STATUS_DRIVER_ENTRYPOINT_NOT_FOUND' });
      expect(seed).toRaiseHardError({
        caption: 'System Process - Driver Entry Point Not Found',
        text: 'The \\SystemRoot\\System32\\drivers\\srv.sys device driver could not locate the entry point RtlIsNameLegalDOS8Dot3 in driver NTOSKRNL.EXE.',
        image: '\\SystemRoot\\System32\\drivers\\SRV.SYS',
        module: 'ntoskrnl.exe',
      });
      expect(seed).toRaiseHardError('Driver Entry Point Not Found');
      expect(seed).toRaiseHardError(/could not locate the entry point Rtl\w+/);
      expect(seed).not.toRaiseHardError({ status: 0xc0000262 });
      expect(seed).not.toRaiseHardError({ caption: 'Driver Entry Point Not Found' }); // strings are exact
      expect(seed).not.toRaiseHardError({ entry: /^RtlIsNameLegal$/ });
      expect(clean).not.toRaiseHardError();
    });

    it('fails with the expectation, the hard errors and a diff that shows only the field that differs', () => {
      const m = failureOf(() =>
        expect(seed).toRaiseHardError({
          status: 0xc0000263,
          entry: 'RtlIsNameLegalDOS8Dot3',
          module: 'HAL.DLL',
        }),
      );
      expect(m).toContain('expect(report).toRaiseHardError(expected)');
      expect(m).toMatch(/Expected a hard error matching Object \{\n {2}"entry": "RtlIsNameLegalDOS8Dot3",/);
      expect(m).toContain('"status": "0xC0000263"');
      expect(m).toContain('Hard errors of the boot:');
      expect(m).toContain('Difference from the closest hard error (#1):');
      expect(m).toContain('-   "module": "HAL.DLL",');
      expect(m).toContain('+   "module": "NTOSKRNL.EXE",');
      expect(m).not.toMatch(/[-+] {3}"status"/);
      expect(m).not.toMatch(/[-+] {3}"entry"/);
      // Fields that matched a RegExp or ignoring case show the actual value, so they are not marked.
      const re = failureOf(() =>
        expect(seed).toRaiseHardError({ entry: /^RtlIsName/, image: /srv/, module: 'hal.dll' }),
      );
      expect(re).toContain('    "entry": "RtlIsNameLegalDOS8Dot3",');
      expect(re).toMatch(/\n {4}"image": ".*srv\.sys",/);
      expect(re).toContain('-   "module": "hal.dll",');
      expect(re.slice(re.indexOf('Difference'))).not.toContain('/^RtlIsName/');
    });

    it('fails on a boot without popups with "(none)"; .not fails naming the matching popup', () => {
      const none = failureOf(() => expect(clean).toRaiseHardError({ status: 0xc0000263 }));
      expect(none).toContain('Hard errors of the boot:\n  (none)');
      expect(none).not.toContain('Difference');
      const not = failureOf(() => expect(seed).not.toRaiseHardError(/srv\.sys/));
      expect(not).toContain('expect(report).not.toRaiseHardError(expected)');
      expect(not).toContain('Expected no hard error matching /srv\\.sys/, but #1 is one:');
      expect(not).toContain('0xC0000263');
    });
  });

  describe('toLogEvent', () => {
    it('matches on id, source, type, message (whitespace-collapsed or RegExp), win32Error and the data status', () => {
      expect(seed).toLogEvent({ id: 6005, source: 'EventLog', type: 'information' });
      expect(seed).toLogEvent({
        id: 2508,
        source: 'Server',
        type: 'error',
        message: 'The server service was unable to load the server driver.',
        status: 0xc0000263,
      });
      expect(seed).toLogEvent({
        id: 7023,
        message:
          'The Server service terminated with the following error: The system cannot find the file specified.',
        win32Error: 2,
      });
      expect(seed).toLogEvent({ id: 7023, message: /cannot find the file/ });
      expect(seed).not.toLogEvent({ id: 7023, win32Error: 3 });
      expect(seed).not.toLogEvent({ id: 2508, source: 'Service Control Manager' });
      expect(seed).not.toLogEvent({ id: 7000 });
      expect(clean).not.toLogEvent({ id: 2508 });
      expect(stop).not.toLogEvent({ id: 6005 }); // the boot stopped before the SCM ran
    });

    it('fails with the System log as a table and a diff against the closest event', () => {
      const m = failureOf(() =>
        expect(seed).toLogEvent({ id: 7023, source: 'Service Control Manager', win32Error: 3 }),
      );
      expect(m).toContain('expect(report).toLogEvent(expected)');
      expect(m).toMatch(/Expected an event matching Object \{\n {2}"id": 7023,/);
      expect(m).toMatch(/ {2}# {2}id {4}source {19}type {9}win32Error {2}message\n/);
      expect(m).toMatch(
        /2 {2}2508 {2}Server {19}error {20}The server service was unable to load the server driver\./,
      );
      expect(m).toContain('Difference from the closest event (#3):');
      expect(m).toContain('-   "win32Error": 3,');
      expect(m).toContain('+   "win32Error": 2,');
      expect(failureOf(() => expect(stop).toLogEvent({ id: 6005 }))).toContain(
        'System log of the boot:\n  (none)',
      );
    });

    it('.not fails naming the event; a pattern without an id is a usage error', () => {
      const m = failureOf(() => expect(seed).not.toLogEvent({ id: 2508 }));
      expect(m).toContain('Expected no event matching Object {\n  "id": 2508,\n}, but #2 is one:');
      expect(() => expect(seed).toLogEvent({ source: 'Server' } as never)).toThrow(
        /a pattern with a numeric id/,
      );
    });
  });

  describe('toBugCheck', () => {
    it('matches the code, a prefix of the parameters, the name and the module', () => {
      expect(stop).toBugCheck();
      expect(stop).toBugCheck(0x79);
      expect(stop).toBugCheck({ code: 0x79, params: [2, 2, 0] });
      expect(stop).toBugCheck({
        code: 0x79,
        params: [2, 2, 0, 0],
        name: 'MISMATCHED_HAL',
        module: 'hal.dll',
      });
      expect(stop).not.toBugCheck({ code: 0x79, params: [2, 2, 1] });
      expect(stop).not.toBugCheck({ code: 0x79, params: [2, 2, 0, 0, 0] }); // longer than NT's four
      expect(stop).not.toBugCheck({ code: 0x7b });
      expect(seed).not.toBugCheck();
    });

    it('fails with the STOP line received and a diff of the parameters', () => {
      const m = failureOf(() => expect(stop).toBugCheck({ code: 0x79, params: [2, 1] }));
      expect(m).toContain('expect(report).toBugCheck(expected)');
      expect(m).toContain(
        'Received "0x00000079 MISMATCHED_HAL (0x00000002, 0x00000002, 0x00000000, 0x00000000) in HAL.DLL"',
      );
      expect(m).toContain('Difference from the bugcheck:');
      expect(m).toContain('-     "0x00000001",');
      expect(m).toContain('+     "0x00000002",');
    });

    it('fails on a boot that did not bugcheck with the report summary; .not names the STOP', () => {
      const m = failureOf(() => expect(seed).toBugCheck({ code: 0x79 }));
      expect(m).toContain(
        'Expected a bugcheck matching Object {\n  "code": "0x00000079",\n}, but the boot did not bugcheck.',
      );
      expect(m).toContain('outcome: errors (1 hard error, 2 error events, bugcheck: none)');
      const not = failureOf(() => expect(stop).not.toBugCheck());
      expect(not).toContain('Expected no bugcheck, but the boot stopped with "0x00000079 MISMATCHED_HAL');
    });
  });

  describe('toHaveServiceState', () => {
    it('matches a state name or fields, by service name in any case', () => {
      expect(seed).toHaveServiceState('LanmanServer', 'stopped');
      expect(seed).toHaveServiceState('lanmanserver', {
        state: 'stopped',
        win32ExitCode: 2,
        status: 0xc0000034,
      });
      expect(seed).toHaveServiceState('Srv', { state: 'stopped', status: 0xc0000263 });
      expect(seed).toHaveServiceState('EventLog', { state: 'running', status: null });
      expect(seed).not.toHaveServiceState('LanmanServer', 'running');
      expect(clean).toHaveServiceState('LanmanServer', { state: 'running', win32ExitCode: 0 });
    });

    it('fails with the services table and the difference; an unknown service is a usage error', () => {
      const m = failureOf(() => expect(seed).toHaveServiceState('LanmanServer', 'running'));
      expect(m).toContain('expect(report).toHaveServiceState(name, state)');
      expect(m).toContain('Expected service LanmanServer to be "running"');
      expect(m).toMatch(/LanmanServer {7}stopped {2}2 {14}0xC0000034 {2}scm/);
      expect(m).toContain('-   "state": "running",');
      expect(m).toContain('+   "state": "stopped",');
      const not = failureOf(() => expect(seed).not.toHaveServiceState('LanmanServer', 'stopped'));
      expect(not).toContain('Expected service LanmanServer not to be "stopped", but it is.');
      expect(() => expect(seed).not.toHaveServiceState('LanmanSrever', 'running')).toThrow(
        /the boot has no service 'LanmanSrever'/,
      );
    });
  });

  describe('usage errors and asymmetric use', () => {
    it('a non-report or an un-awaited boot throws, even with .not', () => {
      expect(() => expect({ outcome: 'clean' }).not.toBootCleanly()).toThrow(/expected a BootReport/);
      expect(() => expect(42).not.toRaiseHardError()).toThrow(/expected a BootReport .* received number/);
      const pending = boot(KB_UP);
      expect(() => expect(pending).toBootCleanly()).toThrow(/received a Promise; await boot\(\.\.\.\) first/);
      return expect(pending).resolves.not.toBootCleanly();
    });

    it('works as asymmetric matchers inside toEqual', () => {
      expect({ fixed: clean, seed }).toEqual({
        fixed: expect.toBootCleanly(),
        seed: expect.toRaiseHardError({ status: 0xc0000263 }),
      });
      expect([stop]).toEqual([expect.toBugCheck({ code: 0x79, params: [2, 2, 0] })]);
      expect([seed]).not.toEqual([expect.toBootCleanly()]);
    });
  });
});
