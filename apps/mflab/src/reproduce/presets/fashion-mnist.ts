/**
 * `mflab reproduce fashion-mnist`: wide two-layer ReLU networks on real images. Test accuracy vs
 * width m on Fashion-MNIST (60 000 training and 10 000 test images of 28×28 pixels, 10 classes)
 * in the mean-field (s = 1/m, particle time) and NTK (s = 1/√m) parameterizations, with and
 * without weight decay, trained by minibatch SGD on softmax cross-entropy — next to the
 * infinite-width NTK kernel-regression predictor on a training subset, and the dataset authors'
 * MLP benchmark.
 *
 * Setup: pixels scaled to [0, 1], standardized per pixel with the training statistics, then
 * multiplied by 1/√784 = 1/28 so that ‖x‖ ≈ 1 (the scale at which a unit-variance init gives
 * pre-activations of order 1 in both parameterizations); bias on (D = 785); gaussian init
 * σ_a = σ_b = 1, symmetric (f_{w(0)} ≡ 0, so the NTK network starts from the zero function as
 * its kernel predictor does); batches of 100 from a seeded shuffle per epoch, a cosine step-size
 * schedule, float32. Step sizes: η = 4 for mean-field (each neuron moves O(η) per step whatever
 * m) and η = 8 for NTK (per-parameter GD), each the larger of two tried (1 and 4; 1 and 8) on
 * m = 256 over two epochs (both trained stably; the larger reached lower risk).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fitKernelRegression, loadDataset, type DataSplit } from '@mflab/core';
import { openRun } from '@mflab/store';
import { ConfigError } from '../../config/validate.js';
import type { Claim, FigureRequest, Preset, PresetContext, PresetResult } from '../types.js';
import { fmt, runStudy, toCells, type CellInput } from './lazy-vs-active/study.js';

/** Where Debian's `dataset-fashion-mnist` puts the four IDX files; MFLAB_FASHION_MNIST overrides. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
const TRAIN_IMAGES = 'train-images-idx3-ubyte';

/** The Fashion-MNIST authors' benchmark: an MLPClassifier with hidden layers 256-128-100 (their README's table). */
const MLP_REFERENCE = 0.8833;
const MLP_TOLERANCE = 0.02;

interface Size {
  /** Caps on the training and test images (undefined: all 60 000 / 10 000). */
  n?: number;
  nTest?: number;
  widths: number[];
  epochs: number;
  batchSize: number;
  /** Training images for the kernel-regression baseline (the first ones). */
  kernelSubset: number;
}

const FULL: Size = { widths: [64, 256, 1024, 4096], epochs: 5, batchSize: 100, kernelSubset: 4000 };
const QUICK: Size = { n: 3000, nTest: 1000, widths: [32, 128], epochs: 2, batchSize: 100, kernelSubset: 1000 };

type Parameterization = 'mean-field' | 'ntk';
const SCALINGS: readonly { key: Parameterization; label: string; lr: number }[] = [
  { key: 'mean-field', label: 'mean-field (s = 1/m, η = 4)', lr: 4 },
  { key: 'ntk', label: 'NTK (s = 1/√m, η = 8)', lr: 8 },
];
/** λ: 0, and a decay that shrinks a parameter by e^{−ηλ·steps} ≈ e^{−1.2} (mean-field) over the full run absent gradients. */
const DECAYS = [0, 1e-4];

export function fashionMnistDir(): string {
  return process.env.MFLAB_FASHION_MNIST ?? FASHION_MNIST_DIR;
}

/** Whether the Fashion-MNIST files are there (plain or gzip'ed). */
export function haveFashionMnist(dir = fashionMnistDir()): boolean {
  return existsSync(join(dir, TRAIN_IMAGES)) || existsSync(join(dir, `${TRAIN_IMAGES}.gz`));
}

function dataOf(size: Size, dir: string): Record<string, unknown> {
  return { kind: 'idx', path: dir, standardize: true, inputScale: 1 / 28, ...(size.n ? { n: size.n } : {}), ...(size.nTest ? { nTest: size.nTest } : {}) };
}

