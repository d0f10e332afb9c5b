/**
 * JSON config text → a value. `JSON.parse` alone accepts what a config must not be: a duplicate
 * key silently keeps the last value (YAML refuses it), nesting 10⁵ levels deep overflows the
 * stack of whatever walks the value next, and a syntax error gives a character position
 * rather than a line. So one linear scan checks the grammar, the depth and the keys first,
 * naming line and column, and only then does `JSON.parse` build the value.
 */
import { MAX_DEPTH } from './limits.js';
import { at, lineStartsOf, quote } from './text.js';
import { ConfigError } from './validate.js';

/** Parses a config file's JSON text; every problem is a one-line ConfigError naming `source` and the line. */
export function parseJsonConfig(text: string, source: string): unknown {
  // Editors on Windows write a byte-order mark, which JSON.parse refuses; it is not part of the text.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  new JsonScan(body, source).run();
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    // The scan accepts exactly JSON's grammar, so this is not expected; still one line, with the file.
    throw new ConfigError('config', `not valid JSON: ${(error as Error).message}`, source);
  }
}

/** In an object: the keys seen so far (offset of each, for "first at line …"); in a list: null. */
type Frame = Map<string, number> | null;

type Expect = 'value' | 'value-or-]' | 'key' | 'key-or-}' | 'colon' | 'comma-or-close' | 'end';

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

class JsonScan {
  readonly #stack: Frame[] = [];
  #lineStarts: number[] | undefined;
  #i = 0;

  constructor(
    readonly text: string,
    readonly source: string,
  ) {}

  run(): void {
    const { text } = this;
    const n = text.length;
    let expect: Expect = 'value';
    for (;;) {
      while (this.#i < n && isSpace(text.charCodeAt(this.#i))) this.#i++;
      if (this.#i >= n) {
        if (expect === 'end') return;
        this.#fail(this.#stack.length > 0 ? `the file ends inside ${this.#stack.length} unclosed bracket${this.#stack.length > 1 ? 's' : ''}` : 'the file ends where a value was expected');
      }
      const c = text.charCodeAt(this.#i);
      switch (expect) {
        case 'value':
        case 'value-or-]':
          if (c === 0x5d /* ] */ && expect === 'value-or-]') {
            expect = this.#close();
            break;
          }
          expect = this.#value(c);
          break;
        case 'key':
        case 'key-or-}': {
          if (c === 0x7d /* } */ && expect === 'key-or-}') {
            expect = this.#close();
            break;
          }
          if (c !== 0x22) this.#fail(`expected a key in double quotes, found ${this.#found()}`);
          const start = this.#i;
          this.#string();
          const raw = text.slice(start + 1, this.#i - 1);
          const key = raw.includes('\\') ? (JSON.parse(text.slice(start, this.#i)) as string) : raw;
          const keys = this.#stack[this.#stack.length - 1] as Map<string, number>;
          const first = keys.get(key);
          if (first !== undefined) {
            const line = this.#where(first).replace(/, column \d+$/, '');
            this.#refuse(`duplicate key ${quote(key, 40)}`, start, ` (first at ${line}); a key may appear once per object (JSON.parse would silently keep the last) — remove or rename one`);
          }
          keys.set(key, start);
          expect = 'colon';
          break;
        }
        case 'colon':
          if (c !== 0x3a) this.#fail(`expected ":" after the key, found ${this.#found()}`);
          this.#i++;
          expect = 'value';
          break;
        case 'comma-or-close': {
          const inObject = this.#stack[this.#stack.length - 1] !== null;
          if (c === 0x2c) {
            this.#i++;
            expect = inObject ? 'key' : 'value';
          } else if (c === (inObject ? 0x7d : 0x5d)) {
            expect = this.#close();
          } else {
            this.#fail(`expected "," or "${inObject ? '}' : ']'}", found ${this.#found()}`);
          }
          break;
        }
        case 'end':
          this.#fail(`unexpected ${this.#found()} after the end of the JSON value`);
      }
    }
  }

  /** A value starting at the current character; returns what may follow it. */
  #value(c: number): Expect {
    const { text } = this;
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (this.#stack.length >= MAX_DEPTH) {
        this.#refuse(`nested more than ${MAX_DEPTH} levels deep`, this.#i, '; a config is a few levels deep — check the brackets');
      }
      this.#stack.push(c === 0x7b ? new Map() : null);
      this.#i++;
      return c === 0x7b ? 'key-or-}' : 'value-or-]';
    }
    if (c === 0x22) this.#string();
    else if (c === 0x2d || isDigit(c)) this.#number();
    else if (text.startsWith('true', this.#i)) this.#i += 4;
    else if (text.startsWith('false', this.#i)) this.#i += 5;
    else if (text.startsWith('null', this.#i)) this.#i += 4;
    else this.#fail(`expected a value (an object, a list, a string in double quotes, a number, true, false or null), found ${this.#found()}`);
    return this.#stack.length === 0 ? 'end' : 'comma-or-close';
  }

  #close(): Expect {
    this.#stack.pop();
    this.#i++;
    return this.#stack.length === 0 ? 'end' : 'comma-or-close';
  }

  /** Skips a string (the current character is its opening quote), checking its escapes. */
  #string(): void {
    const { text } = this;
    const start = this.#i;
    let i = this.#i + 1;
    for (;;) {
      if (i >= text.length) this.#fail('a string is not closed (a " is missing)', start);
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) this.#fail(c === 0x0a ? 'a string is not closed before the end of the line (a " is missing)' : 'a control character in a string; write it as an escape such as \\t', i);
      if (c === 0x5c /* \ */) {
        const e = text.charCodeAt(i + 1);
        if (e === 0x75 /* u */) {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) this.#fail('a \\u escape needs 4 hexadecimal digits', i);
          i += 6;
          continue;
        }
        // " \ / b f n r t
        if (![0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74].includes(e)) this.#fail('an invalid escape in a string (JSON allows \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)', i);
        i += 2;
        continue;
      }
      i++;
    }
    this.#i = i + 1;
  }

  /** Skips a number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
  #number(): void {
    const { text } = this;
    const start = this.#i;
    let i = start;
    const digits = (): void => {
      if (!isDigit(text.charCodeAt(i))) this.#fail(`a malformed number (JSON numbers look like 12, -0.5 or 1e-3)`, start);
      while (isDigit(text.charCodeAt(i))) i++;
    };
    if (text.charCodeAt(i) === 0x2d) i++;
    if (text.charCodeAt(i) === 0x30) i++;
    else digits();
    if (text.charCodeAt(i) === 0x2e) {
      i++;
      digits();
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const sign = text.charCodeAt(i);
      if (sign === 0x2b || sign === 0x2d) i++;
      digits();
    }
    this.#i = i;
  }

  /** What is at the current position, for a message. */
  #found(): string {
    const c = this.text.codePointAt(this.#i);
    return c === undefined ? 'the end of the file' : quote(String.fromCodePoint(c));
  }

  #where(offset: number): string {
    this.#lineStarts ??= lineStartsOf(this.text);
    return at(this.#lineStarts, offset);
  }

  /** A syntax error. */
  #fail(detail: string, offset = this.#i): never {
    throw new ConfigError('config', `not valid JSON at ${this.#where(offset)}: ${detail}`, this.source);
  }

  /** Valid JSON that a config may not be: `what` at line and column, then `rest`. */
  #refuse(what: string, offset: number, rest: string): never {
    throw new ConfigError('config', `${what} at ${this.#where(offset)}${rest}`, this.source);
  }
}
