/**
 * Bad configs and bad usage (issue #6, ARCHITECTURE.md §6): each kind exits 2 with one line on
 * stderr that names the offending field (or flag) — never a stack trace — and prints nothing on
 * stdout, and nothing is run.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_LINE, assertCliBuilt, linesOf, runCli, tempWorkspace } from './helpers/cli.js';

// A valid base the cases below spoil one thing of; tiny, should a case wrongly run.
const BASE = 'data: { kind: teacher, d: 2, n: 16, nTest: 8 }\ntrain: { steps: 5 }\n';

interface BadCase {
  what: string;
  /** File name and content of the config, when the case has one. */
  file?: [string, string];
  args: string[];
  /** What the one stderr line must contain: the field (or flag), sometimes more. */
  names: RegExp[];
}

const CASES: BadCase[] = [
  { what: 'unknown top-level key', file: ['c.yaml', `${BASE}colour: blue\n`], args: ['run', 'c.yaml'], names: [/\bcolour: unknown key/] },
  { what: 'misspelt nested key', file: ['c.yaml', `${BASE}model: { widht: 64 }\n`], args: ['run', 'c.yaml'], names: [/\bmodel\.widht\b/, /\bwidth\b/] },
  { what: 'wrong type', file: ['c.yaml', 'train: { lr: fast }\n'], args: ['run', 'c.yaml'], names: [/\btrain\.lr: /, /"fast"/] },
  { what: 'negative width', file: ['c.yaml', `${BASE}model: { width: -4 }\n`], args: ['run', 'c.yaml'], names: [/\bmodel\.width: /, /-4/] },
  { what: 'non-integer steps', file: ['c.yaml', 'train: { steps: 2.5 }\n'], args: ['run', 'c.yaml'], names: [/\btrain\.steps: /, /integer/] },
  { what: 'unknown parameterization', file: ['c.yaml', `${BASE}model: { parameterization: mf }\n`], args: ['run', 'c.yaml'], names: [/\bmodel\.parameterization: /, /mean-field/] },
  { what: 'unknown loss', file: ['c.yaml', `${BASE}loss: hinge\n`], args: ['run', 'c.yaml'], names: [/(^|\s)loss: /, /square/] },
  { what: 'unknown data kind', file: ['c.yaml', 'data: { kind: spiral }\n'], args: ['run', 'c.yaml'], names: [/\bdata\.kind: /, /teacher/] },
  { what: 'wrong type for a boolean', file: ['c.yaml', `${BASE}model: { bias: "yes" }\n`], args: ['run', 'c.yaml'], names: [/\bmodel\.bias: /] },
  { what: 'empty grid list', file: ['c.yaml', `${BASE}grid: { seed: [] }\n`], args: ['sweep', 'c.yaml'], names: [/\bgrid\.seed: /, /empty/] },
  { what: 'grid key that is not a config key', file: ['c.yaml', `${BASE}grid: { model.heads: [2, 3] }\n`], args: ['sweep', 'c.yaml'], names: [/\bgrid\.model\.heads: /] },
  { what: 'grid value invalid for its key', file: ['c.yaml', `${BASE}grid: { model.width: [64, -3] }\n`], args: ['sweep', 'c.yaml'], names: [/\bgrid\.model\.width\[1\]: /, /-3/] },
  { what: 'grid range that is empty', file: ['c.yaml', `${BASE}grid: { seed: ["5..2"] }\n`], args: ['sweep', 'c.yaml'], names: [/\bgrid\.seed\[0\]: /] },
  { what: 'symmetric init with an odd width', file: ['c.yaml', `${BASE}model: { width: 5, init: { symmetric: true } }\n`], args: ['run', 'c.yaml'], names: [/\bmodel\.width: /, /even/] },
  { what: 'csv data without a path', file: ['c.yaml', 'data: { kind: csv, d: 2 }\n'], args: ['run', 'c.yaml'], names: [/\bdata\.path: /] },
  // A tab as indentation on line 4: the message must say where.
  { what: 'invalid YAML syntax', file: ['c.yaml', 'seed: 1\nmodel:\n  width: 16\n\ttrain: 2\n'], args: ['run', 'c.yaml'], names: [/\bc\.yaml\b/, /YAML/, /\bline 4\b/] },
  { what: 'invalid JSON syntax', file: ['c.json', '{ "seed": 1, }\n'], args: ['run', 'c.json'], names: [/\bc\.json\b/, /JSON/] },
  { what: 'empty file', file: ['c.yaml', '\n'], args: ['run', 'c.yaml'], names: [/\bc\.yaml: config: /, /empty/] },
  { what: 'missing file', args: ['run', 'no-such-config.yaml'], names: [/\bno-such-config\.yaml\b/, /no such file/] },
  { what: 'a config that is a list', file: ['c.yaml', '- seed: 1\n- seed: 2\n'], args: ['run', 'c.yaml'], names: [/\bconfig: /, /mapping/] },
  { what: 'a config that is a scalar', file: ['c.yaml', '42\n'], args: ['run', 'c.yaml'], names: [/\bconfig: /, /mapping/] },
  { what: '`run` with a grid', file: ['c.yaml', `${BASE}grid: { seed: [0, 1] }\n`], args: ['run', 'c.yaml'], names: [/\bgrid: /, /sweep/] },
  { what: '`run` with two configs', file: ['c.yaml', BASE], args: ['run', 'c.yaml', 'c.yaml'], names: [/\bconfig: /] },
  { what: '`sweep` without a config', args: ['sweep'], names: [/\bconfig: /, /CONFIG/] },
  { what: 'unknown flag', file: ['c.yaml', BASE], args: ['run', 'c.yaml', '--bogus'], names: [/--bogus/] },
  { what: 'bad --workers (zero)', file: ['c.yaml', `${BASE}grid: { seed: [0, 1] }\n`], args: ['sweep', 'c.yaml', '--workers', '0'], names: [/--workers: /] },
  { what: 'bad --workers (not a number)', file: ['c.yaml', BASE], args: ['run', 'c.yaml', '--workers', 'many'], names: [/--workers: /, /"many"/] },
  { what: 'bad --shard (index ≥ count)', file: ['c.yaml', `${BASE}grid: { seed: [0, 1] }\n`], args: ['sweep', 'c.yaml', '--shard', '2/2'], names: [/--shard: /, /"2\/2"/] },
  { what: 'bad --shard (not I/N)', file: ['c.yaml', `${BASE}grid: { seed: [0, 1] }\n`], args: ['sweep', 'c.yaml', '--shard', 'half'], names: [/--shard: /] },
  { what: 'bad --precision value', file: ['c.yaml', BASE], args: ['run', 'c.yaml', '--precision', 'f16'], names: [/--precision: /, /f32/] },
  { what: 'bad --backend value', file: ['c.yaml', BASE], args: ['run', 'c.yaml', '--backend', 'gpu'], names: [/--backend: /, /wasm/] },
  { what: 'inspect of a directory that does not exist', args: ['inspect', 'no-such-study'], names: [/\bDIR: /, /does not exist/] },
  { what: 'report of a directory that does not exist', args: ['report', 'no-such-study'], names: [/\bDIR: /, /does not exist/] },
];

