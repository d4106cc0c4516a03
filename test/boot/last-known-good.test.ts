// ErrorControl and LastKnownGood (nt351-facts.md "Services: ErrorControl and LastKnownGood"): a driver
// failing with ErrorControl severe or critical restarts the boot with the LastKnownGood control set;
// in LastKnownGood, severe goes on and critical stops the system. The hive is changed in the overlay.
import { describe, expect, it } from 'vitest';
import { boot } from '../../src/boot/index.js';
import { type HiveKeySpec, regValue } from '../../src/regf/index.js';
import { editHive, ImageSet, SYSTEM_HIVE_PATH, treeKey } from '../../src/system/index.js';
import { haveUnicorn } from '../helpers/unicorn.js';

/** sp3-x86-up (a clean boot) with a driver service `Broken` (its file missing) in the given control sets. */
function withBrokenDriver(errorControl: Record<string, number>): ImageSet {
  const set = ImageSet.open('fixtures/imagesets/sp3-x86-up');
  const hive = set.read(SYSTEM_HIVE_PATH)!;
  set.write(
    SYSTEM_HIVE_PATH,
    editHive(hive, 'SYSTEM', (root: HiveKeySpec) => {
      for (const [cs, ec] of Object.entries(errorControl)) {
        const key = treeKey(root, `${cs}\\Services\\Broken`, true)!;
        key.values = [
          regValue.dword('Type', 1),
          regValue.dword('Start', 1),
          regValue.dword('ErrorControl', ec),
          regValue.expandSz('ImagePath', '\\SystemRoot\\System32\\drivers\\broken.sys'),
        ];
      }
    }),
  );
  return set;
}

describe.skipIf(!haveUnicorn)('ErrorControl and LastKnownGood', () => {
  it('severe in the current control set: NT restarts with LastKnownGood, which boots clean; both passes in the timeline', async () => {
    const r = await boot(withBrokenDriver({ ControlSet001: 2 }));
    expect(r.configuration).toEqual({ source: 'hive', controlSet: 'ControlSet002', use: 'LastKnownGood' });
    expect(r.outcome).toBe('clean');
    const steps = r.timeline.map((t) => `${t.step}: ${t.detail}`);
    const restart = steps.findIndex((t) =>
      t.startsWith('restart: Broken failed with ErrorControl severe (0xC0000034)'),
    );
    expect(restart).toBeGreaterThan(0);
    expect(steps.slice(0, restart).some((t) => t.includes('ControlSet001 (Default)'))).toBe(true);
    expect(steps.slice(restart).some((t) => t.includes('ControlSet002 (LastKnownGood)'))).toBe(true);
  });

  it('severe in LastKnownGood too: the second pass goes on and Event 7026 names the driver', async () => {
    const r = await boot(withBrokenDriver({ ControlSet001: 2, ControlSet002: 2 }));
    expect(r.configuration?.use).toBe('LastKnownGood');
    expect(r.outcome).toBe('errors');
    expect(r.events.find((e) => e.id === 7026)?.strings).toEqual(['Broken']);
  });

  it('critical in LastKnownGood: startup fails with CRITICAL_SERVICE_FAILED', async () => {
    const r = await boot(withBrokenDriver({ ControlSet001: 3, ControlSet002: 3 }));
    expect(r.outcome).toBe('bugcheck');
    expect(r.bugcheck).toMatchObject({ code: 0x5a, name: 'CRITICAL_SERVICE_FAILED' });
    expect(r.configuration?.use).toBe('LastKnownGood');
  });

  it('normal: the driver is listed in 7026 and the boot goes on in the current control set', async () => {
    const r = await boot(withBrokenDriver({ ControlSet001: 1 }));
    expect(r.configuration?.use).toBe('Default');
    expect(r.events.find((e) => e.id === 7026)?.strings).toEqual(['Broken']);
  });

  it('--last-known-good boots ControlSet002 directly, as the space bar at the prompt would', async () => {
    const r = await boot(withBrokenDriver({ ControlSet001: 3 }), { lastKnownGood: true });
    expect(r.configuration?.controlSet).toBe('ControlSet002');
    expect(r.outcome).toBe('clean');
    expect(r.timeline.some((t) => t.step === 'restart')).toBe(false);
  });
});
