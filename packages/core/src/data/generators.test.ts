import { describe, expect, it } from 'vitest';
import type { DataSplit } from '../types.js';
import { DATA_KINDS } from '../types.js';
import { STRIPE_INTERVAL, makeDataset, makePopulationSampler } from './generators.js';
import { loadDataset } from './load.js';
import { checkerboardDelta, isFileKind, type DataSpec } from './spec.js';
import { evaluateTeacher, makeTeacher, teacherOf } from './teacher.js';

const GENERATED: DataSpec[] = [
  { kind: 'teacher', d: 3, n: 40, nTest: 30 },
  { kind: 'teacher', d: 4, n: 40, nTest: 30, sphere: false, labelNoise: 0.1 },
  { kind: 'gaussian-mixture', d: 3, n: 40, nTest: 30 },
  { kind: 'stripe', d: 5, n: 40, nTest: 30 },
  { kind: 'checkerboard', d: 4, n: 40, nTest: 30 },
  { kind: 'circle', n: 40, nTest: 30, labelNoise: 0.05 },
];

const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const samples = (spec: DataSpec, seed: number, start: number, count: number) => {
  const sampler = makePopulationSampler(spec, seed);
  const x = new Float64Array(count * sampler.d);
  const y = new Float64Array(count);
  sampler.sample(start, count, x, y);
  return { x, y };
};
const norm = (x: Float64Array, offset: number, d: number) => {
  let s = 0;
  for (let c = 0; c < d; c++) s += x[offset + c] ** 2;
  return Math.sqrt(s);
};
const fractionPositive = (y: Float64Array) => y.reduce((s, v) => s + (v === 1 ? 1 : 0), 0) / y.length;
/** |p̂ − p| within 5 standard errors of a Bernoulli(p) mean over N draws. */
const expectProportion = (observed: number, p: number, N: number) =>
  expect(Math.abs(observed - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));

describe('determinism (ARCHITECTURE.md §4)', () => {
  it('covers every generated kind in DATA_KINDS', () => {
    const covered = new Set(GENERATED.map((s) => s.kind));
    expect(DATA_KINDS.filter((k) => !isFileKind(k) && !covered.has(k))).toEqual([]);
  });

  for (const spec of GENERATED) {
    const label = `${spec.kind}${spec.labelNoise ? ' with label noise' : ''}`;

    it(`${label}: same seed gives identical bytes, another seed different ones`, async () => {
      const a = makeDataset(spec, 11);
      const b = makeDataset(spec, 11);
      const c = makeDataset(spec, 12);
      for (const part of ['train', 'test'] as const) {
        expect(bytes(a[part].x).equals(bytes(b[part].x))).toBe(true);
        expect(bytes(a[part].y).equals(bytes(b[part].y))).toBe(true);
        expect(bytes(a[part].x).equals(bytes(c[part].x))).toBe(false);
      }
      expect(bytes(samples(spec, 11, 0, 20).x).equals(bytes(samples(spec, 11, 0, 20).x))).toBe(true);
      // loadDataset on a generated kind is the same data, asynchronously.
      const loaded = await loadDataset(spec, 11);
      expect(bytes(loaded.train.x).equals(bytes(a.train.x))).toBe(true);
    });

    it(`${label}: point i does not depend on n (prefix stability), nor sample i on the batch`, () => {
      const small = makeDataset({ ...spec, n: 10, nTest: 3 }, 5);
      const large = makeDataset({ ...spec, n: 1000, nTest: 300 }, 5);
      const d = small.train.d;
      expect(bytes(small.train.x).equals(bytes(large.train.x.subarray(0, 10 * d)))).toBe(true);
      expect(bytes(small.train.y).equals(bytes(large.train.y.subarray(0, 10)))).toBe(true);
      expect(bytes(small.test.x).equals(bytes(large.test.x.subarray(0, 3 * d)))).toBe(true);
      expect(bytes(small.test.y).equals(bytes(large.test.y.subarray(0, 3)))).toBe(true);
      const whole = samples(spec, 5, 0, 12);
      const part = samples(spec, 5, 7, 5);
      expect(bytes(part.x).equals(bytes(whole.x.subarray(7 * d, 12 * d)))).toBe(true);
      expect(bytes(part.y).equals(bytes(whole.y.subarray(7, 12)))).toBe(true);
    });

    it(`${label}: train, test and population samples come from different streams`, () => {
      const data = makeDataset(spec, 3);
      const d = data.train.d;
      const fresh = samples(spec, 3, 0, 1);
      expect(data.train.x.subarray(0, d)).not.toEqual(data.test.x.subarray(0, d));
      expect(data.train.x.subarray(0, d)).not.toEqual(fresh.x);
      expect(data.train.x.every(Number.isFinite) && data.train.y.every(Number.isFinite)).toBe(true);
    });
  }

  it('validates sampler arguments', () => {
    const sampler = makeDataset({ n: 4, nTest: 0 }, 0).sampler!;
    expect(() => sampler.sample(-1, 1, new Float64Array(2), new Float64Array(1))).toThrow(/^start:/);
    expect(() => sampler.sample(0, 2, new Float64Array(3), new Float64Array(2))).toThrow(/^x: needs 4 entries/);
    expect(() => sampler.sample(0, 2, new Float64Array(4), new Float64Array(1))).toThrow(/^y:/);
  });
});

