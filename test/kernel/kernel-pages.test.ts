// The sentinel and kernel-routine pages every kernel writes are built once per calling convention's
// codes (src/kernel/kernel.ts kernelPages): kernels of other architectures made one after another in
// a process each get their own architecture's bytes, never another's.
import { afterEach, describe, expect, it } from 'vitest';
import { type AnyCpu, abiFor } from '../../src/cpu/abi.js';
import { createCpu } from '../../src/cpu/index.js';
import { ALL_HANDLERS } from '../../src/kernel/exports/index.js';
import { CALL_SENTINEL, EmulatedKernel, KERNEL_ROUTINES } from '../../src/kernel/kernel.js';
import { HandlerRegistry } from '../../src/kernel/registry.js';
import { haveUnicorn } from '../helpers/unicorn.js';

const cpus: AnyCpu[] = [];
afterEach(() => {
  for (const c of cpus.splice(0)) c.close();
});

describe.skipIf(!haveUnicorn)('kernel pages', () => {
  it('holds each architecture its own sentinel, trap fill and spin, kernel after kernel', () => {
    const registry = new HandlerRegistry(ALL_HANDLERS);
    for (const arch of ['x86', 'alpha', 'x86', 'amd64', 'alpha'] as const) {
      const cpu = createCpu(arch);
      cpus.push(cpu);
      new EmulatedKernel(cpu, registry, 0x80070000);
      const abi = abiFor(cpu);
      const want = new Uint8Array(0x2000);
      want.set(abi.sentinelCode);
      want.fill(abi.trapFill, KERNEL_ROUTINES - CALL_SENTINEL);
      want.set(abi.spinCode, KERNEL_ROUTINES + 16 - CALL_SENTINEL); // HALT, the second slot
      expect(cpu.read(CALL_SENTINEL, 0x2000), arch).toEqual(want);
    }
  });
});
