/**
 * `mflab reproduce implicit-bias-logistic` — Chizat & Bach (COLT 2020), §6: wide two-layer ReLU
 * networks trained by gradient descent on the logistic loss, both layers versus the output layer
 * only, on a k×k checkerboard of clusters hidden in the first two of d coordinates.
 *
 * Training both layers converges (as t → ∞, m → ∞) to a max-margin classifier in the variation
 * norm F1, whose margin does not depend on the ambient dimension when the labels depend on a
 * low-dimensional projection: its test error stays nearly flat in d. Training only the output
 * layer is a kernel method (an F2 / random-feature SVM in the limit), which has no such
 * adaptivity: its test error grows with d. The F1 margin of the trained network grows with the
 * width m and saturates.
 *
 * The study (one directory per run, `layers=both|output/data.d=…/data.n=…/model.width=…`):
 * both layers through the sweep machinery (core's engine), output layer only through
 * implicit-bias-logistic/output-layer.ts on the same initial hidden weights; the data is core's
 * checkerboard relabelled with the paper's random half of the cells (implicit-bias-logistic/data.ts).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { augmentInputs, initParams, twoLayerModel } from '@mflab/core';
import { OBSERVABLES, openRun, rebuildIndex, runDirName, TrajectoryWriter, writeRunInfo } from '@mflab/store';
import { expandGrid, type GridCell, type GridValue } from '../../config/grid.js';
import { simulationConfigOf } from '../../config/validate.js';
import { fitPowerLaw } from '../../report/fit.js';
import { runSweep } from '../../study/sweep.js';
import { packageVersions } from '../../study/versions.js';
import type { Claim, FigureRequest, Preset, PresetContext, PresetResult } from '../types.js';
import { firstPoints, paperCheckerboard, writeArrowDataset, type CheckerboardData } from './implicit-bias-logistic/data.js';
import { OutputLayerTrainer } from './implicit-bias-logistic/output-layer.js';
import { seriesSpec, type SeriesRow } from './implicit-bias-logistic/plots.js';

/** k: a 3×3 board (the default of the paper's `experiment_2NN`). */
const K = 3;
/** Test points per dataset (the paper's n_test). */
const N_TEST = 4000;
/** Data seed (points and cell labels) and init seed, fixed before any run was looked at. */
const DATA_SEED = 0;
const INIT_SEED = 0;
/**
 * η = 1 on the logistic loss: at f = 0 the logistic residual is −y/(2n), half the paper's
 * normalized soft-min gradient y/n, so η = 1 moves as fast as the paper's first step (0.5).
 */
const LR = 1;
/**
 * The output layer's step, as a fraction of its GD stability limit at initialization,
 * 2/(¼ λ_max(K/n)) with K the random-feature kernel of the frozen hidden layer. Its problem is
 * convex (f is linear in b) and slow: at η = 1 it had not separated the training set after
 * 50 000 steps (d = 5, 10), and its test error kept falling (d = 5: 0.22 at t = 5·10⁴, 0.08 at
 * t = 5·10⁵), so the comparison would be with an unconverged kernel method. Half the limit
 * gave the same trajectory as η = 5 at equal flow time, to 3–4 digits, in development.
 */
const OUTPUT_STEP_FRACTION = 0.5;
/** Precision of the both-layer runs (wasm f32 SIMD; checked against f64 in development: same test error and margin to 4 digits at 5000 steps). */
const PRECISION = 'f32';

/**
 * Sizes, with d counted as in the paper: the dimension of x̃ = (1, x), constant included, so
 * mflab's data.d is d − 1 (mflab adds the constant itself, bias: true).
 */
interface Sizes {
  /** GD steps, both layers (η = LR) and output layer (η = OUTPUT_STEP_FRACTION of its stability limit). */
  steps: number;
  /** Log every this many steps. */
  logEvery: number;
  /** m of the n- and d-sweeps. */
  width: number;
  /** The n-sweep, at d = dFixed. */
  ns: readonly number[];
  dFixed: number;
  /** The d-sweep, at n = nFixed. */
  ds: readonly number[];
  nFixed: number;
  /** The margin-vs-width sweep (both layers only), at d = dFixed, n = nFixed. */
  widths: readonly number[];
}

