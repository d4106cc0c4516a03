// The harness API's in-memory image sets: files added, replaced and removed and service keys changed
// in an overlay; boots see the changes, the user's files on disk never change, and every mistake
// (adding a file the set has, replacing one it lacks…) is an ImageSetError at the call.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boot, bootConfiguration, ImageSetError, imageSet, loadImageSet } from '../../src/index.js';
import '../../src/api/vitest.js';
import { bin, hashTree, KB_UP, SETS, skipReason, unicorn } from './helpers.js';

const KERNEL = '\\SystemRoot\\System32\\ntoskrnl.exe';
const SRV = '\\SystemRoot\\System32\\drivers\\srv.sys';

describe.skipIf(!unicorn)(`imageSet(): image sets built in memory${skipReason}`, () => {
  it("kb138713-x86-up with the SP3 kernel replaced in boots cleanly; the set's files on disk are unchanged", async () => {
    const before = hashTree(SETS);
    const builder = imageSet(KB_UP).replace(KERNEL, bin('sp3/ntoskrnl.exe'));
    const set = builder.build();
    expect(set.read('%SystemRoot%\\SYSTEM32\\NTOSKRNL.EXE')).toEqual(bin('sp3/ntoskrnl.exe'));
    expect(set.actualPath(KERNEL)).toBe('WINNT35\\SYSTEM32\\NTOSKRNL.EXE'); // the spelling on disk
    const r = await boot(set);
    expect(r).toBootCleanly();
    expect(r.machine.kernel.version).toMatch(/^3\.51/);
    expect(r.overlay).toEqual(['WINNT35\\SYSTEM32\\CONFIG\\SysEvent.Evt']); // written to the overlay only
    expect(hashTree(SETS)).toEqual(before);
    // The folder on disk still has the RTM kernel: booting it shows the seed symptom.
    expect(readFileSync(join(KB_UP, 'WINNT35/SYSTEM32/NTOSKRNL.EXE'))).not.toEqual(
      Buffer.from(bin('sp3/ntoskrnl.exe')),
    );
    expect(await boot(KB_UP)).toRaiseHardError({ entry: 'RtlIsNameLegalDOS8Dot3' });
  });

  it('build() returns independent sets; a base ImageSet is forked, never changed', async () => {
    const base = loadImageSet(KB_UP);
    const builder = imageSet(base);
    const first = builder.build();
    builder.replace(KERNEL, bin('sp3/ntoskrnl.exe')).service('LanmanServer', { device: null });
    const second = builder.build();
    expect(await boot(first)).toRaiseHardError({ status: 0xc0000263 });
    expect(await boot(second)).toBootCleanly();
    expect(await boot(base)).toLogEvent({ id: 7023, win32Error: 2 });
    // The base's services still come from its SYSTEM hive, unchanged.
    expect(base.manifest.services).toEqual([]);
    expect(bootConfiguration(base).services.find((s) => s.name === 'LanmanServer')!.device).toBe(
      '\\Device\\LanmanServer',
    );
    expect(base.read(KERNEL)).toEqual(first.read(KERNEL));
  });

  it('remove(): without srv.sys, no popup; Server logs 2508 with STATUS_OBJECT_NAME_NOT_FOUND', async () => {
    const r = await boot(imageSet(KB_UP).remove(SRV).build());
    expect(r).not.toRaiseHardError();
    expect(r).toLogEvent({ id: 2508, source: 'Server', status: 0xc0000034 });
    expect(r).toHaveServiceState('Srv', { state: 'stopped', status: 0xc0000034 });
  });

  it('service(): a patch changes what the boot does (no device to open: 2508 only, Server keeps running)', async () => {
    const r = await boot(imageSet(KB_UP).service('lanmanserver', { device: null }).build());
    expect(r).toRaiseHardError({ status: 0xc0000263 });
    expect(r).toLogEvent({ id: 2508 });
    expect(r).not.toLogEvent({ id: 7023 });
    expect(r).toHaveServiceState('LanmanServer', 'running');
  });

  it('a set from nothing: the default x86 UP manifest, files and service keys added in memory', async () => {
    const set = imageSet()
      .add(KERNEL, bin('sp3/ntoskrnl.exe'))
      .add('\\SystemRoot\\System32\\hal.dll', bin('common/hal.dll'))
      .add('\\SystemRoot\\System32\\drivers\\atdisk.sys', bin('common/atdisk.sys'))
      .service('Atdisk', { type: 1, start: 0, group: 'Primary disk' })
      .build();
    expect(set.root).toBeNull();
    expect(set.list()).toEqual([
      'WINNT35\\System32\\drivers\\atdisk.sys',
      'WINNT35\\System32\\hal.dll',
      'WINNT35\\System32\\ntoskrnl.exe',
    ]);
    const r = await boot(set);
    expect(r).toBootCleanly();
    expect(r).toHaveServiceState('Atdisk', { state: 'running', status: 0 });
    expect(r.machine).toMatchObject({ profile: 'x86-pc-up', processorsStarted: 1 });
  });

  it('a set from a machine.yaml text: the sp3-x86-up manifest with an MP HAL and no kernel stops the OS loader', async () => {
    const yaml = readFileSync(join(SETS, 'sp3-x86-up', 'machine.yaml'), 'utf8');
    const r = await boot(
      imageSet({ manifest: yaml }).add('\\SystemRoot\\System32\\hal.dll', bin('common/halmps.dll')).build(),
    );
    expect(r.outcome).toBe('loader-stop');
    expect(r).not.toBootCleanly();
    expect(r.loaderMessage![1]).toBe('\\WINNT35\\System32\\ntoskrnl.exe');
  });
});

describe('imageSet(): mistakes', () => {
  it('mistakes are ImageSetErrors at the call, naming the path or service', () => {
    const b = imageSet(KB_UP);
    expect(() => b.add(KERNEL, new Uint8Array(1))).toThrow(ImageSetError);
    expect(() => b.add(KERNEL, new Uint8Array(1))).toThrow(
      /cannot add '.*ntoskrnl\.exe': the set already has WINNT35\\SYSTEM32\\NTOSKRNL\.EXE \(use replace\)/,
    );
    expect(() => b.replace('\\SystemRoot\\System32\\ntkrnlmp.exe', new Uint8Array(1))).toThrow(
      /no such file in the set \(use add\)/,
    );
    expect(() => b.remove('\\SystemRoot\\System32\\drivers\\nothere.sys')).toThrow(/cannot remove/);
    expect(() => b.add('..\\..\\etc\\passwd', new Uint8Array(1))).toThrow(/leaves the image set/);
    expect(() => b.service('NoSuch', null)).toThrow(/cannot delete service 'NoSuch': no such key/);
    expect(() => b.service('NewOne', { start: 2 })).toThrow(/needs 'type' and 'start'/);
    expect(() => imageSet({ manifest: 'schema: nope\n' })).toThrow(/'schema': expected 'nt351-imageset\/1'/);
    expect(() => imageSet('fixtures/imagesets/no-such-set')).toThrow(/no such image set/);
    // After a removal, add works again (the overlay's deletion is a missing file).
    expect(() => b.remove(SRV).add(SRV, bin('sp3/srv.sys'))).not.toThrow();
  });
});
