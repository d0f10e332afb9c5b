/**
 * The two-layer ReLU network of Chizat (2019, "Sparse optimization on measures with
 * over-parameterized gradient descent"), §5, as in his reference code (`cvgce_2NNalt.jl`,
 * github.com/lchizat/2019-sparse-optim-measures): the engine of @mflab/core does not have it.
 *
 * Each neuron is w_j ∈ R^d; its input weights are the signed square u_j = ss(w_j) = w_j ∘ |w_j|
 * (coordinate-wise) and its output weight is fixed to +1:
 *
 *     f_w(x) = (1/m) Σ_j σ(u_j · x),            f*(x) = Σ_k σ(t_k · x),  t_k = ss(θ_k), θ_k ∈ S^{d−1}
 *     F(w)   = ½ E_x (f_w(x) − f*(x))² + (λ/m) Σ_j ‖w_j‖²                                     (A1)
 *
 * with x uniform on the unit sphere S^{d−1}. Since ‖w_j‖² = ‖u_j‖₁, the penalty is the ℓ¹
 * (sparsity-inducing) norm of the measure (1/m) Σ_j δ_{u_j}. Note the paper's convention for λ:
 * (λ/m) Σ‖w_j‖², i.e. λ_paper = λ_mflab / 2 against eq. (2) of ARCHITECTURE.md.
 *
 * Time is particle (mean-field) time, as in the paper's code: each neuron follows
 *
 *     dw_j/dt = −2|w_j| ∘ g_j − 2λ w_j,   g_j = m ∂/∂u_j ½E(f − f*)² = E[(f − f*)(x) 1[u_j·x > 0] x]     (A2)
 *
 * and population SGD replaces E by the mean over a fresh batch (the step of the paper's code).
 *
 * The population objective is known in closed form (no sampling), which gives the optimality
 * gap exactly. For x uniform on S^{d−1} and g ~ N(0, I_d), x = g/‖g‖ with ‖g‖ independent of
 * x and E‖g‖² = d; σ is 1-homogeneous, so the sphere expectations are the Gaussian ones of eq. (4)
 * divided by d. With θ the angle between u and v:
 *
 *     κ(u, v) = E σ(u·x) σ(v·x)           = ‖u‖‖v‖ (sin θ + (π − θ) cos θ) / (2π d)          (A3)
 *     G(u, v) = E 1[u·x > 0] σ(v·x) x     = ((π − θ) v + ‖v‖ sin θ u/‖u‖) / (2π d)  = ∇_u κ(u, v)   (A4)
 *
 * so E(f − f*)² = (1/m²) Σ_jl κ(u_j, u_l) − (2/m) Σ_jk κ(u_j, t_k) + Σ_kl κ(t_k, t_l) and
 * g_j = (1/m) Σ_l G(u_j, u_l) − Σ_k G(u_j, t_k).
 */
import { InvalidInputError } from '@mflab/core';

/** The target of (A1): the teacher's input weights t_k (m0×d, row-major), output weights +1. */
export interface AltTeacher {
  readonly d: number;
  readonly width: number;
  /** t_k = ss(θ_k), width×d. */
  readonly weights: Float64Array;
}

/** The teacher of (A1) from unit directions θ_k (width×d, row-major): t_k = ss(θ_k). */
export function altTeacher(directions: Float64Array, d: number): AltTeacher {
  if (d < 1 || directions.length % d !== 0 || directions.length === 0) {
    throw new InvalidInputError('teacher.directions', `expected a non-empty width×d array with d = ${d}, got ${directions.length} entries`);
  }
  const weights = new Float64Array(directions.length);
  signedSquare(directions, weights);
  return { d, width: directions.length / d, weights };
}

/** out = ss(w) = w ∘ |w|, coordinate-wise. */
export function signedSquare(w: Float64Array, out: Float64Array): void {
  for (let i = 0; i < w.length; i++) out[i] = w[i] * Math.abs(w[i]);
}

/** f*(x) for the point x[offset .. offset+d). */
export function altTeacherOutput(teacher: AltTeacher, x: ArrayLike<number>, offset = 0): number {
  const { d, width, weights } = teacher;
  let sum = 0;
  for (let k = 0; k < width; k++) {
    let dot = 0;
    for (let c = 0; c < d; c++) dot += weights[k * d + c] * x[offset + c];
    if (dot > 0) sum += dot;
  }
  return sum;
}

