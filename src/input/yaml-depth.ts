// A nesting-depth check run on YAML text before it is parsed (machine.yaml, scenario files): the
// yaml package recurses once per level, and thousands of levels can overflow the host's stack.

/** Most levels of nesting (flow `[`/`{` plus block indentation) a machine.yaml or scenario may have. */
export const MAX_YAML_DEPTH = 64;

/** Where the text first goes deeper than the limit (1-based line and column), and how deep. */
export interface YamlDepthProblem {
  line: number;
  column: number;
  reason: string;
}

const SPACE = /[ \t]/;

/**
 * Scans `text` for nesting deeper than `max` levels, without parsing it: flow collections (`[`, `{`
 * opening a node; inside quotes, comments, block scalars and plain scalars they do not count) and
 * block nodes (each indentation level, and each compact `- ` or `? ` on one line). Its count can be a
 * level below the parser's (a sequence at its key's indentation), or above it for a plain scalar
 * continued on a line that starts with `- `; real files are far from the limit.
 * Returns null when the text is within the limit.
 */
export function yamlDepthProblem(text: string, max = MAX_YAML_DEPTH): YamlDepthProblem | null {
  const lines = text.split(/\r?\n/);
  /** Columns of the open block nodes. */
  const block: number[] = [];
  let flow = 0;
  /** Block levels outside the open flow collection. */
  let flowBase = 0;
  let quote: '"' | "'" | null = null;
  /** Block scalar (`|`, `>`) content: lines indented more than this are its text. */
  let scalarIndent: number | null = null;
  const problem = (line: number, column: number): YamlDepthProblem => ({
    line: line + 1,
    column: column + 1,
    reason: `nested more than ${max} levels deep`,
  });
  for (let ln = 0; ln < lines.length; ln++) {
    const s = lines[ln]!;
    const indent = s.length - s.trimStart().length;
    let i = 0;
    if (scalarIndent !== null) {
      if (s.trim() === '' || indent > scalarIndent) continue;
      scalarIndent = null;
    }
    let nodeStart = true;
    if (quote === null && flow === 0) {
      const t = s.trimStart();
      if (t === '' || t.startsWith('#')) continue;
      // The block nodes this line opens: its indentation, then each compact `- ` / `? `.
      const cols = [indent];
      i = indent;
      while ((s[i] === '-' || s[i] === '?') && (i + 1 === s.length || SPACE.test(s[i + 1]!))) {
        i++;
        while (i < s.length && SPACE.test(s[i]!)) i++;
        if (i < s.length) cols.push(i);
      }
      while (block.length > 0 && block[block.length - 1]! >= cols[0]!) block.pop();
      for (const c of cols) {
        block.push(c);
        if (block.length > max) return problem(ln, c);
      }
    }
    for (; i < s.length; i++) {
      const c = s[i]!;
      const next = s[i + 1];
      if (quote === '"') {
        if (c === '\\') i++;
        else if (c === '"') quote = null;
        continue;
      }
      if (quote === "'") {
        if (c === "'" && next === "'") i++;
        else if (c === "'") quote = null;
        continue;
      }
      if (SPACE.test(c)) continue;
      if (c === '#' && (i === 0 || SPACE.test(s[i - 1]!))) break; // a comment to the end of the line
      if (c === '[' || c === '{') {
        if (flow > 0 || nodeStart) {
          // The outermost collection is one level with the block node it starts (`- [`, a `[` line).
          if (flow === 0) flowBase = block[block.length - 1] === i ? block.length - 1 : block.length;
          flow++;
          if (flowBase + flow > max) return problem(ln, i);
          nodeStart = true;
        } else nodeStart = false;
      } else if ((c === ']' || c === '}') && flow > 0) {
        flow--;
        nodeStart = false;
      } else if (c === ',' && flow > 0) nodeStart = true;
      else if (c === ':' && (next === undefined || SPACE.test(next) || (flow > 0 && /[,[\]{}]/.test(next))))
        nodeStart = true;
      else if ((c === '-' || c === '?') && nodeStart && (next === undefined || SPACE.test(next)))
        nodeStart = true;
      else if ((c === '"' || c === "'") && nodeStart) quote = c;
      else if ((c === '&' || c === '!') && nodeStart) {
        while (i + 1 < s.length && !SPACE.test(s[i + 1]!)) i++; // an anchor or tag; the node follows
      } else if ((c === '|' || c === '>') && nodeStart && flow === 0) {
        // Its text is what is indented more than the block node holding it.
        scalarIndent = [...block].reverse().find((col) => col < i) ?? -1;
        break;
      } else nodeStart = false;
    }
  }
  return null;
}
