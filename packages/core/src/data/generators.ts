/**
 * The generated data families. Determinism contract (ARCHITECTURE.md §4): point i is a pure
 * function of (data seed, stream, i) — every coordinate and the target of point i come from
 * `rng.at(i)` alone — so point i is the same whatever n is, whichever thread draws it, and in
 * whatever order. Train points use the trainData stream, test points testData, the population
 * sampler populationSgd; train label noise comes from the labelNoise stream at the same index.
 */
import type { DataSplit, Dataset, PopulationSampler } from '../types.js';
import { InvalidInputError, requireInteger } from '../errors.js';
import { CounterRng, RandomStream, type Draws, type RandomStreamId } from '../random/index.js';
import { checkerboardDelta, isClassificationKind, isFileKind, resolveDataSpec, type DataSpec, type ResolvedDataSpec } from './spec.js';
import { makeTeacher, teacherOutput } from './teacher.js';

/**
 * The stripe model's positive interval on x_1: y = +1 iff −0.3 < x_1 < 1.18549, else −1.
 * Source: Geiger, Spigler, Jacot & Wyart (2020), "Disentangling feature and lazy training in
 * deep neural networks", reference code github.com/mariogeiger/feature_lazy, `dataset/__init__.py`:
 * `y = (x[:, 0] > -0.3) * (x[:, 0] < 1.18549)` with x = torch.randn(p, d). The interval holds
 * Φ(1.18549) − Φ(−0.3) = 0.4999995 of the Gaussian mass, so the classes balance, and it is
 * off-centre so that no symmetry of x_1 ↦ −x_1 helps the network.
 */
export const STRIPE_INTERVAL: readonly [number, number] = [-0.3, 1.18549];

/**
 * Writes one point's d coordinates into x[offset .. offset+d) from its own draws and returns
 * its target. Implementations must draw only from `draws` (the point's own counter) and must
 * not allocate: they run once per point.
 */
type PointGenerator = (draws: Draws, x: Float64Array, offset: number) => number;

function pointGenerator(spec: ResolvedDataSpec, d: number, seed: number): PointGenerator {
  switch (spec.kind) {
    case 'teacher': {
      const teacher = makeTeacher(seed, d, spec.teacherWidth, spec.outputScale);
      return spec.sphere
        ? (draws, x, offset) => {
            draws.onSphere(x, offset, d);
            return teacherOutput(teacher, x, offset);
          }
        : (draws, x, offset) => {
            draws.normals(x, offset, d);
            return teacherOutput(teacher, x, offset);
          };
    }
    case 'circle': {
      const teacher = makeTeacher(seed, 2, spec.teacherWidth, spec.outputScale);
      // An angle (one uniform) rather than a normalized Gaussian pair: exactly uniform on the
      // circle, with cos² + sin² = 1 to rounding.
      return (draws, x, offset) => {
        const angle = 2 * Math.PI * draws.uniform();
        x[offset] = Math.cos(angle);
        x[offset + 1] = Math.sin(angle);
        return teacherOutput(teacher, x, offset);
      };
    }
    case 'gaussian-mixture': {
      const half = spec.separation / 2;
      const spread = spec.spread;
      // x ~ N(y·(separation/2)·e_1, spread²·I_d), y = ±1 with probability ½ each.
      return (draws, x, offset) => {
        const label = draws.sign();
        for (let c = 0; c < d; c++) x[offset + c] = spread * draws.normal();
        x[offset] += label * half;
        return label;
      };
    }
    case 'stripe': {
      const [lo, hi] = STRIPE_INTERVAL;
      return (draws, x, offset) => {
        draws.normals(x, offset, d);
        const x1 = x[offset];
        return x1 > lo && x1 < hi ? 1 : -1;
      };
    }
    case 'checkerboard': {
      // Chizat & Bach (2020), reference code github.com/lchizat/2020-implicit-bias-wide-2NN,
      // `implicit_bias_2NN_utils.jl` (`cluster_center`, `illustration`): with Δ = 1/(3k−1),
      // cell (u, v) has centre (Δ(1+3u) − ½, Δ(1+3v) − ½); a point is its cell's centre plus
      // R·(cos T, sin T) with R ~ U[0, Δ], T ~ U[0, 2π); spurious coordinates are U[−½, ½].
      // The support is the box [−½, ½]^d. Chizat labels a random half of the cells −1; we use
      // the checkerboard parity (−1)^(u+v) (no two neighbouring cells agree), which needs no
      // extra randomness. `spread` replaces Δ as the largest jitter radius.
      const k = spec.k;
      const cells = k * k;
      const delta = checkerboardDelta(k);
      const radius = spec.spread;
      return (draws, x, offset) => {
        const cell = draws.below(cells);
        const u = cell % k;
        const v = (cell - u) / k;
        const angle = 2 * Math.PI * draws.uniform();
        const r = radius * draws.uniform();
        x[offset] = delta * (1 + 3 * u) - 0.5 + r * Math.cos(angle);
        x[offset + 1] = delta * (1 + 3 * v) - 0.5 + r * Math.sin(angle);
        for (let c = 2; c < d; c++) x[offset + c] = draws.uniform() - 0.5;
        return (u + v) % 2 === 0 ? 1 : -1;
      };
    }
    case 'csv':
    case 'arrow':
    case 'parquet':
    case 'idx':
      throw new InvalidInputError('data.kind', `kind ${JSON.stringify(spec.kind)} is read from a file: use loadDataset, not makeDataset`);
  }
}

