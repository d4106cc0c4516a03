// `nt351 boot`'s progress line on a terminal: the boot log's latest entry, drawn in place on stderr
// once a boot has run for a while (a boot of hundreds of drivers takes seconds; most take less than
// the delay and draw nothing), redrawn at most every PROGRESS_EVERY_MS, erased by done().

/** A boot shorter than this draws nothing. */
export const PROGRESS_AFTER_MS = 300;
export const PROGRESS_EVERY_MS = 100;
/** Characters of the line: one row of an 80-column terminal. */
const WIDTH = 79;

/** `s` with its control characters (C0, DEL, C1) as spaces. */
function oneLine(s: string): string {
  let out = '';
  for (const c of s) {
    const n = c.codePointAt(0)!;
    out += n < 0x20 || (n >= 0x7f && n < 0xa0) ? ' ' : c;
  }
  return out;
}

export interface BootProgress {
  onProgress: (step: string, detail: string) => void;
  /** Erases the line if one was drawn. */
  done: () => void;
}

export function bootProgress(
  write: (s: string) => void,
  now: () => number = () => performance.now(),
): BootProgress {
  const started = now();
  let drawnAt = Number.NEGATIVE_INFINITY;
  return {
    onProgress: (step, detail) => {
      const t = now();
      if (t - started < PROGRESS_AFTER_MS || t - drawnAt < PROGRESS_EVERY_MS) return;
      drawnAt = t;
      // One line whatever the detail holds (guest-controlled names): no control characters.
      const text = oneLine(`boot: ${step} ${detail}`);
      write(`\r\x1b[K${text.length > WIDTH ? `${text.slice(0, WIDTH - 1)}…` : text}`);
    },
    done: () => {
      if (drawnAt !== Number.NEGATIVE_INFINITY) write('\r\x1b[K');
    },
  };
}
