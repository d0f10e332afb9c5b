/**
 * What the claims of `particles-2d` measure on a network's particles w_j = (a_j, b_j) (no bias,
 * so a_j ∈ R^d is the neuron's input direction times its norm):
 *
 * - the output mass of neuron j, |b_j|‖a_j‖ — its share of f (the network is 2-homogeneous, so
 *   b_j σ(a_j·x) = sign(b_j) |b_j|‖a_j‖ σ(â_j·x));
 * - how much of that mass sits within an angle of a teacher neuron (θ_k, c_k) with the same sign;
 * - the atoms of the particle measure: particles grouped by direction and sign, and how many
 *   atoms carry a given share of the mass (sparsity).
 */
import { InvalidInputError, type NetworkParams, type Teacher } from '@mflab/core';

/** |b_j|‖a_j‖ for every neuron. */
export function outputMasses(params: NetworkParams): Float64Array {
  const { m, D, a, b } = params;
  const masses = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let c = 0; c < D; c++) s += a[j * D + c] ** 2;
    masses[j] = Math.abs(b[j]) * Math.sqrt(s);
  }
  return masses;
}

/** The angle in degrees between u = p[pOffset ..] and v = q[qOffset ..] (length D); 180 when either is zero. */
export function angleDegrees(p: ArrayLike<number>, pOffset: number, q: ArrayLike<number>, qOffset: number, D: number): number {
  let dot = 0;
  let pp = 0;
  let qq = 0;
  for (let c = 0; c < D; c++) {
    dot += p[pOffset + c] * q[qOffset + c];
    pp += p[pOffset + c] ** 2;
    qq += q[qOffset + c] ** 2;
  }
  if (pp === 0 || qq === 0) return 180;
  const cos = Math.min(1, Math.max(-1, dot / Math.sqrt(pp * qq)));
  return (Math.acos(cos) * 180) / Math.PI;
}

function checkDimensions(params: NetworkParams, teacher: Teacher): void {
  if (params.D !== teacher.d) {
    throw new InvalidInputError('model.bias', `the particles have D = ${params.D} coordinates but the teacher's directions d = ${teacher.d}; measure a network without bias`);
  }
}

/**
 * The fraction of the total output mass Σ_j |b_j|‖a_j‖ carried by neurons whose direction a_j
 * lies within `toleranceDegrees` of some teacher direction θ_k and whose sign(b_j) is c_k's.
 * NaN when the total mass is zero.
 */
export function massNearTeacher(params: NetworkParams, teacher: Teacher, toleranceDegrees: number): number {
  checkDimensions(params, teacher);
  const masses = outputMasses(params);
  let total = 0;
  let near = 0;
  for (let j = 0; j < params.m; j++) {
    total += masses[j];
    for (let k = 0; k < teacher.width; k++) {
      if (Math.sign(params.b[j]) !== Math.sign(teacher.signs[k])) continue;
      if (angleDegrees(params.a, j * params.D, teacher.directions, k * teacher.d, params.D) < toleranceDegrees) {
        near += masses[j];
        break;
      }
    }
  }
  return total > 0 ? near / total : NaN;
}

/** One atom of the particle measure: neurons with one sign whose directions lie within the tolerance of the atom's. */
export interface Atom {
  /** Unit direction: the mass-weighted mean of its neurons' unit directions, normalized. */
  direction: Float64Array;
  sign: 1 | -1;
  /** Σ |b_j|‖a_j‖ over its neurons. */
  mass: number;
  neurons: number[];
}

/**
 * Groups the neurons into atoms, heaviest first: a neuron joins the first atom of its sign whose
 * direction is within `toleranceDegrees` of its own (the atom's direction is then updated),
 * else it starts a new atom. Neurons with zero mass are left out. Atoms come back heaviest first.
 */
export function atomsOf(params: NetworkParams, toleranceDegrees: number): Atom[] {
  const { m, D, a, b } = params;
  const masses = outputMasses(params);
  const order = Array.from({ length: m }, (_, j) => j).sort((i, j) => masses[j] - masses[i] || i - j);
  const atoms: Atom[] = [];
  // Σ mass · unit direction, per atom (its direction is this sum normalized).
  const sums: Float64Array[] = [];
  const unit = new Float64Array(D);
  for (const j of order) {
    if (!(masses[j] > 0)) continue;
    let norm = 0;
    for (let c = 0; c < D; c++) norm += a[j * D + c] ** 2;
    norm = Math.sqrt(norm);
    for (let c = 0; c < D; c++) unit[c] = a[j * D + c] / norm;
    const sign: 1 | -1 = b[j] > 0 ? 1 : -1;
    const home = atoms.findIndex((atom) => atom.sign === sign && angleDegrees(unit, 0, atom.direction, 0, D) < toleranceDegrees);
    if (home < 0) {
      atoms.push({ direction: Float64Array.from(unit), sign, mass: masses[j], neurons: [j] });
      sums.push(unit.map((v) => v * masses[j]));
      continue;
    }
    const atom = atoms[home];
    const sum = sums[home];
    atom.mass += masses[j];
    atom.neurons.push(j);
    let sumNorm = 0;
    for (let c = 0; c < D; c++) {
      sum[c] += masses[j] * unit[c];
      sumNorm += sum[c] ** 2;
    }
    sumNorm = Math.sqrt(sumNorm);
    for (let c = 0; c < D; c++) atom.direction[c] = sum[c] / sumNorm;
  }
  return atoms.sort((p, q) => q.mass - p.mass);
}

/** The fewest atoms (heaviest first) whose mass reaches `share` of the total; 0 for an empty measure. */
export function atomsCarrying(atoms: readonly Atom[], share: number): number {
  if (!(share > 0 && share <= 1)) throw new InvalidInputError('share', `expected a fraction in (0, 1], got ${share}`);
  const sorted = atoms.map((atom) => atom.mass).sort((p, q) => q - p);
  const total = sorted.reduce((s, v) => s + v, 0);
  if (total === 0) return 0;
  let carried = 0;
  for (let i = 0; i < sorted.length; i++) {
    carried += sorted[i];
    // A relative slack of 1e-12 so that share = 1 is reached despite rounding in the sum.
    if (carried >= share * total * (1 - 1e-12)) return i + 1;
  }
  return sorted.length;
}

/** The median of finite values (NaN when there are none). */
export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((p, q) => p - q);
  if (finite.length === 0) return NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2;
}
