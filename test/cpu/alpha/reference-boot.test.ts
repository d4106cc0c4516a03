// Differential test on real code: the Alpha image sets (fixture kernels, HALs and drivers in
// fixtures/bin/alpha) booted twice, with the translating AlphaInterpreter and with it in reference
// mode (one instruction per dispatch, no translated regions). Every run() of the boot must end the
// same way (kind, pc, instruction count, fault) with the same registers, and the reports must be
// identical (and equal to the golden reports test/boot/alpha-boot.test.ts holds the translator to).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { boot } from '../../../src/boot/index.js';
import type { RunOptions } from '../../../src/cpu/engine.js';

const mode = vi.hoisted(() => ({ reference: false, runs: [] as string[] }));

vi.mock('../../../src/cpu/alpha/interpreter.js', async (importOriginal) => {
  const m = await importOriginal<typeof import('../../../src/cpu/alpha/interpreter.js')>();
  class RecordingAlphaInterpreter extends m.AlphaInterpreter {
    constructor(options: ConstructorParameters<typeof m.AlphaInterpreter>[0] = {}) {
      super({ ...options, reference: mode.reference });
    }
    override run(opts: RunOptions) {
      const r = super.run(opts);
      const regs = Array.from({ length: 31 }, (_, i) => this.reg(`r${i}`).toString(16)).join(',');
      const { error: _, ...rest } = r as typeof r & { error?: unknown };
      mode.runs.push(`${JSON.stringify(rest)} ${regs}`);
      return r;
    }
  }
  return { ...m, AlphaInterpreter: RecordingAlphaInterpreter };
});

async function bootWith(reference: boolean, set: string) {
  mode.reference = reference;
  mode.runs = [];
  const report = await boot(set);
  return { json: `${JSON.stringify(report, null, 2)}\n`, runs: mode.runs };
}

const SETS = 'fixtures/imagesets';
describe('Alpha boots: translator against the reference interpreter', () => {
  for (const name of readdirSync(SETS)
    .filter((n) => n.includes('alpha'))
    .sort()) {
    it(`${name}: same run results, registers and report`, async () => {
      const jit = await bootWith(false, join(SETS, name));
      const ref = await bootWith(true, join(SETS, name));
      expect(jit.runs.length).toBeGreaterThan(0);
      expect(jit.runs).toEqual(ref.runs);
      expect(ref.json).toBe(jit.json);
      expect(ref.json).toBe(readFileSync(`test/golden/boot/${name}.json`, 'utf8'));
    });
  }
});