/** cos θ between rows, clamped to [−1, 1] (rounding can leave |cos| a hair above 1); 1 when a row is zero. */
function cosine(dot: number, normU: number, normV: number): number {
  if (normU === 0 || normV === 0) return 1;
  const c = dot / (normU * normV);
  return c > 1 ? 1 : c < -1 ? -1 : c;
}

/** κ(u, v) of (A3) for rows u = a[ia·d ..], v = b[ib·d ..] with norms given. */
function sphereKernel(a: Float64Array, ia: number, normU: number, b: Float64Array, ib: number, normV: number, d: number): number {
  if (normU === 0 || normV === 0) return 0;
  let dot = 0;
  for (let c = 0; c < d; c++) dot += a[ia * d + c] * b[ib * d + c];
  const cos = cosine(dot, normU, normV);
  const theta = Math.acos(cos);
  return (normU * normV * (Math.sqrt(1 - cos * cos) + (Math.PI - theta) * cos)) / (2 * Math.PI * d);
}

/** Row norms of an r×d array into out[0..r). */
function rowNorms(rows: Float64Array, d: number, out: Float64Array): void {
  const r = rows.length / d;
  for (let i = 0; i < r; i++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += rows[i * d + c] ** 2;
    out[i] = Math.sqrt(s);
  }
}

/** ½ E(f*)², the objective of the zero network (used to normalise). */
export function teacherEnergy(teacher: AltTeacher): number {
  const { d, width, weights } = teacher;
  const norms = new Float64Array(width);
  rowNorms(weights, d, norms);
  let s = 0;
  for (let k = 0; k < width; k++) for (let l = 0; l < width; l++) s += sphereKernel(weights, k, norms[k], weights, l, norms[l], d);
  return s / 2;
}

/**
 * c* = max over the vertices ±e_i of the ℓ¹ sphere of E[f*(x) σ(±x_i)] = Σ_k κ(±e_i, t_k). In the
 * measure form of (A1) — a neuron is an atom of mass ‖u_j‖₁/m at û_j = u_j/‖u_j‖₁ on the ℓ¹
 * sphere, the penalty is λ times the total mass — the objective is convex, and its derivative at
 * the zero measure along an atom at θ is λ − E[f* σ(θ·x)]. That correlation is convex in θ
 * (σ convex, f* ≥ 0), so its largest value on the ℓ¹ sphere is at a vertex: the zero network is
 * the global minimizer, for every m, exactly when λ ≥ c* (and a non-degenerate one when λ > c*).
 */
export function zeroNetworkCertificate(teacher: AltTeacher): number {
  const { d, width, weights } = teacher;
  const norms = new Float64Array(width);
  rowNorms(weights, d, norms);
  const vertex = new Float64Array(d);
  let best = 0;
  for (let i = 0; i < d; i++) {
    for (const sign of [1, -1]) {
      vertex.fill(0);
      vertex[i] = sign;
      let correlation = 0;
      for (let k = 0; k < width; k++) correlation += sphereKernel(vertex, 0, 1, weights, k, norms[k], d);
      best = Math.max(best, correlation);
    }
  }
  return best;
}

/**
 * A network of (A1) with m neurons, its own buffers (allocated once), the exact population
 * objective (A1, A3) and gradient flow velocity (A2, A4), and the population-SGD step.
 */
export class AltNetwork {
  readonly m: number;
  readonly d: number;
  readonly lambda: number;
  /** w, m×d row-major: the parameters. */
  readonly w: Float64Array;
  private readonly teacher: AltTeacher;
  private readonly teacherHalfEnergy: number;
  private readonly u: Float64Array;
  private readonly uNorms: Float64Array;
  private readonly tNorms: Float64Array;
  private readonly g: Float64Array;
  private batchPre: Float64Array;
  private batchResidual: Float64Array;