const SIZES: { full: Sizes; quick: Sizes } = {
  full: { steps: 50_000, logEvery: 250, width: 1000, ns: [32, 64, 128, 256, 512], dFixed: 15, ds: [5, 10, 15, 20, 25], nFixed: 256, widths: [8, 16, 32, 64, 128, 256, 512, 1024] },
  quick: { steps: 3000, logEvery: 50, width: 256, ns: [64, 256], dFixed: 15, ds: [5, 15, 25], nFixed: 256, widths: [8, 32, 128, 512] },
};

type Layers = 'both' | 'output';
const LAYER_LABEL: Record<Layers, string> = { both: 'both layers', output: 'output layer only' };

/** One run: which layers train, the paper's d, n and m. */
interface RunSpec {
  layers: Layers;
  d: number;
  n: number;
  m: number;
}

/** What the claims and figures read back from a run. */
interface RunResult extends RunSpec {
  dir: string;
  /** Test and train error at the last step. */
  testError: number;
  trainError: number;
  /** max over the logged steps of min_i y_i f(x_i) / l2 (the paper's code keeps the maximum over iterations). */
  maxMargin: number;
  finalMargin: number;
  /** Logged (step, margin) pairs. */
  marginCurve: { step: number; margin: number }[];
  /** Logged (flow time, test error) pairs. */
  testCurve: { time: number; error: number }[];
}

const keysOf = (run: RunSpec): Record<string, GridValue> => ({ layers: run.layers, 'data.d': run.d - 1, 'data.n': run.n, 'model.width': run.m });
const dataFile = (dataDir: string, d: number, n: number) => join(dataDir, `checkerboard-k${K}-d${d}-n${n}.arrow`);

/** The run config, as a user would write it (`mflab run` reproduces a both-layer run from it). */
function runConfig(size: Sizes, dataDir: string, run: RunSpec): Record<string, unknown> {
  return {
    name: 'implicit-bias-logistic',
    seed: INIT_SEED,
    data: { kind: 'arrow', path: dataFile(dataDir, run.d, run.n), d: run.d - 1, n: run.n, nTest: N_TEST },
    model: { width: run.m, parameterization: 'mean-field', bias: true, centered: false, init: { kind: 'gaussian', scale: 1, symmetric: false, sigmaA: 1, sigmaB: 1 } },
    loss: 'logistic',
    // The output layer's η is set from its kernel when it starts (OUTPUT_STEP_FRACTION); its run.json records the value.
    train: { steps: size.steps, lr: LR, weightDecay: 0, integrator: 'gd', precision: run.layers === 'both' ? PRECISION : 'f64', backend: 'auto' },
    log: { every: size.logEvery, particles: { every: 0, count: 0 }, ntk: { every: 0, probe: 1 }, checkpointEvery: 0 },
  };
}

/** The distinct runs of the three experiments (the n- and d-sweeps share their (d, n) = (dFixed, nFixed) point). */
function plannedRuns(size: Sizes): RunSpec[] {
  const runs = new Map<string, RunSpec>();
  const add = (run: RunSpec) => runs.set(runDirName(keysOf(run)), run);
  for (const layers of ['both', 'output'] as const) {
    for (const n of size.ns) add({ layers, d: size.dFixed, n, m: size.width });
    for (const d of size.ds) add({ layers, d, n: size.nFixed, m: size.width });
  }
  for (const m of size.widths) add({ layers: 'both', d: size.dFixed, n: size.nFixed, m });
  return [...runs.values()];
}

/** Writes one Arrow dataset per (d, n) used: the first n points of the d-dimensional set, and its test set. */
function writeDatasets(runs: readonly RunSpec[], dataDir: string): Map<number, CheckerboardData> {
  mkdirSync(dataDir, { recursive: true });
  const byD = new Map<number, CheckerboardData>();
  for (const d of [...new Set(runs.map((r) => r.d))]) {
    const ns = [...new Set(runs.filter((r) => r.d === d).map((r) => r.n))];
    const data = paperCheckerboard(d - 1, Math.max(...ns), N_TEST, K, DATA_SEED);
    byD.set(d, data);
    for (const n of ns) writeArrowDataset(dataFile(dataDir, d, n), firstPoints(data.train, n), data.test);
  }
  return byD;
}

