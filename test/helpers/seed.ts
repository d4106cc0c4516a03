// The seed's symptom (../shared/seed, KB Q138713) as boot reports must show it, word for word.
import { expect } from 'vitest';
import type { BootReport } from '../../src/boot/index.js';

/** Event Viewer shows CRLFs as line breaks; the KB prints them as spaces. */
export const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

export const SEED = {
  caption: 'System Process - Driver Entry Point Not Found',
  text: 'The \\SystemRoot\\System32\\drivers\\srv.sys device driver could not locate the entry point RtlIsNameLegalDOS8Dot3 in driver NTOSKRNL.EXE.',
  e2508: 'The server service was unable to load the server driver.',
  e7023: 'The Server service terminated with the following error: The system cannot find the file specified.',
};

/** The popup, Events 2508 and 7023 and nothing else in error, and the Server service stopped with error 2. */
export function expectSeedSymptom(r: BootReport): void {
  expect(r.outcome).toBe('errors');
  expect(r.hardErrors.map((h) => [h.caption, h.text, h.status])).toEqual([
    [SEED.caption, SEED.text, '0xC0000263'],
  ]);
  const errors = r.events.filter((e) => e.type === 'error');
  expect(errors.map((e) => [e.id, e.source, oneLine(e.message)])).toEqual([
    [2508, 'Server', SEED.e2508],
    [7023, 'Service Control Manager', SEED.e7023],
  ]);
  expect(r.services.find((s) => s.name === 'LanmanServer')).toMatchObject({
    state: 'stopped',
    win32ExitCode: 2,
  });
}