  constructor(w: Float64Array, d: number, teacher: AltTeacher, lambda: number) {
    if (d !== teacher.d) throw new InvalidInputError('d', `the teacher has dimension ${teacher.d}, the network ${d}`);
    if (w.length === 0 || w.length % d !== 0) throw new InvalidInputError('w', `expected an m×d array with d = ${d}, got ${w.length} entries`);
    if (!(lambda >= 0 && Number.isFinite(lambda))) throw new InvalidInputError('lambda', `expected a finite λ ≥ 0, got ${lambda}`);
    this.d = d;
    this.m = w.length / d;
    this.lambda = lambda;
    this.w = Float64Array.from(w);
    this.teacher = teacher;
    this.teacherHalfEnergy = teacherEnergy(teacher);
    this.u = new Float64Array(w.length);
    this.uNorms = new Float64Array(this.m);
    this.tNorms = new Float64Array(teacher.width);
    rowNorms(teacher.weights, d, this.tNorms);
    this.g = new Float64Array(w.length);
    this.batchPre = new Float64Array(0);
    this.batchResidual = new Float64Array(0);
  }

  /** u = ss(w) and its row norms. */
  private refreshInputWeights(): void {
    signedSquare(this.w, this.u);
    rowNorms(this.u, this.d, this.uNorms);
  }

  /** (1/m) Σ ‖w_j‖² (= ‖u‖₁ mass of the measure). */
  meanSquaredNorm(): number {
    let s = 0;
    for (let i = 0; i < this.w.length; i++) s += this.w[i] * this.w[i];
    return s / this.m;
  }

  /** (λ/m) Σ ‖w_j‖². */
  penalty(): number {
    return this.lambda * this.meanSquaredNorm();
  }

  /** ½ E(f_w − f*)², exact (A3). */
  populationRisk(): number {
    this.refreshInputWeights();
    const { m, d, u, uNorms, teacher, tNorms } = this;
    let self = 0;
    for (let j = 0; j < m; j++) {
      self += sphereKernel(u, j, uNorms[j], u, j, uNorms[j], d);
      for (let l = j + 1; l < m; l++) self += 2 * sphereKernel(u, j, uNorms[j], u, l, uNorms[l], d);
    }
    let cross = 0;
    for (let j = 0; j < m; j++) for (let k = 0; k < teacher.width; k++) cross += sphereKernel(u, j, uNorms[j], teacher.weights, k, tNorms[k], d);
    const risk = self / (2 * m * m) - cross / m + this.teacherHalfEnergy;
    // Cancellation can leave a tiny negative number at an exact fit.
    return Math.max(risk, 0);
  }

  /** F(w) of (A1), exact. */
  populationObjective(): number {
    return this.populationRisk() + this.penalty();
  }

  /**
   * Writes the velocity of the population gradient flow (A2, A4) into `out` (m×d) and returns
   * its largest entry in absolute value.
   */
  populationVelocity(out: Float64Array): number {
    this.refreshInputWeights();
    const { m, d, u, uNorms, teacher, tNorms, g, w, lambda } = this;
    g.fill(0);
    for (let j = 0; j < m; j++) {
      if (uNorms[j] === 0) continue;
      for (let l = 0; l < m; l++) addG(g, j, u, uNorms[j], u, l, uNorms[l], d, 1 / m);
      for (let k = 0; k < teacher.width; k++) addG(g, j, u, uNorms[j], teacher.weights, k, tNorms[k], d, -1);
    }
    let largest = 0;
    for (let i = 0; i < w.length; i++) {
      out[i] = -2 * Math.abs(w[i]) * g[i] - 2 * lambda * w[i];
      largest = Math.max(largest, Math.abs(out[i]));
    }
    return largest;
  }

  /**
   * One population-SGD step on the batch (x: B×d sample-major, y = f*(x)): the paper's update
   * w_j ← w_j − η (2|w_j| ∘ Σ_i r_i 1[u_j·x_i > 0] x_i + 2λ w_j), r_i = (f(x_i) − y_i)/B.
   * Returns the batch risk ½·mean((f − y)²) before the step. Allocates only when the batch size grows.
   */
  sgdStep(x: Float64Array, y: Float64Array, batch: number, lr: number): number {
    const { m, d, u, w, g, lambda } = this;
    if (this.batchPre.length < batch * m) {
      this.batchPre = new Float64Array(batch * m);
      this.batchResidual = new Float64Array(batch);
    }
    const pre = this.batchPre;
    const r = this.batchResidual;
    signedSquare(w, u);
    forwardPreactivations(u, m, d, x, batch, pre);
    const invM = 1 / m;
    let squares = 0;
    for (let i = 0; i < batch; i++) {
      let f = 0;
      for (let j = 0; j < m; j++) {
        const z = pre[i * m + j];
        if (z > 0) f += z;
      }
      const error = f * invM - y[i];
      squares += error * error;
      r[i] = error / batch;
    }
    backwardInputGradients(pre, r, m, d, x, batch, g);
    for (let k = 0; k < w.length; k++) w[k] -= lr * (2 * Math.abs(w[k]) * g[k] + 2 * lambda * w[k]);
    return squares / (2 * batch);
  }
}