/** Reads step, error_train, error_test and margin from a run's metrics stream. */
function readRun(dir: string, run: RunSpec): RunResult | null {
  const steps: number[] = [];
  const margins: number[] = [];
  const times: number[] = [];
  const testErrors: number[] = [];
  let trainError = Number.NaN;
  let testError = Number.NaN;
  try {
    for (const batch of openRun(dir).metricsBatches()) {
      const step = batch.getChild('step')?.toArray() as ArrayLike<number> | undefined;
      const time = batch.getChild('time')?.toArray() as ArrayLike<number> | undefined;
      const margin = batch.getChild('margin')?.toArray() as ArrayLike<number> | undefined;
      const train = batch.getChild('error_train')?.toArray() as ArrayLike<number> | undefined;
      const test = batch.getChild('error_test')?.toArray() as ArrayLike<number> | undefined;
      if (!step || !time || !margin || !train || !test) return null;
      for (let i = 0; i < step.length; i++) {
        steps.push(step[i]);
        margins.push(margin[i]);
        times.push(time[i]);
        testErrors.push(test[i]);
      }
      if (step.length > 0) {
        trainError = train[step.length - 1];
        testError = test[step.length - 1];
      }
    }
  } catch {
    return null;
  }
  if (steps.length === 0) return null;
  return {
    ...run,
    dir,
    testError,
    trainError,
    maxMargin: Math.max(...margins.filter(Number.isFinite)),
    finalMargin: margins[margins.length - 1],
    marginCurve: steps.map((step, i) => ({ step, margin: margins[i] })),
    testCurve: times.map((time, i) => ({ time, error: testErrors[i] })),
  };
}

