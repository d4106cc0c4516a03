// A key check run on a parsed YAML document before it is turned into JavaScript (machine.yaml, media
// SERVICES.YAML): every mapping key must be a plain name. A null key (`~:`) or a collection key
// (`[a, b]:`, `? {a: 1}`) has no name a registry key or setting could take.
import { isMap, isScalar, type Node, visit } from 'yaml';

/** The first key that is not a non-empty string or a number, with its offset in the text; else null. */
export function yamlKeyProblem(doc: { contents: unknown }): { reason: string; offset: number | null } | null {
  let problem: { reason: string; offset: number | null } | null = null;
  visit(doc as never, {
    Map(_, map) {
      if (!isMap(map)) return undefined;
      for (const pair of map.items) {
        const key = pair.key as Node | null;
        const value = isScalar(key) ? key.value : undefined;
        const named = (typeof value === 'string' && value !== '') || typeof value === 'number';
        if (!named) {
          const what =
            !key || (isScalar(key) && value === null)
              ? 'a null key'
              : isScalar(key)
                ? 'an empty key'
                : 'a collection or alias as a key';
          problem = {
            reason: `${what}: keys must be plain names`,
            offset: key?.range?.[0] ?? map.range?.[0] ?? null,
          };
          return visit.BREAK;
        }
      }
      return undefined;
    },
  });
  return problem;
}