/**
 * g_j = Σ_i r_i 1[pre_ij > 0] x_i. Four neurons at a time (each x_i coordinate loaded once per
 * four neurons), with the indicator folded into the coefficient rather than branched on.
 */
function backwardInputGradients(pre: Float64Array, r: Float64Array, m: number, d: number, x: Float64Array, batch: number, g: Float64Array): void {
  g.fill(0);
  const m4 = m - (m % 4);
  for (let i = 0; i < batch; i++) {
    const xi = i * d;
    const row = i * m;
    const ri = r[i];
    for (let j = 0; j < m4; j += 4) {
      const c0 = pre[row + j] > 0 ? ri : 0;
      const c1 = pre[row + j + 1] > 0 ? ri : 0;
      const c2 = pre[row + j + 2] > 0 ? ri : 0;
      const c3 = pre[row + j + 3] > 0 ? ri : 0;
      if (c0 === 0 && c1 === 0 && c2 === 0 && c3 === 0) continue;
      const o0 = j * d;
      const o1 = o0 + d;
      const o2 = o1 + d;
      const o3 = o2 + d;
      for (let c = 0; c < d; c++) {
        const xc = x[xi + c];
        g[o0 + c] += c0 * xc;
        g[o1 + c] += c1 * xc;
        g[o2 + c] += c2 * xc;
        g[o3 + c] += c3 * xc;
      }
    }
    for (let j = m4; j < m; j++) {
      if (pre[row + j] <= 0) continue;
      for (let c = 0; c < d; c++) g[j * d + c] += ri * x[xi + c];
    }
  }
}

/**
 * pre[i·m + j] = u_j · x_i. Four neurons at a time, so that each x_i coordinate loaded serves
 * four dot products (the loop is load-bound in plain JS).
 */
function forwardPreactivations(u: Float64Array, m: number, d: number, x: Float64Array, batch: number, pre: Float64Array): void {
  const m4 = m - (m % 4);
  for (let i = 0; i < batch; i++) {
    const xi = i * d;
    const row = i * m;
    for (let j = 0; j < m4; j += 4) {
      const o0 = j * d;
      const o1 = o0 + d;
      const o2 = o1 + d;
      const o3 = o2 + d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let c = 0; c < d; c++) {
        const xc = x[xi + c];
        s0 += u[o0 + c] * xc;
        s1 += u[o1 + c] * xc;
        s2 += u[o2 + c] * xc;
        s3 += u[o3 + c] * xc;
      }
      pre[row + j] = s0;
      pre[row + j + 1] = s1;
      pre[row + j + 2] = s2;
      pre[row + j + 3] = s3;
    }
    for (let j = m4; j < m; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += u[j * d + c] * x[xi + c];
      pre[row + j] = s;
    }
  }
}

/** g[j] += scale · G(u_j, v_l) of (A4). */
function addG(g: Float64Array, j: number, u: Float64Array, normU: number, v: Float64Array, l: number, normV: number, d: number, scale: number): void {
  if (normV === 0) return;
  let dot = 0;
  for (let c = 0; c < d; c++) dot += u[j * d + c] * v[l * d + c];
  const cos = cosine(dot, normU, normV);
  const theta = Math.acos(cos);
  const sin = Math.sqrt(1 - cos * cos);
  const along = (scale * (Math.PI - theta)) / (2 * Math.PI * d);
  const across = (scale * normV * sin) / (normU * 2 * Math.PI * d);
  for (let c = 0; c < d; c++) g[j * d + c] += along * v[l * d + c] + across * u[j * d + c];
}
