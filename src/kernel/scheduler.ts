// System threads on one processor (model, docs/scheduler.md): the thread that runs the entry point
// the host called (DriverEntry, a dispatch routine, unload) and each PsCreateSystemThread thread, with
// its own kernel stack and saved registers. Cooperative and deterministic: a thread runs until it
// waits for something not yet signalled, delays, ends, or (the initial thread) returns; then the
// next runnable thread in creation order runs. This file is the mechanism (threads, stacks, register
// save and load, choosing the next thread); when to switch and when time passes instead is the
// dispatcher's (exports/ntoskrnl/ke-dispatcher.ts).
import type { Abi, AnyCpu } from '../cpu/abi.js';
import { type RunResult, RW, X64_GENERAL_REGS, X86_GENERAL_REGS } from '../cpu/engine.js';
import { KPRCB64 } from '../cpu/x64-setup.js';
import { KPCR, KPRCB, KPRCB_OFFSET } from '../cpu/x86-setup.js';
import type { EventLog } from './events.js';
import type { GuestMemory } from './guest.js';

/**
 * Model: where system threads' kernel stacks live, between the boot stack (0x80070000-0x8007FFFF) and
 * the kernel image (0x80100000): 16 slots of 32 KiB, each a 24 KiB stack above an unmapped 8 KiB guard
 * (a stack overflow faults instead of overwriting the next stack). NT's KERNEL_STACK_SIZE is 12 KiB on
 * x86 and 24 KiB on AMD64 (ReactOS ndk/{i386,amd64}/ketypes.h).
 */
export const THREAD_STACKS = { base: 0x80080000, slot: 0x8000, guard: 0x2000, count: 16 } as const;
/** Why a run ended, for the system thread it cut off (`thread-ended`'s reason). */
export const cutReason = (run: RunResult): string =>
  run.kind === 'budget'
    ? `the ${run.which} budget ran out at 0x${run.pc.toString(16)}`
    : run.kind === 'fault'
      ? `a ${run.fault} fault at 0x${run.pc.toString(16)}`
      : run.kind === 'stopped'
        ? `the run stopped: ${run.reason}`
        : run.kind === 'host-error'
          ? 'a host error'
          : 'the run ended';
/** EXCEPTION_CHAIN_END: a new thread's empty SEH chain (x86 KPCR.NtTib.ExceptionList). */
const CHAIN_END = 0xffffffff;

/** What a waiting thread waits for: `ready` says whether it could go on now (without taking anything). */
export interface ThreadWait {
  ready: () => boolean;
  /** When its timeout (or delay) passes, in the clock's elapsed units; null for none. */
  deadline: number | null;
  /** For the report's hang message: the objects it waits for, or "a delay". */
  what: string;
}

/**
 * `ready`: created, not run yet; `running`: on the processor; `waiting`: in a wait it retries when
 * switched back in; `parked`: the initial thread after its entry point returned, run last (its run
 * then ends); `ended`: returned, terminated, or cut off by the end of a run while it ran.
 */
export type ThreadState = 'ready' | 'running' | 'waiting' | 'parked' | 'ended';

/** A thread's registers and per-thread processor state while it is not running. */
interface SavedState {
  restore: () => void;
  irql: number;
  /** x86 KPCR.NtTib ExceptionList, StackBase, StackLimit. */
  tib: [number, number, number] | null;
}

export interface KernelThread {
  /** 0: the initial thread; system threads from 1 in creation order. */
  readonly id: number;
  /** Its ETHREAD (KTHREAD's DISPATCHER_HEADER first: signalled when the thread ends). */
  readonly body: number;
  readonly startRoutine: number;
  readonly startContext: number;
  state: ThreadState;
  wait: ThreadWait | null;
  saved: SavedState | null;
  /** Index of its stack slot (system threads). */
  stack: number | null;
}

/**
 * The initial thread (the System thread running host calls): its ETHREAD is asked for only once
 * threads exist. A class, not an object literal with a getter, which cost more to make per kernel.
 */
class InitialThread implements KernelThread {
  readonly id = 0;
  readonly startRoutine = 0;
  readonly startContext = 0;
  state: ThreadState = 'running';
  wait: ThreadWait | null = null;
  saved: SavedState | null = null;
  stack: number | null = null;
  constructor(private readonly bodyOf: () => number) {}
  get body(): number {
    return this.bodyOf();
  }
}

/** One processor's threads (see the file header). */
export class Scheduler {
  readonly threads: KernelThread[];
  current: KernelThread;
  /** Where system threads' start routines return to (the dispatcher's PspExitThread routine). */
  exitRoutine = 0;
  private prcb: number | null = null;
  private nextId = 1;
  private readonly mappedStacks = new Set<number>();

  constructor(
    private readonly cpu: AnyCpu,
    private readonly abi: Abi,
    private readonly mem: GuestMemory,
    private readonly log: EventLog,
    private readonly irql: { get: () => number; set: (v: number) => void },
    /** The initial thread's ETHREAD (the System thread), asked for only once threads exist. */
    initialThread: () => number,
  ) {
    this.current = new InitialThread(initialThread);
    this.threads = [this.current];
  }

