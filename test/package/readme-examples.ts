// README.md's command-line examples as data: each `$ npx nt351 …` line of a transcript block, the
// lines it is shown printing (`...` stands for lines left out) and its exit status (`$ echo $?`).
// Used by test/package/readme.test.ts (in this checkout) and consumer.test.ts (from the packed tarball).

/** One example: the arguments after `nt351`, the output shown, and the exit status shown. */
export interface ReadmeExample {
  /** Line of README.md the command is on (1-based). */
  line: number;
  args: string[];
  /** Chunks of output lines shown; `...` in README separates them. Each must appear, in order. */
  shown: string[][];
  /** The status shown by `$ echo $?` after the command, or null when README shows none. */
  exit: number | null;
}

/** Splits a shell command line into words (double or single quotes group; no other shell syntax). */
function words(command: string): string[] {
  const out: string[] = [];
  for (const m of command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

/** The examples in `markdown`'s untagged fenced blocks whose lines start with `$ npx nt351`. */
export function readmeExamples(markdown: string): ReadmeExample[] {
  const lines = markdown.split('\n');
  const out: ReadmeExample[] = [];
  let fenced = false;
  let inBlock = false; // inside an untagged fence
  let current: ReadmeExample | null = null;
  let awaitingStatus = false;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    if (text.startsWith('```')) {
      fenced = !fenced;
      inBlock = fenced && text === '```';
      current = null;
      awaitingStatus = false;
      continue;
    }
    if (!inBlock) continue;
    if (text.startsWith('$ npx nt351')) {
      const command = text.slice('$ npx nt351'.length).replace(/\s+#.*$/, '');
      current = { line: i + 1, args: words(command), shown: [[]], exit: null };
      out.push(current);
      awaitingStatus = false;
    } else if (text === '$ echo $?') {
      awaitingStatus = true;
    } else if (current && awaitingStatus) {
      current.exit = Number(text);
      awaitingStatus = false;
      current = null;
    } else if (current) {
      if (text === '...') current.shown.push([]);
      else current.shown[current.shown.length - 1]!.push(text);
    }
  }
  for (const e of out) e.shown = e.shown.filter((c) => c.length > 0);
  return out;
}

/** The first shown chunk that `output` does not contain, in order, or null when all are there. */
export function missingChunk(shown: string[][], output: string): string | null {
  let from = 0;
  for (const chunk of shown) {
    const text = chunk.join('\n');
    const at = output.indexOf(text, from);
    if (at < 0) return text;
    from = at + text.length;
  }
  return null;
}
