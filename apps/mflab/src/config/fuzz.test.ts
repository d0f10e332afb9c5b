/**
 * Seeded fuzzing of the config path a CLI command takes — readConfigFile, validateConfig,
 * expandGrid — from real configs (the default study, the README's, the CLI tests') mutated at
 * random: lines deleted, duplicated, swapped, re-indented; YAML syntax characters, anchors and
 * aliases, deep nesting, huge and odd numbers, unicode, tabs, control characters and long
 * strings inserted; values replaced by values of other types. Every case must end in a
 * validated config or in a ConfigError whose message is one line of bounded length naming the
 * file — never another error, never a stack trace. Deterministic: a fixed seed and count
 * (MFLAB_FUZZ_CASES and MFLAB_FUZZ_SEED run more, or others, by hand).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CounterRng } from '@mflab/core';
import { stringify } from 'yaml';
import { DEFAULT_STUDY, QUICK_DEFAULT_STUDY } from '../studies/default.js';
import { expandGrid } from './grid.js';
import { readConfigFile } from './load.js';
import { ConfigError, validateConfig } from './validate.js';

const CASES = Number(process.env.MFLAB_FUZZ_CASES ?? 2000);
const SEED = Number(process.env.MFLAB_FUZZ_SEED ?? 20240611);
const MAX_MESSAGE = 400;

/** Seeded uniforms on [0, 1): core's counter-based generator, one sequence per seed. */
function prng(seed: number): () => number {
  const draws = new CounterRng(seed, 0).at(0);
  return () => draws.uniform();
}

const SEEDS_YAML: string[] = [
  stringify(DEFAULT_STUDY),
  stringify(QUICK_DEFAULT_STUDY, { lineWidth: 0 }),
  // README: a sweep, and a file-data run.
  `name: widths
data:  { kind: teacher, d: 4, n: 256, nTest: 256 }
model: { parameterization: mean-field, init: { symmetric: true } }
train: { steps: 1000, lr: 0.5, precision: f32 }
log:   { every: 20, particles: { every: 200, count: 64 }, ntk: { every: 200, probe: 32 } }
grid:
  model.width: [64, 256, 1024, 4096]
  seed: ["0..7"]            # "a..b" is the integers a…b
`,
  `data:  { kind: idx, path: /usr/share/datasets/fashion-mnist, standardize: true, inputScale: 0.0357 }
model: { width: 1024, parameterization: mean-field, init: { symmetric: true } }
loss:  softmax
train: { integrator: sgd, batchSize: 100, epochs: 5, lr: 4, schedule: cosine, precision: f32 }
log:   { every: 600, particles: { every: 0 } }
`,
  // The CLI tests' configs.
  `# a tiny teacher–student run
seed: 1
data: { kind: teacher, d: 2, n: 32, nTest: 16 }
model: { width: 16 }
train: { steps: 20, lr: 0.1 }
log: { every: 5, particles: { every: 10, count: 4 } }
`,
  `name: cluster
data: { kind: teacher, d: 2, n: 64, nTest: 16 }
model: { width: 64 }
train: { steps: 6000, lr: 0.05 }
log: { every: 20, particles: { every: 1500, count: 4 }, checkpointEvery: 500 }
grid:
  model.width: [16, 64]
  seed: [0, 1, 2]
`,
  // Block style, anchors and aliases, a block scalar.
  `name: blocks
description: |
  A longer note
  over two lines.
data:
  kind: teacher
  d: &d 2
  n: 32
  nTest: 16
model:
  width: 16
  init:
    kind: gaussian
    symmetric: true
train:
  steps: 10
  lr: 0.1
  weightDecay: 0.001
log:
  every: 5
  particles: &p
    every: 5
    count: 4
  ntk: { every: 0, probe: 8 }
grid:
  train.lr: [0.1, 0.2]
  data.d: [*d, 3]
`,
];
const SEEDS_JSON: string[] = [JSON.stringify(DEFAULT_STUDY, null, 2), JSON.stringify(QUICK_DEFAULT_STUDY), JSON.stringify({ seed: 1, data: { kind: 'teacher', d: 2, n: 32, nTest: 16 }, model: { width: 16 }, train: { steps: 20, lr: 0.1 } }, null, 1)];

