import { DEFAULT_MODEL, DEFAULT_TRAIN } from '@mflab/core';
import { describe, expect, it } from 'vitest';
import { expandAxis, expandGrid } from './grid.js';
import { ConfigError, allowedKeys, simulationConfigOf, validateConfig } from './validate.js';

function fieldOf(fn: () => unknown): { field: string; message: string } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return { field: (error as ConfigError).field, message: (error as Error).message };
  }
  throw new Error('expected a ConfigError');
}

describe('validateConfig', () => {
  it('fills every default from core (one source of defaults) and passes core its own keys', () => {
    const config = validateConfig({});
    expect(config.model.width).toBe(DEFAULT_MODEL.width);
    expect(config.train.lr).toBe(DEFAULT_TRAIN.lr);
    expect(config.train.maxRisk).toBe(1e6);
    expect(config.data.seed).toBe(0);
    // core accepts what the app hands it (no app-only key leaks through)
    expect(simulationConfigOf(config).train.steps).toBe(DEFAULT_TRAIN.steps);
  });

  const bad: [string, unknown, string, RegExp][] = [
    ['unknown top-level key', { modle: {} }, 'modle', /unknown key; allowed keys are name, title, description, seed, data, model/],
    ['misspelt nested key', { model: { widht: 3 } }, 'model.widht', /allowed keys are width, parameterization/],
    ['wrong type', { train: { lr: 'fast' } }, 'train.lr', /expected a number, got "fast"/],
    ['negative width', { model: { width: -4 } }, 'model.width', /expected an integer ≥ 1, got -4/],
    ['zero depth', { model: { depth: 0 } }, 'model.depth', /^study\.yaml: model\.depth: expected an integer ≥ 1, got 0$/],
    ['a bad width of one layer', { model: { depth: 2, width: [64, 0] } }, 'model.width[1]', /expected an integer ≥ 1, got 0/],
    ['a width of another type', { model: { width: 'wide' } }, 'model.width', /expected an integer or a list of them \(one per layer\), got "wide"/],
    ['one width per layer, counted', { model: { depth: 3, width: [64, 64] } }, 'model.width', /expected one width per hidden layer \(model\.depth = 3\), got 2; or one number for every layer/],
    ['unknown activation', { model: { depth: 2, activation: 'gelu' } }, 'model.activation', /expected one of "relu", "tanh", "erf", "linear", got "gelu"/],
    ['residual not a boolean', { model: { depth: 2, residual: 'yes' } }, 'model.residual', /expected true or false, got "yes"/],
    ['a negative residual scale', { model: { depth: 2, residualScale: -1 } }, 'model.residualScale', /expected a number > 0, got -1/],
    ['residualScale with residual: false', { model: { depth: 2, residual: false, residualScale: 0.5 } }, 'model.residualScale', /set residual: true or leave residualScale out/],
    ['unknown deep init kind', { model: { depth: 2, init: { kind: 'haar' } } }, 'model.init.kind', /expected one of "gaussian", "sphere", "uniform-b", "orthogonal", got "haar"/],
    ['a two-layer init on a deep net', { model: { depth: 2, init: { kind: 'sphere' } } }, 'model.init.kind', /"sphere" is a two-layer init; deep networks draw "gaussian" or "orthogonal" weights/],
    ['sigmaA on a deep net', { model: { depth: 2, init: { sigmaA: 2 } } }, 'model.init.sigmaA', /a two-layer init key; for deep networks set model\.init\.weightVariance/],
    ['a negative weight variance', { model: { depth: 2, init: { weightVariance: [1, -1, 1] } } }, 'model.init.weightVariance[1]', /expected a number ≥ 0, got -1/],
    ['variances per layer, counted', { model: { depth: 2, init: { biasVariance: [1, 1, 1] } } }, 'model.init.biasVariance', /expected one value per layer, L = 2, got 3/],
    ['edge of chaos for relu with a bias variance', { model: { depth: 2, init: { edgeOfChaos: true, biasVariance: 0.1 } } }, 'model.init.biasVariance', /the edge of chaos of relu has σ_b² = 0/],
    ['edge of chaos with a weight variance', { model: { depth: 2, init: { edgeOfChaos: true, weightVariance: 2 } } }, 'model.init.weightVariance', /edgeOfChaos picks σ_w²; leave weightVariance out/],
    ['particles of a deep net', { model: { depth: 3 }, log: { particles: { every: 100 } } }, 'log.particles.every', /particle snapshots are a two-layer feature and this config describes a deep network \(model\.depth = 3\); set log\.particles\.every: 0/],
    ['non-integer steps', { train: { steps: 2.5 } }, 'train.steps', /expected an integer, got 2.5/],
    ['unknown parameterization', { model: { parameterization: 'sp' } }, 'model.parameterization', /expected one of "mean-field", "ntk", "lazy", "standard", "mup", got "sp"/],
    ['zero learning rate', { train: { lr: 0 } }, 'train.lr', /expected a number > 0, got 0/],
    ['empty grid axis', { grid: { seed: [] } }, 'grid.seed', /expected a non-empty list, got an empty list/],
    ['symmetric init with odd width (core cross-field check)', { model: { width: 5, init: { symmetric: true } } }, 'model.width', /even/],
    ['csv without a path', { data: { kind: 'csv' } }, 'data.path', /required/],
    ['not a mapping', [1, 2], 'config', /expected a mapping/],
  ];
  for (const [what, input, field, detail] of bad) {
    it(`rejects ${what}, naming ${field}`, () => {
      const error = fieldOf(() => validateConfig(input, 'study.yaml'));
      expect(error.field).toBe(field);
      expect(error.message.startsWith(`study.yaml: ${field}: `)).toBe(true);
      expect(error.message).toMatch(detail);
      expect(error.message).not.toContain('\n');
    });
  }
});

