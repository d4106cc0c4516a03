// The kernel's virtual clock (model): deterministic time in 100 ns units that moves only when guest
// code waits, stalls or reads it, so two runs of one driver see the same times. Timers due at or
// before the clock are signalled and their DPCs queued; the dispatcher (exports/ntoskrnl/ke-*.ts)
// runs queued DPCs at the points where NT would drop below DISPATCH_LEVEL (waits, delays).

/** System time at boot: 1996-09-19 12:00:00 UTC (the CMOS clock's date) in 100 ns units since 1601. */
export const BOOT_SYSTEM_TIME = 125_140_752_000_000_000n;
/** KeQueryTimeIncrement on a PC HAL: 100 144 (about 10 ms), the clock interrupt's period. */
export const TIME_INCREMENT = 100_144;
/** What reading the clock costs: 1 µs, so a guest polling loop sees time pass and ends. */
export const READ_COST = 10;
/** KeQueryPerformanceCounter's frequency: the 8254 timer's 1.193182 MHz, as the PC HAL reports. */
export const PERFORMANCE_FREQUENCY = 1_193_182;

/** A KTIMER the driver set: signalled and its DPC queued when the clock reaches `due`. */
export interface PendingTimer {
  timer: number;
  due: number;
  period: number;
  dpc: number;
}

export class VirtualClock {
  /** 100 ns units since boot. */
  elapsed = 0;
  readonly timers = new Map<number, PendingTimer>();
  /** KDPC addresses waiting to run, in order. */
  readonly dpcQueue: number[] = [];
  /** Guest addresses to keep current as time moves (KeTickCount's KSYSTEM_TIME). */
  readonly tickCounters: number[] = [];

  systemTime(): bigint {
    return BOOT_SYSTEM_TIME + BigInt(this.elapsed);
  }
  tickCount(): number {
    return Math.floor(this.elapsed / TIME_INCREMENT);
  }
  performanceCounter(): bigint {
    return (BigInt(this.elapsed) * BigInt(PERFORMANCE_FREQUENCY)) / 10_000_000n;
  }

  /**
   * Moves time forward by `units` (100 ns): timers now due are returned (the caller signals them and
   * queues their DPCs); periodic ones are re-armed.
   */
  advance(units: number): PendingTimer[] {
    this.elapsed += Math.max(0, Math.floor(units));
    const due: PendingTimer[] = [];
    for (const t of [...this.timers.values()].sort((a, b) => a.due - b.due)) {
      if (t.due > this.elapsed) continue;
      due.push(t);
      if (t.period > 0) t.due += Math.max(1, Math.ceil((this.elapsed - t.due + 1) / t.period)) * t.period;
      else this.timers.delete(t.timer);
    }
    return due;
  }

  /** The earliest pending timer's due time, or null. */
  nextDue(): number | null {
    let best: number | null = null;
    for (const t of this.timers.values()) if (best === null || t.due < best) best = t.due;
    return best;
  }

  /**
   * A relative (negative) or absolute (positive, system time) NT interval as a due time in elapsed
   * units; absolute times in the past are due now.
   */
  dueTime(interval: bigint): number {
    if (interval < 0n) return this.elapsed + Number(-interval);
    const at = Number(interval - BOOT_SYSTEM_TIME);
    return Math.max(this.elapsed, at);
  }
}