const SYNTAX = [':', ': ', '-', '- ', '?', '? ', '[', ']', '{', '}', ',', '#', '&', '*', '!', '!!', '|', '>', '%', '@', '`', '"', "'", '\\', '~', '<<: ', '---\n', '...\n', '\n', ' ', '  ', '\t', '\r', '\r\n'];
const ODD = ['\u0000', '\u0007', '\u001b[31m', '\u007f', '\u0085', '\u00a0', '\u2028', '\u2029', '\ufeff', '\ud800', 'é', 'ß', '😀', '\u202e', 'Ω', '中文', '\u0301'];
const NUMBERS = ['1e309', '-1e309', '-1', '0', '-0', '9007199254740993', '1e-400', '123456789012345678901234567890', '4294967296', '2.5', '0x1F', '0o17', '.inf', '-.inf', '.nan', '1_000', '+12', '1e5', '99999', '0.1.2', '1..2', `${'9'.repeat(400)}..${'9'.repeat(400)}`];
const VALUES = ['[]', '{}', '[1, 2]', '{ a: 1 }', 'null', '~', 'true', 'false', '"str"', "'str'", 'yes', 'NO', '""', '!!str 5', '!!int "5"', '!!binary aGVsbG8=', '!foo bar', '2001-12-14t21:59:43.10-05:00', '*p', '*d', '&x 1', '*x', 'mean-field', 'ntk', '"0..3"', '["0..2", 5]'];

const pick = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)];
const int = (rand: () => number, n: number): number => Math.floor(rand() * n);

