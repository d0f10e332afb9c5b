/**
 * The pool task of `sparse-weight-decay` (run by @mflab/parallel's SweepExecutor): population SGD
 * on a group of networks of (A1) — several (m, λ) runs stepping on the same fresh batches, so the
 * batch is drawn once per step for the group — each written as a run directory of the study
 * (run.json, metrics and particle streams, checkpoint). Batch k is samples [kB, (k+1)B) of core's
 * population sampler for the data seed, so a run's trajectory does not depend on its group or
 * on the number of threads.
 *
 * Logged per row: the exact population objective F (A1), its risk and penalty, l2 = (1/m)Σ‖w_j‖²,
 * the normalized optimality gap (F − F*)/F(w(0)), and the risk on the batch the next step uses
 * (what the paper's code records).
 */
import { join } from 'node:path';
import { CounterRng, RandomStream, makePopulationSampler, makeTeacher } from '@mflab/core';
import type { TaskContext, TaskResult } from '@mflab/parallel';
import { TrajectoryWriter, runDirName, writeRunInfo, type RunInfo } from '@mflab/store';
import { packageVersions } from '../../../study/versions.js';
import { AltNetwork, altTeacher, altTeacherOutput, teacherEnergy, zeroNetworkCertificate, type AltTeacher } from './alt-network.js';

export interface SparseRunSpec {
  m: number;
  /** λ in the paper's convention (λ/m) Σ‖w_j‖². */
  lambda: number;
  /** The run directory. */
  dir: string;
}

export interface SparseTaskInput {
  runs: SparseRunSpec[];
  d: number;
  teacherWidth: number;
  batch: number;
  lr: number;
  steps: number;
  /** Seed of the teacher and of the population samples. */
  dataSeed: number;
  /** Seed of w(0): neuron j from the init stream at index j, so m = 5 is the first 5 neurons of m = 20. */
  initSeed: number;
  logEvery: number;
  particleEvery: number;
}

export interface SparseRunOutcome {
  dir: string;
  m: number;
  lambda: number;
  status: 'done' | 'stopped' | 'diverged';
  /** F(w(0)) and the optimum F* the gap is measured against (NaN when it is not known in closed form). */
  initialObjective: number;
  optimum: number;
  optimumSource: string;
  finalObjective: number;
  finalGap: number;
}

export interface SparseTaskResult extends TaskResult {
  runs: SparseRunOutcome[];
}

export const METRICS = ['objective', 'risk_population', 'penalty', 'l2', 'gap', 'batch_risk'] as const;

/** w(0): standard Gaussian neurons (the paper's `randn(m, d)`), neuron j from (seed, j). */
export function gaussianInit(m: number, d: number, seed: number): Float64Array {
  const w = new Float64Array(m * d);
  const rng = new CounterRng(seed, RandomStream.init);
  for (let j = 0; j < m; j++) rng.at(j).normals(w, j * d, d);
  return w;
}

/**
 * F* in closed form where it is known: λ = 0 → 0 (the teacher is a network of (A1) with m ≥ m0
 * neurons, w = √m θ_k, so the infimum is 0); λ ≥ c* → ½E f*² (the zero network, see
 * {@link zeroNetworkCertificate}); otherwise unknown (NaN).
 */
export function closedFormOptimum(teacher: AltTeacher, m: number, lambda: number): { value: number; source: string } {
  if (lambda === 0) {
    return m >= teacher.width
      ? { value: 0, source: `λ = 0 and m ≥ m0: the teacher is representable (w = √m·θ_k), F* = 0` }
      : { value: NaN, source: `λ = 0 but m < m0: F* is not known in closed form` };
  }
  const certificate = zeroNetworkCertificate(teacher);
  if (lambda >= certificate) {
    return { value: teacherEnergy(teacher), source: `λ ≥ c* = ${certificate.toPrecision(4)}: the zero network is the minimizer, F* = ½E f*² = ${teacherEnergy(teacher).toPrecision(6)}` };
  }
  return { value: NaN, source: `0 < λ < c* = ${certificate.toPrecision(4)}: F* is not known in closed form` };
}

interface LiveRun {
  spec: SparseRunSpec;
  net: AltNetwork;
  writer: TrajectoryWriter;
  info: RunInfo;
  initial: Float64Array;
  initialObjective: number;
  optimum: { value: number; source: string };
  row: Float64Array;
  lastObjective: number;
  lastGap: number;
  status: SparseRunOutcome['status'];
}