describe('validateConfig: deep networks (ARCHITECTURE.md §7)', () => {
  it('resolves a deep config with every deep default, and a two-layer one without any deep key', () => {
    const deep = validateConfig({ model: { depth: 3, width: [64, 64, 32], residual: true, init: { kind: 'orthogonal', edgeOfChaos: true } } });
    expect(deep.model).toEqual({
      width: [64, 64, 32],
      depth: 3,
      parameterization: 'mean-field',
      alpha: 1,
      bias: true,
      centered: false,
      activation: 'relu',
      residual: true,
      residualScale: 1 / Math.sqrt(3),
      init: { kind: 'orthogonal', scale: 1, edgeOfChaos: true },
    });
    expect(deep.log.particles.every).toBe(0);
    // Resolving the resolved config again changes nothing (run.json's config is a valid config).
    expect(validateConfig(JSON.parse(JSON.stringify(deep)))).toEqual(deep);
    const two = validateConfig({ model: { width: 64 } });
    expect(Object.keys(two.model).sort()).toEqual(['alpha', 'bias', 'centered', 'init', 'parameterization', 'width']);
    expect(Object.keys(two.model.init).sort()).toEqual(['kind', 'scale', 'sigmaA', 'sigmaB', 'symmetric']);
    expect(two.log.particles.every).toBe(100);
    expect(validateConfig({ model: { depth: 1, width: 64 } }).model).toMatchObject({ depth: 1, width: 64, init: { symmetric: false } });
  });

  it('takes standard and mup as deep presets at any depth, per-layer variances, and a deep grid', () => {
    expect(validateConfig({ model: { parameterization: 'mup' } }).model).toMatchObject({ depth: 1, activation: 'relu', init: { weightVariance: 1, biasVariance: 1 } });
    expect(validateConfig({ model: { depth: 2, init: { weightVariance: [2, 2, 1], biasVariance: 0 } } }).model.init).toEqual({ kind: 'gaussian', scale: 1, weightVariance: [2, 2, 1], biasVariance: 0, edgeOfChaos: false });
    const cells = expandGrid({ model: { depth: 3, activation: 'tanh' }, log: { every: 5 }, grid: { 'model.width': [32, 64], 'model.depth': [1, 2] } });
    expect(cells.map((c) => [c.config.model.width, c.config.model.depth])).toEqual([[32, 1], [32, 2], [64, 1], [64, 2]]);
  });
});

describe('expandGrid', () => {
  it('is the cartesian product, first key outermost, with "a..b" ranges and validated cells', () => {
    const cells = expandGrid({ model: { parameterization: 'ntk' }, grid: { 'model.width': [64, 256], seed: ['0..2'] } });
    expect(cells.map((c) => c.keys)).toEqual([
      { 'model.width': 64, seed: 0 },
      { 'model.width': 64, seed: 1 },
      { 'model.width': 64, seed: 2 },
      { 'model.width': 256, seed: 0 },
      { 'model.width': 256, seed: 1 },
      { 'model.width': 256, seed: 2 },
    ]);
    expect(cells[4].config.model).toMatchObject({ width: 256, parameterization: 'ntk' });
    expect(cells[4].config.seed).toBe(1);
    expect(expandAxis('seed', ['3..5', 9])).toEqual([3, 4, 5, 9]);
  });

  it('without a grid is one run with no keys', () => {
    expect(expandGrid({ model: { width: 8 } })).toMatchObject([{ keys: {}, config: { model: { width: 8 } } }]);
  });

  it('names the grid entry of a bad value, and rejects keys that are not config paths', () => {
    expect(fieldOf(() => expandGrid({ grid: { 'model.width': [64, -3] } })).field).toBe('grid.model.width[1]');
    expect(fieldOf(() => expandGrid({ grid: { 'model.widht': [64] } })).field).toBe('grid.model.widht');
    expect(fieldOf(() => expandGrid({ grid: { seed: ['5..2'] } })).field).toBe('grid.seed[0]');
    expect(fieldOf(() => expandGrid({ model: { init: { symmetric: true } }, grid: { 'model.width': [64, 33] } })).field).toBe('grid.model.width[1]');
  });
});

describe('allowedKeys', () => {
  it('sees through the data schema’s transform: data keys are sweepable (the grid message suggests data.n)', () => {
    expect(allowedKeys(['data'])).toContain('n');
    const cells = expandGrid({ data: { kind: 'teacher', d: 2 }, grid: { 'data.n': [16, 32] } });
    expect(cells.map((c) => c.config.data.n)).toEqual([16, 32]);
  });
});