  /** The processor's KPRCB: KPRCB.CurrentThread follows the running thread (FS:[0x124], GS:[0x188]). */
  setPrcb(prcb: number): void {
    this.prcb = prcb;
  }

  /** Whether any system thread was created (the dispatcher works as before until one is). */
  get active(): boolean {
    return this.threads.length > 1;
  }

  /**
   * A new system thread, ready to run StartRoutine(StartContext) on its own stack, returning to
   * `exitRoutine`; null when all stack slots are taken by live threads (THREAD_STACKS.count).
   */
  create(body: number, startRoutine: number, startContext: number): KernelThread | null {
    const slot = this.freeSlot();
    if (slot === null) return null;
    const t: KernelThread = {
      id: this.nextId++,
      body,
      startRoutine,
      startContext,
      state: 'ready',
      wait: null,
      saved: null,
      stack: slot,
    };
    this.threads.push(t);
    return t;
  }

  /** Whether a thread can be created now (a stack slot is free). */
  hasRoom(): boolean {
    return this.freeSlot() !== null;
  }

  /** A free stack slot, or null; ended threads other than the running one give theirs back. */
  private freeSlot(): number | null {
    for (let i = this.threads.length - 1; i > 0; i--) {
      const t = this.threads[i]!;
      if (t.state === 'ended' && t !== this.current) this.threads.splice(i, 1);
    }
    const taken = new Set(this.threads.map((t) => t.stack));
    for (let slot = 0; slot < THREAD_STACKS.count; slot++) if (!taken.has(slot)) return slot;
    return null;
  }

  /** Whether `t` could run now (not counting the parked initial thread). */
  private runnable(t: KernelThread): boolean {
    return t.state === 'ready' || (t.state === 'waiting' && t.wait !== null && t.wait.ready());
  }

  /**
   * The thread to run instead of the current one: the next runnable in creation order after it,
   * else the parked initial thread, else null.
   */
  next(): KernelThread | null {
    const n = this.threads.length;
    const at = this.threads.indexOf(this.current);
    for (let i = 1; i < n; i++) {
      const t = this.threads[(at + i) % n]!;
      if (this.runnable(t)) return t;
    }
    const initial = this.threads[0]!;
    return initial.state === 'parked' && initial !== this.current ? initial : null;
  }

  /** The earliest deadline of another waiting thread (null: none), when time passes for them too. */
  nextDeadline(): number | null {
    let best: number | null = null;
    for (const t of this.threads) {
      if (t === this.current || t.state !== 'waiting' || t.wait?.deadline == null) continue;
      if (best === null || t.wait.deadline < best) best = t.wait.deadline;
    }
    return best;
  }

  /** The other threads that wait, for a hang message. */
  othersWaiting(): KernelThread[] {
    return this.threads.filter((t) => t !== this.current && t.state === 'waiting');
  }

  /**
   * From the switch routine's hook (the current thread called it from a wait, having set its `wait`):
   * saves the current thread as returning from that call and loads the next one. The caller has
   * checked that one is runnable.
   */
  switchFromCall(): void {
    const t = this.current;
    const wait = t.wait;
    const pc = this.abi.returnAddress();
    this.abi.setSp(this.abi.spAfterReturn({ conv: 'stdcall', argCount: 0 }));
    this.abi.setPc(pc);
    t.saved = this.save();
    t.state = 'waiting';
    t.wait = wait;
    this.load(this.next()!);
  }

  /**
   * After the initial thread's entry point returned (the CPU at the host-call sentinel): parks it and
   * loads the next runnable thread; false when there is none (the run is over).
   */
  parkInitial(): boolean {
    const initial = this.threads[0]!;
    if (!this.active || this.current !== initial) return false;
    initial.state = 'parked';
    const next = this.next();
    if (next === null || next === initial) {
      initial.state = 'running';
      return false;
    }
    initial.saved = this.save();
    this.load(next);
    return true;
  }

  /**
   * Ends the current system thread (returned from its start routine, PsTerminateSystemThread, or
   * cut off by the end of the run): its object is signalled and the event reported. The caller loads
   * another thread (`leave`) or lets time pass first.
   */
  end(how: 'returned' | 'terminated' | 'cut', exitStatus: number | null, reason?: string): void {
    const t = this.current;
    if (t.id === 0) return;
    t.state = 'ended';
    t.wait = null;
    t.saved = null;
    if (how !== 'cut') this.mem.setU32(t.body + 4, 1); // DISPATCHER_HEADER.SignalState
    this.log.add({
      type: 'thread-ended',
      thread: t.body,
      startRoutine: t.startRoutine,
      how,
      exitStatus,
      ...(reason !== undefined ? { reason } : {}),
    });
  }

  /** Loads the next runnable thread after the current one ended; false when none can run. */
  leave(): boolean {
    const next = this.next();
    if (next === null) return false;
    this.load(next);
    return true;
  }

