/**
 * Config files are not trusted: whatever a file holds, reading and validating it ends quickly,
 * in bounded memory, in a config or in one ConfigError — one line that names the file (and the
 * line or field) and says what to do, never another error or a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandAxis, expandGrid } from './grid.js';
import { MAX_CONFIG_BYTES, MAX_DEPTH } from './limits.js';
import { parseConfigText, readConfigFile } from './load.js';
import { ConfigError, validateConfig } from './validate.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mflab-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file in the test's temporary directory holding `text`; its path. */
function file(name: string, text: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The ConfigError `fn` throws, checked to be one line that names `source`. */
function configError(fn: () => unknown, source: string): ConfigError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'expected a ConfigError').toBeInstanceOf(ConfigError);
  const error = thrown as ConfigError;
  expect(error.message).not.toContain('\n');
  expect(error.message.startsWith(`${source}: `), error.message).toBe(true);
  return error;
}

/** Reads and validates a config file (what `mflab run FILE` does first). */
const load = (path: string) => validateConfig(readConfigFile(path), path);

describe('YAML: a mapping with many keys is linear, not quadratic', () => {
  // yaml's own duplicate-key check compared each key with every earlier one: 80 000 keys took
  // 41 s before "unknown key". The test's timeout is the bound; the time is printed.
  it('80 000 keys (1.1 MB) parse and fail validation with "unknown key"', { timeout: 20_000 }, () => {
    const lines: string[] = [];
    for (let i = 0; i < 80_000; i++) lines.push(`k${i}: ${i}`);
    const path = file('keys.yaml', `${lines.join('\n')}\n`);
    const t0 = performance.now();
    const raw = readConfigFile(path);
    const parsed = performance.now();
    const error = configError(() => validateConfig(raw, path), path);
    console.log(`80 000 YAML keys: parsed in ${((parsed - t0) / 1000).toFixed(2)} s, validated in ${((performance.now() - parsed) / 1000).toFixed(2)} s`);
    expect(Object.keys(raw as object)).toHaveLength(80_000);
    expect(error.message).toMatch(/: k0: unknown key; allowed keys are name, /);
  });

  it('still refuses a duplicate key, with its line and the first one', () => {
    const path = file('dup.yaml', 'seed: 1\nmodel:\n  width: 8\n  bias: true\n  width: 16\n');
    const error = configError(() => readConfigFile(path), path);
    expect(error.message).toMatch(/duplicate key "width" at line 5, column 3 \(first at line 3\)/);
    expect(error.message).toMatch(/remove or rename one/);
  });

  it('refuses duplicates in flow mappings and keys that are equal as strings ("1" and 1)', () => {
    const flow = file('dup-flow.yaml', 'grid: { seed: [1], seed: [2] }\n');
    expect(configError(() => readConfigFile(flow), flow).message).toMatch(/duplicate key "seed" at line 1/);
    const mixed = file('dup-mixed.yaml', 'grid:\n  1: [1]\n  "1": [2]\n');
    expect(configError(() => readConfigFile(mixed), mixed).message).toMatch(/duplicate key "1" at line 3/);
  });
});

describe('YAML aliases: the billion-laughs guard', () => {
  const laughs = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let k = 1; k < 9; k++) laughs.push(`${'abcdefghi'[k]}: &${'abcdefghi'[k]} [${new Array(9).fill(`*${'abcdefghi'[k - 1]}`).join(', ')}]`);

  it('refuses a billion laughs with a YAML-worded one-line error (was "not valid JSON")', () => {
    const path = file('laughs.yaml', `${laughs.join('\n')}\n`);
    const error = configError(() => readConfigFile(path), path);
    expect(error.message).toMatch(/too many alias expansions \(billion-laughs guard\) at line \d+, column \d+/);
    expect(error.message).not.toMatch(/JSON/);
  });

  it('keeps ordinary aliases, and refuses cycles and aliases without an anchor', () => {
    const ok = file('alias.yaml', 'data: &d { kind: teacher, d: 2, n: 16, nTest: 8 }\ntrain: { steps: &s 5 }\nlog: { every: *s }\n');
    expect(load(ok).log.every).toBe(5);
    const cycle = file('cycle.yaml', 'grid: &g { seed: *g }\n');
    expect(configError(() => readConfigFile(cycle), cycle).message).toMatch(/the alias \*g at line 1, column 18 is inside its own anchor/);
    const missing = file('missing.yaml', 'seed: *nowhere\n');
    expect(configError(() => readConfigFile(missing), missing).message).toMatch(/the alias \*nowhere at line 1, column 7 has no anchor/);
  });
});

