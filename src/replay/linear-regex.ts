// Regular expressions for scenario `{pattern: ...}` texts, matched in linear time: a Thompson NFA run
// as a Pike VM (Russ Cox, "Regular Expression Matching: the Virtual Machine Approach", 2009), so a
// pattern such as `^(\w+\s?)*$` cannot make replay backtrack for minutes. The subset is JavaScript's
// syntax without the features that need backtracking: backreferences and lookaround are refused when
// the scenario is parsed, as is anything outside the subset. Matching is RegExp.test's (a search).

/** A pattern outside the supported subset, or too large; `index` is its offset in the pattern. */
export class PatternError extends Error {
  override readonly name = 'PatternError';
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
  }
}

/** Most NFA instructions one pattern may compile to (`{n,m}` copies its operand). */
export const MAX_PATTERN_PROGRAM = 20_000;
/** Most nested groups in one pattern (the parser recurses once per group). */
const MAX_GROUP_DEPTH = 64;

type Pred = (c: number) => boolean;
type Node =
  | { t: 'char'; pred: Pred }
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; options: Node[] }
  | { t: 'repeat'; node: Node; min: number; max: number }
  | { t: 'assert'; kind: '^' | '$' | 'b' | 'B' };
type Inst =
  | { op: 'char'; pred: Pred }
  | { op: 'split'; x: number; y: number }
  | { op: 'jmp'; x: number }
  | { op: 'assert'; kind: '^' | '$' | 'b' | 'B' }
  | { op: 'match' };

const isDigit: Pred = (c) => c >= 0x30 && c <= 0x39;
const isWord: Pred = (c) => isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
/** JavaScript's \s: WhiteSpace and LineTerminator (ECMA-262). */
const SPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff,
]);
const isSpace: Pred = (c) => SPACE.has(c) || (c >= 0x2000 && c <= 0x200a);
const isLineEnd: Pred = (c) => c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029;
const not =
  (p: Pred): Pred =>
  (c) =>
    !p(c);
const CLASS_ESCAPES: Record<string, Pred> = {
  d: isDigit,
  D: not(isDigit),
  w: isWord,
  W: not(isWord),
  s: isSpace,
  S: not(isSpace),
};
const CONTROL_ESCAPES: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b, f: 0x0c, '0': 0 };