function cellsOf(size: Size, dir: string, stepsPerEpoch: number): CellInput[] {
  const cells: CellInput[] = [];
  for (const scaling of SCALINGS) {
    for (const weightDecay of DECAYS) {
      for (const width of size.widths) {
        cells.push({
          keys: { 'model.parameterization': scaling.key, 'train.weightDecay': weightDecay, 'model.width': width },
          config: {
            seed: 0,
            data: dataOf(size, dir),
            model: { width, parameterization: scaling.key, bias: true, init: { kind: 'gaussian', scale: 1, symmetric: true } },
            loss: 'softmax',
            train: { integrator: 'sgd', batchSize: size.batchSize, epochs: size.epochs, lr: scaling.lr, schedule: 'cosine', weightDecay, precision: 'f32', backend: 'auto' },
            log: { every: stepsPerEpoch, particles: { every: 0, count: 0 }, ntk: { every: 0 }, checkpointEvery: 0 },
          },
        });
      }
    }
  }
  return cells;
}

interface RunResult {
  scaling: Parameterization;
  decay: number;
  width: number;
  accuracy: number;
  trainAccuracy: number;
  move: number;
  seconds: number;
  /** Test accuracy after each epoch (logged rows after step 0). */
  curve: { epoch: number; accuracy: number }[];
}

function readRun(dir: string, stepsPerEpoch: number): Omit<RunResult, 'scaling' | 'decay' | 'width' | 'seconds'> {
  const curve: { epoch: number; accuracy: number }[] = [];
  let last = { accuracy: NaN, trainAccuracy: NaN, move: NaN };
  for (const batch of openRun(dir).metricsBatches()) {
    const step = batch.getChild('step')?.toArray() as Int32Array;
    const errTest = batch.getChild('error_test')?.toArray() as Float64Array;
    const errTrain = batch.getChild('error_train')?.toArray() as Float64Array;
    const move = batch.getChild('move')?.toArray() as Float64Array;
    for (let i = 0; i < batch.numRows; i++) {
      last = { accuracy: 1 - errTest[i], trainAccuracy: 1 - errTrain[i], move: move[i] };
      if (step[i] > 0) curve.push({ epoch: step[i] / stepsPerEpoch, accuracy: 1 - errTest[i] });
    }
  }
  return { ...last, curve };
}

/** The first `count` training images of a split, as their own split (the kernel baseline's training set). */
function subset(data: DataSplit, count: number): DataSplit {
  const n = Math.min(count, data.train.n);
  const d = data.train.d;
  return { ...data, train: { n, d, x: data.train.x.subarray(0, n * d), y: data.train.y.subarray(0, n) } };
}