/** Trains the output layer of one run (a frozen at the both-layer run's w(0), b from 0) and writes its run directory; returns η. */
async function runOutputLayer(context: PresetContext, cell: GridCell, data: CheckerboardData, run: RunSpec, dir: string): Promise<{ status: 'done' | 'stopped'; lr: number }> {
  const started = performance.now();
  const core = simulationConfigOf(cell.config);
  const D = run.d;
  const model = twoLayerModel(core.model);
  const params = initParams(model.init, run.m, D, core.seed);
  // The paper's code starts the output layer at b = 0 (f ≡ 0); a stays at its random init.
  params.b.fill(0);
  const train = firstPoints(data.train, run.n);
  const trainer = new OutputLayerTrainer({
    params,
    parameterization: model.parameterization,
    alpha: model.alpha,
    loss: core.loss,
    lr: { fractionOfStabilityLimit: OUTPUT_STEP_FRACTION },
    weightDecay: core.train.weightDecay,
    train: augmentInputs(train, true, 'data.train'),
    trainY: train.y,
    test: augmentInputs(data.test, true, 'data.test'),
    testY: data.test.y,
  });
  const config = {
    ...cell.config,
    train: { ...cell.config.train, lr: trainer.lr, precision: 'f64' },
    training: `output layer only: hidden weights a frozen at init, b from 0, η = ${OUTPUT_STEP_FRACTION} × the GD stability limit (implicit-bias-logistic/output-layer.ts)`,
  };
  const info = { config, seed: core.seed, error: null, backend: 'output-layer (TypeScript, float64)', precision: 'f64' as const, versions: packageVersions() };
  writeRunInfo(dir, { ...info, status: 'running', timings: {} });
  const writer = TrajectoryWriter.open({ dir, observables: OBSERVABLES, precision: 'f64', config, versions: packageVersions() });
  let stopped = false;
  try {
    const log = () => {
      const row = trainer.observe();
      writer.logMetrics(row.step, row.time, row as unknown as Record<string, number>);
    };
    log();
    const { steps } = core.train;
    while (trainer.currentStep < steps) {
      if (context.signal.aborted) {
        stopped = true;
        break;
      }
      trainer.step(Math.min(core.log.every, steps - trainer.currentStep));
      log();
      // Let the event loop run (Ctrl-C, progress) between chunks.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    writer.close();
  }
  writeRunInfo(dir, { ...info, status: stopped ? 'failed' : 'done', error: stopped ? 'interrupted' : null, timings: { wall: (performance.now() - started) / 1000 } });
  return { status: stopped ? 'stopped' : 'done', lr: trainer.lr };
}

/** Spearman's rank correlation (no ties expected among distinct margins). */
function spearman(xs: readonly number[], ys: readonly number[]): number {
  const ranks = (v: readonly number[]) => {
    const order = v.map((value, i) => ({ value, i })).sort((p, q) => p.value - q.value);
    const r = new Array<number>(v.length);
    order.forEach((o, rank) => (r[o.i] = rank));
    return r;
  };
  const rx = ranks(xs);
  const ry = ranks(ys);
  const n = xs.length;
  let d2 = 0;
  for (let i = 0; i < n; i++) d2 += (rx[i] - ry[i]) ** 2;
  return 1 - (6 * d2) / (n * (n * n - 1));
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const fmt = (v: number, digits = 3) => (Number.isFinite(v) ? Number(v.toPrecision(digits)).toString() : String(v));

export const preset: Preset = {
  id: 'implicit-bias-logistic',
  title: 'Implicit bias on the logistic loss: both layers vs the output layer on a checkerboard with spurious dimensions',
  paper: 'L. Chizat, F. Bach, "Implicit Bias of Gradient Descent for Wide Two-layer Neural Networks Trained with the Logistic Loss", COLT 2020',
  summary:
    'A 3×3 checkerboard of clusters in the first two coordinates, a random half of the cells labelled −1, spurious coordinates U[−½, ½] in the other d − 3 (d counts the constant input, as in the paper). Two-layer ReLU networks in the mean-field parameterization (m = 1000) trained by GD on the logistic loss, either both layers or the output layer only (hidden weights frozen at their random init), for n ∈ {32…512} at d = 15 and d ∈ {5…25} at n = 256; and the F1 margin min_i y_i f(x_i)/l2 of both-layer training for m ∈ {8…1024}. Claims: both layers give the lower test error, nearly flat in d, while the output layer\'s grows with d; the margin grows with m and saturates.',
  runtime: { quick: '≈ 15 s', full: '≈ 12 min' },
  async run(context: PresetContext): Promise<PresetResult> {
    const size = context.quick ? SIZES.quick : SIZES.full;
    const studyDir = join(context.out, 'study');
    const dataDir = join(context.out, 'data');
    const notes: string[] = [];
    if (context.quick) {
      notes.push(
        `--quick: m = ${size.width} instead of 1000, ${size.steps} GD steps instead of ${SIZES.full.steps}, n ∈ {${size.ns.join(', ')}} at d = ${size.dFixed}, d ∈ {${size.ds.join(", ")}} at n = ${size.nFixed}, widths {${size.widths.join(', ')}} for the margin. The claims may fail at this size; the full run is the test.`,
      );
    }
    notes.push(
      'Data: core\'s checkerboard points (Chizat\'s construction: k = 3, cluster radius Δ = 1/(3k − 1), spurious coordinates U[−½, ½]) relabelled as in the paper\'s code, a uniformly random half (⌊k²/2⌋ = 4) of the 9 cells labelled −1 (seeded: data seed 0, fixed before any run). Core\'s own labels are the parity (−1)^(u+v), the hardest assignment; in development at d = 15, n = 256 neither both-layer nor output-only training learnt it (test error ≈ 0.45), so it would test a different problem. The datasets are written to data/ as Arrow files and the runs read them (data.kind: arrow).',
      `Training: GD with constant step η = ${LR} on the logistic loss for ${size.steps} steps, mean-field parameterization (f = (1/m) Σ b_j σ(a_j·x̃)), Gaussian init a ~ N(0, I), b ~ N(0, 1), init seed ${INIT_SEED}. The paper's code instead runs gradient ascent on the smooth margin −log Σ_i e^(−y_i f_i) (the exponential loss with a step normalized by its value) with step 0.5/√t for 50 000 iterations; that normalization speeds up the late phase where the margin grows, so our margins after the same number of steps are lower bounds of what longer training reaches. The loss here is the one of the paper's title and theorems.`,
      `Output layer only: the hidden weights a_j frozen at the both-layer run's initialization, b from 0 (as in the paper's code), same loss, parameterization and number of steps (implicit-bias-logistic/output-layer.ts, checked against core's GD step with a frozen), with the step at ${OUTPUT_STEP_FRACTION} of its GD stability limit 2/(¼ λ_max(K/n)) (K: the random-feature kernel of the frozen layer) rather than η = ${LR}. That problem is convex and slow: in development, at η = 1 it had not separated the training set after 50 000 steps (d = 5 and 10) and its test error was still falling (d = 5: 0.22 at t = 5·10⁴, 0.08 at t = 5·10⁵), so it would have been compared unconverged; the paper's code too accelerates this layer, multiplying its (normalized) step by max(1, ‖b‖/√m) — with the unnormalized logistic gradient that rule diverged in development. The output layer's test errors at the both-layer flow time are in a note below.`,
      `Margin: the \`margin\` observable, min_i y_i f(x_i) / l2 with l2 = (1/m) Σ_j (‖a_j‖² + b_j²), exactly the normalized margin of the paper's code (margin/betas); by 2-homogeneity l2 ≥ 2·(1/m) Σ_j |b_j| ‖a_j‖ ≥ 2‖f‖_F1, so it is at most half the F1-normalized margin and converges to half the F1 max-margin. As in the paper's code, a run's margin is the maximum over the logged steps (every ${size.logEvery}). Test errors on ${N_TEST} test points at the last step.`,
      `Precision: the both-layer runs use ${PRECISION} (wasm SIMD), the output-layer runs float64.`,
      'The paper\'s 2-D illustration of the two classifiers (k = 4, d = 2) is not reproduced.',
    );

    const runs = plannedRuns(size);
    context.log(`implicit-bias-logistic: writing ${new Set(runs.map((r) => `${r.d}/${r.n}`)).size} datasets → ${dataDir}`);
    const dataByD = writeDatasets(runs, dataDir);
    const cellOf = (run: RunSpec): GridCell => ({ keys: keysOf(run), config: expandGrid(runConfig(size, dataDir, run))[0].config });

    // Both layers: core's engine through the sweep machinery, on the thread pool.
    const bothRuns = runs.filter((r) => r.layers === 'both');
    const bothCells = bothRuns.map(cellOf);
    context.log(`implicit-bias-logistic: ${bothCells.length} both-layer runs (${size.steps} steps) on ${context.workers} thread${context.workers === 1 ? '' : 's'} → ${studyDir}`);
    let reported = 0;
    const summary = await runSweep({
      cells: bothCells,
      out: studyDir,
      meta: {
        name: 'implicit-bias-logistic',
        title: 'Chizat & Bach (2020): both layers vs output layer on a checkerboard with spurious dimensions',
        grid: { layers: ['both', 'output'], 'data.d': [...new Set(runs.map((r) => r.d - 1))], 'data.n': [...new Set(runs.map((r) => r.n))], 'model.width': [...new Set(runs.map((r) => r.m))] },
        config: runConfig(size, dataDir, { layers: 'both', d: size.dFixed, n: size.nFixed, m: size.width }),
      },
      workers: context.workers,
      resume: false,
      signal: context.signal,
      onProgress: (progress) => {
        if (!progress.outcome) return;
        const tenth = Math.floor((10 * progress.finished) / progress.total);
        if (tenth > reported || progress.finished === progress.total) {
          reported = tenth;
          context.log(`  ${progress.finished}/${progress.total} both-layer runs (last: ${progress.outcome.id}, ${progress.outcome.status})`);
        }
      },
    });
    for (const run of summary.runs) if (run.status !== 'done') notes.push(`both-layer run ${run.id}: ${run.status}${run.error ? ` (${run.error})` : ''}, left out`);

    // Output layer only: on this thread, after the pool has finished (a busy main thread would slow a sharded run's barrier).
    const outputRuns = runs.filter((r) => r.layers === 'output');
    context.log(`implicit-bias-logistic: ${outputRuns.length} output-layer runs`);
    const outputSteps: string[] = [];
    for (const run of outputRuns) {
      if (context.signal.aborted) break;
      const data = dataByD.get(run.d);
      if (!data) continue;
      const { status, lr } = await runOutputLayer(context, cellOf(run), data, run, join(studyDir, runDirName(keysOf(run))));
      outputSteps.push(`d=${run.d}, n=${run.n}: η = ${fmt(lr)} (t = ${fmt(lr * size.steps)})`);
      context.log(`  output layer d=${run.d} n=${run.n} (η = ${fmt(lr)}): ${status}`);
    }
    rebuildIndex(studyDir);

    // --- Results ------------------------------------------------------------------------------
    const doneIds = new Set(summary.runs.filter((r) => r.status === 'done').map((r) => r.id));
    const results: RunResult[] = [];
    for (const run of runs) {
      const id = runDirName(keysOf(run));
      if (run.layers === 'both' && !doneIds.has(id)) continue;
      const result = readRun(join(studyDir, id), run);
      if (result && (run.layers === 'both' || result.marginCurve.at(-1)?.step === size.steps)) results.push(result);
    }
    const find = (layers: Layers, d: number, n: number, m: number) => results.find((r) => r.layers === layers && r.d === d && r.n === n && r.m === m);
    const pairsOver = <T extends number>(values: readonly T[], at: (v: T) => [RunResult | undefined, RunResult | undefined]) =>
      values.map((v) => {
        const [both, output] = at(v);
        return { v, both, output };
      });
    const byN = pairsOver(size.ns, (n) => [find('both', size.dFixed, n, size.width), find('output', size.dFixed, n, size.width)]);
    const byD = pairsOver(size.ds, (d) => [find('both', d, size.nFixed, size.width), find('output', d, size.nFixed, size.width)]);
    const complete = (rows: typeof byN) => rows.every((r) => r.both && r.output);
    const listPairs = (rows: typeof byN, name: string) => rows.map((r) => `${name}=${r.v}: ${r.both ? fmt(r.both.testError) : '—'} vs ${r.output ? fmt(r.output.testError) : '—'}`).join('; ');
    const bothLower = (rows: typeof byN) => rows.every((r) => r.both && r.output && r.both.testError < r.output.testError);

    const bothByD = byD.map((r) => r.both?.testError ?? Number.NaN);
    const outputByD = byD.map((r) => r.output?.testError ?? Number.NaN);
    const bothRange = Math.max(...bothByD) - Math.min(...bothByD);
    const outputFit = complete(byD) ? fitPowerLaw([...size.ds], outputByD) : null;
    const bothFit = complete(byD) ? fitPowerLaw([...size.ds], bothByD) : null;

    const widthRuns = size.widths.map((m) => ({ m, run: find('both', size.dFixed, size.nFixed, m) }));
    const widthsComplete = widthRuns.every((w) => w.run);
    const margins = widthRuns.map((w) => w.run?.maxMargin ?? Number.NaN);
    const marginFirst = margins[0];
    const marginLast = margins[margins.length - 1];
    const marginBeforeLast = margins[margins.length - 2];
    const rankCorrelation = widthsComplete ? spearman([...size.widths], margins) : Number.NaN;
    const growth = marginLast - marginFirst;
    const lastDoubling = Math.abs(marginLast - marginBeforeLast);

    const trainErrors = results.map((r) => r.trainError);
    notes.push(
      `Training error at the last step: max ${fmt(Math.max(...trainErrors))} over all runs (both layers: ${fmt(Math.max(...results.filter((r) => r.layers === 'both').map((r) => r.trainError)))}; output layer: ${fmt(Math.max(...results.filter((r) => r.layers === 'output').map((r) => r.trainError)))}).`,
    );

    const bothTime = size.steps * LR;
    const atBothTime = (r: RunResult) => r.testCurve.filter((p) => p.time <= bothTime * (1 + 1e-9)).at(-1);
    notes.push(
      `Output-layer steps (η at ${OUTPUT_STEP_FRACTION} of the stability limit, and the flow time reached): ${outputSteps.join('; ')}.`,
      `For comparison at equal flow time: the output layer's test error at the logged time closest below t = ${bothTime} (the both-layer runs' final time): ${results
        .filter((r) => r.layers === 'output')
        .map((r) => {
          const p = atBothTime(r);
          return `d=${r.d}, n=${r.n}: ${p ? `${fmt(p.error)} (t = ${fmt(p.time)})` : '—'}`;
        })
        .join('; ')}.`,
    );

    const claims: Claim[] = [
      {
        id: 'both-layers-lower-error-vs-n',
        statement: 'Training both layers gives a lower test error than training the output layer only, at every training-set size n.',
        quantity: `test error (both layers vs output layer) after ${size.steps} steps, d = ${size.dFixed}, m = ${size.width}, n ∈ {${size.ns.join(', ')}}`,
        value: complete(byN) ? listPairs(byN, 'n') : null,
        criterion: 'both layers strictly lower at every n',
        holds: complete(byN) ? bothLower(byN) : null,
        note: complete(byN) ? undefined : 'some runs did not finish (see the notes)',
      },
      {
        id: 'both-layers-lower-error-vs-d',
        statement: 'Training both layers gives a lower test error than training the output layer only, at every dimension d.',
        quantity: `test error (both layers vs output layer), n = ${size.nFixed}, m = ${size.width}, d ∈ {${size.ds.join(', ')}}`,
        value: complete(byD) ? listPairs(byD, 'd') : null,
        criterion: 'both layers strictly lower at every d',
        holds: complete(byD) ? bothLower(byD) : null,
        note: complete(byD) ? undefined : 'some runs did not finish (see the notes)',
      },
      {
        id: 'both-layers-flat-in-d',
        statement: 'The test error of the network trained on both layers is nearly flat in the ambient dimension d (the F1 max-margin adapts to the 2-dimensional structure).',
        quantity: `max − min over d ∈ {${size.ds.join(', ')}} of the both-layer test error (n = ${size.nFixed})`,
        value: complete(byD) ? bothRange : null,
        criterion: '≤ 0.1 (within 10 points of error over the whole range of d)',
        holds: complete(byD) ? bothRange <= 0.1 : null,
        note: complete(byD) ? `both layers: ${bothByD.map((e, i) => `d=${size.ds[i]}: ${pct(e)}`).join(', ')}; fitted exponent of error ∝ d^p: ${bothFit ? fmt(bothFit.slope) : '—'}` : 'some runs did not finish (see the notes)',
      },
      {
        id: 'output-layer-error-grows-with-d',
        statement: 'The test error of the network trained on its output layer only grows with the dimension d (a kernel method does not adapt to the hidden structure).',
        quantity: `fitted exponent p of test error ∝ d^p, output layer only, d ∈ {${size.ds.join(', ')}}, n = ${size.nFixed}`,
        value: outputFit ? outputFit.slope : null,
        criterion: 'the 95% CI of p lies above 0',
        holds: outputFit ? outputFit.ci95 !== null && outputFit.ci95[0] > 0 : null,
        note: outputFit
          ? `output layer: ${outputByD.map((e, i) => `d=${size.ds[i]}: ${pct(e)}`).join(', ')}; 95% CI ${outputFit.ci95 ? `[${fmt(outputFit.ci95[0])}, ${fmt(outputFit.ci95[1])}]` : 'none (2 points)'}${outputFit.note ? ` (${outputFit.note})` : ''}`
          : 'some runs did not finish, or an error was 0 (no log)',
      },
      {
        id: 'margin-grows-with-m',
        statement: 'The normalized (F1) margin of the network trained on both layers grows with the width m.',
        quantity: `max over training of min_i y_i f(x_i)/l2 for m ∈ {${size.widths.join(', ')}} (d = ${size.dFixed}, n = ${size.nFixed}): Spearman rank correlation with m`,
        value: widthsComplete ? rankCorrelation : null,
        criterion: 'rank correlation ≥ 0.7 and the margin at the largest m above the one at the smallest',
        holds: widthsComplete ? rankCorrelation >= 0.7 && growth > 0 : null,
        note: widthsComplete ? `margins: ${widthRuns.map((w, i) => `m=${w.m}: ${fmt(margins[i])}`).join(', ')}` : 'some runs did not finish (see the notes)',
      },
      {
        id: 'margin-saturates',
        statement: 'The margin saturates as m grows: it converges to the margin of the infinite-width (F1 max-margin) limit.',
        quantity: `|M(${size.widths[size.widths.length - 1]}) − M(${size.widths[size.widths.length - 2]})| / (M(${size.widths[size.widths.length - 1]}) − M(${size.widths[0]})): the last doubling of m as a fraction of the whole growth`,
        value: widthsComplete && growth > 0 ? lastDoubling / growth : null,
        criterion: '≤ 0.1',
        holds: widthsComplete && growth > 0 ? lastDoubling / growth <= 0.1 : null,
        note: widthsComplete ? (growth > 0 ? `M(${size.widths.at(-2)}) = ${fmt(marginBeforeLast)}, M(${size.widths.at(-1)}) = ${fmt(marginLast)}, M(${size.widths[0]}) = ${fmt(marginFirst)}` : 'the margin did not grow from the smallest to the largest width, so saturation is not defined') : 'some runs did not finish (see the notes)',
      },
    ];

    // --- Figures ------------------------------------------------------------------------------
    const layerOrder = [LAYER_LABEL.both, LAYER_LABEL.output];
    const errorRows = (rows: typeof byN): SeriesRow[] =>
      rows.flatMap((r) => [
        ...(r.both ? [{ series: LAYER_LABEL.both, x: r.v, y: r.both.testError }] : []),
        ...(r.output ? [{ series: LAYER_LABEL.output, x: r.v, y: r.output.testError }] : []),
      ]);
    const figures: FigureRequest[] = [
      {
        name: 'test-error-vs-n',
        title: 'Test error vs number of training points',
        caption: `Test error (${N_TEST} test points) after ${size.steps} GD steps on the logistic loss, d = ${size.dFixed}, m = ${size.width}: both layers trained vs the output layer only (the paper's Figure, left).`,
        spec: seriesSpec({ rows: errorRows(byN), seriesOrder: layerOrder, seriesTitle: 'trained', xTitle: 'n (training points)', yTitle: 'test error', logX: 2, yZero: true }),
      },
      {
        name: 'test-error-vs-d',
        title: 'Test error vs dimension',
        caption: `Test error against d (counting the constant input, as the paper does; d − 3 spurious coordinates), n = ${size.nFixed}, m = ${size.width} (the paper's Figure, middle).`,
        spec: seriesSpec({ rows: errorRows(byD), seriesOrder: layerOrder, seriesTitle: 'trained', xTitle: 'd (input dimension, constant included)', yTitle: 'test error', logX: false, yZero: true }),
      },
      {
        name: 'margin-vs-width',
        title: 'F1 margin vs width',
        caption: `Max over training of min_i y_i f(x_i)/l2, both layers trained, d = ${size.dFixed}, n = ${size.nFixed} (the paper's Figure, right).`,
        spec: seriesSpec({
          rows: widthRuns.flatMap((w, i) => (w.run ? [{ series: 'both layers', x: w.m, y: margins[i] }] : [])),
          seriesOrder: ['both layers'],
          seriesTitle: 'trained',
          xTitle: 'width m',
          yTitle: 'margin min yf / l2',
          logX: 2,
          rule: 0,
        }),
      },
      {
        name: 'margin-over-training',
        title: 'Margin during training, per width',
        caption: `min_i y_i f(x_i)/l2 against the step, every ${size.logEvery} steps, both layers, d = ${size.dFixed}, n = ${size.nFixed}: whether the margins have settled by the end of training.`,
        spec: seriesSpec({
          rows: widthRuns.flatMap((w) => (w.run ? w.run.marginCurve.filter((p) => p.step > 0 && Number.isFinite(p.margin)).map((p) => ({ series: `m = ${w.m}`, x: p.step, y: p.margin })) : [])),
          seriesOrder: size.widths.map((m) => `m = ${m}`),
          seriesTitle: 'width',
          xTitle: 'GD step',
          yTitle: 'margin min yf / l2',
          logX: 10,
          points: false,
          rule: 0,
        }),
      },
    ];
    if (context.signal.aborted) notes.push('Interrupted: the claims use the runs that finished.');
    return { claims, figures, notes, study: studyDir };
  },
};
