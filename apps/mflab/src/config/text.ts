/**
 * How user text appears in an error message: a config can hold a 100 MB string or a key with a
 * newline in it, and a message must stay one short line on the terminal — so a value is quoted
 * (control characters escaped), clipped to about 80 characters, and its length said instead.
 */

/** Characters that would break a message's one line: C0 controls, DEL, NEL and the Unicode line/paragraph separators. */
// eslint-disable-next-line no-control-regex
const BREAKS = /[\u0000-\u001f\u007f\u0085\u2028\u2029]/g;

const escape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `text` on one line: every line break or other control character written as a \uXXXX escape. */
export function oneLine(text: string): string {
  return text.replace(BREAKS, escape);
}

/** At most `max` characters of `text`, the last one "…" when cut; never splits a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/**
 * A string as a message shows it: JSON-quoted, so that control characters are escaped, and at
 * most about `max` characters of it — with the full length said when it was cut.
 */
export function quote(text: string, max = 80): string {
  let cut = text.length > max;
  let shown = JSON.stringify(clip(text, max)).replace(BREAKS, escape);
  // Escapes can make a short string long (80 control characters → 480): clip the quoted form too.
  if (shown.length > max + 2) {
    shown = `${clip(shown.slice(0, -1), max)}"`;
    cut = true;
  }
  return cut ? `${shown} (${text.length} characters)` : shown;
}

/** Keys shown bare in a field path: what a config key looks like (no spaces, quotes or brackets), short. */
const PLAIN_KEY = /^[A-Za-z0-9_.$@+-]{1,64}$/;

/** One key of a field path: bare when it looks like a config key, else quoted in brackets (`grid["a b"]`). */
export function keyPart(key: string, first: boolean): string {
  if (PLAIN_KEY.test(key)) return first ? key : `.${key}`;
  return `[${quote(key, 40)}]`;
}

/** 1-based line and column of a character offset in `text`, from the offsets where lines start (sorted). */
export function lineColumn(lineStarts: readonly number[], offset: number): { line: number; col: number } {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, col: offset - lineStarts[lo] + 1 };
}

/** The offsets where the lines of `text` start (line 1 at 0). */
export function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** "line L, column C" of an offset. */
export function at(lineStarts: readonly number[], offset: number): string {
  const { line, col } = lineColumn(lineStarts, offset);
  return `line ${line}, column ${col}`;
}