export default async function runSparseGroup(input: SparseTaskInput, context: TaskContext): Promise<SparseTaskResult> {
  const { d, batch, lr, steps } = input;
  const started = performance.now();
  const versions = packageVersions();
  const directions = makeTeacher(input.dataSeed, d, input.teacherWidth).directions;
  const teacher = altTeacher(directions, d);
  const sampler = makePopulationSampler({ kind: 'teacher', d, teacherWidth: input.teacherWidth, sphere: true }, input.dataSeed);
  const x = new Float64Array(batch * d);
  const y = new Float64Array(batch);
  const ones = new Float64Array(Math.max(...input.runs.map((r) => r.m))).fill(1);

  const runs: LiveRun[] = input.runs.map((spec) => {
    const initial = gaussianInit(spec.m, d, input.initSeed);
    const net = new AltNetwork(initial, d, teacher, spec.lambda);
    const config = {
      model: 'Chizat (2019) §5, cvgce_2NNalt.jl: f(x) = (1/m) Σ_j σ(ss(w_j)·x), ss(w) = w∘|w|, output weights +1',
      objective: '½ E(f − f*)² + (λ/m) Σ_j ‖w_j‖² (x uniform on the sphere), evaluated in closed form',
      m: spec.m,
      d,
      lambda: spec.lambda,
      teacher: { width: input.teacherWidth, weights: 'ss(θ_k), θ_k = core teacher directions for the data seed', outputWeights: 1 },
      train: { integrator: 'population sgd', batchSize: batch, lr, steps, time: 'particle (mean-field) time, as the paper' },
      dataSeed: input.dataSeed,
      initSeed: input.initSeed,
      log: { every: input.logEvery, particlesEvery: input.particleEvery },
    };
    const info: RunInfo = { config, seed: input.initSeed, status: 'running', error: null, backend: 'plain TypeScript (float64), 1 thread', precision: 'f64', versions, timings: {} };
    writeRunInfo(spec.dir, info);
    const writer = TrajectoryWriter.open({ dir: spec.dir, observables: METRICS, precision: 'f64', particleDimension: d, config, versions });
    const initialObjective = net.populationObjective();
    const optimum = closedFormOptimum(teacher, spec.m, spec.lambda);
    info.optimum = optimum;
    return { spec, net, writer, info, initial, initialObjective, optimum, row: new Float64Array(METRICS.length), lastObjective: initialObjective, lastGap: NaN, status: 'done' };
  });

  const snapshot = (run: LiveRun, step: number) =>
    run.writer.logParticles({ step, neurons: Int32Array.from({ length: run.spec.m }, (_, j) => j), a: Float64Array.from(run.net.w), b: ones.subarray(0, run.spec.m) });

  /** Updates applied so far: the parameters are w(updates). */
  let updates = 0;
  try {
    for (let k = 0; k <= steps; k++) {
      const logged = k % input.logEvery === 0 || k === steps;
      if (logged) {
        for (const run of runs) {
          if (run.status !== 'done') continue;
          const risk = run.net.populationRisk();
          const l2 = run.net.meanSquaredNorm();
          const penalty = run.spec.lambda * l2;
          const objective = risk + penalty;
          run.lastObjective = objective;
          run.lastGap = (objective - run.optimum.value) / run.initialObjective;
          run.row[0] = objective;
          run.row[1] = risk;
          run.row[2] = penalty;
          run.row[3] = l2;
          run.row[4] = run.lastGap;
          run.row[5] = NaN;
          if (!Number.isFinite(objective)) run.status = 'diverged';
        }
        context.reportProgress(k / steps, { step: k, objective: runs[0].lastObjective });
      }
      if (k % input.particleEvery === 0 || k === steps) for (const run of runs) snapshot(run, k);
      if (k < steps) {
        sampler.sample(k * batch, batch, x, y);
        for (let i = 0; i < batch; i++) y[i] = altTeacherOutput(teacher, x, i * d);
        for (const run of runs) {
          if (run.status !== 'done') continue;
          const batchRisk = run.net.sgdStep(x, y, batch, lr);
          if (logged) run.row[5] = batchRisk;
        }
        updates = k + 1;
      }
      if (logged) for (const run of runs) run.writer.logMetrics(k, k * lr, run.row);
      if (logged && k < steps && context.shouldStop()) {
        for (const run of runs) if (run.status === 'done') run.status = 'stopped';
        break;
      }
    }
  } finally {
    for (const run of runs) {
      const params = { m: run.spec.m, D: d, a: run.net.w, b: ones.subarray(0, run.spec.m) };
      const initialParams = { m: run.spec.m, D: d, a: run.initial, b: ones.subarray(0, run.spec.m) };
      try {
        run.writer.checkpoint({ step: updates, params, initialParams });
      } finally {
        run.writer.close();
      }
    }
  }

  const seconds = (performance.now() - started) / 1000;
  for (const run of runs) {
    run.info.status = run.status === 'stopped' ? 'running' : run.status;
    if (run.status === 'stopped') run.info.interrupted = `stopped after ${updates} of ${steps} steps`;
    if (run.status === 'diverged') run.info.error = `the objective became ${run.lastObjective}`;
    run.info.timings = { wall: seconds, steps: updates, seconds_per_step_of_group: seconds / Math.max(1, updates) };
    run.info.final = { objective: run.lastObjective, gap: run.lastGap };
    writeRunInfo(run.spec.dir, run.info);
  }
  const outcomes: SparseRunOutcome[] = runs.map((run) => ({
    dir: run.spec.dir,
    m: run.spec.m,
    lambda: run.spec.lambda,
    status: run.status,
    initialObjective: run.initialObjective,
    optimum: run.optimum.value,
    optimumSource: run.optimum.source,
    finalObjective: run.lastObjective,
    finalGap: run.lastGap,
  }));
  const stopped = runs.some((r) => r.status === 'stopped');
  const diverged = runs.find((r) => r.status === 'diverged');
  return {
    status: stopped ? 'stopped' : diverged ? 'diverged' : 'done',
    reason: diverged ? `m = ${diverged.spec.m}, λ = ${diverged.spec.lambda}: the objective became ${diverged.lastObjective}` : undefined,
    runs: outcomes,
  };
}

/** The run directory of (m, λ) under the study (hive style, the paper's λ). */
export function sparseRunDir(study: string, m: number, lambda: number): string {
  return join(study, runDirName({ m, lambda }));
}
