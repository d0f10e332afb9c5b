import { CholeskyDecomposition, Matrix, solve } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { expectFieldError } from '../testing/expect-field.js';
import { CounterRng } from '../random/index.js';
import {
  argmaxAccuracy,
  fitKernelRegression,
  type KernelRegressionOptions,
} from './kernel-regression.js';
import { blockedReluKernelGram } from './blocked-gram.js';
import { choleskyFactor, choleskySolve } from './cholesky.js';
import { reluKernelGram, type ReluKernelKind } from './relu-kernels.js';
import { expectCloseVectors, maxAbs } from '../testing/expect-close.js';

/** Test-only stream of the counter RNG. */
const TEST_STREAM = 904;

function randomRows(seed: number, n: number, d: number, scale = 1): Float64Array {
  const rng = new CounterRng(seed, TEST_STREAM);
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) rng.at(i).normals(x, i * d, d);
  for (let k = 0; k < x.length; k++) x[k] *= scale;
  return x;
}

/** Labels 0..C−1 that depend on the inputs (the sign pattern of two coordinates), so the problem is learnable. */
function labelsOf(x: Float64Array, d: number, C: number): Float64Array {
  const n = x.length / d;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = x[i * d] + 0.5 * x[i * d + 1];
    y[i] = Math.min(C - 1, Math.max(0, Math.floor((s + 1.5) * (C / 3))));
  }
  return y;
}

function toMatrix(a: Float64Array, rows: number, cols: number): Matrix {
  return Matrix.from1DArray(rows, cols, Array.from(a));
}

function fromMatrix(m: Matrix): Float64Array {
  return Float64Array.from(m.to1DArray());
}

/** Centered one-hot targets, n×C. */
function centeredTargets(labels: Float64Array, C: number): Float64Array {
  const Y = new Float64Array(labels.length * C).fill(-1 / C);
  for (let i = 0; i < labels.length; i++) Y[i * C + labels[i]] += 1;
  return Y;
}

/** A·B for row-major A (p×n) and B (n×C). */
function matmul(A: Float64Array, B: Float64Array, p: number, n: number, C: number): Float64Array {
  const out = new Float64Array(p * C);
  for (let i = 0; i < p; i++) for (let j = 0; j < n; j++) for (let c = 0; c < C; c++) out[i * C + c] += A[i * n + j] * B[j * C + c];
  return out;
}

/**
 * The independent reference: Gram matrices from reluKernelGram, λ = rel·tr(K)/n, and
 * α = (K + λI)⁻¹Y from ml-matrix (Cholesky and LU `solve`).
 */
function reference(x: Float64Array, xs: Float64Array, d: number, labels: Float64Array, C: number, kind: ReluKernelKind, relativeRidge: number) {
  const n = labels.length;
  const K = reluKernelGram(x, null, d, { kind });
  let trace = 0;
  for (let i = 0; i < n; i++) trace += K[i * n + i];
  const lambda = (relativeRidge * trace) / n;
  for (let i = 0; i < n; i++) K[i * n + i] += lambda;
  const Y = toMatrix(centeredTargets(labels, C), n, C);
  const alphaChol = fromMatrix(new CholeskyDecomposition(toMatrix(K, n, n)).solve(Y));
  const alphaLu = fromMatrix(solve(toMatrix(K, n, n), Y));
  const kStar = reluKernelGram(xs, x, d, { kind });
  return { lambda, alphaChol, alphaLu, scores: matmul(kStar, alphaLu, xs.length / d, n, C) };
}

