import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/validate.js';
import { canonicalJson, configFingerprint, describeDifferences, differingKeys } from './fingerprint.js';

const base = { data: { kind: 'teacher', d: 2, n: 32 }, model: { width: 64 }, train: { steps: 30 } };

describe('config fingerprints', () => {
  it('ignore labels and the checkpoint cadence, which cannot change a number', () => {
    const a = validateConfig(base);
    const b = validateConfig({ ...base, name: 'other', title: 'T', description: 'D', log: { checkpointEvery: 7 } });
    expect(configFingerprint(b)).toBe(configFingerprint(a));
    expect(configFingerprint(a)).toMatch(/^sha256:[0-9a-f]{32}$/);
  });

  it('change with every key that decides results, defaults included', () => {
    const a = validateConfig(base);
    for (const change of [{ model: { width: 128 } }, { train: { steps: 31 } }, { train: { precision: 'f32' } }, { seed: 1 }, { data: { ...base.data, seed: 2 } }, { log: { every: 5 } }]) {
      expect(configFingerprint(validateConfig({ ...base, ...change }))).not.toBe(configFingerprint(a));
    }
  });

  it('of two-layer configs are those written before deep networks existed (their resolved config gained no key)', () => {
    // Recorded on the commit before the deep family: a study written then resumes now.
    expect(configFingerprint(validateConfig(base))).toBe('sha256:6ec4cbaceb858dee9d7fbb9e42388ae2');
    expect(configFingerprint(validateConfig({}))).toBe('sha256:b09f51a3e9ff7a14e540f2234c956226');
    const lazy = { model: { parameterization: 'lazy', alpha: 4, init: { kind: 'sphere', symmetric: true, scale: 0.1 } }, loss: 'logistic', log: { particles: { every: 0 } } };
    expect(configFingerprint(validateConfig(lazy))).toBe('sha256:ce62715654ec819e26d46d86cc5cc44a');
  });

  it('change with the optimizer and the hyperparameters it reads, not with those it ignores (sgd: the fingerprints above)', () => {
    const sgd = configFingerprint(validateConfig(base));
    const momentum = configFingerprint(validateConfig({ ...base, train: { ...base.train, optimizer: 'momentum' } }));
    const adam = configFingerprint(validateConfig({ ...base, train: { ...base.train, optimizer: 'adam' } }));
    expect(new Set([sgd, momentum, adam]).size).toBe(3);
    expect(configFingerprint(validateConfig({ ...base, train: { ...base.train, optimizer: 'momentum', momentum: 0.5 } }))).not.toBe(momentum);
    expect(configFingerprint(validateConfig({ ...base, train: { ...base.train, optimizer: 'adam', betas: [0.9, 0.99] } }))).not.toBe(adam);
    expect(configFingerprint(validateConfig({ ...base, train: { ...base.train, optimizer: 'adam', eps: 1e-6 } }))).not.toBe(adam);
    // A resolved config carries every default; the unread ones leave the fingerprint alone.
    const resolved = validateConfig({ ...base, train: { ...base.train, optimizer: 'momentum' } });
    expect(configFingerprint({ ...resolved, train: { ...resolved.train, betas: [0.5, 0.5], eps: 1 } })).toBe(momentum);
  });

  it('do not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }));
  });

  it('name the differing keys with both values, and leave out swept keys when asked', () => {
    const a = validateConfig(base);
    const b = validateConfig({ ...base, model: { width: 128 }, train: { steps: 30, lr: 0.2 }, title: 'x' });
    const keys = differingKeys(a, b);
    expect(keys).toEqual(['model.width', 'train.lr']);
    expect(describeDifferences(a, b, keys)).toBe('model.width (64 → 128), train.lr (0.1 → 0.2)');
    expect(differingKeys(a, b, ['model.width', 'train.lr'])).toEqual([]);
    expect(configFingerprint(a, ['model.width', 'train.lr'])).toBe(configFingerprint(b, ['model.width', 'train.lr']));
  });
});
