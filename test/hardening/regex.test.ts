// Issue 20, item 6: a scenario's `{pattern: ...}` cannot hang replay. Patterns run on a linear-time
// matcher (src/replay/linear-regex.ts) that answers as RegExp.test does on the supported subset
// (checked against V8 on a table of patterns and texts); backreferences and lookaround are refused
// when the scenario is parsed, with file, line and column.
import { describe, expect, it } from 'vitest';
import { compare } from '../../src/replay/expect.js';
import { LinearRegex, MAX_PATTERN_PROGRAM, PatternError } from '../../src/replay/linear-regex.js';
import { parseScenarios, ScenarioError } from '../../src/replay/scenario.js';

const PATTERNS = [
  'abc',
  '^abc$',
  'a|b|c',
  '^(a|bc)+$',
  'a*',
  'a+b',
  'a?b',
  'colou?r',
  '^$',
  '',
  '.',
  '^.$',
  'a.c',
  '[a-c]+',
  '[^a-c]',
  '[\\w.]+@',
  '\\d{2,4}',
  '^\\d{3}$',
  'x{0}',
  'x{2,}',
  '(?:ab)*c',
  '(?<n>ab)+',
  '\\bword\\b',
  '\\Bor\\B',
  '\\s+',
  '\\S+\\s\\S+',
  '^(\\w+\\s?)*$',
  '(a*)*b',
  '(a|a)*c',
  '(x+x+)+y',
  '\\.',
  '\\$',
  'a\\|b',
  '[\\]]',
  '[a\\-z]',
  '[-a]',
  '[a-]',
  '\\x41',
  '\\u0042',
  '\\t',
  'ab*?c',
  'entry point RtlIsNameLegalDOS8Dot3 ',
  'srv.sys .* RtlIsNameLegalDOS8Dot3 in driver NTOSKRNL.EXE',
  '^The (\\w+) service',
  'a{1,3}?b',
  'a{',
  'a{,2}',
  '}',
  ']',
  '[.]',
  '0x[0-9A-F]{8}',
];
const TEXTS = [
  '',
  'a',
  'b',
  'abc',
  'xabcx',
  'aaab',
  'color',
  'colour',
  'abcbc',
  'ac',
  'a.c',
  'a\nc',
  'user@host',
  '1234',
  '12',
  '123',
  'xxy',
  'xx',
  'ab ab abc',
  'a word here',
  'sword',
  'words',
  'in  the\tmiddle',
  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!',
  'one two three',
  'x{,2}',
  'a{',
  '}',
  ']',
  '-',
  'A',
  'B',
  '\t',
  'The Server service terminated',
  'entry point RtlIsNameLegalDOS8Dot3 in driver',
  '\\SystemRoot\\System32\\drivers\\srv.sys device driver could not locate the entry point RtlIsNameLegalDOS8Dot3 in driver NTOSKRNL.EXE',
  'status 0xC0000263',
  'a|b',
  '$',
  'x',
  'abb',
  'aabbb',
];

describe('LinearRegex answers as RegExp.test on the supported subset', () => {
  for (const p of PATTERNS) {
    it(`/${p}/`, () => {
      const native = new RegExp(p);
      const linear = new LinearRegex(p);
      // The catastrophic patterns are only run natively on texts where V8 stays fast.
      const cheap = (t: string) =>
        !/(\(x\+x\+\)\+|\(a\*\)\*|\(a\|a\)\*|\(\\w\+\\s\?\)\*)/.test(p) || t.length < 20;
      for (const t of TEXTS.filter(cheap)) expect([t, linear.test(t)]).toEqual([t, native.test(t)]);
    });
  }
});

describe('hostile patterns are bounded', () => {
  it('^(\\w+\\s?)*$ (over 120 s in V8 on the stress run) answers at once on long texts', () => {
    const r = new LinearRegex('^(\\w+\\s?)*$');
    expect(r.test(`${'a'.repeat(5000)}!`)).toBe(false);
    expect(r.test('word '.repeat(2000))).toBe(true);
    expect(new LinearRegex('(x+x+)+y').test('x'.repeat(10_000))).toBe(false);
    expect(new LinearRegex('(a|a)*c').test('a'.repeat(10_000))).toBe(false);
  });

  it('an expect with the hostile pattern compares in bounded time', () => {
    const [s] = parseScenarios(
      'schema: nt351-scenario/1\nname: x\nsteps:\n  - expect: {hardErrors: [{text: {pattern: "^(\\\\w+\\\\s?)*$"}}]}\n',
      's.yaml',
    );
    const step = s!.steps[0]!;
    if (step.kind !== 'expect') throw new Error('expected an expect step');
    const report = {
      outcome: 'errors',
      hardErrors: [
        {
          caption: 'c',
          text: `${'a'.repeat(50)}!`,
          status: '0xC0000263',
          statusName: '',
          parameters: [],
          process: '',
        },
      ],
      events: [],
      services: [],
      bugcheck: null,
      loaderMessage: null,
    };
    const differences = compare(step.expect, report as never);
    expect(differences.length).toBe(1);
  });

  it('a pattern that compiles to too many steps is refused', () => {
    expect(() => new LinearRegex('(((a{1000}){1000}){1000})')).toThrow(PatternError);
    expect(() => new LinearRegex('a{1001}')).toThrow(/above 1000/);
    expect(() => new LinearRegex('(a{100}){300}')).toThrow(`more than ${MAX_PATTERN_PROGRAM} steps`);
  });

  it('groups nested 10 000 deep are refused without overflowing the stack', () => {
    expect(() => new LinearRegex(`${'('.repeat(10_000)}a${')'.repeat(10_000)}`)).toThrow(
      /nested more than 64/,
    );
  });
});

describe('patterns outside the subset are scenario errors with file, line and column', () => {
  const err = (pattern: string) => {
    const text = `schema: nt351-scenario/1\nname: x\nsteps:\n  - expect: {events: [{id: 1, message: {pattern: '${pattern}'}}]}\n`;
    try {
      parseScenarios(text, 's.yaml');
    } catch (e) {
      expect(e).toBeInstanceOf(ScenarioError);
      return (e as Error).message;
    }
    throw new Error('expected a ScenarioError');
  };
  it.each([
    ['(a)\\1', 'backreferences are not supported'],
    ['(?<n>a)\\k<n>', 'named backreferences are not supported'],
    ['a(?=b)', 'lookaround is not supported'],
    ['a(?!b)', 'lookaround is not supported'],
    ['(?<=a)b', 'lookaround is not supported'],
    ['\\p{L}', '\\p is not supported'],
    ['\\cA', '\\c is not supported'],
  ])('%s', (pattern, message) => {
    const m = err(pattern);
    expect(m).toMatch(/^s\.yaml:4:50: expect\.events\[0\]\.message\.pattern: /);
    expect(m).toContain(message);
  });
  it('a pattern V8 cannot compile keeps its message', () => {
    expect(err('a**')).toContain('not a valid regular expression');
  });
});
