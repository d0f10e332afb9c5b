/**
 * YAML config text → a value, in time and memory linear in the file, whatever the file:
 *
 * - yaml's duplicate-key check compares each key with every earlier key of its mapping
 *   (80 000 keys: 41 s), so it is off (`uniqueKeys: false`) and the conversion below refuses
 *   duplicates with one lookup per key;
 * - yaml's composer recurses per nesting level and overflows the stack at ≈ 800 levels (10⁵
 *   levels of `- ` even abort the process, out of memory), so a pre-scan of the lexer's tokens
 *   refuses deep nesting before the composer runs;
 * - yaml builds a document at up to ≈ 7 µs and 0.7 KB per token, and an error object (with a stack
 *   trace) per syntax error — 4 MiB of `]` is 4 million errors and exhausts the heap — so the
 *   pre-scan also caps the tokens (MAX_YAML_TOKENS), and errors are made without stack traces;
 * - yaml's own `toJS` resolves each alias by a walk over the anchors before it and counts alias
 *   expansions by walking the document again (O(aliases × document): 20 000 aliases, 20 s), so
 *   the conversion is ours: anchors in one map, every alias's expanded size and depth known
 *   from its anchor's, and the total bounded (billion-laughs guard) — the guard `maxAliasCount`
 *   would give inside `toJS`, but linear.
 */
import { Lexer, isAlias, isMap, isScalar, isSeq, parseDocument, type YAMLError } from 'yaml';
import { MAX_ALIAS_VALUES, MAX_DEPTH, MAX_YAML_TOKENS } from './limits.js';
import { at, clip, lineStartsOf, oneLine, quote } from './text.js';
import { ConfigError } from './validate.js';

/**
 * Parses a config file's YAML text (one document); every problem is a one-line ConfigError
 * naming `source` and the line. `maxTokens` bounds the work (a benchmark may raise it).
 */