/** Points start..start+count−1 of `stream`, written to x (count×d) and y (count). */
function fill(
  generate: PointGenerator,
  seed: number,
  stream: RandomStreamId,
  start: number,
  count: number,
  d: number,
  x: Float64Array,
  y: Float64Array,
): void {
  const rng = new CounterRng(seed, stream);
  for (let i = 0; i < count; i++) y[i] = generate(rng.at(start + i), x, i * d);
}

function generatedDimension(spec: ResolvedDataSpec): number {
  if (isFileKind(spec.kind) || spec.d === undefined) {
    throw new InvalidInputError('data.kind', `kind ${JSON.stringify(spec.kind)} is read from a file: use loadDataset, not makeDataset`);
  }
  return spec.d;
}

/**
 * Generates the train and test sets of a generated kind (every kind but the files) for this
 * data seed, with a population sampler for online SGD. Synchronous; files need
 * `loadDataset`. Validates the spec (see {@link resolveDataSpec}) and the seed.
 *
 * Label noise (teacher/circle, `labelNoise` > 0) is added to the train targets only, drawn from
 * the labelNoise stream at the point's index, so the train inputs are the same with and
 * without noise and the test set measures the distance to the clean teacher.
 */
export function makeDataset(spec: DataSpec, seed: number): DataSplit {
  requireInteger('seed', seed, 0);
  const resolved = resolveDataSpec(spec);
  const d = generatedDimension(resolved);
  const generate = pointGenerator(resolved, d, seed);

  const train = allocate(resolved.n, d);
  fill(generate, seed, RandomStream.trainData, 0, resolved.n, d, train.x, train.y);
  if (resolved.labelNoise > 0) {
    const noise = new CounterRng(seed, RandomStream.labelNoise);
    for (let i = 0; i < resolved.n; i++) train.y[i] += resolved.labelNoise * noise.at(i).normal();
  }
  const test = allocate(resolved.nTest, d);
  fill(generate, seed, RandomStream.testData, 0, resolved.nTest, d, test.x, test.y);

  return {
    train,
    test,
    sampler: samplerFor(resolved, d, seed, generate),
    classification: isClassificationKind(resolved.kind),
  };
}

/**
 * The population sampler of a generated kind on its own (what `makeDataset(spec, seed).sampler`
 * is), for online SGD that needs no fixed train set.
 */
export function makePopulationSampler(spec: DataSpec, seed: number): PopulationSampler {
  requireInteger('seed', seed, 0);
  const resolved = resolveDataSpec(spec);
  const d = generatedDimension(resolved);
  return samplerFor(resolved, d, seed, pointGenerator(resolved, d, seed));
}

/**
 * Fresh samples from the train distribution, from the populationSgd stream: sample s is a pure
 * function of (seed, s), so batch b of size B is samples [bB, (b+1)B) for any thread count.
 * Label noise: the sampler reproduces the train distribution, so when the train targets are
 * noisy the samples are too; the noise is the last draw of the sample's own counter (not the
 * labelNoise stream, whose index i already belongs to train point i).
 */
function samplerFor(spec: ResolvedDataSpec, d: number, seed: number, generate: PointGenerator): PopulationSampler {
  const rng = new CounterRng(seed, RandomStream.populationSgd);
  const noise = spec.labelNoise;
  return {
    d,
    sample(start: number, count: number, x: Float64Array, y: Float64Array): void {
      requireInteger('start', start, 0);
      requireInteger('count', count, 0);
      if (!Number.isSafeInteger(start + count)) {
        throw new InvalidInputError('start', `start + count must stay below 2^53, got ${start} + ${count}`);
      }
      if (x.length < count * d) throw new InvalidInputError('x', `needs ${count * d} entries (count·d), has ${x.length}`);
      if (y.length < count) throw new InvalidInputError('y', `needs ${count} entries, has ${y.length}`);
      for (let i = 0; i < count; i++) {
        const draws = rng.at(start + i);
        y[i] = generate(draws, x, i * d);
        if (noise > 0) y[i] += noise * draws.normal();
      }
    },
  };
}

function allocate(n: number, d: number): Dataset {
  return { n, d, x: new Float64Array(n * d), y: new Float64Array(n) };
}
