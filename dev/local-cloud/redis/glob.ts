/**
 * Redis's glob-style patterns (`KEYS`, `SCAN … MATCH`), as `stringmatchlen` reads them: `*`
 * any run of characters, `?` one character, `[abc]`, `[^abc]` and `[a-z]` sets (a reversed
 * range is swapped), and `\x` for a literal `x`, inside a set too. ioredis-mock turns patterns
 * into regular expressions of its own that ignore escapes, so `SCAN MATCH items\[1\]*` would
 * not find `items[1]:a` on the embedded engine.
 */

/** `char` as a regular-expression literal (the `u` flag's `\u{…}` form, safe anywhere). */
function literal(char: string): string {
  return `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`;
}

/**
 * Reads the set that opens at `pattern[start]` (`[`); returns its regular-expression class
 * and the index after its `]`, or `null` when it never closes (the `[` is then a literal).
 */
function readSet(chars: string[], start: number): { source: string; end: number } | null {
  let index = start + 1;
  const negated = chars[index] === '^';
  if (negated) index += 1;
  let items = '';
  while (index < chars.length && chars[index] !== ']') {
    let char = chars[index] as string;
    if (char === '\\' && index + 1 < chars.length) {
      index += 1;
      char = chars[index] as string;
    } else if (chars[index + 1] === '-' && index + 2 < chars.length && chars[index + 2] !== ']') {
      let [from, to] = [char, chars[index + 2] as string];
      if (from > to) [from, to] = [to, from];
      items += `${literal(from)}-${literal(to)}`;
      index += 3;
      continue;
    }
    items += literal(char);
    index += 1;
  }
  if (index >= chars.length) return null;
  // An empty set matches nothing (`[^]` anything), as in Redis.
  const source =
    items === '' ? (negated ? '[\\s\\S]' : '[^\\s\\S]') : `[${negated ? '^' : ''}${items}]`;
  return { source, end: index + 1 };
}

/**
 * A test for `pattern`, Redis's way.
 *
 * @example
 * globMatcher('user:[0-9]*')('user:42'); // true
 * globMatcher('a\\*')('a*'); // true, and false for 'ab'
 */
export function globMatcher(pattern: string): (text: string) => boolean {
  const chars = [...pattern];
  let source = '';
  let index = 0;
  while (index < chars.length) {
    const char = chars[index] as string;
    if (char === '*') {
      source += '[\\s\\S]*';
      index += 1;
    } else if (char === '?') {
      source += '[\\s\\S]';
      index += 1;
    } else if (char === '\\' && index + 1 < chars.length) {
      source += literal(chars[index + 1] as string);
      index += 2;
    } else if (char === '[') {
      const set = readSet(chars, index);
      source += set ? set.source : literal(char);
      index = set ? set.end : index + 1;
    } else {
      source += literal(char);
      index += 1;
    }
  }
  const regExp = new RegExp(`^${source}$`, 'u');
  return (text) => regExp.test(text);
}
