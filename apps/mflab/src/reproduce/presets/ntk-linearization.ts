/**
 * `mflab reproduce ntk-linearization` — Jacot, Gabriel & Hongler (2018) and Lee et al. (2019):
 * in the ntk parameterization the tangent kernel at initialization tends to the analytic Θ of
 * ARCHITECTURE.md eq. (4), and a wide network trained by GD on the square loss stays close to
 * its linearization around w(0), i.e. to the kernel predictor with its initial tangent kernel.
 *
 * The study: widths 64…4096 × seeds, ntk parameterization, gaussian init σ_a = σ_b = 1 made
 * symmetric (so f_{w(0)} ≡ 0 and the kernel predictor starts from f₀ = 0 like the network),
 * 1000 GD steps of η = 0.5 on 128 teacher points. Each run's checkpoint gives w(0) and w(T):
 * from w(0) the empirical tangent kernel K₀ (compared with Θ) and the linearized network
 * trained by the same discrete GD (linearized-gd.ts); from w(T) the network itself.
 */
import {
  augmentInputs,
  empiricalTangentKernel,
  evaluateTeacher,
  makeDataset,
  reluKernelGram,
  scalingOf,
  teacherOf,
  type AugmentedInputs,
  type DataSpec,
  type Dataset,
  type NetworkParams,
} from '@mflab/core';
import { readCheckpoint } from '@mflab/store';
import { readOutputs, readRunMetrics } from '../../report/load.js';
import type { Claim, FigureRequest, Preset, PresetContext, PresetResult } from '../types.js';
import { linearizedGradientDescent } from './ntk-linearization/linearized-gd.js';
import { networkOutputs, relativeFrobeniusError, rootMeanSquareDifference, squareRisk } from './ntk-linearization/network.js';
import { curvesSpec, markerRow, referenceRows, widthRows, widthScalingSpec, type CurveRow } from './ntk-linearization/plots.js';
import { describeFit, exponentWithin, perWidth, runWidthStudy, widthFit, type StudyRun, type WidthSample } from './ntk-linearization/width-study.js';

/** The data of every run: a 3-neuron ReLU teacher on the unit sphere of R⁴ (data seed 0). */
const DATA: DataSpec = { kind: 'teacher', d: 4, n: 128, nTest: 256, teacherWidth: 3, sphere: true };
const DATA_SEED = 0;
const LR = 0.5;
const STEPS = 1000;
/** The linearized model's outputs are recorded on the network's metrics schedule. */
const LOG_EVERY = 10;
/** The issue's figure for the network–linearization RMSE near width 512. */
const RMSE_AT_512 = 0.05;

const SIZES = {
  full: { widths: [64, 128, 256, 512, 1024, 2048, 4096], seeds: 10 },
  quick: { widths: [64, 128, 256, 512, 1024], seeds: 3 },
} as const;

/** Points on the great circle through e₁ and e₂ (γ ∈ [−π, π]): the 1-D slices of the figures (Jacot et al. Fig. 1–2). */
const SLICE_POINTS = 121;

function studyConfig(widths: readonly number[], seeds: number): Record<string, unknown> {
  return {
    name: 'ntk-linearization',
    title: 'ntk-linearization: network vs its linearization and the analytic NTK',
    seed: 0,
    data: { ...DATA, seed: DATA_SEED },
    model: { parameterization: 'ntk', bias: true, centered: false, init: { kind: 'gaussian', scale: 1, sigmaA: 1, sigmaB: 1, symmetric: true } },
    loss: 'square',
    train: { steps: STEPS, lr: LR, weightDecay: 0, integrator: 'gd', precision: 'f64', backend: 'auto' },
    log: { every: LOG_EVERY, particles: { every: 0, count: 0 }, ntk: { every: 0, probe: 1 }, checkpointEvery: 0 },
    grid: { 'model.width': [...widths], seed: Array.from({ length: seeds }, (_, i) => i) },
  };
}

