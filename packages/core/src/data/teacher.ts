/**
 * The teacher network of the `teacher` and `circle` kinds, after Chizat, Oyallon & Bach (2019,
 * "On lazy training in differentiable programming"): a ReLU network with m0 neurons,
 *
 *     f*(x) = outputScale · Σ_k c_k max(θ_k·x, 0),   θ_k ∈ S^{d−1},  c_k = ±1,  no bias.
 *
 * Paper reproductions measure how close the student's particles come to the θ_k, so the
 * teacher is exposed, not only its outputs.
 */
import { CounterRng, RandomStream } from '../random/index.js';
import { InvalidInputError, requireInteger } from '../errors.js';
import { resolveDataSpec, type DataSpec } from './spec.js';

/** A teacher network: m0 = `width` unit directions in R^d and their ±1 output weights. */
export interface Teacher {
  readonly d: number;
  readonly width: number;
  /** width×d, row k is θ_k, a unit vector (uniform on S^{d−1}). */
  readonly directions: Float64Array;
  /** The output weights c_k: +1, −1, +1, … (see {@link makeTeacher}). */
  readonly signs: Float64Array;
  readonly outputScale: number;
}

/**
 * Builds the teacher for (seed, d, width). Direction θ_k comes from the teacher stream at index
 * k alone, so the first neurons of a wider teacher are those of a narrower one. The signs are
 * not drawn but alternate +1, −1, +1, …: with random signs a 3-neuron teacher is all one sign
 * a quarter of the time, a much easier (convex-like) target than the one the papers study.
 */
export function makeTeacher(seed: number, d: number, width: number, outputScale = 1): Teacher {
  requireInteger('seed', seed, 0);
  requireInteger('data.d', d, 1);
  requireInteger('data.teacherWidth', width, 1);
  const rng = new CounterRng(seed, RandomStream.teacher);
  const directions = new Float64Array(width * d);
  const signs = new Float64Array(width);
  for (let k = 0; k < width; k++) {
    rng.at(k).onSphere(directions, k * d, d);
    signs[k] = k % 2 === 0 ? 1 : -1;
  }
  return { d, width, directions, signs, outputScale };
}

/**
 * The teacher of a `teacher` or `circle` data spec with this data seed — the same network
 * that {@link makeDataset} uses for the targets.
 */
export function teacherOf(spec: DataSpec, seed: number): Teacher {
  const resolved = resolveDataSpec(spec);
  if (resolved.kind !== 'teacher' && resolved.kind !== 'circle') {
    throw new InvalidInputError('data.kind', `only kinds "teacher" and "circle" have a teacher network, got ${JSON.stringify(resolved.kind)}`);
  }
  return makeTeacher(seed, resolved.d as number, resolved.teacherWidth, resolved.outputScale);
}

/** f*(x) for the point x[offset .. offset+d). */
export function teacherOutput(teacher: Teacher, x: ArrayLike<number>, offset = 0): number {
  const { d, width, directions, signs } = teacher;
  let sum = 0;
  for (let k = 0; k < width; k++) {
    let dot = 0;
    const row = k * d;
    for (let c = 0; c < d; c++) dot += directions[row + c] * x[offset + c];
    if (dot > 0) sum += signs[k] * dot;
  }
  return teacher.outputScale * sum;
}

/**
 * Writes f*(x_i) into out[i] for the `count` sample-major points of x (count = x.length / d
 * when omitted).
 */
export function evaluateTeacher(teacher: Teacher, x: Float64Array, out: Float64Array, count = x.length / teacher.d): void {
  if (!Number.isSafeInteger(count) || count < 0 || count * teacher.d > x.length || count > out.length) {
    throw new InvalidInputError('count', `expected an integer in [0, ${Math.min(Math.floor(x.length / teacher.d), out.length)}], got ${count}`);
  }
  for (let i = 0; i < count; i++) out[i] = teacherOutput(teacher, x, i * teacher.d);
}
