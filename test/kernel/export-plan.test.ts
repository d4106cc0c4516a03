// hookExports computes what to hook once per (image, handler registry, module) and shares it across
// kernels (warm boots reuse parsed images): a kernel with another registry or base must not get a
// stale plan.
import { afterEach, describe, expect, it } from 'vitest';
import { UnicornX86 } from '../../src/cpu/unicorn.js';
import { setupNtX86 } from '../../src/cpu/x86-setup.js';
import { ALL_HANDLERS } from '../../src/kernel/exports/index.js';
import { EmulatedKernel } from '../../src/kernel/kernel.js';
import { HandlerRegistry } from '../../src/kernel/registry.js';
import { syntheticImage } from '../../src/kernel/synthetic.js';
import type { LoadedModule } from '../../src/loader/index.js';
import { mapImage } from '../../src/loader/map.js';
import { PeImage } from '../../src/pe/index.js';
import { haveUnicorn } from '../helpers/unicorn.js';

const handler = (name: string) => {
  const h = ALL_HANDLERS.find((x) => x.module === 'ntoskrnl' && x.name === name);
  if (!h) throw new Error(`no ntoskrnl!${name}`);
  return h;
};
const exported = [handler('KeQuerySystemTime'), handler('KeNumberProcessors')];
/** One parsed image, as the image cache hands the same PeImage to every warm boot. */
const image = PeImage.parse(syntheticImage('ntoskrnl.exe', exported, 0x80100000), 'ntoskrnl.exe');
const module = (base: number) =>
  ({ image, base, size: image.headers.optionalHeader.sizeOfImage, mapped: mapImage(image) }) as LoadedModule;
const rvaOf = (name: string) => image.exports()!.entries.find((e) => e.name === name)!.rva!;

describe.skipIf(!haveUnicorn)('export plans shared across kernels', () => {
  const cpus: UnicornX86[] = [];
  afterEach(() => {
    for (const c of cpus.splice(0)) c.close();
  });
  const kernelWith = (registry: HandlerRegistry, base: number) => {
    const cpu = new UnicornX86();
    cpus.push(cpu);
    const { stackTop } = setupNtX86(cpu, { number: 0 });
    const kernel = new EmulatedKernel(cpu, registry, stackTop);
    const m = module(base);
    kernel.mapModule(m);
    kernel.hookExports(m, 'ntoskrnl');
    return kernel;
  };
  const callTime = (kernel: EmulatedKernel, base: number) => {
    const out = kernel.pool.allocateStatic(8);
    kernel.call(base + rvaOf('KeQuerySystemTime'), [out], { maxInstructions: 1000 });
    return kernel.log.events.map((e) => `${e.type} ${'name' in e ? e.name : ''}`);
  };

  it('gives each kernel its own registry’s policies and its own base', () => {
    const all = kernelWith(new HandlerRegistry(exported), 0x80100000);
    expect(callTime(all, 0x80100000)).toEqual(['api-call KeQuerySystemTime']);
    expect(all.ctx.systemRoutine('KeQuerySystemTime')).toBe(0x80100000 + rvaOf('KeQuerySystemTime'));
    // The same image under a registry without KeQuerySystemTime, loaded elsewhere: its stub is unimplemented.
    const less = kernelWith(new HandlerRegistry([handler('KeNumberProcessors')]), 0x80400000);
    expect(callTime(less, 0x80400000)).toEqual(['unimplemented-routine KeQuerySystemTime']);
    expect(less.ctx.systemRoutine('KeQuerySystemTime')).toBe(0x80400000 + rvaOf('KeQuerySystemTime'));
    // Data exports are filled at each kernel's own address.
    const processors = less.ctx.systemRoutine('KeNumberProcessors')!;
    expect(processors).toBe(0x80400000 + rvaOf('KeNumberProcessors'));
    expect(less.cpu.readU32(processors)).toBe(1);
    // And the first registry's plan is still its own.
    const again = kernelWith(new HandlerRegistry(exported), 0x80200000);
    expect(callTime(again, 0x80200000)).toEqual(['api-call KeQuerySystemTime']);
  });
});
