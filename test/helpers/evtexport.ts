// libyal's evtexport (Debian libevt-utils), a reader of .evt files we did not write: whether this
// machine has it, and its text output parsed into records.
import { spawnSync } from 'node:child_process';

export const haveEvtexport = spawnSync('evtexport', ['-V'], { stdio: 'ignore' }).status === 0;

export interface Exported {
  number: number;
  created: number;
  written: number;
  type: number;
  computer: string;
  source: string;
  category: number;
  id: number;
  strings: string[];
}

/** evtexport's text: blank-line separated blocks of `Key<tabs>: value` lines. */
export function parseEvtexport(text: string): Exported[] {
  return text
    .split(/\n\n+/)
    .filter((b) => b.startsWith('Event number'))
    .map((block) => {
      const kv = new Map<string, string>();
      for (const line of block.split('\n')) {
        const m = /^([^\t]+)\t+: ?(.*)$/.exec(line);
        if (m) kv.set(m[1] as string, m[2] as string);
      }
      const get = (k: string) => {
        const v = kv.get(k);
        if (v === undefined) throw new Error(`evtexport block lacks "${k}":\n${block}`);
        return v;
      };
      const count = Number(get('Number of strings'));
      return {
        number: Number(get('Event number')),
        created: Date.parse(get('Creation time')) / 1000,
        written: Date.parse(get('Written time')) / 1000,
        type: Number(/\((\d+)\)$/.exec(get('Event type'))?.[1]),
        computer: get('Computer name'),
        source: get('Source name'),
        category: Number(get('Event category')),
        id: Number.parseInt(get('Event identifier'), 16),
        strings: Array.from({ length: count }, (_, i) => get(`String: ${i + 1}`)),
      };
    });
}
