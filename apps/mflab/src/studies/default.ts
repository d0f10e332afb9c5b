/**
 * The default study, "mean-field limit with weight decay" (`npm start`): a student network
 * learns a 3-neuron ReLU teacher on the sphere, at widths 32…8192, 4 init seeds, in the
 * mean-field and NTK parameterizations, with and without weight decay. The data are the same
 * for every run (data.seed), so the spread across seeds is the network's own fluctuation.
 * The init is symmetric (neuron 2k+1 = neuron 2k with b negated, so f_{w(0)} ≡ 0): that removes
 * the O(1) random initial function of the NTK scaling, so that in both scalings the outputs
 * concentrate like m^(−1/2); `move` and `ntk_drift` shrink under NTK (lazy training) and stay
 * O(1) under mean-field (feature learning). Centering (f = f_w − f_{w(0)}) would do the first
 * part too, but not with weight decay: decay shrinks f_w and not the subtracted f_{w(0)}, and the
 * random initial function leaks back in (measured: the NTK spread then stays ≈ 0.05 at all m).
 */
export const DEFAULT_STUDY = {
  name: 'default',
  title: 'Mean-field limit with weight decay',
  description:
    'Teacher–student (3-neuron ReLU teacher, d = 4, 256 points on the sphere), widths 32…8192, 4 seeds, mean-field and NTK parameterizations, λ ∈ {0, 1e-3}. Expected: across-seed fluctuations ∝ m^(−1/2) in both scalings; move and ntk_drift ∝ m^(−1/2) under NTK, O(1) under mean-field; mean-field risk curves converging as m grows.',
  seed: 0,
  data: { kind: 'teacher', d: 4, n: 256, nTest: 256, teacherWidth: 3, seed: 0 },
  model: { width: 1024, parameterization: 'mean-field', init: { kind: 'gaussian', symmetric: true } },
  loss: 'square',
  train: { steps: 600, lr: 0.5, precision: 'f32' },
  log: { every: 20, particles: { every: 200, count: 128 }, ntk: { every: 200, probe: 32 }, checkpointEvery: 600 },
  grid: {
    'model.parameterization': ['mean-field', 'ntk'],
    'train.weightDecay': [0, 1e-3],
    'model.width': [32, 64, 128, 256, 512, 1024, 2048, 4096, 8192],
    seed: ['0..3'],
  },
} as const;

/** A smaller version for tests and a quick look (`mflab default --quick`): 3 widths, 2 seeds, 100 steps. */
export const QUICK_DEFAULT_STUDY = {
  ...DEFAULT_STUDY,
  name: 'default-quick',
  title: 'Mean-field limit with weight decay (quick)',
  train: { ...DEFAULT_STUDY.train, steps: 100 },
  log: { every: 10, particles: { every: 50, count: 32 }, ntk: { every: 50, probe: 16 }, checkpointEvery: 100 },
  grid: { ...DEFAULT_STUDY.grid, 'model.width': [32, 128, 512], seed: ['0..1'] },
};