/** One random edit of `text` (line- or character-level). */
function mutate(rand: () => number, text: string, json: boolean): string {
  const lines = text.split('\n');
  const line = int(rand, lines.length);
  const at = int(rand, text.length + 1);
  const insert = (s: string) => text.slice(0, at) + s + text.slice(at);
  switch (int(rand, 16)) {
    case 0: // delete a line
      lines.splice(line, 1);
      return lines.join('\n');
    case 1: // duplicate a line
      lines.splice(line, 0, lines[line]);
      return lines.join('\n');
    case 2: {
      // swap two lines
      const other = int(rand, lines.length);
      [lines[line], lines[other]] = [lines[other], lines[line]];
      return lines.join('\n');
    }
    case 3: // re-indent a line
      lines[line] = rand() < 0.5 ? ' '.repeat(1 + int(rand, 6)) + lines[line] : lines[line].replace(/^\s{1,4}/, '');
      return lines.join('\n');
    case 4:
    case 5:
      return insert(pick(rand, SYNTAX));
    case 6:
      return insert(pick(rand, ODD));
    case 7: {
      // replace a number
      const numbers = [...text.matchAll(/-?\d+(\.\d+)?(e-?\d+)?/g)];
      if (numbers.length === 0) return insert(pick(rand, NUMBERS));
      const m = pick(rand, numbers);
      return text.slice(0, m.index) + pick(rand, NUMBERS) + text.slice(m.index + m[0].length);
    }
    case 8: {
      // replace a value (after ": ") by one of another type
      const values = [...text.matchAll(/: ([^,\n{}[\]]+)/g)];
      if (values.length === 0) return insert(pick(rand, VALUES));
      const m = pick(rand, values);
      const value = json && rand() < 0.5 ? JSON.stringify(pick(rand, VALUES)) : pick(rand, VALUES);
      return text.slice(0, (m.index ?? 0) + 2) + value + text.slice((m.index ?? 0) + m[0].length);
    }
    case 9: // anchor a value, alias it elsewhere
      return text.replace(/: /, ': &a ').replace(/(\n\s*\w+): [^\n]*/, (_, key: string) => `${key}: *a`);
    case 10: {
      // nesting: flow brackets, block `- `, or indentation, shallow or deep
      const depth = rand() < 0.5 ? 1 + int(rand, 10) : 50 + int(rand, 300);
      const kind = int(rand, 3);
      if (kind === 0) return insert('['.repeat(depth) + (rand() < 0.7 ? ']'.repeat(depth) : ''));
      if (kind === 1) return insert('- '.repeat(depth));
      return insert(Array.from({ length: depth }, (_, i) => `\n${' '.repeat(i)}k${i}:`).join(''));
    }
    case 11: // a long string
      return insert(pick(rand, ['x', '\\n', ' ', '"', 'é']).repeat(1 + int(rand, 20_000)));
    case 12: // a billion-laughs fragment
      return `${text}\nl0: &l0 [x, x, x, x, x, x, x, x, x, x]\nl1: &l1 [*l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0]\nl2: &l2 [*l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1]\nl3: [*l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2]\nl4: [*l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2]\n`;
    case 13: // drop a character
      return text.slice(0, at) + text.slice(at + 1);
    case 14: // an odd key
      return insert(`\n${pick(rand, ['__proto__', 'constructor', 'grid', 'seed', '"a\\nb"', 'k'.repeat(300), '? [a]', '"model.width"', '<<', '""', '1', 'true', '*a'])}: ${pick(rand, VALUES)}\n`);
    default: {
      // a grid axis of odd values
      const axis = pick(rand, ['seed', 'model.width', 'train.lr', 'name', 'description', 'data.kind', 'model.widht', 'grid', 'model', '']);
      const values = Array.from({ length: 1 + int(rand, 4) }, () => pick(rand, [...NUMBERS, ...VALUES, '"0..3"', '"5..2"', '"-3..-1"']));
      return json ? text : `${text.replace(/\ngrid:[^]*$/, '')}\ngrid:\n  ${axis}: [${values.join(', ')}]\n`;
    }
  }
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mflab-fuzz-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('config fuzzing', () => {
  it('the seeds themselves are valid configs', () => {
    for (const [i, text] of [...SEEDS_YAML, ...SEEDS_JSON].entries()) {
      const path = join(dir, `seed-${i}.${i < SEEDS_YAML.length ? 'yaml' : 'json'}`);
      writeFileSync(path, text);
      const raw = readConfigFile(path) as Record<string, unknown>;
      expect(validateConfig(raw, path)).toBeTypeOf('object');
      expect(expandGrid(raw, path).length).toBeGreaterThan(0);
    }
  });

  it(`${CASES} mutated configs end in a config or a one-line ConfigError naming the file`, { timeout: Math.max(60_000, CASES * 20) }, () => {
    const rand = prng(SEED);
    const outcomes = { valid: 0, refused: 0 };
    const started = performance.now();
    for (let c = 0; c < CASES; c++) {
      const json = rand() < 0.25;
      let text = pick(rand, json ? SEEDS_JSON : SEEDS_YAML);
      const edits = 1 + int(rand, 4);
      for (let e = 0; e < edits; e++) text = mutate(rand, text, json);
      const path = join(dir, `case.${json ? 'json' : 'yaml'}`);
      writeFileSync(path, text);
      try {
        const raw = readConfigFile(path);
        validateConfig(raw, path);
        expandGrid(raw as Record<string, unknown>, path);
        outcomes.valid++;
      } catch (error) {
        const where = `case ${c} (MFLAB_FUZZ_SEED=${SEED}); file: ${JSON.stringify(text.length > 2000 ? `${text.slice(0, 2000)}…` : text)}`;
        if (!(error instanceof ConfigError)) throw new Error(`${where}\nthrew ${(error as Error)?.stack ?? String(error)}`);
        expect(error.message, where).not.toMatch(/[\n\r\u2028\u2029]/);
        expect(error.message.length, `${where}\n${error.message}`).toBeLessThan(MAX_MESSAGE);
        expect(error.message.startsWith(`${path}: `), `${where}\n${error.message}`).toBe(true);
        outcomes.refused++;
      }
    }
    console.log(`config fuzz: ${CASES} cases in ${((performance.now() - started) / 1000).toFixed(1)} s: ${outcomes.valid} valid, ${outcomes.refused} refused`);
    // Both outcomes occur: the mutations neither always break nor never break the seeds.
    expect(outcomes.valid).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});
