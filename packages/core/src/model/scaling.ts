import type { TwoLayerModelSpec } from './spec.js';

/**
 * The four constants of a parameterization (ARCHITECTURE.md §1, table under eq. 2):
 * f = s Σ_j b_j σ(a_j·x̃), F = κ R + (λ/2) ρ Σ_j ‖w_j‖², GD w_j ← w_j − η γ ∇_{w_j} F.
 * In every row γρ = 1, so weight decay shrinks each parameter by ηλ per step.
 */
export interface Scaling {
  readonly s: number;
  readonly kappa: number;
  readonly rho: number;
  readonly gamma: number;
}

/**
 * The constants (s, κ, ρ, γ) of `spec.parameterization` at width m = `spec.width`, as in
 * ARCHITECTURE.md §1's table: mean-field (1/m, 1, 1/m, m), ntk (1/√m, 1, 1, 1), lazy
 * (α/m, 1/α², 1/m, m) with α = `spec.alpha` (ignored by the other two).
 *
 * @example
 * scalingOf({ width: 100, parameterization: 'ntk', alpha: 1 }); // { s: 0.1, kappa: 1, rho: 1, gamma: 1 }
 * driveOf(scalingOf({ width: 100, parameterization: 'mean-field', alpha: 1 })); // κγs = 1 at any width
 */
export function scalingOf(spec: Pick<TwoLayerModelSpec, 'width' | 'parameterization' | 'alpha'>): Scaling {
  const m = spec.width;
  switch (spec.parameterization) {
    case 'mean-field':
      return { s: 1 / m, kappa: 1, rho: 1 / m, gamma: m };
    case 'ntk':
      return { s: 1 / Math.sqrt(m), kappa: 1, rho: 1, gamma: 1 };
    case 'lazy':
      return { s: spec.alpha / m, kappa: 1 / (spec.alpha * spec.alpha), rho: 1 / m, gamma: m };
  }
}

/**
 * κγs: the factor in front of the data term of the velocity (eq. 3),
 * v_b(j) = −κγs Σ_i r_i σ(a_j·x̃_i) − λ b_j.
 */
export function driveOf(scaling: Scaling): number {
  return scaling.kappa * scaling.gamma * scaling.s;
}