export function parseYamlConfig(text: string, source: string, maxTokens = MAX_YAML_TOKENS): unknown {
  prescan(text, source, maxTokens);
  const stackTraceLimit = Error.stackTraceLimit;
  const doc = (() => {
    try {
      // yaml's errors are reported by position; their stack traces would only cost memory.
      Error.stackTraceLimit = 0;
      // stringKeys: a list, mapping or alias as a key is an error with its position (a config key is a name).
      return parseDocument(text, { uniqueKeys: false, stringKeys: true, prettyErrors: false });
    } catch (error) {
      // The pre-scan keeps nesting far below where the composer recurses too deep; should it
      // still, the file is named rather than a stack trace shown.
      if (error instanceof RangeError) throw new ConfigError('config', `nested too deeply for the YAML parser; a config is a few levels deep`, source);
      throw error;
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
  })();
  const problem: YAMLError | undefined = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw new ConfigError('config', `not valid YAML at ${at(lineStartsOf(text), problem.pos[0])}: ${describeProblem(problem)}`, source);
  return new YamlToJs(text, source).value(doc.contents, 0);
}

function describeProblem(problem: YAMLError): string {
  if (problem.code === 'NON_STRING_KEY') return 'a list, mapping or alias as a mapping key; config keys are plain names';
  // The composer turns its own stack overflow into an error at a position.
  if (/Maximum call stack/.test(problem.message)) return 'nested too deeply for the YAML parser; a config is a few levels deep';
  return clip(oneLine(problem.message), 160);
}

/**
 * Refuses, from the lexer's tokens (linear; quotes, comments and block scalars are the lexer's
 * business), more than `maxTokens` tokens, and nesting deeper than about 2·MAX_DEPTH before the
 * composer recurses into it. Flow brackets count exactly; block levels are estimated from
 * columns: each line's content column closes the deeper levels still open and opens its own,
 * and each `- ` or `? ` on a line opens one more. The estimate is within about a factor 2 of the
 * true depth either way, so the exact limit is left to the conversion (YamlToJs).
 */
const SPACES = /^[ \t]+$/;

function prescan(text: string, source: string, maxTokens: number): void {
  const limit = 2 * MAX_DEPTH;
  let tokens = 0;
  const open: number[] = [];
  let flow = 0;
  let line = 1;
  let col = 0;
  let lineStart = true;
  for (const token of new Lexer().lex(text)) {
    const c0 = token.charCodeAt(0);
    // Zero-width markers the lexer interleaves: document, flow-error end, scalar, byte-order mark.
    if (token.length === 1 && (c0 === 0x02 || c0 === 0x18 || c0 === 0x1f || c0 === 0xfeff)) continue;
    // Every other token costs yaml time and memory, spaces and comments included.
    if (++tokens > maxTokens) {
      throw new ConfigError('config', `more than ${maxTokens} YAML tokens (keys, values, indicators, spaces, comments) by line ${line}; a config has a few hundred — data belong in a data file (see data.path)`, source);
    }
    if (token === '\n' || token === '\r\n') {
      line++;
      col = 0;
      lineStart = true;
      continue;
    }
    // Spaces and comments (a block scalar's text may start with spaces too: it has line breaks).
    if (c0 === 0x23 /* # */ || ((c0 === 0x20 || c0 === 0x09) && SPACES.test(token))) {
      col += token.length;
      continue;
    }
    if (flow === 0) {
      if (col === 0 && (token === '---' || token === '...')) open.length = 0;
      else {
        if (lineStart) {
          while (open.length > 0 && open[open.length - 1] > col) open.pop();
          if (open.length === 0 || open[open.length - 1] < col) open.push(col);
        }
        if (token === '-' || token === '?') open.push(col + 1);
      }
    }
    lineStart = false;
    if (token === '[' || token === '{') flow++;
    else if ((token === ']' || token === '}') && flow > 0) flow--;
    // Flow brackets are counted exactly: past MAX_DEPTH of them alone, no need to build the document.
    if (flow > MAX_DEPTH || open.length + flow > limit) {
      throw new ConfigError('config', `nested more than ${MAX_DEPTH} levels deep at line ${line}; a config is a few levels deep — check the indentation and brackets`, source);
    }
    const lastBreak = token.lastIndexOf('\n');
    if (lastBreak === -1) col += token.length;
    else {
      for (let i = token.indexOf('\n'); i !== -1; i = token.indexOf('\n', i + 1)) line++;
      col = token.length - lastBreak - 1;
      lineStart = lastBreak === token.length - 1;
    }
  }
}

/** An anchor's converted value, and what an alias of it stands for. */
interface Anchored {
  value: unknown;
  /** Values under the anchor (itself included), aliases inside it counted expanded. */
  size: number;
  /** Levels of mappings and lists under it, itself included (a scalar: 0). */
  height: number;
  done: boolean;
}

type Located = { range?: readonly number[] | null };

/**
 * The parsed document → plain objects, lists and scalars (what `doc.toJS()` gives, aliases
 * sharing their anchor's value), refusing duplicate keys, nesting deeper than MAX_DEPTH (aliases
 * expanded) and aliases that expand to more than MAX_ALIAS_VALUES values. Linear in the document.
 */
class YamlToJs {
  readonly #anchors = new Map<string, Anchored>();
  #written = 0;
  #expanded = 0;
  /** Height of the value last returned by value(). */
  #height = 0;
  #lineStarts: number[] | undefined;

  constructor(
    readonly text: string,
    readonly source: string,
  ) {}

  /** The value of `node`, whose container is `depth` levels deep (the document: 0). */
  value(node: unknown, depth: number): unknown {
    this.#height = 0;
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      const target = this.#anchors.get(node.source);
      const alias = `*${clip(node.source, 40)}`;
      if (!target) this.#fail(node, `the alias ${alias}`, ` has no anchor &${clip(node.source, 40)} before it; define the anchor first`);
      if (!target.done) this.#fail(node, `the alias ${alias}`, ' is inside its own anchor (a cycle); a config is a tree');
      this.#expanded += target.size;
      if (this.#expanded > MAX_ALIAS_VALUES) {
        this.#fail(node, 'too many alias expansions (billion-laughs guard)', `: with this alias, the aliases stand for more than ${MAX_ALIAS_VALUES} values — write the repeated parts out, or alias less`);
      }
      if (depth + target.height > MAX_DEPTH) this.#tooDeep(node);
      this.#height = target.height;
      return target.value;
    }
    const anchor = (node as { anchor?: string }).anchor;
    let anchored: Anchored | undefined;
    if (anchor) {
      // Set before the children: an alias inside refers to this anchor (yaml's order), a cycle.
      anchored = { value: undefined, size: 0, height: 0, done: false };
      this.#anchors.set(anchor, anchored);
    }
    const before = this.#written + this.#expanded;
    this.#written++;
    let value: unknown;
    let height = 0;
    if (isScalar(node)) {
      value = node.value;
    } else if (isSeq(node)) {
      if (depth >= MAX_DEPTH) this.#tooDeep(node);
      const list: unknown[] = [];
      for (const item of node.items) {
        list.push(this.value(item, depth + 1));
        height = Math.max(height, this.#height);
      }
      value = list;
      height++;
    } else if (isMap(node)) {
      if (depth >= MAX_DEPTH) this.#tooDeep(node);
      const map: Record<string, unknown> = {};
      for (const pair of node.items) {
        // stringKeys: every key is a string scalar (else the parser has already refused the file).
        if (!isScalar(pair.key)) this.#fail(pair.value ?? node, 'a mapping entry without a plain key', '; config keys are names');
        const key = String(this.value(pair.key, depth + 1));
        if (Object.hasOwn(map, key)) {
          const first = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
          const line = first ? this.#where(first.key as Located).replace(/, column \d+$/, '') : 'an earlier line';
          this.#fail(pair.key, `duplicate key ${quote(key, 40)}`, ` (first at ${line}); a key may appear once per mapping — remove or rename one`);
        }
        const item = this.value(pair.value, depth + 1);
        height = Math.max(height, this.#height);
        // A `__proto__` key is data like any other, never the object's prototype.
        if (key === '__proto__') Object.defineProperty(map, key, { value: item, writable: true, enumerable: true, configurable: true });
        else map[key] = item;
      }
      value = map;
      height++;
    } else {
      this.#fail(node as Located, 'an unsupported YAML node', '');
    }
    if (anchored) Object.assign(anchored, { value, size: this.#written + this.#expanded - before, height, done: true });
    this.#height = height;
    return value;
  }

  #tooDeep(node: unknown): never {
    this.#fail(node as Located, `nested more than ${MAX_DEPTH} levels deep`, ' (aliases expanded); a config is a few levels deep — check the indentation and brackets');
  }

  #where(node: Located): string {
    const offset = node.range?.[0];
    if (offset === undefined) return 'an unknown line';
    this.#lineStarts ??= lineStartsOf(this.text);
    return at(this.#lineStarts, offset);
  }

  #fail(node: unknown, what: string, rest: string): never {
    throw new ConfigError('config', `${what} at ${this.#where(node as Located)}${rest}`, this.source);
  }
}
