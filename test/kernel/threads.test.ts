// System threads run cooperatively on the virtual clock (src/kernel/scheduler.ts): a guest driver
// (test/kernel/guest/threads.c) checks ordering, waits on thread objects, mutex ownership per thread
// and unload's stop-and-wait in guest code; hostile threads (spinning forever, waiting for each
// other) end as the run's budget or hang events, never as a host hang.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runDriver } from '../../src/sandbox/index.js';
import { buildGuestDriver, buildGuestDriver64, haveMingw, haveMingw64 } from './guest-driver.js';

const printed = (events: { type: string; text?: string }[]) =>
  events.flatMap((e) => (e.type === 'dbgprint' ? [e.text ?? ''] : []));

describe.skipIf(!haveMingw())('system threads (needs gcc-mingw-w64-i686)', () => {
  it('threads.c: a worker, a sleeper, a mutex contender and a late thread, checked in guest code', async () => {
    const source = 'test/kernel/guest/threads.c';
    const r = await runDriver({ driver: buildGuestDriver(source, 'threads'), kernel: 'registry' });
    const out = printed(r.events);
    expect(out.filter((t) => t.startsWith('FAIL'))).toEqual([]);
    const summary = out.at(-1) ?? '';
    expect(summary).toMatch(/^threads: \d+ passed, 0 failed\n$/);
    const checks = readFileSync(source, 'utf8').match(/^\s+CHECK\(/gm)?.length;
    expect(Number(/(\d+) passed/.exec(summary)?.[1])).toBe(checks);
    expect(r.outcome).toBe('ok');
    // DriverEntry's result survives the thread that ran after it returned.
    expect(r.calls[0]!.status).toBe('0x40000000');
    expect(r.calls.map((c) => [c.routine, c.outcome.kind])).toEqual([
      ['DriverEntry', 'returned'],
      ['DriverUnload', 'returned'],
    ]);
    // Six threads created, started and ended: five returned, the worker terminated with 0x1234.
    const kinds = (type: string) => r.events.filter((e) => e.type === type);
    expect(kinds('system-thread')).toHaveLength(6);
    expect(kinds('thread-started')).toHaveLength(6);
    const ended = r.events.flatMap((e) => (e.type === 'thread-ended' ? [[e.how, e.exitStatus]] : []));
    expect(ended).toEqual([...Array(5).fill(['returned', 0]), ['terminated', 0x1234]]);
    // The late thread's events are DriverEntry's (it ran before that call ended); the worker's end is unload's.
    const entry = r.calls[0]!;
    const inEntry = r.events.slice(entry.firstEvent, entry.firstEvent + entry.eventCount);
    expect(inEntry.filter((e) => e.type === 'thread-ended')).toHaveLength(5);
  });

  it('a thread that spins forever ends as the budget, reported as cut off', async () => {
    const driver = buildGuestDriver('test/kernel/guest/threads.c', 'spin', ['-DSPIN']);
    const started = performance.now();
    const r = await runDriver({ driver, kernel: 'registry', maxInstructions: 200_000, maxMillis: 3_000 });
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(printed(r.events)).toEqual(['spin: created 00000000\n', 'spinner: running\n']);
    const entry = r.calls[0]!;
    expect(entry.routine).toBe('DriverEntry');
    expect(entry.outcome.kind).toBe('budget');
    const cut = r.events.find((e) => e.type === 'thread-ended');
    expect(cut).toMatchObject({ how: 'cut', exitStatus: null, reason: expect.stringMatching(/budget/) });
  });

  it('two threads waiting for each other stop the run as a hang', async () => {
    const driver = buildGuestDriver('test/kernel/guest/threads.c', 'deadlock', ['-DDEADLOCK']);
    const r = await runDriver({ driver, kernel: 'registry' });
    expect(printed(r.events)).toEqual(['stuck: waiting for an event nobody sets\n']);
    const o = r.calls[0]!.outcome;
    expect(o.kind).toBe('stopped');
    expect(o.kind === 'stopped' && o.reason).toMatch(
      /^hang: the thread waits for 0x[0-9a-f]+, which nothing can signal; 1 other thread waits too$/,
    );
  });
});

describe.skipIf(!haveMingw())('system threads, the last one ending (needs gcc-mingw-w64-i686)', () => {
  it('a thread that ends while DriverEntry waits for what nothing sets stops the run as a hang', async () => {
    const driver = buildGuestDriver('test/kernel/guest/threads.c', 'orphan', ['-DORPHAN']);
    const r = await runDriver({ driver, kernel: 'registry' });
    expect(printed(r.events)).toEqual(['brief: ends at once\n']);
    const o = r.calls[0]!.outcome;
    expect(o.kind === 'stopped' && o.reason).toMatch(
      /^hang: a system thread ended and every other thread waits for what nothing can signal \(0x[0-9a-f]+\)$/,
    );
    expect(r.events.find((e) => e.type === 'thread-ended')).toMatchObject({ how: 'returned' });
  });
});

describe.skipIf(!haveMingw())('many system threads (needs gcc-mingw-w64-i686)', () => {
  it('the 17th live thread is refused with STATUS_INSUFFICIENT_RESOURCES; the 16 run and wait', async () => {
    const driver = buildGuestDriver('test/kernel/guest/threads.c', 'many', ['-DMANY']);
    const r = await runDriver({ driver, kernel: 'registry' });
    expect(printed(r.events)).toEqual(['many: 16 created, then c000009a\n']);
    expect(r.events.filter((e) => e.type === 'thread-started')).toHaveLength(16);
    expect(r.calls[0]!.outcome.kind).toBe('returned');
  });
});

describe.skipIf(!haveMingw64())('system threads on AMD64 (needs gcc-mingw-w64-x86-64)', () => {
  it('threads-amd64.c: a worker and a late thread, checked in guest code', async () => {
    const source = 'test/kernel/guest/threads-amd64.c';
    const r = await runDriver({ driver: buildGuestDriver64(source, 'threads64'), kernel: 'registry' });
    const out = printed(r.events);
    expect(out.filter((t) => t.startsWith('FAIL'))).toEqual([]);
    const summary = out.at(-1) ?? '';
    expect(summary).toMatch(/^threads-amd64: \d+ passed, 0 failed\n$/);
    const checks = readFileSync(source, 'utf8').match(/^\s+CHECK\(/gm)?.length;
    expect(Number(/(\d+) passed/.exec(summary)?.[1])).toBe(checks);
    expect(r.outcome).toBe('ok');
    expect(r.events.filter((e) => e.type === 'thread-ended')).toMatchObject([
      { how: 'returned' },
      { how: 'returned' },
    ]);
  });
});