  /**
   * Before each host call: the initial thread runs again on the fresh stack the kernel gives it. A
   * system thread that was running when the last run ended was cut off then (`cutRunning`).
   */
  beginCall(): void {
    if (!this.active) return;
    const initial = this.threads[0]!;
    if (this.current !== initial) this.cutRunning('the run ended while it ran');
    if (initial.saved?.tib) this.putTib(initial.saved.tib);
    initial.state = 'running';
    initial.wait = null;
    initial.saved = null;
    this.current = initial;
    this.setCurrentThread(initial.body);
  }

  /** When a run ends other than by returning: the system thread that was running is cut off. */
  cutRunning(reason: string): void {
    if (this.current.id === 0) return;
    this.end('cut', null, reason);
    const initial = this.threads[0]!;
    this.current = initial;
    this.setCurrentThread(initial.body);
  }

  /** Whether a continuation made on thread `id` must outlive the end of a host call (its thread waits). */
  keeps(id: number): boolean {
    if (id === 0) return false;
    return this.threads.some((t) => t.id === id && t.state === 'waiting');
  }

  // ---- registers and per-thread processor state ----

  private load(t: KernelThread): void {
    this.current = t;
    const fresh = t.state === 'ready';
    t.state = 'running';
    t.wait = null;
    this.setCurrentThread(t.body);
    if (!fresh) {
      const s = t.saved!;
      t.saved = null;
      s.restore();
      this.irql.set(s.irql);
      if (s.tib) this.putTib(s.tib);
      return;
    }
    const { low, high } = this.stackOf(t.stack!);
    this.abi.setSp(high - 0x10);
    if (this.cpu.arch === 'x86') this.cpu.setReg('ebp', 0);
    this.abi.prepareCall(t.startRoutine, [t.startContext], this.exitRoutine);
    this.abi.setPc(t.startRoutine);
    this.irql.set(0); // PASSIVE_LEVEL
    if (this.cpu.arch === 'x86') this.putTib([CHAIN_END, high, low]);
    this.log.add({
      type: 'thread-started',
      thread: t.body,
      startRoutine: t.startRoutine,
      startContext: t.startContext,
    });
  }

  /** The stack of slot `i`, mapped on first use. */
  private stackOf(i: number): { low: number; high: number } {
    const at = THREAD_STACKS.base + i * THREAD_STACKS.slot;
    const low = at + THREAD_STACKS.guard;
    const high = at + THREAD_STACKS.slot;
    if (!this.mappedStacks.has(i)) {
      this.cpu.map(low, high - low, RW);
      this.mappedStacks.add(i);
    }
    return { low, high };
  }

  private setCurrentThread(body: number): void {
    if (this.prcb === null) return;
    const offset = this.cpu.arch === 'amd64' ? KPRCB64.CurrentThread : KPRCB.CurrentThread;
    this.mem.setPtr(this.prcb + offset, body);
  }

  private pcr(): number | null {
    return this.cpu.arch === 'x86' && this.prcb !== null ? this.prcb - KPRCB_OFFSET : null;
  }
  private getTib(): [number, number, number] | null {
    const pcr = this.pcr();
    if (pcr === null) return null;
    return [
      this.mem.u32(pcr + KPCR.ExceptionList),
      this.mem.u32(pcr + KPCR.StackBase),
      this.mem.u32(pcr + KPCR.StackLimit),
    ];
  }
  private putTib([list, base, limit]: [number, number, number]): void {
    const pcr = this.pcr();
    if (pcr === null) return;
    this.mem.setU32(pcr + KPCR.ExceptionList, list);
    this.mem.setU32(pcr + KPCR.StackBase, base);
    this.mem.setU32(pcr + KPCR.StackLimit, limit);
  }

  /** The current registers (all general registers, the pc and flags), IRQL and TIB fields. */
  private save(): SavedState {
    return { restore: snapshot(this.cpu), irql: this.irql.get(), tib: this.getTib() };
  }
}

/** Alpha: integer and floating registers but the zero ones (r31, f31), the pc and FPCR. */
const ALPHA_REGS = [
  ...Array.from({ length: 31 }, (_, i) => `r${i}` as const),
  ...Array.from({ length: 31 }, (_, i) => `f${i}` as const),
  'pc',
  'fpcr',
] as const;

/**
 * The CPU's thread-visible registers now, as a function that puts them back. Model: the x87/SSE
 * state is not switched (kernel code that uses it saves it itself: KeSaveFloatingPointState).
 */
function snapshot(cpu: AnyCpu): () => void {
  if (cpu.arch === 'x86') {
    const v = X86_GENERAL_REGS.map((r) => cpu.reg(r));
    return () => {
      X86_GENERAL_REGS.forEach((r, i) => {
        cpu.setReg(r, v[i]!);
      });
    };
  }
  if (cpu.arch === 'amd64') {
    const v = X64_GENERAL_REGS.map((r) => cpu.reg(r));
    return () => {
      X64_GENERAL_REGS.forEach((r, i) => {
        cpu.setReg(r, v[i]!);
      });
    };
  }
  const v = ALPHA_REGS.map((r) => cpu.reg(r));
  return () => {
    ALPHA_REGS.forEach((r, i) => {
      cpu.setReg(r, v[i]!);
    });
  };
}
