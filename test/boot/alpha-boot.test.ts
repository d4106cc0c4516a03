// `nt351 boot` of the Alpha AXP image sets on our interpreter: the seed's popup and events on the
// AlphaServer 2100 and the Jensen, the seed's RISC note (the UP kernel on the 2100's MP HAL stops with
// MISMATCHED_HAL even with one processor) from the fixtures' Alpha guest code, clean service-pack
// sets, processors per HAL, Alpha disassembly in fault reports and traces, and the System log file.
// Golden reports of the five sets, human and JSON (npx vitest run -u rewrites).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BootUnsupportedError, boot } from '../../src/boot/index.js';
import { renderBoot } from '../../src/cli/render-boot.js';
import { PeImage } from '../../src/pe/index.js';
import { ImageSet } from '../../src/system/imageset.js';
import { haveEvtexport, parseEvtexport } from '../helpers/evtexport.js';
import { expectSeedSymptom } from '../helpers/seed.js';

const SETS = 'fixtures/imagesets';
const BIN = 'fixtures/bin/alpha';
describe('nt351 boot on the Alpha AXP image sets', () => {
  for (const name of readdirSync(SETS)
    .filter((n) => n.includes('alpha'))
    .sort()) {
    it(`${name}: golden report (human and JSON; npx vitest run -u rewrites)`, async () => {
      const r = await boot(join(SETS, name));
      await expect(renderBoot(r)).toMatchFileSnapshot(`../golden/boot/${name}.txt`);
      await expect(`${JSON.stringify(r, null, 2)}\n`).toMatchFileSnapshot(`../golden/boot/${name}.json`);
    });
  }

  it('kb138713-alpha-2100: the seed popup, Event 2508 and 7023 on a one-processor AlphaServer 2100', async () => {
    const r = await boot(join(SETS, 'kb138713-alpha-2100'));
    expectSeedSymptom(r);
    expect(r.machine).toMatchObject({
      architecture: 'alpha',
      profile: 'alpha-2100',
      hal: { variant: 'mp' },
      kernel: { build: 'mp', version: '3.51.1057.0 ntkrnlmp.exe' },
      processorsStarted: 1,
    });
    // The Alpha drivers' DriverEntry ran (guest code) before the Server service's load failed.
    expect(r.services.filter((s) => s.state === 'running').map((s) => s.name)).toEqual(
      expect.arrayContaining(['Ncrc810', 'Fastfat', 'Ndis', 'Dc21x4', 'Nbf', 'Rdr', 'LanmanWorkstation']),
    );
    expect(r.guestProblems).toEqual([]);
  });

  it('kb138713-alpha-jensen: the same popup and events on the uniprocessor Jensen', async () => {
    const r = await boot(join(SETS, 'kb138713-alpha-jensen'));
    expectSeedSymptom(r);
    expect(r.machine).toMatchObject({
      profile: 'alpha-jensen-up',
      hal: { variant: 'up' },
      kernel: { build: 'up' },
    });
  });

  it("alpha-2100-up-kernel: the seed's RISC note, MISMATCHED_HAL (2, 2, 0) from HalInitSystem with one CPU", async () => {
    const r = await boot(join(SETS, 'alpha-2100-up-kernel'));
    expect(r.machine.processorsPresent).toBe(1);
    expect(r.outcome).toBe('bugcheck');
    expect(r.bugcheck).toMatchObject({
      code: 0x79,
      name: 'MISMATCHED_HAL',
      params: [2, 2, 0, 0],
      module: 'HAL.DLL',
    });
    expect(r.hardErrors).toEqual([]);
    expect(r.events).toEqual([]); // the stop comes before any driver or service
  });

  it.each(['sp3-alpha-2100', 'sp3-alpha-jensen'])('%s: boots cleanly', async (name) => {
    const r = await boot(join(SETS, name));
    expect(r.outcome).toBe('clean');
    expect(r.hardErrors).toEqual([]);
    expect(r.events.map((e) => e.id)).toEqual([6005]);
    expect(r.services.find((s) => s.name === 'LanmanServer')).toMatchObject({ state: 'running' });
  });

  it("the KB's MP fix on the 2100: the SP's NTKRNLMP.EXE over NTOSKRNL.EXE boots cleanly", async () => {
    const set = ImageSet.open(join(SETS, 'kb138713-alpha-2100'));
    set.write(
      '\\SystemRoot\\System32\\ntoskrnl.exe',
      new Uint8Array(readFileSync(join(BIN, 'sp3/ntkrnlmp.exe'))),
    );
    expect((await boot(set)).outcome).toBe('clean');
  });

  it('processors: the MP HAL starts what is present (up to 4), the Jensen HAL one', async () => {
    const mp = await boot(join(SETS, 'sp3-alpha-2100'), { cpus: 4 });
    expect([mp.machine.processorsStarted, mp.machine.activeProcessors, mp.outcome]).toEqual([
      4,
      0xf,
      'clean',
    ]);
    expect(mp.timeline.filter((t) => t.detail.startsWith('HalStartNextProcessor')).length).toBe(3);
    const up = await boot(join(SETS, 'sp3-alpha-jensen'), { cpus: 2 });
    expect([up.machine.processorsStarted, up.outcome]).toEqual([1, 'clean']);
    // The UP kernel on the MP HAL stops whatever the processor count.
    const wrong = await boot(join(SETS, 'alpha-2100-up-kernel'), { cpus: 2 });
    expect(wrong.bugcheck?.params).toEqual([2, 2, 0, 0]);
  });

  /** sp3-alpha-2100 with rdr.sys's first DriverEntry instruction replaced by `word`; its entry RVA. */
  function rdrStartingWith(word: number): { set: ImageSet; entry: number } {
    const set = ImageSet.open(join(SETS, 'sp3-alpha-2100'));
    const path = '\\SystemRoot\\System32\\drivers\\rdr.sys';
    const bytes = new Uint8Array(set.read(path)!);
    const img = PeImage.parse(bytes, path);
    const entry = img.headers.optionalHeader.addressOfEntryPoint;
    const section = img.sections.find(
      (s) => entry >= s.virtualAddress && entry < s.virtualAddress + s.virtualSize,
    )!;
    new DataView(bytes.buffer).setUint32(
      section.pointerToRawData + entry - section.virtualAddress,
      word,
      true,
    );
    set.write(path, bytes);
    return { set, entry };
  }

  it('a fault in an Alpha driver is KMODE_EXCEPTION_NOT_HANDLED with the Alpha instruction', async () => {
    // ldl t0, 0(zero): a read of address 0, which nothing maps.
    const { set, entry } = rdrStartingWith(0xa03f0000);
    const r = await boot(set);
    expect(r.outcome).toBe('bugcheck');
    const rdr = r.modules.find((m) => m.name === 'RDR.SYS')!;
    expect(r.bugcheck).toMatchObject({
      code: 0x1e,
      params: [0xc0000005, rdr.base + entry, 0, 0],
      module: 'RDR.SYS',
      instruction: 'ldl t0,0(zero)',
    });
  });

  it('a PAL call the model does not have stops the routine and is reported by name', async () => {
    const { set, entry } = rdrStartingWith(0x00000080); // CALL_PAL bpt
    const r = await boot(set);
    const rdr = r.modules.find((m) => m.name === 'RDR.SYS')!;
    expect(r.guestProblems).toEqual([
      {
        routine: 'DriverEntry (Rdr)',
        problem: `stopped: CALL_PAL bpt at 0x${(rdr.base + entry).toString(16)} (not modelled)`,
        pc: null,
        instruction: null,
      },
    ]);
    expect(r.outcome).toBe('errors');
  });

  it('--trace shows the Alpha guest code: KiSystemStartup stores the build type, the HAL reads the PCR', async () => {
    const r = await boot(join(SETS, 'alpha-2100-up-kernel'), { trace: 'block' });
    expect(r.trace!.truncated).toBe(false);
    const blocks = r.trace!.entries.map((e) => [e.module, e.instructions.map((i) => i.text)] as const);
    expect(blocks[0]).toEqual([
      'NTOSKRNL.EXE',
      ['lda sp,-32(sp)', 'stq ra,0(sp)', 'stq s0,8(sp)', 'mov a0,s0', 'call_pal 0x1c'],
    ]);
    expect(blocks.some(([mod, text]) => mod === 'HAL.DLL' && text.includes('call_pal 0x1c'))).toBe(true);
    expect(blocks.flatMap(([, text]) => text)).toContain('stl t1,16(t0)'); // PRCB Number/BuildType
    const insn = await boot(join(SETS, 'alpha-2100-up-kernel'), { trace: 'insn', traceLimit: 3 });
    expect(insn.trace!.entries.map((e) => e.instructions.map((i) => i.text))).toEqual([
      ['lda sp,-32(sp)'],
      ['stq ra,0(sp)'],
      ['stq s0,8(sp)'],
    ]);
    expect(insn.trace!.truncated).toBe(true);
  });

  it('an x86 kernel on an Alpha machine is refused, not run', async () => {
    const set = ImageSet.open(join(SETS, 'sp3-alpha-2100'));
    set.write(
      '\\SystemRoot\\System32\\ntoskrnl.exe',
      new Uint8Array(readFileSync('fixtures/bin/nt351/sp3/ntkrnlmp.exe')),
    );
    await expect(boot(set)).rejects.toBeInstanceOf(BootUnsupportedError);
  });

  it.skipIf(!haveEvtexport)(
    'the System log is written to the overlay as SysEvent.Evt: evtexport reads the seed events of the Alpha boot',
    async () => {
      const set = ImageSet.open(join(SETS, 'kb138713-alpha-2100'));
      const r = await boot(set);
      expect(r.overlay).toEqual(['WINNT35\\SYSTEM32\\CONFIG\\SysEvent.Evt']);
      const dir = mkdtempSync(join(tmpdir(), 'nt351-alpha-sysevent-'));
      try {
        const [file] = set.saveOverlay(dir);
        const out = spawnSync('evtexport', [file!], { encoding: 'utf8' });
        expect(out.status).toBe(0);
        const records = parseEvtexport(out.stdout);
        expect(records.map((e) => [e.number, e.id, e.source, e.type, e.strings])).toEqual([
          [1, 0x80001775, 'EventLog', 4, []],
          [2, 0x800009cc, 'Server', 1, []],
          [3, 0xc0001b6f, 'Service Control Manager', 1, ['Server', '%%2']],
        ]);
        expect(records.map((e) => e.created)).toEqual(r.events.map((e) => e.timeGenerated));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
