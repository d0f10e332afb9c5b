/**
 * Loading a study (or a single run directory) for the report: one record per run with the keys
 * the figures group by (width, parameterization, λ, seed), its status, and a small summary of its
 * metrics stream (the risk curve and the final observables). Outputs and particle snapshots are
 * read later, only for the runs a figure needs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { InvalidInputError } from '@mflab/core';
import { COLUMNS, FILES, listRuns, openRun, readRunInfo, type KeyValue, type RunEntry, type RunStatus } from '@mflab/store';

/** `outputs.arrow`: the network's outputs on the run's test set at the final step (written by `mflab run`). */
export const OUTPUTS_FILE = FILES.outputs;
/** `study.json`: the study's name, description, grid and base config (written by `mflab sweep`). */
export const STUDY_FILE = 'study.json';

/** The swept keys the report groups by; any other swept key becomes part of the run's family. */
const WIDTH_KEY = 'model.width';
const PARAMETERIZATION_KEY = 'model.parameterization';
const WEIGHT_DECAY_KEY = 'train.weightDecay';
const SEED_KEY = 'seed';
const GROUPING_KEYS = [WIDTH_KEY, PARAMETERIZATION_KEY, WEIGHT_DECAY_KEY, SEED_KEY];

/** What `study.json` says about the study (every field optional: the file is the app's). */
export interface StudyMeta {
  name?: string;
  title?: string;
  description?: string;
  grid?: Record<string, unknown[]>;
  versions?: Record<string, string>;
}

/** The summary of one run's metrics stream that the figures use. */
export interface RunMetrics {
  /** Logged flow times (step · η), in step order. */
  time: Float64Array;
  /** Steps of the logged rows. */
  step: Int32Array;
  /** The risk the curves show: `risk_test` when the run has a test set, else `risk_train`. */
  risk: Float64Array;
  riskColumn: 'risk_test' | 'risk_train';
  /** Values at the last logged row. */
  finalStep: number;
  finalObjective: number;
  finalMove: number;
  /** error_test at the last logged row: the argmax (or sign) error of classification runs; NaN for regression. */
  finalErrorTest: number;
  /** The last finite `ntk_drift` (it is only computed every `log.ntk.every` steps), or NaN. */
  lastNtkDrift: number;
  /** The step of {@link lastNtkDrift}, or −1. */
  lastNtkDriftStep: number;
  /** Deep networks (ARCHITECTURE.md §7): `move_layers` at the last logged row (L + 1 values), else null. */
  finalMoveLayers: number[] | null;
  /** Deep networks: `feature_move` at the last logged row (L values), else null. */
  finalFeatureMove: number[] | null;
}

/** One run of the study, as the report sees it. */
export interface RunRecord {
  /** Path relative to the study (hive style), `.` for a bare run directory. */
  run: string;
  dir: string;
  status: RunStatus;
  error: string | null;
  width: number;
  parameterization: string;
  /** Parameterization plus any swept key the report does not group by (e.g. `lazy (α=10), model.init.scale=0.1`). */
  family: string;
  weightDecay: number;
  seed: number;
  /** Particle snapshot schedule from the run's config (0: off). */
  particlesEvery: number;
  steps: number | null;
  /** Set for runs the figures use. */
  metrics: RunMetrics | null;
}

/** A run left out of every figure and fit, with the reason. */
export interface ExcludedRun {
  run: string;
  status: RunStatus | 'unreadable';
  reason: string;
}

export interface LoadedStudy {
  dir: string;
  meta: StudyMeta | null;
  /** Whether `dir` is a single run directory rather than a study. */
  singleRun: boolean;
  /** Runs with status `done` and a readable metrics stream: the figures' input. */
  runs: RunRecord[];
  excluded: ExcludedRun[];
  notes: string[];
}