/** Parses `source` into the AST; throws PatternError. Long: one recursive-descent parser, each rule short. */
function parse(source: string): Node {
  let i = 0;
  let depth = 0;
  const fail = (why: string, at = i): never => {
    throw new PatternError(why, at);
  };
  const peek = () => source[i];
  const hex = (n: number): number => {
    const h = source.slice(i, i + n);
    if (h.length !== n || !/^[0-9a-f]+$/i.test(h)) fail(`expected ${n} hex digits`);
    i += n;
    return Number.parseInt(h, 16);
  };
  /** An escape after `\` (i at the letter): a predicate, or a single code unit. */
  const escaped = (inClass: boolean): Pred | number => {
    const at = i - 1;
    const c = source[i++];
    if (c === undefined) return fail('a pattern cannot end with \\', at);
    if (c in CLASS_ESCAPES) return CLASS_ESCAPES[c]!;
    if (c in CONTROL_ESCAPES) {
      if (c === '0' && isDigit(source.charCodeAt(i))) fail('octal escapes are not supported', at);
      return CONTROL_ESCAPES[c]!;
    }
    if (c === 'x') return hex(2);
    if (c === 'u') return hex(4);
    if (c === 'b' && inClass) return 0x08;
    if (/[1-9]/.test(c))
      return fail('backreferences are not supported (they cannot be matched in linear time)', at);
    if (c === 'k') return fail('named backreferences are not supported', at);
    if (/[a-zA-Z]/.test(c)) return fail(`\\${c} is not supported`, at);
    return c.charCodeAt(0);
  };
  const charClass = (): Node => {
    const start = i - 1;
    const negate = peek() === '^';
    if (negate) i++;
    const preds: Pred[] = [];
    let first = true;
    for (;;) {
      const c = source[i];
      if (c === undefined) return fail('unterminated character class', start);
      if (c === ']' && !first) break;
      first = false;
      i++;
      let lo: Pred | number = c === '\\' ? escaped(true) : c.charCodeAt(0);
      if (peek() === '-' && source[i + 1] !== undefined && source[i + 1] !== ']') {
        i++;
        const d = source[i++]!;
        const hi = d === '\\' ? escaped(true) : d.charCodeAt(0);
        if (typeof lo !== 'number' || typeof hi !== 'number')
          return fail('a class escape cannot bound a range');
        if (hi < lo) return fail('range out of order in character class');
        const [a, b] = [lo, hi];
        preds.push((x) => x >= a && x <= b);
        continue;
      }
      if (typeof lo === 'number') {
        const v = lo;
        lo = (x) => x === v;
      }
      preds.push(lo);
    }
    i++; // ]
    const any: Pred = (x) => preds.some((p) => p(x));
    return { t: 'char', pred: negate ? not(any) : any };
  };
  const atom = (): Node | null => {
    const c = peek();
    if (c === undefined || c === '|' || c === ')') return null;
    const at = i;
    i++;
    switch (c) {
      case '^':
        return { t: 'assert', kind: '^' };
      case '$':
        return { t: 'assert', kind: '$' };
      case '.':
        return { t: 'char', pred: not(isLineEnd) };
      case '[':
        return charClass();
      case '(': {
        if (source.startsWith('?:', i)) i += 2;
        else if (source[i] === '?') {
          if (/^\?<[A-Za-z_$]/.test(source.slice(i, i + 3))) {
            const close = source.indexOf('>', i);
            if (close < 0) fail('unterminated group name');
            i = close + 1;
          } else fail('lookaround is not supported (it cannot be matched in linear time)', at);
        }
        if (++depth > MAX_GROUP_DEPTH) fail(`groups nested more than ${MAX_GROUP_DEPTH} deep`, at);
        const inner = alternation();
        depth--;
        if (peek() !== ')') fail('missing )', at);
        i++;
        return inner;
      }
      case '\\': {
        if (source[i] === 'b' || source[i] === 'B') return { t: 'assert', kind: source[i++] as 'b' | 'B' };
        const e = escaped(false);
        return { t: 'char', pred: typeof e === 'number' ? (x) => x === e : e };
      }
      case '*':
      case '+':
      case '?':
        return fail('nothing to repeat', at);
      case '{':
        if (/^\d+(,\d*)?\}/.test(source.slice(i))) return fail('nothing to repeat', at);
        return { t: 'char', pred: (x) => x === 0x7b };
      case ']':
      case '}':
        return { t: 'char', pred: (x) => x === c.charCodeAt(0) };
      default: {
        const code = c.charCodeAt(0);
        return { t: 'char', pred: (x) => x === code };
      }
    }
  };
  /** A quantifier at i (`*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`), consumed; null when there is none. */
  const quantifier = (): { min: number; max: number } | null => {
    const c = peek();
    if (c === '*' || c === '+' || c === '?') {
      i++;
      return { min: c === '+' ? 1 : 0, max: c === '?' ? 1 : Number.POSITIVE_INFINITY };
    }
    const m = c === '{' ? /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i)) : null;
    if (!m) return null;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
    if (max < min) fail('numbers out of order in {} quantifier');
    if (min > 1000 || (max !== Number.POSITIVE_INFINITY && max > 1000))
      fail('repeat counts above 1000 are not supported');
    i += m[0].length;
    return { min, max };
  };
  const quantified = (): Node | null => {
    const a = atom();
    if (!a) return null;
    const at = i;
    const q = quantifier();
    if (!q) return a;
    if (a.t === 'assert') fail('nothing to repeat', at);
    if (peek() === '?') i++; // lazy: the same language, and test() only asks whether it matches
    const again = i;
    if (quantifier()) fail('nothing to repeat', again);
    return { t: 'repeat', node: a, ...q };
  };
  const sequence = (): Node => {
    const items: Node[] = [];
    for (let q = quantified(); q; q = quantified()) items.push(q);
    return { t: 'seq', items };
  };
  const alternation = (): Node => {
    const options = [sequence()];
    while (peek() === '|') {
      i++;
      options.push(sequence());
    }
    return options.length === 1 ? options[0]! : { t: 'alt', options };
  };
  const root = alternation();
  if (i < source.length) fail(peek() === ')' ? 'unmatched )' : 'unexpected character');
  return root;
}

