/**
 * Deep networks through the built CLI (ARCHITECTURE.md §7): `mflab run` on a tiny depth-3 config
 * writes a complete run directory whose metrics.arrows carries the per-layer List<Float64>
 * columns (L + 1 entries of move_layers and ntk_layers, L of feature_move, feature_scale and corr_layers on
 * every row) and whose run.json records the model as drawn; a bad deep key is exit 2 with one
 * line naming it; and `mflab report` on a sweep over model.width draws per-layer movement vs width.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_LINE, assertCliBuilt, linesOf, readArrow, readRunJson, runCli, tempWorkspace } from './helpers/cli.js';

const L = 3;
const DEEP_YAML = `seed: 2
data: { kind: teacher, d: 3, n: 48, nTest: 16 }
model: { depth: ${L}, width: [16, 16, 8], activation: tanh, residual: true, parameterization: mup, init: { kind: orthogonal } }
train: { steps: 24, lr: 0.2, weightDecay: 0.001 }
log: { every: 6, ntk: { every: 12, probe: 8 } }
`;

let ws: ReturnType<typeof tempWorkspace>;
beforeAll(() => {
  assertCliBuilt();
  ws = tempWorkspace('deep');
});
afterAll(() => ws?.dispose());

describe('mflab run on a deep network', () => {
  it('writes the per-layer list columns (L + 1 / L entries) and records the model in run.json', async () => {
    const config = ws.write('deep.yaml', DEEP_YAML);
    const result = await runCli(['run', config, '--out', 'deep'], { cwd: ws.dir });
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.status).toBe(0);
    const dir = ws.path('deep');
    for (const file of ['run.json', 'metrics.arrows', 'checkpoint.arrow', 'outputs.arrow']) expect(existsSync(join(dir, file)), file).toBe(true);
    // Particles are a two-layer notion: no stream.
    expect(existsSync(join(dir, 'particles.arrows'))).toBe(false);

    const info = readRunJson(dir) as ReturnType<typeof readRunJson> & { model: Record<string, unknown> };
    expect(info.status).toBe('done');
    expect(info.backend).toBe('reference/f64, 1 thread');
    expect(info.model).toMatchObject({ family: 'deep', depth: L, widths: [16, 16, 8], activation: 'tanh', residual: true, preset: 'mup', init: { kind: 'orthogonal' } });
    expect(info.config.model).toMatchObject({ depth: L, residualScale: 1 / Math.sqrt(L) });

    const metrics = readArrow(join(dir, 'metrics.arrows'));
    expect(Array.from(metrics.getChild('step')!.toArray() as Int32Array)).toEqual([0, 6, 12, 18, 24]);
    const names = metrics.schema.fields.map((f) => f.name);
    expect(names.slice(-7)).toEqual(['jacobian_mean', 'jacobian_spread', 'move_layers', 'feature_move', 'feature_scale', 'corr_layers', 'ntk_layers']);
    const lengths = { move_layers: L + 1, feature_move: L, feature_scale: L, corr_layers: L, ntk_layers: L + 1 };
    for (const [name, length] of Object.entries(lengths)) {
      const col = metrics.getChild(name)!;
      expect(String(col.type)).toBe('List<Float64>');
      for (let i = 0; i < metrics.numRows; i++) expect((col.get(i)!.toArray() as Float64Array).length, `${name}[${i}]`).toBe(length);
    }
    const moves = metrics.getChild('move_layers')!;
    expect(Array.from(moves.get(0)!.toArray() as Float64Array)).toEqual([0, 0, 0, 0]);
    for (const v of moves.get(metrics.numRows - 1)!.toArray() as Float64Array) expect(v).toBeGreaterThan(0);
    const corr = Array.from(metrics.getChild('corr_layers')!.get(0)!.toArray() as Float64Array);
    for (const v of corr) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    const jac = metrics.getChild('jacobian_mean')!.toArray() as Float64Array;
    expect(jac[0]).toBeGreaterThan(0);
    expect(Number.isNaN(jac[1])).toBe(true);
    const drift = metrics.getChild('ntk_drift')!.toArray() as Float64Array;
    expect(drift[2]).toBeGreaterThan(0);
    // Each layer's share of the probe NTK (mean diagonal of Θ_l), logged with the drift.
    for (const v of metrics.getChild('ntk_layers')!.get(2)!.toArray() as Float64Array) expect(v).toBeGreaterThan(0);
    const risk = metrics.getChild('risk_train')!.toArray() as Float64Array;
    expect(risk[risk.length - 1]).toBeLessThan(risk[0]);
  });

  it('refuses a bad deep key with one line naming it (exit 2), and particles of a deep net', async () => {
    for (const [yaml, message] of [
      ['model: { depth: 0 }\n', /\/bad\.yaml: model\.depth: expected an integer ≥ 1, got 0$/],
      ['model: { depth: 2, activation: gelu }\n', /\/bad\.yaml: model\.activation: expected one of "relu", "tanh", "erf", "linear", got "gelu"$/],
      ['model: { depth: 2 }\nlog: { particles: { every: 10 } }\n', /\/bad\.yaml: log\.particles\.every: particle snapshots are a two-layer feature/],
    ] as const) {
      const config = ws.write('bad.yaml', yaml);
      const result = await runCli(['run', config, '--out', 'bad'], { cwd: ws.dir });
      expect(result.status, yaml).toBe(2);
      const lines = linesOf(result.stderr);
      expect(lines.length, result.stderr).toBe(1);
      expect(lines[0]).toMatch(message);
    }
  });
});

describe('mflab report on a deep width sweep', () => {
  it('draws per-layer movement (and feature movement) vs width', async () => {
    const config = ws.write(
      'sweep.yaml',
      `name: deep-widths
data: { kind: teacher, d: 2, n: 32, nTest: 8 }
model: { depth: 2, parameterization: ntk }
train: { steps: 12, lr: 0.3 }
log: { every: 6 }
grid: { model.width: [8, 16, 32] }
`,
    );
    const sweep = await runCli(['sweep', config, '--out', 'study', '--workers', '1'], { cwd: ws.dir, timeoutMs: 120_000 });
    expect(sweep.stderr).not.toMatch(STACK_LINE);
    expect(sweep.status, sweep.stderr).toBe(0);
    const report = await runCli(['report', ws.path('study')], { cwd: ws.dir, timeoutMs: 120_000 });
    expect(report.stderr).not.toMatch(STACK_LINE);
    expect(report.status, report.stderr).toBe(0);
    for (const name of ['layer-move-vs-width', 'feature-move-vs-width']) {
      expect(existsSync(ws.path('study', 'figures', `${name}.svg`)), name).toBe(true);
      const spec = JSON.parse(readFileSync(ws.path('study', 'figures', `${name}.vl.json`), 'utf8')) as { data: { values: { layer: string; width: number; kind: string }[] } };
      const means = spec.data.values.filter((r) => r.kind === 'mean');
      expect(new Set(means.map((r) => r.width))).toEqual(new Set([8, 16, 32]));
      expect(new Set(means.map((r) => r.layer)).size).toBe(name === 'layer-move-vs-width' ? 3 : 2);
    }
    expect(readFileSync(ws.path('study', 'report.md'), 'utf8')).toContain('Per-layer movement vs width');
  }, 240_000);
});