export const preset: Preset = {
  id: 'fashion-mnist',
  title: 'Fashion-MNIST: test accuracy vs width, mean-field vs NTK, with and without weight decay',
  paper:
    'H. Xiao, K. Rasul, R. Vollgraf, "Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine Learning Algorithms", arXiv:1708.07747 (2017) — the data and the MLP benchmark; the scalings of S. Mei, A. Montanari, P.-M. Nguyen (PNAS 2018) / L. Chizat, F. Bach (NeurIPS 2018) and A. Jacot, F. Gabriel, C. Hongler (NeurIPS 2018)',
  summary:
    'Two-layer ReLU networks with 10 outputs, widths m = 64 … 4096, learn Fashion-MNIST (60 000 training images, 10 000 test) by minibatch SGD on softmax cross-entropy: 5 epochs of batches of 100 with a cosine step size, in the mean-field and the NTK scaling, with λ = 0 and 10⁻⁴. The figure shows test accuracy vs width, next to the infinite-width NTK kernel-regression predictor fitted on 4000 training images and the dataset authors\' MLP benchmark (0.8833). Needs the Debian package dataset-fashion-mnist.',
  runtime: { quick: '5 s', full: '21 min' },
  async run(context: PresetContext): Promise<PresetResult> {
    const dir = fashionMnistDir();
    if (!haveFashionMnist(dir)) {
      throw new ConfigError(
        'data',
        `Fashion-MNIST is not in ${dir} (no ${TRAIN_IMAGES}[.gz]): install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist), or set MFLAB_FASHION_MNIST to a directory holding the four IDX files of github.com/zalandoresearch/fashion-mnist`,
      );
    }
    const size = context.quick ? QUICK : FULL;
    const notes: string[] = [];
    const data = await loadDataset(dataOf(size, dir) as Parameters<typeof loadDataset>[0], 0);
    const stepsPerEpoch = Math.floor(data.train.n / size.batchSize);
    if (context.quick) {
      notes.push(`--quick: the first ${size.n} training and ${size.nTest} test images, widths ${size.widths.join(', ')}, ${size.epochs} epochs, kernel baseline on ${size.kernelSubset} images. Claims may fail at this size; the full run is the test.`);
    }
    notes.push(
      `Data: ${data.train.n} training and ${data.test.n} test images from ${dir}, pixels /255, standardized per pixel with the training mean and standard deviation, × 1/28 (‖x‖ ≈ 1); bias on, so D = 785.`,
      `Training: minibatch SGD, batches of ${size.batchSize} from a seeded shuffle per epoch (${stepsPerEpoch} steps per epoch, ${size.epochs} epochs), step size η_t = η (1 + cos(π t/T))/2, softmax cross-entropy on 10 outputs (b_j ∈ R^10), float32, gaussian init σ = 1 symmetrized (f_{w(0)} = 0). Step sizes η = 4 (mean-field) and 8 (NTK) were picked from trial runs at m = 256 over 2 epochs among {1, 4} and {1, 8} (the larger trained stably and reached lower training and test risk in both) and checked at m = 1024 over 5 epochs; those trial runs printed test accuracy (there is no validation split), so the step sizes are not blind to the test set. Nothing else was tuned.`,
      'Accuracy is 1 − error_test: argmax of the 10 outputs against the label, on every test image.',
    );

    const started = performance.now();
    const cells = cellsOf(size, dir, stepsPerEpoch);
    const study = await runStudy(
      context,
      {
        name: 'fashion-mnist',
        title: preset.title,
        description: preset.summary,
        grid: { 'model.parameterization': SCALINGS.map((s) => s.key), 'train.weightDecay': DECAYS, 'model.width': size.widths },
        config: cells[0].config,
      },
      toCells(cells),
    );
    const studySeconds = (performance.now() - started) / 1000;

    const results: RunResult[] = [];
    const excluded: string[] = [];
    for (const run of study.runs) {
      if (run.status !== 'done') {
        excluded.push(`${run.id} (${run.status}${run.error ? `: ${run.error}` : ''})`);
        continue;
      }
      const scaling = /model\.parameterization=([^/]+)/.exec(run.id)?.[1] as Parameterization;
      const decay = Number(/train\.weightDecay=([^/]+)/.exec(run.id)?.[1]);
      const width = Number(/model\.width=(\d+)/.exec(run.id)?.[1]);
      results.push({ scaling, decay, width, seconds: run.seconds, ...readRun(run.dir, stepsPerEpoch) });
    }
    if (excluded.length) notes.push(`Left out (not finished or diverged): ${excluded.join('; ')}.`);
    notes.push(`Study: ${study.runs.length} runs in ${fmt(studySeconds)} s on ${context.workers} thread${context.workers === 1 ? '' : 's'}; per run: ${results.map((r) => `${r.scaling} λ=${r.decay} m=${r.width}: ${fmt(r.seconds)} s`).join(', ')}.`);

    let kernel: { accuracy: number; n: number; seconds: number } | null = null;
    if (!context.signal.aborted) {
      const n = Math.min(size.kernelSubset, data.train.n);
      context.log(`fashion-mnist: NTK kernel regression on the first ${n} training images, predicting ${data.test.n} test images…`);
      const t0 = performance.now();
      const train = subset(data, n).train;
      const fit = fitKernelRegression({ x: train.x, d: train.d, labels: train.y, classes: data.classes ?? 10, kernel: 'ntk', bias: true });
      const { accuracy } = fit.evaluate(data.test.x, data.test.y);
      kernel = { accuracy, n, seconds: (performance.now() - t0) / 1000 };
      context.log(`  kernel regression test accuracy ${fmt(accuracy)} (${fmt(kernel.seconds)} s)`);
      notes.push(
        `NTK baseline: kernel ridge regression with the infinite-width NTK Θ of eq. (4) (bias on) on the first ${n} training images, targets one-hot − 1/10, λ = ${fit.lambda.toExponential(2)} (10⁻⁶ × the mean diagonal of K) — the NTK predictor from f = 0 at t → ∞; test accuracy ${fmt(accuracy)} over ${data.test.n} images, ${fmt(kernel.seconds)} s. On a subset because its cost is O(n³) in time and O(n²) in memory: a baseline for the kernel regime, not the full-data kernel.`,
      );
    }

    const best = [...results].sort((p, q) => q.accuracy - p.accuracy)[0];
    if (best) notes.push(`Best: ${best.scaling}, λ = ${best.decay}, m = ${best.width}: test accuracy ${fmt(best.accuracy)} (train ${fmt(best.trainAccuracy)}), ${fmt(best.seconds)} s.`);
    return { claims: evaluateClaims(results, size, kernel, data.test.n), figures: [accuracyFigure(results, size, kernel), curvesFigure(results, size)], notes, study: study.dir };
  },
};

