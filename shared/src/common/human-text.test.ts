import { z } from 'zod';
import { hasVisibleText, humanText } from './primitives';

// The one rule for text a person types: trimmed, no control characters (tab and line breaks only in
// multi-line text), no lone surrogates, no bidirectional overrides or isolates, and something visible.

const name = humanText({ max: 32 });
const description = humanText({ max: 5000, min: 0, multiline: true });
const messagesOf = (result: z.ZodSafeParseResult<unknown>) => (result.success ? [] : result.error.issues.map((issue) => issue.message));

describe('humanText', () => {
  it('given text with spaces around it, when parsed, then it is trimmed (ideographic spaces too)', () => {
    expect(name.parse('  张三 ')).toBe('张三');
    expect(name.parse('\u3000李四\u3000')).toBe('李四');
  });

  it('given ordinary names in several scripts and emoji with joiners, when parsed, then they pass unchanged', () => {
    for (const text of ['张三', 'Zoë O’Brien', 'محمد', '김민준', '👩‍💻 Ada', 'José\u0301']) expect(name.parse(text)).toBe(text);
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['a bell', 'a\u0007b'],
    ['a newline in a one-line field', 'a\nb'],
    ['a tab in a one-line field', 'a\tb'],
    ['DEL', 'a\u007fb'],
    ['a C1 control', 'a\u0085b'],
  ])('given %s, when parsed, then it is refused as a control character', (_, text) => {
    expect(messagesOf(name.safeParse(text))).toEqual(['must not contain control characters']);
  });

  it.each([
    ['a lone high surrogate', 'a\ud83db'],
    ['a lone low surrogate', 'a\udc33b'],
    ['a high surrogate at the end', 'ab\ud83d'],
    ['two low surrogates', '\udc33\udc33'],
  ])('given %s, when parsed, then it is refused', (_, text) => {
    expect(messagesOf(name.safeParse(text))).toContain('must not contain unpaired surrogates');
  });

  it.each(['202A', '202B', '202C', '202D', '202E', '2066', '2067', '2068', '2069'])(
    'given the bidirectional control U+%s, when parsed, then it is refused',
    (hex) => {
      const control = String.fromCharCode(parseInt(hex, 16));
      expect(messagesOf(name.safeParse(`abc${control}gpj.exe`))).toEqual(['must not contain bidirectional override or isolate characters']);
    },
  );

  it.each([
    ['a zero-width space', '\u200b'],
    ['joiners', '\u200c\u200d'],
    ['a BOM and a word joiner', '\ufeff\u2060'],
    ['a soft hyphen and a Hangul filler', '\u00ad\u3164'],
    ['a directional mark', '\u200f'],
  ])('given a name made only of %s, when parsed, then it is refused as empty', (_, text) => {
    expect(messagesOf(name.safeParse(text))).toEqual(['must contain visible characters']);
  });

  it('given an empty or blank required text, when parsed, then it is too short', () => {
    expect(name.safeParse('').success).toBe(false);
    expect(name.safeParse('   ').success).toBe(false);
  });

  it('given text longer than the limit once trimmed, when parsed, then it is refused; at the limit it passes', () => {
    expect(name.safeParse('字'.repeat(33)).success).toBe(false);
    expect(name.safeParse(` ${'字'.repeat(32)} `).success).toBe(true);
  });

  it('given a multi-line description, when parsed, then tab and line breaks pass but other controls do not', () => {
    expect(description.parse('第一行\r\n第二行\n\t缩进')).toBe('第一行\r\n第二行\n\t缩进');
    expect(description.parse('')).toBe('');
    expect(messagesOf(description.safeParse('a\u0000b'))).toEqual(['must not contain control characters other than tab and line breaks']);
    expect(messagesOf(description.safeParse('a\u202eb'))).toEqual(['must not contain bidirectional override or isolate characters']);
  });

  it('given a value that is not a string, when parsed, then it is refused', () => {
    for (const value of [null, 1, {}, ['a']]) expect(name.safeParse(value).success).toBe(false);
  });

  it('given the JSON schema of a text field, then it keeps its length limits', () => {
    expect(z.toJSONSchema(name)).toMatchObject({ type: 'string', minLength: 1, maxLength: 32 });
  });
});

describe('hasVisibleText', () => {
  it('given visible and invisible-only texts, then only the first count as visible', () => {
    expect(hasVisibleText('a')).toBe(true);
    expect(hasVisibleText('\u200ba\u200b')).toBe(true);
    expect(hasVisibleText('\u200b\u200c\u200d\ufeff\u2060 \u3000')).toBe(false);
  });
});
