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
    ['negative width', { model: { width: -4 } }, 'model.width', /expected a number ≥ 1, got -4/],
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