describe('teacher', () => {
  it('puts inputs on the unit sphere and targets equal an independent recomputation of f*', () => {
    const spec = { kind: 'teacher', d: 5, n: 500, nTest: 100, teacherWidth: 4, outputScale: 2.5 } as const;
    const data = makeDataset(spec, 9);
    const t = teacherOf(spec, 9);
    for (const set of [data.train, data.test]) {
      for (let i = 0; i < set.n; i++) {
        expect(Math.abs(norm(set.x, i * 5, 5) - 1)).toBeLessThan(1e-12);
        let f = 0;
        for (let k = 0; k < 4; k++) {
          let dot = 0;
          for (let c = 0; c < 5; c++) dot += t.directions[k * 5 + c] * set.x[i * 5 + c];
          f += t.signs[k] * Math.max(dot, 0);
        }
        expect(set.y[i]).toBeCloseTo(2.5 * f, 12);
      }
    }
    expect(data.classification).toBe(false);
  });

  it('has unit directions from the teacher stream, alternating signs, prefix-stable in the width', () => {
    const narrow = makeTeacher(4, 3, 3);
    const wide = makeTeacher(4, 3, 6);
    expect(Array.from(wide.signs)).toEqual([1, -1, 1, -1, 1, -1]);
    expect(wide.directions.subarray(0, 9)).toEqual(narrow.directions);
    for (let k = 0; k < 6; k++) expect(Math.abs(norm(wide.directions, k * 3, 3) - 1)).toBeLessThan(1e-12);
    expect(makeTeacher(5, 3, 3).directions).not.toEqual(narrow.directions);
    expect(() => teacherOf({ kind: 'stripe' }, 0)).toThrow(/^data\.kind: only kinds "teacher" and "circle"/);
  });

  it('draws N(0, I_d) inputs when sphere is false', () => {
    const N = 20_000;
    const d = 3;
    const { train } = makeDataset({ kind: 'teacher', d, n: N, nTest: 0, sphere: false }, 2);
    for (let c = 0; c < d; c++) {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < N; i++) {
        s += train.x[i * d + c];
        s2 += train.x[i * d + c] ** 2;
      }
      expect(Math.abs(s / N)).toBeLessThan(5 / Math.sqrt(N));
      expect(Math.abs(s2 / N - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
    }
  });

  it('adds label noise of the requested std to train targets only, leaving the inputs alone', () => {
    const N = 20_000;
    const spec = { kind: 'teacher', d: 3, n: N, nTest: 200, labelNoise: 0.3 } as const;
    const noisy = makeDataset(spec, 8);
    const clean = makeDataset({ ...spec, labelNoise: 0 }, 8);
    expect(bytes(noisy.train.x).equals(bytes(clean.train.x))).toBe(true);
    expect(bytes(noisy.test.y).equals(bytes(clean.test.y))).toBe(true);
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < N; i++) {
      const e = noisy.train.y[i] - clean.train.y[i];
      s += e;
      s2 += e * e;
    }
    expect(Math.abs(s / N)).toBeLessThan((5 * 0.3) / Math.sqrt(N));
    expect(Math.abs(s2 / N / 0.09 - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
    // The population sampler reproduces the train distribution, noise included.
    const fresh = samples(spec, 8, 0, 2000);
    const f = new Float64Array(2000);
    evaluateTeacher(teacherOf(spec, 8), fresh.x, f);
    let r2 = 0;
    for (let i = 0; i < 2000; i++) r2 += (fresh.y[i] - f[i]) ** 2;
    expect(Math.sqrt(r2 / 2000)).toBeGreaterThan(0.25);
    expect(Math.sqrt(r2 / 2000)).toBeLessThan(0.35);
    const cleanFresh = samples({ ...spec, labelNoise: 0 }, 8, 0, 50);
    evaluateTeacher(teacherOf(spec, 8), cleanFresh.x, f, 50);
    expect(cleanFresh.y).toEqual(f.subarray(0, 50));
  });
});

describe('circle', () => {
  it('puts points on the unit circle, uniformly in angle, with teacher targets', () => {
    const N = 20_000;
    const data = makeDataset({ kind: 'circle', n: N, nTest: 10, teacherWidth: 3 }, 1);
    const t = teacherOf({ kind: 'circle', teacherWidth: 3 }, 1);
    const f = new Float64Array(N);
    evaluateTeacher(t, data.train.x, f);
    expect(data.train.y).toEqual(f);
    let upperHalf = 0;
    for (let i = 0; i < N; i++) {
      expect(Math.abs(norm(data.train.x, 2 * i, 2) - 1)).toBeLessThan(1e-12);
      if (data.train.x[2 * i + 1] > 0) upperHalf++;
    }
    expectProportion(upperHalf / N, 0.5, N);
  });
});

describe('stripe (Geiger et al. 2020)', () => {
  it('labels by the interval on x_1 only, with balanced classes', () => {
    const N = 20_000;
    const d = 4;
    const { train, sampler, classification } = makeDataset({ kind: 'stripe', d, n: N, nTest: 0 }, 4);
    expect(classification).toBe(true);
    const [lo, hi] = STRIPE_INTERVAL;
    for (let i = 0; i < N; i++) {
      const x1 = train.x[i * d];
      expect(train.y[i]).toBe(x1 > lo && x1 < hi ? 1 : -1);
    }
    expectProportion(fractionPositive(train.y), 0.5, N);
    const x = new Float64Array(N * d);
    const y = new Float64Array(N);
    sampler!.sample(0, N, x, y);
    expectProportion(fractionPositive(y), 0.5, N);
  });
});

describe('gaussian-mixture', () => {
  it('balances the classes and centres them at ±(separation/2)·e_1 with std spread', () => {
    const N = 20_000;
    const d = 3;
    const spec = { kind: 'gaussian-mixture', d, n: N, nTest: 0, separation: 3, spread: 0.5 } as const;
    const { train, classification } = makeDataset(spec, 6);
    expect(classification).toBe(true);
    expectProportion(fractionPositive(train.y), 0.5, N);
    const sums = new Float64Array(d);
    const sq = new Float64Array(d);
    for (let i = 0; i < N; i++) {
      for (let c = 0; c < d; c++) {
        // Subtracting the class mean leaves N(0, spread²) in every coordinate.
        const z = train.x[i * d + c] - (c === 0 ? train.y[i] * 1.5 : 0);
        sums[c] += z;
        sq[c] += z * z;
      }
    }
    for (let c = 0; c < d; c++) {
      expect(Math.abs(sums[c] / N)).toBeLessThan((5 * 0.5) / Math.sqrt(N));
      expect(Math.abs(sq[c] / N / 0.25 - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
    }
  });
});

describe('checkerboard (Chizat & Bach 2020)', () => {
  const cellOf = (split: DataSplit, i: number, k: number) => {
    const { x, d } = split.train;
    const delta = checkerboardDelta(k);
    // Centres are Δ(1 + 3u) − ½: invert and round to the nearest cell.
    const u = Math.round(((x[i * d] + 0.5) / delta - 1) / 3);
    const v = Math.round(((x[i * d + 1] + 0.5) / delta - 1) / 3);
    return { u, v, du: x[i * d] - (delta * (1 + 3 * u) - 0.5), dv: x[i * d + 1] - (delta * (1 + 3 * v) - 0.5) };
  };

  it('puts every point within Δ of a cell centre, labelled by the parity of its cell', () => {
    const N = 20_000;
    const k = 4;
    const d = 5;
    const data = makeDataset({ kind: 'checkerboard', k, d, n: N, nTest: 0 }, 2);
    expect(data.classification).toBe(true);
    const delta = checkerboardDelta(k);
    const counts = new Float64Array(k * k);
    for (let i = 0; i < N; i++) {
      const { u, v, du, dv } = cellOf(data, i, k);
      expect(u >= 0 && u < k && v >= 0 && v < k).toBe(true);
      expect(Math.hypot(du, dv)).toBeLessThanOrEqual(delta + 1e-15);
      expect(data.train.y[i]).toBe((u + v) % 2 === 0 ? 1 : -1);
      counts[u * k + v]++;
      for (let c = 2; c < d; c++) expect(Math.abs(data.train.x[i * d + c])).toBeLessThanOrEqual(0.5);
    }
    expectProportion(fractionPositive(data.train.y), 0.5, N);
    for (const count of counts) expectProportion(count / N, 1 / (k * k), N);
  });

  it('has (k²+1)/2 positive cells out of k² for odd k, and honours spread', () => {
    const N = 20_000;
    const data = makeDataset({ kind: 'checkerboard', k: 3, d: 2, n: N, nTest: 0, spread: 0.01 }, 3);
    expectProportion(fractionPositive(data.train.y), 5 / 9, N);
    for (let i = 0; i < N; i++) {
      const { du, dv } = cellOf(data, i, 3);
      expect(Math.hypot(du, dv)).toBeLessThanOrEqual(0.01 + 1e-15);
    }
  });
});
