// Vitest reporter that ends the run with one plain line, "N passed, N failed, N skipped", which CI
// reads as the test count (vitest's own summary is coloured and not in a format CI recognises).
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  private line = '';

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (m.state() === 'failed' && [...m.children.allTests()].length === 0) failed++; // a file that failed to load
    }
    this.line = `${passed} passed, ${failed} failed, ${skipped} skipped`;
  }

  /** Called after every reporter's end-of-run output, so this line comes last. */
  onFinished(): void {
    if (this.line) process.stdout.write(`\n${this.line}\n`);
  }
}