/** Compiles the AST into Pike VM instructions; throws PatternError past MAX_PATTERN_PROGRAM. */
function compile(root: Node): Inst[] {
  const prog: Inst[] = [];
  const emit = (inst: Inst): number => {
    if (prog.length >= MAX_PATTERN_PROGRAM)
      throw new PatternError(`the pattern is too large (more than ${MAX_PATTERN_PROGRAM} steps)`, 0);
    prog.push(inst);
    return prog.length - 1;
  };
  const gen = (n: Node): void => {
    switch (n.t) {
      case 'char':
        emit({ op: 'char', pred: n.pred });
        return;
      case 'assert':
        emit({ op: 'assert', kind: n.kind });
        return;
      case 'seq':
        for (const x of n.items) gen(x);
        return;
      case 'alt': {
        const jumps: number[] = [];
        for (const [k, o] of n.options.entries()) {
          if (k === n.options.length - 1) {
            gen(o);
            break;
          }
          const split = emit({ op: 'split', x: 0, y: 0 });
          (prog[split] as { x: number }).x = prog.length;
          gen(o);
          jumps.push(emit({ op: 'jmp', x: 0 }));
          (prog[split] as { y: number }).y = prog.length;
        }
        for (const j of jumps) (prog[j] as { x: number }).x = prog.length;
        return;
      }
      case 'repeat': {
        for (let k = 0; k < n.min; k++) gen(n.node);
        if (n.max === Number.POSITIVE_INFINITY) {
          const split = emit({ op: 'split', x: prog.length + 1, y: 0 });
          gen(n.node);
          emit({ op: 'jmp', x: split });
          (prog[split] as { y: number }).y = prog.length;
          return;
        }
        const splits: number[] = [];
        for (let k = n.min; k < n.max; k++) {
          splits.push(emit({ op: 'split', x: prog.length + 1, y: 0 }));
          gen(n.node);
        }
        for (const s of splits) (prog[s] as { y: number }).y = prog.length;
        return;
      }
    }
  };
  gen(root);
  emit({ op: 'match' });
  return prog;
}

/** A compiled pattern: `test(text)` answers as RegExp.prototype.test would, in O(text × pattern). */
export class LinearRegex {
  private readonly prog: Inst[];
  constructor(readonly source: string) {
    this.prog = compile(parse(source));
  }

  test(text: string): boolean {
    const { prog } = this;
    const n = text.length;
    const seen = new Int32Array(prog.length).fill(-1);
    const word = (at: number) => at >= 0 && at < n && isWord(text.charCodeAt(at));
    let current: number[] = [];
    let next: number[] = [];
    const stack: number[] = [];
    /** Adds pc and what it reaches without reading a character; true when that includes a match. */
    const add = (list: number[], pc0: number, pos: number, mark: number): boolean => {
      stack.push(pc0);
      while (stack.length) {
        const pc = stack.pop()!;
        if (seen[pc] === mark) continue;
        seen[pc] = mark;
        const inst = prog[pc]!;
        switch (inst.op) {
          case 'match':
            stack.length = 0;
            return true;
          case 'jmp':
            stack.push(inst.x);
            break;
          case 'split':
            stack.push(inst.y, inst.x);
            break;
          case 'assert': {
            const ok =
              inst.kind === '^'
                ? pos === 0
                : inst.kind === '$'
                  ? pos === n
                  : (word(pos - 1) !== word(pos)) === (inst.kind === 'b');
            if (ok) stack.push(pc + 1);
            break;
          }
          case 'char':
            list.push(pc);
            break;
        }
      }
      return false;
    };
    if (add(current, 0, 0, 0)) return true;
    for (let pos = 0; pos < n; pos++) {
      const c = text.charCodeAt(pos);
      const mark = pos + 1;
      for (const pc of current) {
        const inst = prog[pc] as { op: 'char'; pred: Pred };
        if (inst.pred(c) && add(next, pc + 1, pos + 1, mark)) return true;
      }
      // A search: a new attempt starts at every position.
      if (add(next, 0, pos + 1, mark)) return true;
      [current, next] = [next, current];
      next.length = 0;
    }
    return false;
  }
}
