import { CounterRng, RandomStream } from '../random/index.js';
import { allocateParams, type NetworkParams } from './params.js';
import type { InitSpec } from './spec.js';

/**
 * Draws the initial parameters (ARCHITECTURE.md §1 "Initialization"). Neuron j's draws come
 * from `rng.at(j)` alone, so its init depends only on (seed, j) — §4 — and a width-2m network
 * shares its first m neurons with the width-m one. With `symmetric`, neuron 2k+1 is neuron
 * 2k with b negated (it reuses the draws of index 2k).
 */
export function initParams(init: InitSpec, m: number, D: number, seed: number): NetworkParams {
  const params = allocateParams(m, D);
  const rng = new CounterRng(seed, RandomStream.init);
  const { a, b } = params;
  const tau = init.scale;
  for (let j = 0; j < m; j++) {
    if (init.symmetric && j % 2 === 1) {
      const src = (j - 1) * D;
      for (let k = 0; k < D; k++) a[j * D + k] = a[src + k];
      b[j] = -b[j - 1];
      continue;
    }
    const draws = rng.at(j);
    const off = j * D;
    switch (init.kind) {
      case 'gaussian':
        for (let k = 0; k < D; k++) a[off + k] = tau * init.sigmaA * draws.normal();
        b[j] = tau * init.sigmaB * draws.normal();
        break;
      case 'sphere':
        draws.onSphere(a, off, D);
        for (let k = 0; k < D; k++) a[off + k] *= tau;
        b[j] = tau * draws.sign();
        break;
      case 'uniform-b':
        draws.onSphere(a, off, D);
        for (let k = 0; k < D; k++) a[off + k] *= tau;
        b[j] = tau * draws.uniform();
        break;
    }
  }
  return params;
}