/** Reads `a.b.c` out of a JSON object, or undefined. */
function at(value: unknown, keyPath: string): unknown {
  let cur = value;
  for (const part of keyPath.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** A config value from the resolved config, else the run's swept key, else the §6 default. */
function configValue(config: unknown, keys: Readonly<Record<string, KeyValue>>, keyPath: string, fallback: KeyValue): KeyValue {
  const v = at(config, keyPath);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  return keys[keyPath] ?? fallback;
}

/** The run's width: `model.width`, or for a deep network with one width per layer the widest. */
function widthOf(config: unknown, keys: Readonly<Record<string, KeyValue>>): number {
  const w = at(config, WIDTH_KEY);
  if (Array.isArray(w) && w.length > 0 && w.every((v) => typeof v === 'number')) return Math.max(...(w as number[]));
  return Number(configValue(config, keys, WIDTH_KEY, 1024));
}

function familyOf(parameterization: string, alpha: unknown, keys: Readonly<Record<string, KeyValue>>, config?: unknown): string {
  let label = parameterization === 'lazy' && typeof alpha === 'number' ? `lazy (α=${alpha})` : parameterization;
  // A deep network (ARCHITECTURE.md §7): its depth, activation and residual blocks, unless swept.
  const activation = at(config, 'model.activation');
  if (typeof activation === 'string') {
    const parts = [
      'model.depth' in keys ? null : `depth ${String(at(config, 'model.depth') ?? 1)}`,
      'model.activation' in keys ? null : activation,
      'model.residual' in keys || at(config, 'model.residual') !== true ? null : 'residual',
    ].filter((p) => p !== null);
    if (parts.length > 0) label += ` (${parts.join(', ')})`;
  }
  for (const [k, v] of Object.entries(keys)) if (!GROUPING_KEYS.includes(k)) label += `, ${k}=${String(v)}`;
  return label;
}

function readStudyMeta(dir: string, notes: string[]): StudyMeta | null {
  const file = path.join(dir, STUDY_FILE);
  if (!fs.existsSync(file)) return null;
  try {
    const value: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as StudyMeta;
    notes.push(`${STUDY_FILE} is not a JSON object; the study header is left out`);
  } catch (err) {
    notes.push(`${STUDY_FILE} could not be read (${err instanceof Error ? err.message : String(err)}); the study header is left out`);
  }
  return null;
}

function column(batchColumns: Map<string, number[]>, name: string): number[] {
  let c = batchColumns.get(name);
  if (c === undefined) {
    c = [];
    batchColumns.set(name, c);
  }
  return c;
}

/** Reads the few metric columns the figures need from a run's stream, batch by batch. */
export function readRunMetrics(entry: Pick<RunEntry, 'dir'>): RunMetrics | null {
  const reader = openRun(entry.dir);
  const wanted = [COLUMNS.step, COLUMNS.time, 'risk_test', 'risk_train', 'objective', 'move', 'ntk_drift', 'error_test'];
  const cols = new Map<string, number[]>();
  // Per-layer list columns: only the last row is summarised.
  const lastList: Record<'move_layers' | 'feature_move', number[] | null> = { move_layers: null, feature_move: null };
  for (const batch of reader.metricsBatches()) {
    for (const name of ['move_layers', 'feature_move'] as const) {
      const vec = batch.getChild(name);
      const last = vec !== null && batch.numRows > 0 ? (vec.get(batch.numRows - 1) as { toArray(): ArrayLike<number> } | null) : null;
      if (last !== null) lastList[name] = Array.from(last.toArray());
    }
    for (const name of wanted) {
      const vec = batch.getChild(name);
      const out = column(cols, name);
      if (vec === null) {
        for (let i = 0; i < batch.numRows; i++) out.push(NaN);
      } else {
        const values = vec.toArray() as ArrayLike<number>;
        for (let i = 0; i < values.length; i++) out.push(values[i]);
      }
    }
  }
  const step = cols.get(COLUMNS.step) ?? [];
  const n = step.length;
  if (n === 0) return null;
  const riskTest = column(cols, 'risk_test');
  const useTest = riskTest.some((v) => Number.isFinite(v));
  const drift = column(cols, 'ntk_drift');
  let lastNtkDrift = NaN;
  let lastNtkDriftStep = -1;
  for (let i = n - 1; i >= 0; i--) {
    if (Number.isFinite(drift[i])) {
      lastNtkDrift = drift[i];
      lastNtkDriftStep = step[i];
      break;
    }
  }
  return {
    step: Int32Array.from(step),
    time: Float64Array.from(column(cols, COLUMNS.time)),
    risk: Float64Array.from(useTest ? riskTest : column(cols, 'risk_train')),
    riskColumn: useTest ? 'risk_test' : 'risk_train',
    finalStep: step[n - 1],
    finalObjective: column(cols, 'objective')[n - 1],
    finalMove: column(cols, 'move')[n - 1],
    finalErrorTest: column(cols, 'error_test')[n - 1] ?? NaN,
    lastNtkDrift,
    lastNtkDriftStep,
    finalMoveLayers: lastList.move_layers,
    finalFeatureMove: lastList.feature_move,
  };
}

/**
 * Loads a study directory (or one run directory): every run's record, with `done` runs' metrics
 * summaries; failed, diverged, running and unreadable runs go to `excluded` with the reason.
 */
export function loadStudy(dir: string): LoadedStudy {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new InvalidInputError('dir', `${dir} does not exist; give a study directory (from mflab sweep) or a run directory (from mflab run)`);
  }
  if (!stat.isDirectory()) throw new InvalidInputError('dir', `${dir} is not a directory; give a study directory or a run directory`);
  const entries = listRuns(dir);
  if (entries.length === 0) {
    throw new InvalidInputError('dir', `no runs (directories with run.json) under ${dir}; give a study directory (from mflab sweep) or a run directory (from mflab run)`);
  }
  const notes: string[] = [];
  const meta = readStudyMeta(dir, notes);
  const runs: RunRecord[] = [];
  const excluded: ExcludedRun[] = [];
  for (const entry of entries) {
    let info;
    try {
      info = readRunInfo(entry.dir);
    } catch (err) {
      excluded.push({ run: entry.relative, status: 'unreadable', reason: err instanceof Error ? err.message : String(err) });
      continue;
    }
    const { config } = info;
    const parameterization = String(configValue(config, entry.keys, PARAMETERIZATION_KEY, 'mean-field'));
    const record: RunRecord = {
      run: entry.relative,
      dir: entry.dir,
      status: info.status,
      error: info.error ?? null,
      width: widthOf(config, entry.keys),
      parameterization,
      family: familyOf(parameterization, at(config, 'model.alpha'), entry.keys, config),
      weightDecay: Number(configValue(config, entry.keys, WEIGHT_DECAY_KEY, 0)),
      seed: Number(configValue(config, entry.keys, SEED_KEY, info.seed ?? 0)),
      particlesEvery: Number(at(config, 'log.particles.every') ?? 0) || 0,
      steps: typeof at(config, 'train.steps') === 'number' ? (at(config, 'train.steps') as number) : null,
      metrics: null,
    };
    if (info.status !== 'done') {
      const why = info.status === 'running' ? 'still running (or killed): incomplete' : (record.error ?? 'no error message recorded');
      excluded.push({ run: entry.relative, status: info.status, reason: why });
      continue;
    }
    if (!(record.width >= 1) || !Number.isFinite(record.weightDecay)) {
      excluded.push({ run: entry.relative, status: info.status, reason: 'run.json config has no usable model.width or train.weightDecay' });
      continue;
    }
    try {
      record.metrics = readRunMetrics(entry);
    } catch (err) {
      excluded.push({ run: entry.relative, status: 'unreadable', reason: err instanceof Error ? err.message : String(err) });
      continue;
    }
    if (record.metrics === null) {
      excluded.push({ run: entry.relative, status: info.status, reason: 'metrics.arrows has no rows' });
      continue;
    }
    if (!Number.isFinite(record.metrics.finalObjective)) {
      excluded.push({ run: entry.relative, status: info.status, reason: `final objective is ${record.metrics.finalObjective}` });
      continue;
    }
    runs.push(record);
  }
  return { dir, meta, singleRun: entries.length === 1 && entries[0].relative === '.', runs, excluded, notes };
}

/**
 * The run's final test outputs from `outputs.arrow` as a map point → f, or null if the file is
 * missing. With k outputs (`f` a list of k values per point) every output is its own entry,
 * point i·k + c, so that across-seed statistics run over all the outputs.
 */
export function readOutputs(run: Pick<RunRecord, 'dir'>): { point: Int32Array; f: Float64Array } | null {
  const file = path.join(run.dir, OUTPUTS_FILE);
  if (!fs.existsSync(file)) return null;
  const table = tableFromIPC(fs.readFileSync(file));
  const point = table.getChild('point');
  const f = table.getChild('f');
  if (point === null || f === null) throw new Error(`${file}: expected columns point and f`);
  const points = Int32Array.from(point.toArray() as ArrayLike<number>);
  const fType = f.type as { listSize?: number };
  if (fType.listSize === undefined) return { point: points, f: Float64Array.from(f.toArray() as ArrayLike<number>) };
  const k = fType.listSize;
  const values = new Float64Array(points.length * k);
  for (let i = 0; i < points.length; i++) {
    const row = f.get(i) as { toArray(): Float64Array };
    values.set(row.toArray(), i * k);
  }
  return { point: Int32Array.from({ length: values.length }, (_, v) => points[Math.floor(v / k)] * k + (v % k)), f: values };
}

/** One particle snapshot: for each neuron, (b_j a_j[0], b_j a_j[1]) and sign(b_j). */
export interface ParticleProjection {
  step: number;
  x: Float64Array;
  y: Float64Array;
  positive: Uint8Array;
}

/**
 * The 2-D projections of b_j·a_j (its first two coordinates, the input coordinates x0 and x1)
 * at the given steps, read with a step filter so that other snapshots are skipped batch-wise.
 * Returns null when the run has no particle stream or a ≤ 1-dimensional a.
 */
export function readParticleProjections(run: Pick<RunRecord, 'dir'>, steps: readonly number[]): ParticleProjection[] | null {
  const reader = openRun(run.dir);
  if (!reader.hasParticles()) return null;
  const byStep = new Map<number, { x: number[]; y: number[]; positive: number[] }>();
  for (const batch of reader.particleBatches(steps)) {
    const stepCol = batch.getChild(COLUMNS.step)?.toArray() as Int32Array;
    const aData = batch.getChild(COLUMNS.a)?.data[0];
    const bCol = batch.getChild(COLUMNS.b)?.toArray() as Float32Array | Float64Array;
    if (aData === undefined) continue;
    // b_j ∈ R^k (k > 1) has no sign to colour by, nor a scalar b_j·a_j to plot.
    if ((batch.schema.fields[3]?.type as { listSize?: number } | undefined)?.listSize !== undefined) return null;
    const D = (aData.type as { listSize: number }).listSize;
    if (D < 2) return null;
    // apache-arrow slices the child's `values` with the batch, so they start at this batch's row 0.
    const aValues = aData.children[0].values as Float32Array | Float64Array;
    for (let i = 0; i < batch.numRows; i++) {
      let snap = byStep.get(stepCol[i]);
      if (snap === undefined) {
        snap = { x: [], y: [], positive: [] };
        byStep.set(stepCol[i], snap);
      }
      const b = bCol[i];
      snap.x.push(b * aValues[i * D]);
      snap.y.push(b * aValues[i * D + 1]);
      snap.positive.push(b > 0 ? 1 : 0);
    }
  }
  return [...byStep.entries()]
    .sort((p, q) => p[0] - q[0])
    .map(([step, s]) => ({ step, x: Float64Array.from(s.x), y: Float64Array.from(s.y), positive: Uint8Array.from(s.positive) }));
}
