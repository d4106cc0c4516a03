// A key check run on a parsed YAML document before it is turned into JavaScript (machine.yaml, media
// SERVICES.YAML): every mapping key must be a plain name. A null key (`~:`) or a collection key
// (`[a, b]:`, `? {a: 1}`) has no name a registry key or setting could take.
import type { Node, Pair, YAMLMap } from 'yaml';

// The yaml package marks its nodes with registered symbols (Symbol.for, so that copies of the package
// agree; its isMap/isScalar test the same marks). Testing them here keeps `yaml` out of the modules
// loaded by every command: only the commands that parse YAML load it.
const NODE_TYPE = Symbol.for('yaml.node.type');
const MAP = Symbol.for('yaml.map');
const SEQ = Symbol.for('yaml.seq');
const PAIR = Symbol.for('yaml.pair');
const SCALAR = Symbol.for('yaml.scalar');
const DOC = Symbol.for('yaml.document');
const typeOf = (node: unknown): symbol | undefined =>
  node !== null && typeof node === 'object' ? (node as Record<symbol, symbol>)[NODE_TYPE] : undefined;

/** The first key that is not a non-empty string or a number, with its offset in the text; else null. */
export function yamlKeyProblem(doc: { contents: unknown }): { reason: string; offset: number | null } | null {
  // Depth first, each map's keys before its children: the order of yaml's visit().
  const walk = (node: unknown): { reason: string; offset: number | null } | null => {
    const type = typeOf(node);
    if (type === DOC) return walk((node as { contents: unknown }).contents);
    if (type === PAIR) return walk((node as Pair).key) ?? walk((node as Pair).value);
    if (type !== MAP && type !== SEQ) return null;
    if (type === MAP) {
      const map = node as YAMLMap;
      for (const pair of map.items) {
        const key = pair.key as Node | null;
        const scalar = typeOf(key) === SCALAR;
        const value = scalar ? (key as { value: unknown }).value : undefined;
        const named = (typeof value === 'string' && value !== '') || typeof value === 'number';
        if (!named) {
          const what =
            !key || (scalar && value === null)
              ? 'a null key'
              : scalar
                ? 'an empty key'
                : 'a collection or alias as a key';
          return {
            reason: `${what}: keys must be plain names`,
            offset: key?.range?.[0] ?? map.range?.[0] ?? null,
          };
        }
      }
    }
    for (const item of (node as { items: unknown[] }).items) {
      const problem = walk(item);
      if (problem) return problem;
    }
    return null;
  };
  return walk(typeOf(doc) === DOC ? doc : doc.contents);
}
