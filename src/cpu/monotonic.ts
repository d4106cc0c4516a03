// Monotonic milliseconds for run and call deadlines, without performance.now(): its first use loads
// node:perf_hooks and about ten internal modules (1.2-1.4 ms of a CLI start on Node 20).

/**
 * Milliseconds of the clock performance.now() reads (libuv's uv_hrtime, which process.hrtime()
 * returns), from another origin: only differences of two readings mean anything.
 */
export function monotonicMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}
