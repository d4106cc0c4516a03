// Listing a folder of an image set or media tree when some names are odd: a name that is not valid
// UTF-8 cannot be spelled as a Windows path (nor opened again through Node's string paths), and an
// entry that cannot be examined (permissions, removed meanwhile) is not fatal to the whole set. Both
// are skipped, each with a warning the caller passes on.
import { type Dirent, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** A folder's usable entries (lstat-typed: links are reported as links) and what was skipped. */
export function listFolder(dir: string): { entries: Dirent[]; skipped: string[] } {
  const entries: Dirent[] = [];
  const skipped: string[] = [];
  let raw: Dirent<Buffer>[];
  try {
    raw = readdirSync(dir, { withFileTypes: true, encoding: 'buffer' });
  } catch (e) {
    return {
      entries,
      skipped: [`${dir}: folder skipped, cannot be listed (${(e as NodeJS.ErrnoException).code})`],
    };
  }
  for (const d of raw) {
    const name = d.name.toString('utf8');
    if (!Buffer.from(name, 'utf8').equals(d.name)) {
      skipped.push(`${join(dir, name)}: skipped, its name is not valid UTF-8`);
      continue;
    }
    entries.push(Object.assign(d, { name }) as unknown as Dirent);
  }
  return { entries, skipped };
}