const accuracyOf = (results: readonly RunResult[], scaling: Parameterization, decay: number, width: number): number =>
  results.find((r) => r.scaling === scaling && r.decay === decay && r.width === width)?.accuracy ?? NaN;

function evaluateClaims(results: readonly RunResult[], size: Size, kernel: { accuracy: number; n: number } | null, nTest: number): Claim[] {
  const widest = size.widths[size.widths.length - 1];
  const claims: Claim[] = [];
  const best = [...results].sort((p, q) => q.accuracy - p.accuracy)[0];
  claims.push({
    id: 'wide-network-reaches-mlp-benchmark',
    statement: `A wide two-layer ReLU network trained by SGD reaches the accuracy of the Fashion-MNIST authors' MLP benchmark (256-128-100 hidden units: ${MLP_REFERENCE}).`,
    quantity: `test accuracy of the best run (over widths, scalings and λ), ${nTest} test images`,
    value: best ? best.accuracy : null,
    criterion: `≥ ${MLP_REFERENCE} − ${MLP_TOLERANCE}`,
    holds: best ? best.accuracy >= MLP_REFERENCE - MLP_TOLERANCE : null,
    ...(best ? { note: `${best.scaling}, λ = ${best.decay}, m = ${best.width}` } : { note: 'no run finished' }),
  });

  const mf = accuracyOf(results, 'mean-field', 0, widest);
  const ntk = accuracyOf(results, 'ntk', 0, widest);
  claims.push({
    id: 'mean-field-beats-ntk-at-width',
    statement: 'At large width, the mean-field scaling (features move) generalizes better than the NTK scaling (lazy training), for the same data and training budget.',
    quantity: `test accuracy at m = ${widest}, λ = 0: mean-field − NTK`,
    value: Number.isFinite(mf) && Number.isFinite(ntk) ? mf - ntk : null,
    criterion: '> 0',
    holds: Number.isFinite(mf) && Number.isFinite(ntk) ? mf - ntk > 0 : null,
    note: `mean-field ${fmt(mf)}, NTK ${fmt(ntk)}`,
  });

  const mfCurve = size.widths.map((w) => accuracyOf(results, 'mean-field', 0, w));
  const tail = mfCurve.slice(-2);
  claims.push({
    id: 'mean-field-accuracy-converges-in-width',
    statement: 'In the mean-field scaling the trained network has a limit as m → ∞: test accuracy stops changing with width.',
    quantity: `|accuracy(m = ${widest}) − accuracy(m = ${size.widths[size.widths.length - 2]})|, mean-field, λ = 0`,
    value: tail.every(Number.isFinite) ? Math.abs(tail[1] - tail[0]) : null,
    criterion: '≤ 0.01',
    holds: tail.every(Number.isFinite) ? Math.abs(tail[1] - tail[0]) <= 0.01 : null,
    note: `mean-field accuracies by width: ${size.widths.map((w, i) => `${w}: ${fmt(mfCurve[i])}`).join(', ')}`,
  });

  const ntkMove = results.find((r) => r.scaling === 'ntk' && r.decay === 0 && r.width === widest)?.move ?? NaN;
  const mfMove = results.find((r) => r.scaling === 'mean-field' && r.decay === 0 && r.width === widest)?.move ?? NaN;
  claims.push({
    id: 'ntk-is-lazy',
    statement: 'In the NTK scaling wide networks train lazily: the parameters hardly move relative to their initialization, unlike in the mean-field scaling.',
    quantity: `move = ‖w(T) − w(0)‖/‖w(0)‖ at m = ${widest}, λ = 0: NTK (mean-field for comparison)`,
    value: Number.isFinite(ntkMove) ? ntkMove : null,
    criterion: '≤ 0.1 and < mean-field move / 5',
    holds: Number.isFinite(ntkMove) && Number.isFinite(mfMove) ? ntkMove <= 0.1 && ntkMove < mfMove / 5 : null,
    note: `NTK ${fmt(ntkMove)}, mean-field ${fmt(mfMove)}`,
  });

  if (kernel) {
    claims.push({
      id: 'ntk-network-near-kernel-baseline',
      statement: 'The NTK-scaled network behaves like a kernel method: its accuracy is of the order of the NTK kernel-regression predictor (here fitted on a subset), not above the mean-field network.',
      quantity: `NTK network (m = ${widest}, λ = 0) accuracy − NTK kernel regression accuracy (${kernel.n} training images)`,
      value: Number.isFinite(ntk) ? ntk - kernel.accuracy : null,
      criterion: 'informational: the kernel baseline sees fewer images, so no sign is predicted',
      holds: null,
      note: `NTK network ${fmt(ntk)}, kernel regression ${fmt(kernel.accuracy)}`,
    });
  }
  return claims;
}

