// Child process for test/cpu/unicorn.test.ts: mixes unbudgeted, time-budgeted and instruction-budgeted
// runs of the same code on one engine, with the counting mode given as argv[2]. In Unicorn 2.0.1 an
// instruction budget set after the code was translated without one never fired (the run hung), so
// this runs apart from the test worker. Prints one line per run.
import { RWX } from '../../src/cpu/engine.js';
import { UnicornX86 } from '../../src/cpu/unicorn.js';
import { setupNtX86 } from '../../src/cpu/x86-setup.js';

const cpu = new UnicornX86({ counting: process.argv[2] === 'on-demand' ? 'on-demand' : 'always' });
setupNtX86(cpu, { number: 0 });
cpu.map(0x80101000, 0x1000, RWX);
cpu.write(0x80101000, new Uint8Array([0xeb, 0xfe])); // jmp $
for (const budget of [
  { maxMillis: 20 },
  { maxInstructions: 10_000 },
  { maxMillis: 20 },
  { maxMillis: 20 },
  { maxInstructions: 10 },
  { maxMillis: 50, maxInstructions: 1e12 },
]) {
  const r = cpu.run({ start: 0x80101000, until: 0x80101f00, ...budget });
  process.stdout.write(`${r.kind} ${r.kind === 'budget' ? r.which : ''}\n`);
}
cpu.close();
