/**
 * `mflab run` end to end (issue #6): a tiny config, run as a subprocess, must leave a complete
 * run directory (ARCHITECTURE.md §5) whose streams read back with apache-arrow; JSON configs,
 * `--print-config` and `--precision` behave as documented; a diverging run is a result (exit 0,
 * status diverged), a missing data file is the user's error (exit 2 naming data.path).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_LINE, assertCliBuilt, columnBytes, linesOf, readArrow, readRunJson, runCli, tempWorkspace } from './helpers/cli.js';

const RUN_FILES = ['run.json', 'metrics.arrows', 'particles.arrows', 'checkpoint.arrow', 'outputs.arrow'];

// 20 steps of a 16-neuron network on 32 points: well under a second of work.
const SMALL_YAML = `# a tiny teacher–student run
seed: 1
data: { kind: teacher, d: 2, n: 32, nTest: 16 }
model: { width: 16 }
train: { steps: 20, lr: 0.1 }
log: { every: 5, particles: { every: 10, count: 4 } }
`;
const SMALL_JSON = {
  seed: 1,
  data: { kind: 'teacher', d: 2, n: 32, nTest: 16 },
  model: { width: 16 },
  train: { steps: 20, lr: 0.1 },
  log: { every: 5, particles: { every: 10, count: 4 } },
};

let ws: ReturnType<typeof tempWorkspace>;
beforeAll(() => {
  assertCliBuilt();
  ws = tempWorkspace('run');
});
afterAll(() => ws?.dispose());

describe('mflab run', () => {
  it('writes a complete run directory whose streams read back with apache-arrow', async () => {
    const config = ws.write('small.yaml', SMALL_YAML);
    const result = await runCli(['run', config, '--out', 'small'], { cwd: ws.dir });
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/\bdone\b/);

    const dir = ws.path('small');
    for (const file of RUN_FILES) expect(existsSync(join(dir, file)), file).toBe(true);

    const info = readRunJson(dir);
    expect(info.status).toBe('done');
    expect(info.error).toBeNull();
    expect(info.backend).toMatch(/^(wasm|tfjs|reference)\/f64/);
    expect(info.precision).toBe('f64');
    expect(info.config.train.steps).toBe(20);

    // One row per logged step: 0 (the initialization) and every 5 steps up to the last.
    const metrics = readArrow(join(dir, 'metrics.arrows'));
    expect(Array.from(metrics.getChild('step')!.toArray() as Int32Array)).toEqual([0, 5, 10, 15, 20]);
    // time = step · η (ARCHITECTURE.md §5); η = 0.1 is exact enough in binary for a 1e-12 check.
    const times = Array.from(metrics.getChild('time')!.toArray() as Float64Array);
    times.forEach((t, i) => expect(t).toBeCloseTo(i * 5 * 0.1, 12));
    const risk = metrics.getChild('risk_train')!.toArray() as Float64Array;
    expect(risk.every(Number.isFinite)).toBe(true);
    expect(risk[4]).toBeLessThan(risk[0]);

    // Snapshots at steps 0, 10, 20 of 4 neurons each.
    const particles = readArrow(join(dir, 'particles.arrows'));
    expect(particles.numRows).toBe(3 * 4);
    expect(new Set(particles.getChild('step')!.toArray() as Int32Array)).toEqual(new Set([0, 10, 20]));

    // outputs.arrow: f on every test point.
    const outputs = readArrow(join(dir, 'outputs.arrow'));
    expect(outputs.numRows).toBe(16);
    expect(Array.from(outputs.getChild('point')!.toArray() as Int32Array)).toEqual([...Array(16).keys()]);
    expect((outputs.getChild('f')!.toArray() as Float64Array).every(Number.isFinite)).toBe(true);
  });

  it('reads a JSON config, with the same trajectory as the same YAML config', async () => {
    ws.write('small-again.yaml', SMALL_YAML);
    ws.write('small.json', JSON.stringify(SMALL_JSON, null, 2));
    const fromYaml = await runCli(['run', 'small-again.yaml', '--out', 'y'], { cwd: ws.dir });
    const fromJson = await runCli(['run', 'small.json', '--out', 'j'], { cwd: ws.dir });
    expect(fromYaml.status).toBe(0);
    expect(fromJson.status).toBe(0);
    expect(readRunJson(ws.path('j')).status).toBe('done');
    expect(columnBytes(readArrow(ws.path('j', 'metrics.arrows')))).toEqual(columnBytes(readArrow(ws.path('y', 'metrics.arrows'))));
  });

  it('--print-config prints YAML that, saved and run, gives bitwise the same metrics', async () => {
    ws.write('orig.yaml', SMALL_YAML);
    const printed = await runCli(['run', 'orig.yaml', '--print-config'], { cwd: ws.dir });
    expect(printed.status).toBe(0);
    expect(printed.stderr).toBe('');
    // Every default is filled in.
    for (const key of ['parameterization: mean-field', 'loss: square', 'precision: f64', 'checkpointEvery:']) expect(printed.stdout).toContain(key);
    expect(existsSync(ws.path('mflab-out'))).toBe(false); // printing runs nothing

    ws.write('printed.yaml', printed.stdout);
    const original = await runCli(['run', 'orig.yaml', '--out', 'orig'], { cwd: ws.dir });
    const again = await runCli(['run', 'printed.yaml', '--out', 'printed'], { cwd: ws.dir });
    expect(original.status).toBe(0);
    expect(again.status).toBe(0);
    expect(columnBytes(readArrow(ws.path('printed', 'metrics.arrows')))).toEqual(columnBytes(readArrow(ws.path('orig', 'metrics.arrows'))));
    expect(columnBytes(readArrow(ws.path('printed', 'outputs.arrow')))).toEqual(columnBytes(readArrow(ws.path('orig', 'outputs.arrow'))));
  });

  it('--print-config without a CONFIG prints the defaults', async () => {
    const printed = await runCli(['run', '--print-config'], { cwd: ws.dir });
    expect(printed.status).toBe(0);
    expect(printed.stdout).toMatch(/^seed: 0$/m);
    expect(printed.stdout).toMatch(/^model:$/m);
  });

  it('--precision f32 overrides the config and is recorded in run.json', async () => {
    ws.write('p.yaml', SMALL_YAML);
    const result = await runCli(['run', 'p.yaml', '--precision', 'f32', '--out', 'f32'], { cwd: ws.dir });
    expect(result.status).toBe(0);
    const info = readRunJson(ws.path('f32'));
    expect(info.precision).toBe('f32');
    expect(info.config.train.precision).toBe('f32');
    expect(info.backend).toMatch(/\/f32\b/);
    // An f32 snapshot stores float32 particles (ARCHITECTURE.md §5).
    const particles = readArrow(ws.path('f32', 'particles.arrows'));
    expect(String(particles.schema.fields.find((f) => f.name === 'b')!.type)).toBe('Float32');
  });

  it('marks a run that blows up as diverged, and exits 0 (a diverged run is a result)', async () => {
    // lr 1000 with this seed: the objective is NaN within 5 steps (seeded, so always so).
    ws.write('diverge.yaml', SMALL_YAML.replace('lr: 0.1', 'lr: 1000').replace('steps: 20', 'steps: 200'));
    const result = await runCli(['run', 'diverge.yaml', '--out', 'diverged'], { cwd: ws.dir });
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/diverged/);
    const info = readRunJson(ws.path('diverged'));
    expect(info.status).toBe('diverged');
    expect(info.error).toMatch(/\S/);
    // The run stopped early, and what it logged up to then is readable.
    const steps = readArrow(ws.path('diverged', 'metrics.arrows')).getChild('step')!.toArray() as Int32Array;
    expect(steps[0]).toBe(0);
    expect(steps[steps.length - 1]).toBeLessThan(200);
  });

  it('marks as diverged a run whose weights blow up while the risk stays finite (every ReLU dead)', async () => {
    // seed 0, lr 1000: f ≡ 0 keeps the risk at mean(y²)/2 while the weights grow to ~1e83.
    ws.write('dead.yaml', SMALL_YAML.replace('seed: 1', 'seed: 0').replace('lr: 0.1', 'lr: 1000').replace('steps: 20', 'steps: 50'));
    const result = await runCli(['run', 'dead.yaml', '--out', 'dead'], { cwd: ws.dir });
    expect(result.status).toBe(0);
    const info = readRunJson(ws.path('dead'));
    expect(info.status).toBe('diverged');
    expect(info.error).toMatch(/parameters blew up at step \d+/);
  });

  it('a csv data file that does not exist: exit 2, one line naming data.path, run.json says failed', async () => {
    ws.write('csv.yaml', 'data: { kind: csv, path: no-such-data.csv, d: 2 }\nmodel: { width: 8 }\ntrain: { steps: 5 }\n');
    const result = await runCli(['run', 'csv.yaml', '--out', 'csv-run'], { cwd: ws.dir });
    expect(result.status).toBe(2);
    expect(result.stderr).not.toMatch(STACK_LINE);
    const errorLines = linesOf(result.stderr).filter((line) => !line.startsWith('mflab run →'));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(/data\.path/);
    expect(errorLines[0]).toMatch(/no-such-data\.csv/);
    const info = readRunJson(ws.path('csv-run'));
    expect(info.status).toBe('failed');
    expect(info.error).toMatch(/data\.path/);
  });
});
