// CpuCore.write copies its bytes (engine.ts): the kernel and processor set-up pass shared, constant arrays
// (kernel pages, GDT and KPCR pages built once), so an engine that kept a reference would let one boot's
// later change of the source, or a guest write, reach another.
import { describe, expect, it } from 'vitest';
import { RW } from '../../src/cpu/engine.js';
import { createCpu } from '../../src/cpu/index.js';
import { haveUnicorn } from '../helpers/unicorn.js';

const AT = 0x20000;

describe('CpuCore.write copies', () => {
  for (const arch of ['x86', 'amd64', 'alpha'] as const) {
    it.skipIf(arch !== 'alpha' && !haveUnicorn)(
      `${arch}: the source changed after, or guest memory written after`,
      () => {
        const cpu = createCpu(arch);
        try {
          cpu.map(AT, 0x10000, RW);
          const source = Uint8Array.of(1, 2, 3, 4);
          cpu.write(AT, source);
          source[0] = 9; // the source changed: guest memory keeps what was written
          expect([...cpu.read(AT, 4)]).toEqual([1, 2, 3, 4]);
          cpu.write(AT + 1, Uint8Array.of(7)); // guest memory changed: the source keeps its bytes
          expect([...source]).toEqual([9, 2, 3, 4]);
        } finally {
          cpu.close();
        }
      },
    );
  }
});
