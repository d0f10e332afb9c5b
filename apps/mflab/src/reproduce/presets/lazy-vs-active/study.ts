/**
 * What the two Chizat–Oyallon–Bach presets (`lazy-vs-active`, `width-scaling`) share: the
 * teacher–student data of the paper, the study run on the sweep pool with progress lines, one
 * run's logged curves read back, and the lazy (linearized-at-init) prediction of a finished run.
 *
 * The paper's code (Julia, GD on f(W, x) = scaling · Σ_j b_j σ(a_j·x) with the objective
 * R(scaling · f)/scaling² and the update W ← W − step · ∇) maps onto mflab's parameterizations
 * exactly; each preset derives its mapping in its own module comment.
 */
import { join } from 'node:path';
import { augmentInputs, loadDataset, scalingOf, twoLayerModel, type DataSplit } from '@mflab/core';
import { openRun, readCheckpoint, readRunInfo } from '@mflab/store';
import type { GridCell, GridValue } from '../../../config/grid.js';
import type { AppConfig } from '../../../config/schema.js';
import { dataSpecOf, validateConfig } from '../../../config/validate.js';
import { runSweep, type StudyRunSummary } from '../../../study/sweep.js';
import type { PresetContext } from '../../types.js';
import { linearizedPrediction, networkOutputs, squareRisk } from './linearized.js';

/** The paper's data: inputs uniform on S^{d−1}, targets from a ReLU teacher with 3 unit-direction neurons, no noise. */
export function teacherData(d: number, n: number, nTest: number, trial: number, outputScale = 1): Record<string, unknown> {
  return { kind: 'teacher', d, n, nTest, teacherWidth: 3, sphere: true, outputScale, seed: trial };
}

/** A run of the study: its swept keys and its config as written (validated into a grid cell). */
export interface CellInput {
  keys: Record<string, GridValue>;
  config: Record<string, unknown>;
}

export function toCells(inputs: readonly CellInput[]): GridCell[] {
  return inputs.map(({ keys, config }) => ({ keys, config: validateConfig(config) }));
}

/** Runs the cells as a study in `<out>/study` on the sweep pool, logging each finished run. */
export async function runStudy(
  context: PresetContext,
  meta: { name: string; title: string; description: string; grid: Record<string, unknown>; config: Record<string, unknown> },
  cells: readonly GridCell[],
): Promise<{ dir: string; runs: StudyRunSummary[]; seconds: number }> {
  const dir = join(context.out, 'study');
  context.log(`${meta.name}: ${cells.length} runs on ${context.workers} thread${context.workers === 1 ? '' : 's'} → ${dir}`);
  const summary = await runSweep({
    cells,
    out: dir,
    meta,
    workers: context.workers,
    resume: false,
    signal: context.signal,
    onProgress: (progress) => {
      const o = progress.outcome;
      if (o) context.log(`  [${progress.finished}/${progress.total}] ${o.id} ${o.status}${o.error ? ` (${o.error})` : ''} ${o.seconds.toFixed(1)} s`);
    },
  });
  return { dir, runs: summary.runs, seconds: summary.seconds };
}

/** One run's logged curves (every `log.every` steps, step 0 included). */
export interface RunCurves {
  step: number[];
  riskTrain: number[];
  riskTest: number[];
  move: number[];
}

export function readCurves(dir: string): RunCurves {
  const curves: RunCurves = { step: [], riskTrain: [], riskTest: [], move: [] };
  const columns: [keyof RunCurves, string][] = [
    ['step', 'step'],
    ['riskTrain', 'risk_train'],
    ['riskTest', 'risk_test'],
    ['move', 'move'],
  ];
  for (const batch of openRun(dir).metricsBatches()) {
    for (const [field, name] of columns) {
      const vector = batch.getChild(name);
      const values = vector ? (vector.toArray() as ArrayLike<number>) : new Float64Array(batch.numRows).fill(NaN);
      for (let i = 0; i < values.length; i++) curves[field].push(Number(values[i]));
    }
  }
  return curves;
}

/** The resolved config a run was started with (its run.json). */
export function runConfig(dir: string): AppConfig {
  return readRunInfo(dir).config as AppConfig;
}

/** The lazy prediction of a finished run and how the network compares with it on the test set. */
export interface LazyComparison {
  /** Test risk of the model linearized at the run's w(0), after the run's η and steps. */
  lazyRisk: number;
  /** Test risk of the trained network, recomputed in float64 from its final checkpoint. */
  networkRisk: number;
  /** ‖f_network − f_lazy‖ / ‖f_lazy − f(w(0))‖ on the test set: 0 when the network moved exactly as its linearization. */
  relativeDistance: number;
  /** ½ mean y² on the test set: the risk of the zero predictor, for scale. */
  nullRisk: number;
}

/**
 * Linearizes a finished run at its own initialization (read from its checkpoint, as the run's
 * precision rounded it) on its own data, and compares. O(n³) for the eigendecomposition of the
 * n×n tangent kernel.
 */
export async function compareWithLazy(dir: string): Promise<LazyComparison> {
  const config = runConfig(dir);
  const checkpoint = readCheckpoint(dir, 'two-layer');
  if (!checkpoint) throw new Error(`${dir}: no checkpoint.arrow to read the initialization from`);
  const data: DataSplit = await loadDataset(dataSpecOf(config), config.data.seed);
  const model = twoLayerModel(config.model);
  const scaling = scalingOf(model);
  const train = augmentInputs(data.train, model.bias);
  const test = augmentInputs(data.test, model.bias);
  const lazy = linearizedPrediction({ init: checkpoint.initialParams, scaling, train, yTrain: data.train.y, test, lr: config.train.lr, steps: checkpoint.step });
  const network = networkOutputs(checkpoint.params, scaling.s, test);
  let num = 0;
  let den = 0;
  for (let i = 0; i < test.n; i++) {
    num += (network[i] - lazy.test[i]) ** 2;
    den += (lazy.test[i] - lazy.initialTest[i]) ** 2;
  }
  return {
    lazyRisk: squareRisk(lazy.test, data.test.y),
    networkRisk: squareRisk(network, data.test.y),
    relativeDistance: Math.sqrt(num / den),
    nullRisk: squareRisk(new Float64Array(data.test.n), data.test.y),
  };
}

/** Formats a number for claims and notes: 4 significant digits. */
export const fmt = (v: number): string => (Number.isFinite(v) ? (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : String(Number(v.toPrecision(4)))) : String(v));
