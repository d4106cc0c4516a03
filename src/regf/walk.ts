// Walks a whole hive depth-first with a guard against cycles: a key node reached twice (its own
// ancestor, or shared by two lists) is malformed input, so a walk does work in proportion to the file.
import type { Hive } from './hive.js';
import { MAX_KEY_DEPTH } from './hive.js';
import type { RegKey } from './key.js';

/**
 * Calls `visit` for every key below and including the root, parents before children, with the key's path
 * components. Throws MalformedHiveError when a key node is reached twice or keys nest deeper than NT's 512 levels.
 */
export function walkHive(hive: Hive, visit: (key: RegKey, path: readonly string[]) => void): void {
  hive.reader.operation(() => walk(hive, visit));
}

function walk(hive: Hive, visit: (key: RegKey, path: readonly string[]) => void): void {
  const seen = new Set<number>();
  const stack: { key: RegKey; path: string[] }[] = [{ key: hive.root(), path: [] }];
  seen.add(hive.header.rootCell);
  while (stack.length > 0) {
    const { key, path } = stack.pop()!;
    visit(key, path);
    const children = key.subkeyCount === 0 ? [] : key.subkeys();
    if (children.length > 0 && path.length >= MAX_KEY_DEPTH) {
      throw hive.reader.error(
        -1,
        'nk',
        'SubKeyCount',
        `keys nested deeper than NT's ${MAX_KEY_DEPTH} levels`,
      );
    }
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i]!;
      if (seen.has(child.offset)) {
        throw hive.reader.error(
          -1,
          'subkey list',
          'Element',
          `key node 0x${child.offset.toString(16)} ("${child.name}") is reached twice (a cycle or a shared list)`,
        );
      }
      seen.add(child.offset);
      stack.push({ key: child, path: [...path, child.name] });
    }
  }
}