/** The unit great circle through the first training point and (Gram–Schmidt) the second. */
function greatCircle(train: Dataset, count: number): { points: Dataset; angles: Float64Array } {
  const d = train.d;
  const e1 = train.x.slice(0, d);
  const n1 = Math.hypot(...e1);
  for (let k = 0; k < d; k++) e1[k] /= n1;
  const e2 = train.x.slice(d, 2 * d);
  let dot = 0;
  for (let k = 0; k < d; k++) dot += e1[k] * e2[k];
  for (let k = 0; k < d; k++) e2[k] -= dot * e1[k];
  const n2 = Math.hypot(...e2);
  for (let k = 0; k < d; k++) e2[k] /= n2;
  const x = new Float64Array(count * d);
  const angles = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const g = -Math.PI + (2 * Math.PI * i) / (count - 1);
    angles[i] = g;
    for (let k = 0; k < d; k++) x[i * d + k] = Math.cos(g) * e1[k] + Math.sin(g) * e2[k];
  }
  return { points: { n: count, d, x, y: new Float64Array(count) }, angles };
}

/** Rows [A; B] of two row-major matrices with the same number of columns. */
function stackRows(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

interface RunAnalysis {
  width: number;
  seed: number;
  /** ‖K₀ − Θ‖_F/‖Θ‖_F on the training Gram. */
  kernelError: number;
  /** Test RMSE(f_network − f_lin) after STEPS steps. */
  rmseLinear: number;
  /** Test RMSE(f_network − f_Θ). */
  rmseAnalytic: number;
  /** Test RMSE(f_lin − f_Θ): what K₀'s fluctuation alone changes. */
  rmseLinearAnalytic: number;
  /** max |outputs.arrow − outputs recomputed from the checkpoint|: the analysis reads what the run computed. */
  outputsAgreement: number;
}

export const preset: Preset = {
  id: 'ntk-linearization',
  title: 'Wide networks train like their linearization (NTK)',
  paper:
    'A. Jacot, F. Gabriel, C. Hongler, "Neural Tangent Kernel: Convergence and Generalization in Neural Networks", NeurIPS 2018; J. Lee, L. Xiao, S. Schoenholz, Y. Bahri, R. Novak, J. Sohl-Dickstein, J. Pennington, "Wide Neural Networks of Any Depth Evolve as Linear Models Under Gradient Descent", NeurIPS 2019',
  summary:
    'Two-layer ReLU networks in the ntk parameterization, widths 64…4096, trained by small-step full-batch GD on the square loss (128 teacher points in d = 4). The empirical tangent kernel at initialization is compared with the analytic Θ of eq. (4); the trained network is compared on test points with its linearization (the kernel predictor with its own initial tangent kernel, trained by the same GD) and with the kernel predictor of the analytic Θ. Claims: K₀ → Θ, and RMSE(network − kernel predictor) falls like m^(−1/2), about 0.05 near width 512.',
  runtime: { quick: '≈ 12 s', full: '≈ 1–2 min' },
  async run(context: PresetContext): Promise<PresetResult> {
    const size = context.quick ? SIZES.quick : SIZES.full;
    const notes: string[] = [];
    const started = performance.now();
    const study = await runWidthStudy(context, 'ntk-linearization', studyConfig(size.widths, size.seeds));
    notes.push(...study.problems.map((p) => `run not finished, left out: ${p}`));

    const data = makeDataset(DATA, DATA_SEED);
    const d = data.train.d;
    const train = augmentInputs(data.train, true, 'data.train');
    const test = augmentInputs(data.test, true, 'data.test');
    const slice = greatCircle(data.train, SLICE_POINTS);
    const sliceInputs = augmentInputs(slice.points, true, 'slice');
    // x₀ = x(γ = 0), the middle of the slice (the first training point).
    const originRaw = slice.points.x.slice((SLICE_POINTS >> 1) * d, ((SLICE_POINTS >> 1) + 1) * d);
    const origin = augmentInputs({ n: 1, d, x: originRaw, y: new Float64Array(1) }, true, 'origin');
    const record = Array.from({ length: STEPS / LOG_EVERY + 1 }, (_, i) => i * LOG_EVERY);

    // The analytic kernel predictor: Θ (eq. 4) in the same discrete GD, on test points and the slice.
    context.log('ntk-linearization: analytic Θ predictor');
    const thetaTrain = reluKernelGram(data.train.x, null, d);
    const thetaCross = stackRows(reluKernelGram(data.test.x, data.train.x, d), reluKernelGram(slice.points.x, data.train.x, d));
    const analyticRun = linearizedGradientDescent(thetaTrain, thetaCross, data.train.y, { lr: LR, steps: STEPS, record });
    const analyticFinal = analyticRun[analyticRun.length - 1].test;
    const analyticTest = analyticFinal.subarray(0, data.test.n);
    const analyticSlice = analyticFinal.subarray(data.test.n);

    const widthsDone = [...new Set(study.done.map((r) => Number(r.keys['model.width'])))].sort((a, b) => a - b);
    const smallest = widthsDone[0];
    const largest = widthsDone[widthsDone.length - 1];
    const analyses: RunAnalysis[] = [];
    const kernelSliceRows: CurveRow[] = [];
    const functionRows: CurveRow[] = [];
    const riskRows: CurveRow[] = [];
    const thetaSlice = reluKernelGram(originRaw, slice.points.x, d);
    for (let i = 0; i < SLICE_POINTS; i++) kernelSliceRows.push({ panel: 'Θ(x₀, x(γ))', series: 'analytic Θ (eq. 4)', line: 'analytic', dashed: false, x: slice.angles[i], y: thetaSlice[i] });

    context.log(`ntk-linearization: analysing ${study.done.length} runs`);
    for (const run of study.done) {
      if (context.signal.aborted) break;
      const analysis = analyseRun(run, { train, test, trainY: data.train.y, testY: data.test.y, thetaTrain, analyticTest, record });
      if (!analysis) {
        notes.push(`${run.dir}: no checkpoint or outputs, left out`);
        continue;
      }
      analyses.push(analysis.result);
      const { width, seed } = analysis.result;
      const { initial, final } = analysis.params;
      const s = scalingOf({ width, parameterization: 'ntk', alpha: 1 });
      if (seed === 0 && (width === smallest || width === largest)) {
        // Jacot et al. Fig. 1: the kernel along a circle, at init and after training, against Θ.
        for (const [when, params] of [
          ['init', initial],
          ['after training', final],
        ] as const) {
          const k = empiricalTangentKernel(params, s, origin, sliceInputs);
          for (let i = 0; i < SLICE_POINTS; i++) kernelSliceRows.push({ panel: 'Θ(x₀, x(γ))', series: `m = ${width}, ${when}`, line: `${width} ${when}`, dashed: when === 'init', x: slice.angles[i], y: k[i] });
        }
        // Lee et al.: test risk of the network and of its linearization over training.
        const metrics = readRunMetrics({ dir: run.dir });
        if (metrics) {
          for (let i = 0; i < metrics.time.length; i++) if (metrics.time[i] > 0) riskRows.push({ panel: `m = ${width}`, series: 'network', line: 'network', dashed: false, x: metrics.time[i], y: metrics.risk[i] });
        }
        for (const snap of analysis.linearRisk) if (snap.step > 0) riskRows.push({ panel: `m = ${width}`, series: 'linearized network (K₀)', line: 'linearized', dashed: true, x: snap.step * LR, y: snap.risk });
        for (const snap of analyticRun) {
          if (snap.step > 0) riskRows.push({ panel: `m = ${width}`, series: 'kernel predictor (analytic Θ)', line: 'analytic', dashed: true, x: snap.step * LR, y: squareRisk(snap.test.subarray(0, data.test.n), data.test.y) });
        }
      }
      if (width === smallest || width === largest) {
        // Jacot et al. Fig. 2: trained networks along the circle, against the Θ predictor.
        const f = networkOutputs(final, s.s, sliceInputs);
        for (let i = 0; i < SLICE_POINTS; i++) functionRows.push({ panel: `m = ${width}`, series: 'network (one line per seed)', line: `seed ${seed}`, dashed: false, x: slice.angles[i], y: f[i] });
      }
    }
    const teacherSlice = new Float64Array(SLICE_POINTS);
    evaluateTeacher(teacherOf(DATA, DATA_SEED), slice.points.x, teacherSlice);
    for (const width of [smallest, largest]) {
      for (let i = 0; i < SLICE_POINTS; i++) {
        functionRows.push({ panel: `m = ${width}`, series: 'kernel predictor (analytic Θ)', line: 'analytic', dashed: false, x: slice.angles[i], y: analyticSlice[i] });
        functionRows.push({ panel: `m = ${width}`, series: 'teacher f*', line: 'teacher', dashed: true, x: slice.angles[i], y: teacherSlice[i] });
      }
    }

    const samples = (pick: (a: RunAnalysis) => number): WidthSample[] => analyses.map((a) => ({ width: a.width, value: pick(a) }));
    const kernelSamples = samples((a) => a.kernelError);
    const linearSamples = samples((a) => a.rmseLinear);
    const analyticSamples = samples((a) => a.rmseAnalytic);
    const kernelFit = widthFit(kernelSamples);
    const linearFit = widthFit(linearSamples);
    const analyticFit = widthFit(analyticSamples);
    const at512 = perWidth(linearSamples).find((w) => w.width === 512);
    const worstAgreement = analyses.reduce((acc, a) => Math.max(acc, a.outputsAgreement), 0);
    if (worstAgreement > 1e-9) notes.push(`WARNING: outputs recomputed from the checkpoints differ from outputs.arrow by up to ${worstAgreement.toExponential(2)}: the analysis may not see the data the runs trained on`);
    else notes.push(`Integrity: network outputs recomputed from each run's checkpoint agree with its outputs.arrow to ${worstAgreement.toExponential(1)} (max abs), so the analysis uses the runs' own data and parameters.`);

    const claims: Claim[] = [];
    const largestKernel = perWidth(kernelSamples).at(-1);
    claims.push({
      id: 'ntk-at-init',
      statement: 'At initialization the empirical tangent kernel converges to the analytic kernel Θ of eq. (4) as the width grows (Jacot et al. 2018, Thm 1).',
      quantity: 'fitted exponent p of ‖K₀ − Θ‖_F / ‖Θ‖_F ∝ m^p on the 128×128 training Gram, one point per run (widths × seeds)',
      value: kernelFit ? kernelFit.slope : null,
      criterion: 'p in [−0.6, −0.4] (the Monte-Carlo rate m^(−1/2) of an average over m/2 independent neuron pairs) and the 95% CI of p below 0',
      holds: kernelFit ? (exponentWithin(kernelFit, -0.6, -0.4) ?? false) && kernelFit.ci95 !== null && kernelFit.ci95[1] < 0 : null,
      note: kernelFit ? `p = ${describeFit(kernelFit)}; error ${largestKernel ? `${largestKernel.mean.toPrecision(3)} at m = ${largestKernel.width}` : ''} (geometric mean over seeds)` : 'fewer than 3 widths finished',
    });
    claims.push({
      id: 'linearization-rate',
      statement: 'RMSE(network − kernel predictor with the initial tangent kernel) falls like m^(−1/2) (Lee et al. 2019, Thm 2.1 and Fig. 1).',
      quantity: `fitted exponent p of the test RMSE between the trained network and its linearization (same GD, ${STEPS} steps of η = ${LR}) ∝ m^p, one point per run`,
      value: linearFit ? linearFit.slope : null,
      criterion: 'p in [−0.6, −0.4] ("near −1/2": within ±0.1)',
      holds: exponentWithin(linearFit, -0.6, -0.4),
      note: linearFit ? `p = ${describeFit(linearFit)}; over widths ≥ 512 only: ${describeFit(widthFit(linearSamples, 512))}` : 'fewer than 3 widths finished',
    });
    claims.push({
      id: 'linearization-at-512',
      statement: 'RMSE(network − kernel predictor) is about 0.05 near width 512.',
      quantity: 'test RMSE between the trained network and its linearization at m = 512 (geometric mean over seeds)',
      value: at512 ? at512.mean : null,
      criterion: `within a factor 2 of ${RMSE_AT_512}, i.e. in [${RMSE_AT_512 / 2}, ${RMSE_AT_512 * 2}]`,
      holds: at512 ? at512.mean >= RMSE_AT_512 / 2 && at512.mean <= RMSE_AT_512 * 2 : null,
      note: at512
        ? `seeds range ${at512.min.toPrecision(3)}…${at512.max.toPrecision(3)} (${at512.count} seeds); the absolute size depends on the targets' scale (RMS ${rms(data.test.y).toFixed(2)} here) and the training time t = ${STEPS * LR}, which the issue's figure does not fix`
        : 'width 512 was not run',
    });
    claims.push({
      id: 'analytic-predictor',
      statement: 'The trained network converges to the kernel predictor with the analytic limiting kernel Θ as the width grows (Jacot et al. 2018, Thm 2; Lee et al. 2019, eq. 9).',
      quantity: 'fitted exponent p of the test RMSE between the trained network and the Θ kernel predictor (same GD) ∝ m^p, one point per run',
      value: analyticFit ? analyticFit.slope : null,
      criterion: 'the 95% CI of p lies below 0 (the difference vanishes as m grows)',
      holds: analyticFit ? analyticFit.ci95 !== null && analyticFit.ci95[1] < 0 : null,
      note: analyticFit ? `p = ${describeFit(analyticFit)}; over widths ≥ 512 only: ${describeFit(widthFit(analyticSamples, 512))}` : 'fewer than 3 widths finished',
    });

    const figures: FigureRequest[] = [];
    const firstKernel = perWidth(kernelSamples)[0];
    if (firstKernel) {
      const rows = [...widthRows({ name: `‖K₀ − Θ‖/‖Θ‖ (fit ${kernelFit ? kernelFit.slope.toFixed(2) : '—'})`, samples: kernelSamples, fit: kernelFit }), ...referenceRows('m^(−1/2)', -0.5, firstKernel.width, firstKernel.mean, largest)];
      figures.push({
        name: 'ntk-at-init',
        title: 'Empirical tangent kernel at initialization vs the analytic Θ',
        caption: 'Relative Frobenius distance between the empirical tangent kernel at initialization and the analytic Θ of eq. (4), on the training Gram matrix: seeds (points), geometric means (line), the fitted power law (dashed) and the slope −1/2 (dotted).',
        spec: widthScalingSpec(rows, '‖K₀ − Θ‖_F / ‖Θ‖_F', []),
      });
    }
    figures.push({
      name: 'kernel-slices',
      title: 'The tangent kernel along a circle, at initialization and after training (Jacot et al. Fig. 1)',
      caption: `Θ(x₀, x(γ)) for x(γ) on a great circle through the training point x₀ (γ = 0): the analytic Θ and the empirical kernel of seed 0 at the smallest and largest widths, at initialization (dashed) and after ${STEPS} steps (solid).`,
      spec: curvesSpec(kernelSliceRows, { x: 'angle γ (radians)', y: 'Θ(x₀, x(γ))' }, ['Θ(x₀, x(γ))'], []),
    });
    const firstLinear = perWidth(linearSamples)[0];
    if (firstLinear) {
      const rows = [
        ...widthRows({ name: `network − linearized (fit ${linearFit ? linearFit.slope.toFixed(2) : '—'})`, samples: linearSamples, fit: linearFit }),
        ...widthRows({ name: `network − analytic Θ predictor (fit ${analyticFit ? analyticFit.slope.toFixed(2) : '—'})`, samples: analyticSamples, fit: analyticFit }),
        ...referenceRows('m^(−1/2)', -0.5, firstLinear.width, firstLinear.mean, largest),
        markerRow(`issue: ${RMSE_AT_512} near m = 512`, 512, RMSE_AT_512),
      ];
      figures.push({
        name: 'linearization-rmse',
        title: 'Test RMSE between the trained network and the kernel predictors (Lee et al.)',
        caption: `Test RMSE after ${STEPS} GD steps (η = ${LR}) between the network and its linearization (the kernel predictor with its own K₀), and between the network and the analytic-Θ predictor: seeds, geometric means, fits (dashed), the slope −1/2 (dotted) and the issue's 0.05 at m = 512.`,
        spec: widthScalingSpec(rows, 'test RMSE', []),
      });
    }
    if (riskRows.length > 0) {
      figures.push({
        name: 'risk-curves',
        title: 'Test risk over training: network, its linearization and the Θ predictor (Lee et al. Fig. 2)',
        caption: 'Test risk of the network (solid), its linearization and the analytic-Θ predictor (dashed), seed 0, at the smallest and largest widths.',
        spec: curvesSpec(riskRows, { x: 'time t = step·η', y: 'test risk', logX: true, logY: true }, [`m = ${smallest}`, `m = ${largest}`], ['network', 'linearized network (K₀)', 'kernel predictor (analytic Θ)']),
      });
    }
    figures.push({
      name: 'function-slices',
      title: 'Trained networks along a circle vs the Θ kernel predictor (Jacot et al. Fig. 2)',
      caption: `Network outputs after training on the great circle through x₀, one line per seed, at the smallest and largest widths, with the analytic-Θ kernel predictor and the teacher f*.`,
      spec: curvesSpec(functionRows, { x: 'angle γ (radians)', y: 'f(x(γ))' }, [`m = ${smallest}`, `m = ${largest}`], ['network (one line per seed)', 'kernel predictor (analytic Θ)', 'teacher f*']),
    });

    notes.push(
      ...(context.quick
        ? [`--quick: widths ${size.widths.join(', ')} (not up to 4096) and ${size.seeds} seeds (not ${SIZES.full.seeds}); same data, step and training time as the full run. Exponents over ${size.widths.length} widths and ${size.seeds} seeds are rough.`]
        : []),
      'Deviation: synthetic data (a 3-neuron ReLU teacher on the unit sphere of R⁴, 128 training and 256 test points) and a two-layer ReLU network, instead of the papers\' CIFAR-10 subsets / unit circle and deeper networks: the framework simulates two-layer networks, and Θ is known in closed form for them (eq. 4).',
      'Symmetric initialization (neuron 2k+1 = neuron 2k with b negated) makes f_{w(0)} ≡ 0, so the kernel predictors start from f₀ = 0 exactly like the network; Lee et al. keep f₀ ≠ 0 in f_lin, which is the same comparison for a network whose f₀ vanishes.',
      `The kernel predictors are trained by the same discrete GD as the network (u ← u − ηK(u − y)/n, exact for any η; linearized-gd.ts), not by the continuous flow e^{−ηKt/n}: with η = ${LR} the flow would differ from GD by O(η) and put a width-independent floor under the RMSE.`,
      'The network–linearization RMSE is driven by the change of the tangent kernel during training, K_t − K₀; in this two-layer ReLU network that change falls like m^(−3/4) rather than m^(−1/2) (see the ntk-drift preset), the likely reason why the local exponent steepens at the larger widths (the fit over widths ≥ 512 in the claim\'s note).',
      `RMSE(linearized network − analytic-Θ predictor), i.e. what K₀'s fluctuation alone moves the prediction: fitted exponent ${describeFit(widthFit(samples((a) => a.rmseLinearAnalytic)))}.`,
      `Test RMSE of the analytic-Θ predictor against the teacher after t = ${STEPS * LR}: ${rootMeanSquareDifference(analyticTest, data.test.y).toPrecision(3)} (targets' RMS ${rms(data.test.y).toFixed(2)}).`,
      `Study ${study.seconds.toFixed(1)} s, analysis ${((performance.now() - started) / 1000 - study.seconds).toFixed(1)} s.`,
    );
    return { claims, figures, notes, study: study.dir };
  },
};

function rms(v: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  return Math.sqrt(sum / v.length);
}

interface AnalysisInputs {
  train: AugmentedInputs;
  test: AugmentedInputs;
  trainY: Float64Array;
  testY: Float64Array;
  thetaTrain: Float64Array;
  analyticTest: Float64Array;
  record: readonly number[];
}

/** One run: K₀ vs Θ, the linearized network trained alongside, and the test RMSEs at the end. */
function analyseRun(
  run: StudyRun,
  inputs: AnalysisInputs,
): { result: RunAnalysis; params: { initial: NetworkParams; final: NetworkParams }; linearRisk: { step: number; risk: number }[] } | null {
  const checkpoint = readCheckpoint(run.dir, 'two-layer');
  const outputs = readOutputs({ dir: run.dir });
  if (!checkpoint || !outputs) return null;
  const width = Number(run.keys['model.width']);
  const seed = Number(run.keys.seed);
  const scaling = scalingOf({ width, parameterization: 'ntk', alpha: 1 });
  const k0 = empiricalTangentKernel(checkpoint.initialParams, scaling, inputs.train);
  const k0Cross = empiricalTangentKernel(checkpoint.initialParams, scaling, inputs.test, inputs.train);
  const linear = linearizedGradientDescent(k0, k0Cross, inputs.trainY, { lr: LR, steps: STEPS, record: inputs.record });
  const linearFinal = linear[linear.length - 1].test;
  const network = outputs.f;
  const recomputed = networkOutputs(checkpoint.params, scaling.s, inputs.test);
  let agreement = 0;
  for (let i = 0; i < network.length; i++) agreement = Math.max(agreement, Math.abs(network[i] - recomputed[i]));
  return {
    result: {
      width,
      seed,
      kernelError: relativeFrobeniusError(k0, inputs.thetaTrain),
      rmseLinear: rootMeanSquareDifference(network, linearFinal),
      rmseAnalytic: rootMeanSquareDifference(network, inputs.analyticTest),
      rmseLinearAnalytic: rootMeanSquareDifference(linearFinal, inputs.analyticTest),
      outputsAgreement: agreement,
    },
    params: { initial: checkpoint.initialParams, final: checkpoint.params },
    linearRisk: linear.map((snap) => ({ step: snap.step, risk: squareRisk(snap.test, inputs.testY) })),
  };
}