const seriesOf = (r: Pick<RunResult, 'scaling' | 'decay'>): string => `${SCALINGS.find((s) => s.key === r.scaling)?.label ?? r.scaling}, λ = ${r.decay}`;

function accuracyFigure(results: readonly RunResult[], size: Size, kernel: { accuracy: number; n: number } | null): FigureRequest {
  const rows: Record<string, unknown>[] = results.map((r) => ({ scaling: SCALINGS.find((q) => q.key === r.scaling)?.label ?? r.scaling, decay: `λ = ${r.decay}`, width: r.width, accuracy: r.accuracy }));
  const refs: Record<string, unknown>[] = [{ accuracy: MLP_REFERENCE, label: `MLP 256-128-100 (dataset authors): ${MLP_REFERENCE}` }];
  if (kernel) refs.push({ accuracy: kernel.accuracy, label: `NTK kernel regression, ${kernel.n} images: ${fmt(kernel.accuracy)}` });
  const domain: number[] = [size.widths[0] / 1.5, size.widths[size.widths.length - 1] * 1.5];
  const x = { field: 'width', type: 'quantitative' as const, scale: { type: 'log' as const, domain, nice: false }, title: 'width m' };
  const y = { field: 'accuracy', type: 'quantitative', scale: { zero: false }, title: 'test accuracy' } as const;
  return {
    name: 'accuracy-vs-width',
    title: 'Fashion-MNIST test accuracy vs width',
    caption: `Test accuracy after ${size.epochs} epochs of SGD (batches of ${size.batchSize}, cosine step size) on all test images; colour: scaling, line style: weight decay λ. Grey dashed rules: the dataset authors' MLP benchmark and the infinite-width NTK kernel-regression predictor on a training subset.`,
    spec: {
      width: 440,
      height: 280,
      layer: [
        {
          data: { values: rows },
          mark: { type: 'line', point: { filled: true, size: 40 }, strokeWidth: 2 },
          encoding: { x, y, color: { field: 'scaling', type: 'nominal', title: null }, strokeDash: { field: 'decay', type: 'nominal', title: null }, detail: { field: 'decay' } },
        },
        { data: { values: refs }, mark: { type: 'rule', strokeDash: [5, 4], color: '#666' }, encoding: { y: { field: 'accuracy', type: 'quantitative' } } },
        { data: { values: refs }, mark: { type: 'text', align: 'left', baseline: 'bottom', dx: 4, dy: -2, fontSize: 10, color: '#444', x: 0 }, encoding: { y: { field: 'accuracy', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } } },
      ],
      config: { view: { stroke: '#ccc' }, axis: { grid: true, gridColor: '#eee' }, legend: { orient: 'bottom', columns: 2, labelLimit: 320 } },
    },
  };
}

function curvesFigure(results: readonly RunResult[], size: Size): FigureRequest {
  const widest = size.widths[size.widths.length - 1];
  const rows = results.filter((r) => r.width === widest).flatMap((r) => r.curve.map((p) => ({ series: seriesOf(r), epoch: p.epoch, accuracy: p.accuracy })));
  return {
    name: 'accuracy-vs-epoch',
    title: `Test accuracy during training, m = ${widest}`,
    caption: `Test accuracy after each epoch at the largest width (m = ${widest}).`,
    spec: {
      data: { values: rows },
      width: 440,
      height: 240,
      mark: { type: 'line', point: { filled: true, size: 30 } },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
        y: { field: 'accuracy', type: 'quantitative', scale: { zero: false }, title: 'test accuracy' },
        color: { field: 'series', type: 'nominal', title: null },
      },
      config: { view: { stroke: '#ccc' }, axis: { grid: true, gridColor: '#eee' }, legend: { orient: 'bottom', columns: 2, labelLimit: 320 } },
    },
  };
}