let ws: ReturnType<typeof tempWorkspace>;
beforeAll(() => {
  assertCliBuilt();
  ws = tempWorkspace('errors');
});
afterAll(() => ws?.dispose());

describe('bad configs and bad usage: exit 2, one line naming the field, no stack trace', () => {
  it('covers at least 12 kinds', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(12);
  });

  // Each case is its own process in its own directory, so they run side by side (CLI start-up dominates).
  it.concurrent.for(CASES.map((c, i) => ({ ...c, dir: `case-${i}` })))('$what', async (bad, { expect }) => {
    const cwd = ws.path(bad.dir);
    mkdirSync(cwd);
    if (bad.file) writeFileSync(join(cwd, bad.file[0]), bad.file[1]);
    // `inspect` takes no --out; the others are pointed at a directory that must not appear.
    const out = bad.args[0] === 'inspect' ? [] : ['--out', 'should-not-exist'];
    const result = await runCli([...bad.args, ...out], { cwd });
    const shown = `stderr: ${result.stderr}\nstdout: ${result.stdout}`;
    expect(result.status, shown).toBe(2);
    expect(result.stderr, shown).not.toMatch(STACK_LINE);
    const lines = linesOf(result.stderr);
    expect(lines, shown).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^mflab ${bad.args[0]}: `));
    for (const pattern of bad.names) expect(lines[0]).toMatch(pattern);
    expect(result.stdout).toBe('');
    // Nothing ran: no output directory was made.
    expect(existsSync(join(cwd, 'should-not-exist'))).toBe(false);
  });
});