describe('deep nesting is refused before a parser recurses into it', () => {
  const deep = 100_000;
  const cases: [string, string][] = [
    ['deep.json', `${'['.repeat(deep)}${']'.repeat(deep)}`],
    ['deep-object.json', `${'{"a":'.repeat(deep)}1${'}'.repeat(deep)}`],
    ['deep-flow.yaml', `a: ${'['.repeat(deep)}${']'.repeat(deep)}\n`],
    // 10⁵ levels of `- ` aborted the process (out of memory inside yaml), uncatchable.
    ['deep-block.yaml', `${'- '.repeat(deep)}x\n`],
    ['deep-map.yaml', Array.from({ length: 2000 }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + '\n'],
  ];
  for (const [name, text] of cases) {
    it(`${name}: one line naming the file (was "Maximum call stack size exceeded", no file, exit 1)`, () => {
      const path = file(name, text);
      const error = configError(() => readConfigFile(path), path);
      expect(error.message).toMatch(new RegExp(`nested more than ${MAX_DEPTH} levels deep at line \\d+`));
    });
  }

  it('names the line of deep nesting after multi-line scalars', () => {
    const path = file('deep-late.yaml', `description: |\n  two\n  lines\ntitle: "quoted\n  over lines"\nx: ${'['.repeat(100)}\n`);
    expect(configError(() => readConfigFile(path), path).message).toMatch(/nested more than 64 levels deep at line 6;/);
  });

  it(`accepts ${MAX_DEPTH} levels and refuses ${MAX_DEPTH + 1}, in JSON and YAML, aliases expanded`, () => {
    const nest = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    expect(readConfigFile(file('ok.json', nest(MAX_DEPTH)))).toBeInstanceOf(Array);
    expect(readConfigFile(file('ok.yaml', nest(MAX_DEPTH)))).toBeInstanceOf(Array);
    const json = file('over.json', nest(MAX_DEPTH + 1));
    expect(configError(() => readConfigFile(json), json).message).toMatch(/nested more than 64 levels deep at line 1, column 65/);
    const yaml = file('over.yaml', nest(MAX_DEPTH + 1));
    expect(configError(() => readConfigFile(yaml), yaml).message).toMatch(/nested more than 64 levels deep/);
    // 40 levels under an anchor, used 40 levels deep: 80 once expanded.
    const aliased = file('over-alias.yaml', `a: &a ${nest(40)}\nb: ${'['.repeat(40)}*a${']'.repeat(40)}\n`);
    expect(configError(() => readConfigFile(aliased), aliased).message).toMatch(/nested more than 64 levels deep at line 2, .*\(aliases expanded\)/);
  });
});

describe('JSON: duplicate keys are refused like YAML, syntax errors say line and column', () => {
  it('names the duplicate key and both lines (JSON.parse silently kept the last)', () => {
    const path = file('dup.json', '{\n  "seed": 1,\n  "train": { "steps": 5 },\n  "seed": 2\n}\n');
    expect(configError(() => readConfigFile(path), path).message).toMatch(/duplicate key "seed" at line 4, column 3 \(first at line 2\)/);
  });

  it('compares keys after unescaping ("\\u0073eed" is "seed"), and per object', () => {
    const escaped = file('dup-escaped.json', '{"seed": 1, "\\u0073eed": 2}');
    expect(configError(() => readConfigFile(escaped), escaped).message).toMatch(/duplicate key "seed"/);
    // The same key in two objects is no duplicate.
    expect(load(file('two-objects.json', '{"model": {"width": 8}, "log": {"every": 2}, "train": {"steps": 3}}')).model.width).toBe(8);
  });

  it('gives line and column for a syntax error, and accepts a byte-order mark', () => {
    const path = file('bad.json', '{\n  "seed": 1,\n}\n');
    expect(configError(() => readConfigFile(path), path).message).toMatch(/not valid JSON at line 3, column 1: expected a key in double quotes, found "}"/);
    expect(load(file('bom.json', '\uFEFF{"seed": 3}')).seed).toBe(3);
  });
});

describe('only regular files of bounded size are read', () => {
  it('refuses /dev/zero at once (it was read without end)', (ctx) => {
    if (!existsSync('/dev/zero')) return ctx.skip('no /dev/zero on this system');
    const error = configError(() => readConfigFile('/dev/zero'), '/dev/zero');
    expect(error.message).toMatch(/is a character device, not a regular file; give the path of a YAML or JSON config file/);
  });

  it('refuses a FIFO without opening it (opening one blocks until a writer comes)', { timeout: 10_000 }, (ctx) => {
    if (process.platform === 'win32') return ctx.skip('no FIFOs on Windows');
    const path = join(dir, 'fifo.yaml');
    const made = spawnSync('mkfifo', [path], { encoding: 'utf8' });
    if (made.error || made.status !== 0) return ctx.skip(`mkfifo is unavailable: ${made.error?.message ?? made.stderr}`);
    expect(statSync(path).isFIFO()).toBe(true);
    const error = configError(() => readConfigFile(path), path);
    expect(error.message).toMatch(/is a FIFO \(named pipe\), not a regular file/);
  });

  it('refuses a directory and a missing file', () => {
    expect(configError(() => readConfigFile(dir), dir).message).toMatch(/is a directory, not a regular file/);
    const missing = join(dir, 'nope.yaml');
    expect(configError(() => readConfigFile(missing), missing).message).toMatch(/: config: no such file$/);
  });

  it(`refuses a file over ${MAX_CONFIG_BYTES} bytes without reading it, saying why`, () => {
    const path = file('big.yaml', Buffer.alloc(MAX_CONFIG_BYTES + 1, 0x20));
    const error = configError(() => readConfigFile(path), path);
    expect(error.message).toMatch(/the file is 4\.0 MiB, over the 4\.0 MiB a config file may be \(a config is a few KB/);
  });

  it('refuses a 50 MB description: the file by its size, the value by the schema — both briefly', () => {
    const description = 'x'.repeat(50_000_000);
    const path = file('long.yaml', `description: ${description}\n`);
    expect(configError(() => readConfigFile(path), path).message).toMatch(/the file is 47\.7 MiB, over the 4\.0 MiB/);
    // The same value reaching validation another way (an API caller, a file under the cap).
    const error = configError(() => validateConfig({ description }, 'api'), 'api');
    expect(error.message).toBe('api: description: expected at most 10000 characters, got 50000000; shorten it (a summary; longer notes belong in a file beside the config)');
    const underCap = file('long2.yaml', `description: ${'y'.repeat(3_000_000)}\n`);
    expect(configError(() => load(underCap), underCap).message).toMatch(/description: expected at most 10000 characters, got 3000000/);
    expect(validateConfig({ description: 'z'.repeat(10_000) }).description).toHaveLength(10_000);
  });
});

describe('messages quote at most ~80 characters of a value', () => {
  it('a 100 MB string in a field of another type gives a message under 300 characters', () => {
    const huge = 'q'.repeat(100_000_000);
    const error = configError(() => validateConfig({ train: { lr: huge } }, 'c.yaml'), 'c.yaml');
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).toMatch(/^c\.yaml: train\.lr: expected a number, got "q{79}…" \(100000000 characters\)$/);
  });

  it('keys and values with line breaks or of any length stay on one short line', () => {
    const key = `bad\nkey${'k'.repeat(10_000)}`;
    const unknown = configError(() => validateConfig({ [key]: 1 }, 'c.yaml'), 'c.yaml');
    expect(unknown.message.length).toBeLessThan(300);
    expect(unknown.message).toMatch(/^c\.yaml: \["bad\\nkeyk+…" \(10007 characters\)\]: unknown key/);
    const value = configError(() => validateConfig({ loss: 'a\u2028b\rc' }, 'c.yaml'), 'c.yaml');
    expect(value.message).toMatch(/got "a\\u2028b\\rc"$/);
    const gridKey = configError(() => expandGrid({ grid: { [`x\n${'y'.repeat(500)}`]: [1] } }, 'c.yaml'), 'c.yaml');
    expect(gridKey.message.length).toBeLessThan(300);
    expect(gridKey.field).toMatch(/^grid\["x\\ny+…" \(502 characters\)\]$/);
  });

  it('YAML messages with a long tag or anchor name are clipped', () => {
    const path = file('tag.yaml', `seed: !${'t'.repeat(5000)} 1\n`);
    const error = configError(() => readConfigFile(path), path);
    expect(error.message).toMatch(/not valid YAML at line 1, column 7: Unresolved tag/);
    expect(error.message.length).toBeLessThan(400);
  });
});

describe('grid ranges are bounded', () => {
  it('refuses a range with bounds past 2^53 (the loop never ended) and an axis whose ranges add up past the cap', () => {
    const huge = `1${'0'.repeat(400)}..1${'0'.repeat(400)}`;
    const error = configError(() => expandAxis('seed', [huge], 'c.yaml'), 'c.yaml');
    expect(error.message).toMatch(/grid\.seed\[0\]: the range "1000.*…" \(804 characters\) has a bound beyond ±2\^53$/);
    expect(configError(() => expandAxis('seed', ['0..60000', '0..60000'], 'c.yaml'), 'c.yaml').message).toMatch(/grid\.seed: the axis has more than 100000 values/);
  });
});

describe('parseConfigText', () => {
  it('is readConfigFile without the file: the same checks by format', () => {
    expect(parseConfigText('seed: 2\n', 'inline', 'yaml')).toEqual({ seed: 2 });
    expect(configError(() => parseConfigText('{"a": 1, "a": 2}', 'inline', 'json'), 'inline').message).toMatch(/duplicate key "a"/);
    expect(configError(() => parseConfigText('  \n', 'inline', 'yaml'), 'inline').message).toMatch(/the file is empty/);
  });

  it('keeps __proto__ a plain key (no prototype change), refused by the schema', () => {
    for (const [text, format] of [
      ['__proto__: { polluted: 1 }\n', 'yaml'],
      ['{"__proto__": {"polluted": 1}}', 'json'],
    ] as const) {
      const raw = parseConfigText(text, 'inline', format) as Record<string, unknown>;
      expect(Object.getPrototypeOf(raw)).toBe(Object.prototype);
      expect(Object.keys(raw)).toEqual(['__proto__']);
      expect(configError(() => validateConfig(raw, 'inline'), 'inline').message).toMatch(/__proto__: unknown key/);
    }
  });
});