/** cos θ between x̃_i and x̃_j. */
function cosine(x: Float64Array, i: number, j: number, d: number, bias: boolean): number {
  let ab = bias ? 1 : 0;
  let aa = ab;
  let bb = ab;
  for (let k = 0; k < d; k++) {
    ab += x[i * d + k] * x[j * d + k];
    aa += x[i * d + k] ** 2;
    bb += x[j * d + k] ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

describe('blockedReluKernelGram (eq. (4) through blocked dot products)', () => {
  /** |K − K_ref| ≤ 1e-12 · ‖x̃_i‖‖x̃_j‖ entrywise (the natural scale of eq. (4)), and bitwise on the marked pairs. */
  function expectMatchesReference(x1: Float64Array, x2: Float64Array | null, d: number, kind: ReluKernelKind, bias: boolean) {
    const ref = reluKernelGram(x1, x2, d, { kind, bias });
    const got = blockedReluKernelGram(x1, x2, d, { kind, bias });
    const other = x2 ?? x1;
    const n1 = x1.length / d;
    const n2 = other.length / d;
    const norm = (x: Float64Array, i: number) => {
      let s = bias ? 1 : 0;
      for (let k = 0; k < d; k++) s += x[i * d + k] ** 2;
      return Math.sqrt(s);
    };
    let worst = 0;
    for (let i = 0; i < n1; i++) {
      for (let j = 0; j < n2; j++) {
        const scale = norm(x1, i) * norm(other, j);
        const err = Math.abs(got[i * n2 + j] - ref[i * n2 + j]);
        if (scale === 0) expect(got[i * n2 + j]).toBe(0);
        else worst = Math.max(worst, err / scale);
      }
    }
    expect(worst).toBeLessThanOrEqual(1e-12);
    return { ref, got, n1, n2 };
  }

  it('matches reluKernelGram to 1e-12·‖x̃‖‖x̃′‖ (NTK and NNGP, with and without bias, edges of the 3×3 tiles, row blocks and k chunks)', () => {
    for (const [d, n1, n2] of [
      [5, 37, 101],
      [300, 20, 130], // D > 256: several k chunks; n2 > 96: two row blocks
    ]) {
      const x1 = randomRows(10 + d, n1, d);
      const x2 = randomRows(20 + d, n2, d, 0.5);
      for (const kind of ['ntk', 'nngp'] as const) {
        for (const bias of [true, false]) {
          expectMatchesReference(x1, x2, d, kind, bias);
          const { got, n1: n } = expectMatchesReference(x1, null, d, kind, bias);
          for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(got[i * n + j]).toBe(got[j * n + i]);
        }
      }
    }
  });

  it('is bitwise reluKernelGram on the diagonal and for nearly (anti)parallel, duplicate and zero rows', () => {
    const d = 6;
    const base = randomRows(3, 8, d);
    const x = new Float64Array(16 * d);
    x.set(base);
    for (let k = 0; k < d; k++) {
      x[8 * d + k] = base[k]; // exact duplicate of row 0
      x[9 * d + k] = base[d + k] * (1 + 1e-9 * (k + 1)); // nearly parallel to row 1
      x[10 * d + k] = -base[2 * d + k]; // anti-parallel to row 2 (without bias)
      x[11 * d + k] = 3 * base[3 * d + k]; // parallel to row 3
      x[12 * d + k] = -base[4 * d + k] * (1 + 1e-7 * k); // nearly anti-parallel to row 4
      x[13 * d + k] = 0; // zero row (no direction without bias)
      x[14 * d + k] = base[5 * d + k] + 1e-12; // within round-off of row 5
      x[15 * d + k] = base[6 * d + k] * 0.2;
    }
    const pairs = [
      [8, 0],
      [9, 1],
      [10, 2],
      [11, 3],
      [12, 4],
      [14, 5],
      [15, 6],
    ];
    for (const kind of ['ntk', 'nngp'] as const) {
      for (const bias of [true, false]) {
        const { ref, got, n1: n } = expectMatchesReference(x, null, d, kind, bias);
        for (let i = 0; i < n; i++) expect(got[i * n + i]).toBe(ref[i * n + i]);
        let exact = 0;
        for (const [i, j] of pairs) {
          // bitwise where the chord path is taken (|cos θ| > 0.99; 0.995 leaves room for round-off)
          if (Math.abs(cosine(x, i, j, d, bias)) > 0.995) {
            expect(got[i * n + j]).toBe(ref[i * n + j]);
            expect(got[j * n + i]).toBe(ref[j * n + i]);
            exact++;
          }
        }
        expect(exact).toBeGreaterThanOrEqual(bias ? 3 : 6);
        if (!bias) for (let j = 0; j < n; j++) expect(got[13 * n + j]).toBe(0);
      }
    }
  });

  it('writes into out and rejects bad arguments like reluKernelGram', () => {
    const x = randomRows(4, 5, 3);
    const out = new Float64Array(25);
    expect(blockedReluKernelGram(x, null, 3, undefined, out)).toBe(out);
    expect(Array.from(out)).toEqual(Array.from(blockedReluKernelGram(x, x, 3)));
    expectFieldError(() => blockedReluKernelGram(x, null, 0), 'd');
    expectFieldError(() => blockedReluKernelGram(x.subarray(1), null, 3), 'x1');
    expectFieldError(() => blockedReluKernelGram(x, x.subarray(1), 3), 'x2');
    expectFieldError(() => blockedReluKernelGram(x, null, 3, { kind: 'rbf' as ReluKernelKind }), 'options.kind');
    expectFieldError(() => blockedReluKernelGram(x, null, 3, undefined, new Float64Array(24)), 'out');
  });
});

describe('choleskyFactor / choleskySolve', () => {
  // n = 150: more than two block columns of 64, so the blocked update runs.
  const n = 150;
  const d = 4;
  const x = randomRows(5, n, d);
  const A = reluKernelGram(x, null, d);
  for (let i = 0; i < n; i++) A[i * n + i] += 1e-2;

  it('equals ml-matrix CholeskyDecomposition (L to 1e-12 relative) and solves like ml-matrix solve (1e-9)', () => {
    const L = choleskyFactor(Float64Array.from(A), n);
    const ref = new CholeskyDecomposition(toMatrix(A, n, n));
    expect(ref.isPositiveDefinite()).toBe(true);
    const Lref = ref.lowerTriangularMatrix;
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        diff = Math.max(diff, Math.abs(L[i * n + j] - Lref.get(i, j)));
        scale = Math.max(scale, Math.abs(Lref.get(i, j)));
      }
    }
    expect(diff).toBeLessThanOrEqual(1e-12 * scale);
    const B = randomRows(6, n, 3);
    const X = choleskySolve(L, n, Float64Array.from(B), 3);
    expectCloseVectors(X, fromMatrix(solve(toMatrix(A, n, n), toMatrix(B, n, 3))), 1e-9);
    // the strict upper triangle is left as it was
    expect(L[1]).toBe(A[1]);
  });

  it('rejects a matrix that is not positive definite with an InvalidInputError naming the field', () => {
    expectFieldError(() => choleskyFactor(new Float64Array([1, 2, 2, 1]), 2), 'matrix', /not positive definite: Cholesky pivot 1/);
    expectFieldError(() => choleskyFactor(new Float64Array([1, 1, 1, 1]), 2, 'kTrain'), 'kTrain', /not positive definite/);
    expectFieldError(() => choleskyFactor(new Float64Array([1, 0, 0, Number.NaN]), 2), 'matrix[3]');
    expectFieldError(() => choleskyFactor(new Float64Array(3), 2), 'matrix');
    expectFieldError(() => choleskySolve(new Float64Array(4), 2, new Float64Array(3), 2), 'b');
  });
});

