// `nt351 boot` on every fixture image set: the seed's popup and events word for word (KB Q138713),
// clean boots, MISMATCHED_HAL, and the causal chain behind them — changing one link (the kernel, the
// service's device, a boot driver) changes the outcome as NT's would. Golden reports per set.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BootUnsupportedError, boot } from '../../src/boot/index.js';
import { renderBoot } from '../../src/cli/render-boot.js';
import { bootConfiguration, ImageSet } from '../../src/system/index.js';
import { haveEvtexport, parseEvtexport } from '../helpers/evtexport.js';
import { expectSeedSymptom, oneLine } from '../helpers/seed.js';
import { hashTree } from '../helpers/tree.js';
import { haveUnicorn } from '../helpers/unicorn.js';
import { x86Driver } from '../helpers/x86-driver.js';

const unicorn = haveUnicorn;
const SETS = 'fixtures/imagesets';
const BIN = 'fixtures/bin/nt351';
const bin = (p: string) => new Uint8Array(readFileSync(join(BIN, p)));
describe.skipIf(!unicorn)('nt351 boot on the fixture image sets', () => {
  // The Alpha sets' goldens are checked by alpha-boot.test.ts.
  for (const name of readdirSync(SETS)
    .filter((n) => !n.includes('alpha'))
    .sort()) {
    it(`${name}: golden report (human and JSON; npx vitest run -u rewrites)`, async () => {
      const r = await boot(join(SETS, name));
      await expect(renderBoot(r)).toMatchFileSnapshot(`../golden/boot/${name}.txt`);
      await expect(`${JSON.stringify(r, null, 2)}\n`).toMatchFileSnapshot(`../golden/boot/${name}.json`);
    });
  }

  it('kb138713-x86-up: the seed popup, Event 2508 and Event 7023, word for word', async () => {
    const r = await boot(join(SETS, 'kb138713-x86-up'));
    expectSeedSymptom(r);
    expect(r.events[0]).toMatchObject({ id: 6005, source: 'EventLog', type: 'information' });
    expect(r.machine).toMatchObject({ processorsStarted: 1, kernel: { build: 'up' } });
  });

  it('kb138713-x86-mp: the same symptom with the MP kernel, both processors started', async () => {
    const r = await boot(join(SETS, 'kb138713-x86-mp'));
    expectSeedSymptom(r);
    expect(r.machine).toMatchObject({ processorsPresent: 2, processorsStarted: 2, activeProcessors: 3 });
  });

  it('clean sets boot cleanly: RTM and SP3', async () => {
    for (const name of ['rtm-x86-up', 'sp3-x86-up']) {
      const r = await boot(join(SETS, name));
      expect(r.outcome, name).toBe('clean');
      expect(r.hardErrors).toEqual([]);
      expect(r.services.every((s) => s.win32ExitCode === 0)).toBe(true);
    }
  });

  it('mismatched-hal-x86: UP kernel with an MP HAL stops with MISMATCHED_HAL (2, 2, 0) before drivers load', async () => {
    const r = await boot(join(SETS, 'mismatched-hal-x86'));
    expect(r.outcome).toBe('bugcheck');
    expect(r.bugcheck).toMatchObject({
      code: 0x79,
      name: 'MISMATCHED_HAL',
      params: [2, 2, 0, 0],
      module: 'HAL.DLL',
    });
    expect(r.bugcheck!.screen[0]).toBe('*** STOP: 0x00000079 (0x00000002,0x00000002,0x00000000,0x00000000)');
    expect(r.modules.every((m) => m.loadedBy === 'boot-loader')).toBe(true);
    expect(r.events).toEqual([]);
  });

  it('--cpus on a UP kernel starts one processor; on the MP kernel, as many as present', async () => {
    expect((await boot(join(SETS, 'kb138713-x86-up'), { cpus: 4 })).machine.processorsStarted).toBe(1);
    expect((await boot(join(SETS, 'kb138713-x86-mp'), { cpus: 4 })).machine).toMatchObject({
      processorsStarted: 4,
      activeProcessors: 0xf,
    });
  });

  it("the seed's resolutions: the SP kernel copied over NTOSKRNL.EXE (UP) or NTKRNLMP.EXE renamed over it (MP) boot cleanly; the image set on disk is untouched", async () => {
    const before = hashTree(SETS);
    const up = ImageSet.open(join(SETS, 'kb138713-x86-up'));
    up.write('%SystemRoot%\\SYSTEM32\\NTOSKRNL.EXE', bin('sp3/ntoskrnl.exe'));
    expect((await boot(up)).outcome).toBe('clean');
    const mp = ImageSet.open(join(SETS, 'kb138713-x86-mp'));
    mp.write('\\SystemRoot\\System32\\ntoskrnl.exe', bin('sp3/ntkrnlmp.exe'));
    expect((await boot(mp)).outcome).toBe('clean');
    // The wrong fix: the UP kernel on the MP machine (MP HAL) stops with MISMATCHED_HAL.
    const wrong = ImageSet.open(join(SETS, 'kb138713-x86-mp'));
    wrong.write('\\SystemRoot\\System32\\ntoskrnl.exe', bin('sp3/ntoskrnl.exe'));
    expect((await boot(wrong)).bugcheck).toMatchObject({ code: 0x79, params: [2, 2, 0, 0] });
    expect(hashTree(SETS)).toEqual(before);
  });

  it('Event 7023 comes from the service opening its device: without that step, only 2508 is logged', async () => {
    const set = ImageSet.open(join(SETS, 'kb138713-x86-up'));
    set.manifest.services = bootConfiguration(set).services;
    set.manifest.services.find((s) => s.name === 'LanmanServer')!.device = null;
    const r = await boot(set);
    expect(r.events.filter((e) => e.type === 'error').map((e) => e.id)).toEqual([2508]);
    expect(r.hardErrors).toHaveLength(1);
  });

  it('a boot driver missing from the set stops the OS loader with its path', async () => {
    const set = ImageSet.open(join(SETS, 'rtm-x86-up'));
    set.delete('\\SystemRoot\\System32\\drivers\\atdisk.sys');
    const r = await boot(set);
    expect(r.outcome).toBe('loader-stop');
    expect(r.loaderMessage!.slice(0, 2)).toEqual([
      'Windows NT could not start because the following file is missing or corrupt:',
      '\\WINNT35\\System32\\drivers\\atdisk.sys',
    ]);
  });

  it('a boot driver whose DriverEntry writes through a wild pointer stops with KMODE_EXCEPTION_NOT_HANDLED', async () => {
    const wild = x86Driver([], (a) =>
      a.emit(0xc7, 0x05, 0x34, 0x12, 0, 0, 0xef, 0xbe, 0xad, 0xde, 0xc2, 8, 0),
    );
    const set = ImageSet.open(join(SETS, 'rtm-x86-up'));
    set.write('\\SystemRoot\\System32\\drivers\\atdisk.sys', wild);
    const r = await boot(set);
    expect(r.bugcheck).toMatchObject({
      code: 0x1e,
      name: 'KMODE_EXCEPTION_NOT_HANDLED',
      module: 'ATDISK.SYS',
    });
    expect(r.bugcheck!.params[0]).toBe(0xc0000005);
    expect(r.bugcheck!.params[2]).toBe(1); // a write
    expect(r.bugcheck!.params[3]).toBe(0x1234);
    expect(r.bugcheck!.instruction).toBe('mov dword ptr [0x1234], 0xdeadbeef');
  });

  it('a failing boot file system driver leaves the boot volume unmounted: INACCESSIBLE_BOOT_DEVICE', async () => {
    // DriverEntry returning STATUS_UNSUCCESSFUL: mov eax, 0xC0000001; ret 8
    const failing = x86Driver([], (a) => a.emit(0xb8, 0x01, 0, 0, 0xc0, 0xc2, 8, 0));
    const set = ImageSet.open(join(SETS, 'rtm-x86-up'));
    set.write('\\SystemRoot\\System32\\drivers\\fastfat.sys', failing);
    const r = await boot(set);
    expect(r.bugcheck).toMatchObject({ code: 0x7b, name: 'INACCESSIBLE_BOOT_DEVICE' });
  });

  it('a system-start driver that never returns is cut by the budget and reported with its instruction', async () => {
    const hang = x86Driver([], (a) => a.emit(0xeb, 0xfe)); // jmp $
    const set = ImageSet.open(join(SETS, 'rtm-x86-up'));
    set.write('\\SystemRoot\\System32\\drivers\\elnk3.sys', hang);
    const r = await boot(set, { maxInstructions: 100_000 });
    expect(r.guestProblems).toHaveLength(1);
    const p = r.guestProblems[0]!;
    expect(p.routine).toMatch(/elnk3/i);
    expect(p.problem).toMatch(/did not return within the instruction budget/);
    expect(p.instruction).toBe(`jmp 0x${p.pc!.toString(16)}`);
    expect(renderBoot(r)).toContain(`at 0x${p.pc!.toString(16).padStart(8, '0')}: jmp`);
  });

  it('a system-start driver that fails is listed in Event 7026 (ErrorControl normal)', async () => {
    const failing = x86Driver([], (a) => a.emit(0xb8, 0x01, 0, 0, 0xc0, 0xc2, 8, 0));
    const set = ImageSet.open(join(SETS, 'rtm-x86-up'));
    set.write('\\SystemRoot\\System32\\drivers\\elnk3.sys', failing);
    const r = await boot(set);
    expect(r.outcome).toBe('errors');
    const e = r.events.find((x) => x.id === 7026);
    expect(oneLine(e!.message)).toBe(
      'The following boot-start or system-start driver(s) failed to load: Elnk3',
    );
  });

  it.skipIf(!haveEvtexport)(
    "the System log is written to the overlay as SysEvent.Evt in NT's format: evtexport reads the seed's events",
    async () => {
      const set = ImageSet.open(join(SETS, 'kb138713-x86-up'));
      const r = await boot(set);
      expect(r.overlay).toEqual(['WINNT35\\SYSTEM32\\CONFIG\\SysEvent.Evt']);
      const dir = mkdtempSync(join(tmpdir(), 'nt351-sysevent-'));
      try {
        const [file] = set.saveOverlay(dir);
        const out = spawnSync('evtexport', [file!], { encoding: 'utf8' });
        expect(out.status).toBe(0);
        const records = parseEvtexport(out.stdout);
        expect(records.map((e) => [e.number, e.id, e.source, e.type, e.computer, e.strings])).toEqual([
          [1, 0x80001775, 'EventLog', 4, 'NT351', []],
          [2, 0x800009cc, 'Server', 1, 'NT351', []],
          [3, 0xc0001b6f, 'Service Control Manager', 1, 'NT351', ['Server', '%%2']],
        ]);
        expect(records.map((e) => e.created)).toEqual(r.events.map((e) => e.timeGenerated));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('--trace lists the guest code by routine: KiSystemStartup into HalInitSystem, cut at the limit', async () => {
    const r = await boot(join(SETS, 'mismatched-hal-x86'), { trace: 'block', traceLimit: 4 });
    expect(r.trace).toMatchObject({ unit: 'block', limit: 4, truncated: true });
    expect(r.trace!.entries.map((e) => [e.routine, e.module])).toEqual([
      ['KiSystemStartup', 'NTOSKRNL.EXE'],
      ['KiSystemStartup', 'NTOSKRNL.EXE'],
      ['KiSystemStartup', 'HAL.DLL'],
      ['KiSystemStartup', 'HAL.DLL'],
    ]);
    // KiSystemStartup stores the UP build type (2) in KPRCB.BuildType (+0x12), as the HAL then reads it.
    expect(r.trace!.entries[0]!.instructions.map((i) => i.text)).toContain('mov word ptr [eax + 0x12], dx');
    const insn = await boot(join(SETS, 'mismatched-hal-x86'), { trace: 'insn', traceLimit: 2 });
    expect(insn.trace!.entries.map((e) => e.instructions.length)).toEqual([1, 1]);
  });

  it('x86 images in a set that says Alpha are refused (kernel built for another processor), not run', async () => {
    const set = ImageSet.open(join(SETS, 'rtm-x86-up'));
    set.manifest.machine.architecture = 'alpha';
    set.manifest.machine.profile = 'alpha-2100';
    await expect(boot(set)).rejects.toBeInstanceOf(BootUnsupportedError);
  });
});
