import { describe, expect, it } from 'vitest';
import { DATA_DEFAULTS, FILE_DATA_KINDS, checkerboardDelta, isFileKind, resolveDataSpec } from './spec.js';
import { makeDataset } from './generators.js';
import { loadDataset } from './load.js';
import { expectFieldError } from '../testing/expect-field.js';


describe('resolveDataSpec', () => {
  it('fills in the ARCHITECTURE.md §6 defaults', () => {
    expect(resolveDataSpec({})).toEqual({
      kind: 'teacher',
      path: undefined,
      d: 2,
      n: 256,
      nTest: 1024,
      nCap: undefined,
      nTestCap: undefined,
      classes: undefined,
      standardize: false,
      inputScale: 1,
      files: undefined,
      teacherWidth: 3,
      sphere: true,
      outputScale: 1,
      labelNoise: 0,
      k: 4,
      spread: 1,
      separation: 4,
    });
    expect(resolveDataSpec(undefined)).toEqual(resolveDataSpec({}));
    expect(DATA_DEFAULTS.n).toBe(256);
  });

  it('is idempotent and keeps given values', () => {
    const spec = { kind: 'checkerboard', d: 5, n: 10, nTest: 0, k: 3, spread: 0.05 } as const;
    const once = resolveDataSpec(spec);
    expect(once).toMatchObject(spec);
    expect(resolveDataSpec(once)).toEqual(once);
    const file = resolveDataSpec({ kind: 'csv', path: 'a.csv' });
    expect(file.d).toBeUndefined();
    expect(resolveDataSpec(file)).toEqual(file);
  });

  it("defaults the checkerboard's spread to Chizat's Δ = 1/(3k−1) and circle's d to 2", () => {
    expect(resolveDataSpec({ kind: 'checkerboard', k: 3 }).spread).toBe(1 / 8);
    expect(checkerboardDelta(4)).toBe(1 / 11);
    expect(resolveDataSpec({ kind: 'circle' }).d).toBe(2);
  });

  it('names the field and what is allowed for every invalid value', () => {
    expectFieldError(() => resolveDataSpec({ kind: 'spiral' }), 'data.kind', /"teacher".*"arrow".*got "spiral"/);
    expectFieldError(() => resolveDataSpec({ n: 0 }), 'data.n', /integer ≥ 1/);
    expectFieldError(() => resolveDataSpec({ n: 2.5 }), 'data.n');
    expectFieldError(() => resolveDataSpec({ d: 0 }), 'data.d', /integer ≥ 1/);
    expectFieldError(() => resolveDataSpec({ nTest: -1 }), 'data.nTest', /integer ≥ 0/);
    expectFieldError(() => resolveDataSpec({ teacherWidth: 0 }), 'data.teacherWidth');
    expectFieldError(() => resolveDataSpec({ sphere: 'yes' }), 'data.sphere', /true or false/);
    expectFieldError(() => resolveDataSpec({ outputScale: Number.NaN }), 'data.outputScale', /positive finite/);
    expectFieldError(() => resolveDataSpec({ outputScale: Infinity }), 'data.outputScale');
    expectFieldError(() => resolveDataSpec({ labelNoise: -0.1 }), 'data.labelNoise');
    expectFieldError(() => resolveDataSpec({ kind: 'stripe', labelNoise: 0.1 }), 'data.labelNoise', /"teacher" and "circle"/);
    expectFieldError(() => resolveDataSpec({ kind: 'checkerboard', k: 1 }), 'data.k', /integer ≥ 2/);
    expectFieldError(() => resolveDataSpec({ spread: -1 }), 'data.spread');
    expectFieldError(() => resolveDataSpec({ separation: Infinity }), 'data.separation', /finite/);
    expectFieldError(() => resolveDataSpec({ nTrain: 5 }), 'data.nTrain', /unknown key; allowed keys are kind, path/);
    expectFieldError(() => resolveDataSpec([1, 2]), 'data');
  });

  it('checks d against the kind', () => {
    expectFieldError(() => resolveDataSpec({ kind: 'circle', d: 3 }), 'data.d', /d must be 2/);
    expectFieldError(() => resolveDataSpec({ kind: 'checkerboard', d: 1 }), 'data.d', /d ≥ 2/);
    expect(resolveDataSpec({ kind: 'checkerboard', d: 2 }).d).toBe(2);
    expectFieldError(() => resolveDataSpec({ n: 2 ** 30, d: 4 }), 'data.n', /exceeds/);
  });

  it('requires a path for files and only for files', () => {
    expectFieldError(() => resolveDataSpec({ kind: 'csv' }), 'data.path', /required for kind "csv"/);
    expectFieldError(() => resolveDataSpec({ kind: 'arrow', path: '  ' }), 'data.path', /non-empty/);
    expectFieldError(() => resolveDataSpec({ kind: 'teacher', path: 'a.csv' }), 'data.path', /only used by the file kinds "csv", "arrow", "parquet" and "idx"/);
  });

  it('requires a path for every file kind, a directory for idx', () => {
    for (const kind of ['parquet', 'idx'] as const) {
      expectFieldError(() => resolveDataSpec({ kind }), 'data.path', new RegExp(`required for kind "${kind}"`));
    }
    expectFieldError(() => resolveDataSpec({ kind: 'idx' }), 'data.path', /the directory holding the IDX files/);
    expect(isFileKind('parquet') && isFileKind('idx') && !isFileKind('teacher')).toBe(true);
    expect(FILE_DATA_KINDS).toEqual(['csv', 'arrow', 'parquet', 'idx']);
  });

  it('caps file rows only with n and nTest written, and stays idempotent', () => {
    const plain = resolveDataSpec({ kind: 'parquet', path: 'a.parquet' });
    expect([plain.nCap, plain.nTestCap, plain.n]).toEqual([undefined, undefined, 256]);
    expect(resolveDataSpec(plain)).toEqual(plain);
    const capped = resolveDataSpec({ kind: 'idx', path: 'dir', n: 1000, nTest: 0, classes: 10, standardize: true, files: { testLabels: 'l.gz' } });
    expect(capped).toMatchObject({ nCap: 1000, nTestCap: 0, classes: 10, standardize: true, files: { testLabels: 'l.gz' } });
    expect(resolveDataSpec(capped)).toEqual(capped);
    const generated = resolveDataSpec({ n: 10, nTest: 5 });
    expect([generated.nCap, generated.nTestCap, generated.n]).toEqual([undefined, undefined, 10]);
    expect(resolveDataSpec(generated)).toEqual(generated);
  });

  it('validates classes, standardize and files, and keeps them to file kinds', () => {
    expectFieldError(() => resolveDataSpec({ kind: 'csv', path: 'a.csv', classes: 1 }), 'data.classes', /integer ≥ 2/);
    expectFieldError(() => resolveDataSpec({ kind: 'csv', path: 'a.csv', classes: 2.5 }), 'data.classes', /integer ≥ 2/);
    expectFieldError(() => resolveDataSpec({ kind: 'stripe', classes: 2 }), 'data.classes', /only used by the file kinds/);
    expectFieldError(() => resolveDataSpec({ kind: 'csv', path: 'a.csv', standardize: 'yes' }), 'data.standardize', /true or false/);
    expectFieldError(() => resolveDataSpec({ kind: 'teacher', standardize: true }), 'data.standardize', /only used by the file kinds/);
    expectFieldError(() => resolveDataSpec({ kind: 'csv', path: 'a.csv', inputScale: -1 }), 'data.inputScale', /positive/);
    expectFieldError(() => resolveDataSpec({ kind: 'teacher', inputScale: 0.5 }), 'data.inputScale', /only used by the file kinds/);
    expect(resolveDataSpec({ kind: 'teacher', standardize: false }).standardize).toBe(false);
    expectFieldError(() => resolveDataSpec({ kind: 'csv', path: 'a.csv', files: {} }), 'data.files', /only used by kind "idx"/);
    expectFieldError(() => resolveDataSpec({ kind: 'idx', path: 'd', files: 'x' }), 'data.files', /expected an object/);
    expectFieldError(() => resolveDataSpec({ kind: 'idx', path: 'd', files: { images: 'a' } }), 'data.files.images', /unknown key; allowed keys are trainImages/);
    expectFieldError(() => resolveDataSpec({ kind: 'idx', path: 'd', files: { trainImages: '' } }), 'data.files.trainImages', /non-empty/);
    expectFieldError(() => resolveDataSpec({ kind: 'teacher', nCap: 5 }), 'data.nCap', /write data\.n/);
    expectFieldError(() => resolveDataSpec({ nCap: 5 }), 'data.nCap');
  });

  it('rejects bad seeds and files in makeDataset with field-level errors', async () => {
    expectFieldError(() => makeDataset({}, -1), 'seed');
    expectFieldError(() => makeDataset({}, 0.5), 'seed');
    expectFieldError(() => makeDataset({ kind: 'csv', path: 'a.csv' }, 0), 'data.kind', /loadDataset/);
    expectFieldError(() => makeDataset({ kind: 'idx', path: 'dir' }, 0), 'data.kind', /loadDataset/);
    await expect(loadDataset({ kind: 'csv' }, 0)).rejects.toThrow(/^data\.path: required/);
  });
});