describe('fitKernelRegression (multi-class NTK/NNGP kernel regression)', () => {
  const d = 5;
  const C = 3;
  const n = 50;
  const p = 40;
  const x = randomRows(7, n, d);
  const labels = labelsOf(x, d, C);
  const xs = randomRows(8, p, d);
  const testLabels = labelsOf(xs, d, C);

  it('has a well-posed test problem (every class present)', () => {
    for (let c = 0; c < C; c++) expect(Array.from(labels).filter((y) => y === c).length).toBeGreaterThan(5);
  });

  for (const kernel of ['ntk', 'nngp'] as const) {
    it(`${kernel}: α and test scores equal ml-matrix Cholesky / LU solves of (K + λI)α = Y (1e-9 relative), λ = 1e-6·tr(K)/n by default`, () => {
      for (const relativeRidge of [undefined, 1e-3]) {
        const ref = reference(x, xs, d, labels, C, kernel, relativeRidge ?? 1e-6);
        expectCloseVectors(ref.alphaChol, ref.alphaLu, 1e-9); // the two references agree
        const model = fitKernelRegression({ x, d, labels, classes: C, kernel, relativeRidge });
        expect(Math.abs(model.lambda - ref.lambda)).toBeLessThanOrEqual(1e-14 * ref.lambda);
        expectCloseVectors(model.alpha, ref.alphaChol, 1e-9);
        expectCloseVectors(model.alpha, ref.alphaLu, 1e-9);
        expectCloseVectors(model.predict(xs), ref.scores, 1e-9);
      }
    });
  }

  it('takes an absolute ridge: (K + λI)α = Y with λ = ridge, no factor n (n = 200: blocked factorization)', () => {
    const m = 200;
    const xl = randomRows(9, m, d);
    const yl = labelsOf(xl, d, C);
    const model = fitKernelRegression({ x: xl, d, labels: yl, classes: C, ridge: 0.25 });
    expect(model.lambda).toBe(0.25);
    const K = reluKernelGram(xl, null, d);
    for (let i = 0; i < m; i++) K[i * m + i] += 0.25;
    const alpha = fromMatrix(solve(toMatrix(K, m, m), toMatrix(centeredTargets(yl, C), m, C)));
    expectCloseVectors(model.alpha, alpha, 1e-9);
    expectCloseVectors(model.predict(xs), matmul(reluKernelGram(xs, xl, d), alpha, p, m, C), 1e-9);
  });

  it('interpolates the centered one-hot targets as λ → 0 (train scores = e_y − 1/C to 1e-6)', () => {
    const targets = centeredTargets(labels, C);
    for (const kernel of ['ntk', 'nngp'] as const) {
      for (const options of [{ ridge: 0 }, { relativeRidge: 1e-12 }]) {
        const model = fitKernelRegression({ x, d, labels, classes: C, kernel, ...options });
        const fit = model.predict(x);
        expect(maxAbs(fit.map((v, k) => v - targets[k]))).toBeLessThanOrEqual(1e-6);
        expect(model.evaluate(x, labels).accuracy).toBe(1);
      }
    }
  });

  it('centered and one-hot targets: class scores sum to 0 when centered; same argmax; one-hot = centered + a per-point shift', () => {
    const centered = fitKernelRegression({ x, d, labels, classes: C });
    const oneHot = fitKernelRegression({ x, d, labels, classes: C, targets: 'one-hot' });
    expect(centered.targets).toBe('centered');
    const a = centered.predict(xs);
    const b = oneHot.predict(xs);
    for (let i = 0; i < p; i++) {
      const row = a.subarray(i * C, (i + 1) * C);
      expect(Math.abs(row[0] + row[1] + row[2])).toBeLessThanOrEqual(1e-9 * maxAbs(a));
      const shift = b[i * C] - a[i * C];
      for (let c = 1; c < C; c++) expect(Math.abs(b[i * C + c] - a[i * C + c] - shift)).toBeLessThanOrEqual(1e-9 * maxAbs(b));
    }
    expect(Array.from(centered.evaluate(xs, testLabels).predicted)).toEqual(Array.from(oneHot.evaluate(xs, testLabels).predicted));
  });

  it('predicts in row chunks with bitwise the same scores as in one block, and writes into out', () => {
    const model = fitKernelRegression({ x, d, labels, classes: C });
    const whole = model.predict(xs, { chunkRows: p });
    for (const chunkRows of [1, 3, 7, 16, 1024]) {
      expect(Array.from(model.predict(xs, { chunkRows }))).toEqual(Array.from(whole));
    }
    const out = new Float64Array(p * C);
    expect(model.predict(xs, { out, chunkRows: 5 })).toBe(out);
    expect(Array.from(out)).toEqual(Array.from(whole));
    // and equals the dense product K(X*, X) α (1e-12: only the Gram entries' round-off differs)
    expectCloseVectors(whole, matmul(reluKernelGram(xs, x, d), model.alpha, p, n, C), 1e-12);
  });

  it('evaluate: argmax accuracy against the labels, with every timing reported', () => {
    const model = fitKernelRegression({ x, d, labels, classes: C });
    const ev = model.evaluate(xs, testLabels, { chunkRows: 16 });
    expect(Array.from(ev.scores)).toEqual(Array.from(model.predict(xs)));
    const direct = argmaxAccuracy(ev.scores, testLabels, C);
    expect(ev.correct).toBe(direct.correct);
    expect(ev.accuracy).toBe(direct.correct / p);
    expect(ev.accuracy).toBeGreaterThan(1 / C); // learnable labels: better than chance
    const t = ev.timings;
    for (const v of [t.gramMs, t.choleskyMs, t.solveMs, t.predictMs, t.predictGramMs, t.totalMs]) {
      expect(Number.isFinite(v) && v >= 0).toBe(true);
    }
    expect(t.predictGramMs).toBeLessThanOrEqual(t.predictMs);
    expect(t.totalMs).toBeCloseTo(t.gramMs + t.choleskyMs + t.solveMs + t.predictMs, 9);
    expect(model.timings.gramMs).toBe(t.gramMs);
  });

  it('fails with an InvalidInputError naming the ridge field when K + λI is not positive definite', () => {
    // duplicated training points make K singular: with λ = 0 a pivot vanishes
    const dup = Float64Array.from(x);
    dup.set(x.subarray(0, d), 1 * d);
    dup.set(x.subarray(2 * d, 3 * d), 7 * d);
    expectFieldError(() => fitKernelRegression({ x: dup, d, labels, classes: C, ridge: 0 }), 'ridge', /not positive definite/);
    expectFieldError(() => fitKernelRegression({ x: dup, d, labels, classes: C, relativeRidge: 0 }), 'relativeRidge', /K \+ λI/);
    // without bias, parallel inputs x and 2x give a singular NNGP Gram matrix
    const par = new Float64Array([1, 2, 2, 4, -1, 0.5]);
    const two = { x: par, d: 2, labels: new Float64Array([0, 1, 1]), classes: 2, kernel: 'nngp', bias: false } as const;
    expectFieldError(() => fitKernelRegression({ ...two, ridge: 0 }), 'ridge', /pivot 1/);
    // and the default ridge makes both solvable
    expect(() => fitKernelRegression({ x: dup, d, labels, classes: C })).not.toThrow();
    expect(fitKernelRegression(two).predict(par).length).toBe(6);
  });

  it('rejects bad options with an InvalidInputError naming the field', () => {
    const ok: KernelRegressionOptions = { x, d, labels, classes: C };
    expectFieldError(() => fitKernelRegression({ ...ok, x: x.subarray(1) }), 'x');
    expectFieldError(() => fitKernelRegression({ ...ok, x: new Float64Array(0), labels: new Float64Array(0) }), 'x');
    expectFieldError(() => fitKernelRegression({ ...ok, d: 0 }), 'd');
    expectFieldError(() => fitKernelRegression({ ...ok, classes: 1 }), 'classes');
    expectFieldError(() => fitKernelRegression({ ...ok, labels: labels.subarray(1) }), 'labels');
    const bad = Float64Array.from(labels);
    bad[3] = 3;
    expectFieldError(() => fitKernelRegression({ ...ok, labels: bad }), 'labels[3]', /0\.\.2/);
    bad[3] = 0.5;
    expectFieldError(() => fitKernelRegression({ ...ok, labels: bad }), 'labels[3]');
    expectFieldError(() => fitKernelRegression({ ...ok, kernel: 'rbf' as ReluKernelKind }), 'kernel');
    expectFieldError(() => fitKernelRegression({ ...ok, bias: 1 as unknown as boolean }), 'bias');
    expectFieldError(() => fitKernelRegression({ ...ok, targets: 'soft' as 'centered' }), 'targets');
    expectFieldError(() => fitKernelRegression({ ...ok, ridge: -1 }), 'ridge');
    expectFieldError(() => fitKernelRegression({ ...ok, relativeRidge: Number.NaN }), 'relativeRidge');
    expectFieldError(() => fitKernelRegression({ ...ok, ridge: 1, relativeRidge: 1 }), 'ridge', /not both/);
    const model = fitKernelRegression(ok);
    expectFieldError(() => model.predict(xs.subarray(1)), 'x');
    expectFieldError(() => model.predict(xs, { chunkRows: 0 }), 'chunkRows');
    expectFieldError(() => model.predict(xs, { out: new Float64Array(3) }), 'out');
    expectFieldError(() => model.evaluate(xs, testLabels.subarray(1)), 'labels');
  });
});

describe('argmaxAccuracy', () => {
  it('counts argmax hits with ties going to the lowest class index (hand-made example)', () => {
    const scores = new Float64Array([
      1, 2, 0, // → 1
      3, 3, 1, // tie → 0
      0, 0, 0, // all tied → 0
      -1, -2, -0.5, // → 2
      5, -1, 5, // tie of 0 and 2 → 0
    ]);
    const labels = new Float64Array([1, 0, 2, 2, 2]);
    const result = argmaxAccuracy(scores, labels, 3);
    expect(Array.from(result.predicted)).toEqual([1, 0, 0, 2, 0]);
    expect(result.correct).toBe(3);
    expect(result.accuracy).toBe(0.6);
    expectFieldError(() => argmaxAccuracy(scores.subarray(1), labels, 3), 'scores');
    expectFieldError(() => argmaxAccuracy(scores, new Float64Array([1, 0, 2, 2, 3]), 3), 'labels[4]');
  });
});
