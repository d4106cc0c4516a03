// Mutation run over a fixture image set (issue 20, item 5; not part of `npm test`): changes 1-8 random
// bytes of one kernel, HAL or driver (70 % of the time in its first 4 KiB), boots the result in memory
// with small budgets and counts the outcomes; any exception is a bug (it would be exit 70 or an
// undocumented error). Usage: npx tsx scripts/mutate-imagesets.ts [seed] [fixture set] [boots]
import { boot, imageSet, loadImageSet } from '../src/api/index.js';

const [seedArg = '1', setName = 'kb138713-x86-up', countArg = '200'] = process.argv.slice(2);
const base = `fixtures/imagesets/${setName}`;
const original = loadImageSet(base);
const images = original.list().filter((f) => /\.(sys|exe|dll)$/i.test(f));
let seed = Number(seedArg);
/** A small LCG, so a seed reproduces a run. */
const random = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};

const outcomes = new Map<string, number>();
const started = Date.now();
for (let i = 0; i < Number(countArg); i++) {
  const file = images[Math.floor(random() * images.length)]!;
  const bytes = new Uint8Array(original.read(file)!);
  const region = random() < 0.7 ? Math.min(bytes.length, 0x1000) : bytes.length;
  const changes = 1 + Math.floor(random() * 8);
  for (let k = 0; k < changes; k++) bytes[Math.floor(random() * region)] = Math.floor(random() * 256);
  let key: string;
  try {
    const r = await boot(imageSet(base).replace(file, bytes).build(), {
      maxMillis: 300,
      maxInstructions: 2_000_000,
    });
    key = r.outcome;
  } catch (e) {
    key = `exception ${(e as Error).name}: ${(e as Error).message.slice(0, 100)} (boot ${i}, ${file})`;
  }
  outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
}
for (const [k, n] of [...outcomes].sort((a, b) => b[1] - a[1]))
  process.stdout.write(`${String(n).padStart(5)}  ${k}\n`);
process.stdout.write(
  `${countArg} boots of ${setName} (seed ${seedArg}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
);
process.exitCode = [...outcomes.keys()].some((k) => k.startsWith('exception')) ? 1 : 0;
