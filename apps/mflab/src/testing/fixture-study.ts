/**
 * A small, real study directory for the report's tests: core Simulations on teacher data (one
 * data seed for the whole study, so every seed sees the same test points), written with the
 * store's TrajectoryWriter, run.json, `outputs.arrow` and the study index, in the layout of
 * ARCHITECTURE.md §5 (`model.parameterization=…/model.width=…/train.weightDecay=…/seed=…/`).
 * Not part of the package build.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Simulation, makeDataset, resolveSimulationConfig, runSimulation, type DataSpec, type Parameterization } from '@mflab/core';
import { OBSERVABLES, TrajectoryWriter, rebuildIndex, runDirName, writeOutputs, writeRunInfo, type RunStatus } from '@mflab/store';

export interface FixtureStudyOptions {
  /** Where to create the study (default: a fresh temporary directory). */
  dir?: string;
  widths?: readonly number[];
  seeds?: readonly number[];
  parameterizations?: readonly Parameterization[];
  weightDecays?: readonly number[];
  steps?: number;
  /** Mark one run failed and one diverged (their files stay as a crashed run would leave them). */
  withBrokenRuns?: boolean;
  /** Log particle snapshots (default true). */
  particles?: boolean;
  /** Log ntk_drift (default true). */
  ntk?: boolean;
  /** Write study.json (default true). */
  studyJson?: boolean;
}

export interface FixtureStudy {
  dir: string;
  /** Relative run directories, in creation order. */
  runs: string[];
  /** The run marked failed and the one marked diverged, when `withBrokenRuns`. */
  failedRun?: string;
  divergedRun?: string;
}

/** The data seed of the study: fixed, so that all runs share the train and test sets. */
export const FIXTURE_DATA_SEED = 7;
export const FIXTURE_DATA: DataSpec = { kind: 'teacher', d: 2, n: 32, nTest: 48, teacherWidth: 3, sphere: true };

const VERSIONS = { mflab: '0.1.0-fixture' };

/**
 * Builds the study: every (parameterization, width, λ, seed) of the grid runs a few dozen GD
 * steps in float64 on the reference kernel (deterministic on every machine). Symmetric init
 * makes f_{w(0)} ≡ 0, so the across-seed spread of the outputs comes from training alone.
 */
export function makeFixtureStudy(options: FixtureStudyOptions = {}): FixtureStudy {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mflab-report-fixture-'));
  const widths = options.widths ?? [32, 128, 512];
  const seeds = options.seeds ?? [0, 1, 2];
  const parameterizations = options.parameterizations ?? ['mean-field', 'ntk'];
  const weightDecays = options.weightDecays ?? [0, 1e-3];
  const steps = options.steps ?? 40;
  const data = makeDataset(FIXTURE_DATA, FIXTURE_DATA_SEED);
  const grid = { 'model.parameterization': parameterizations, 'model.width': widths, 'train.weightDecay': weightDecays, seed: seeds };
  const runs: string[] = [];
  const broken = options.withBrokenRuns
    ? {
        failed: runDirName({ 'model.parameterization': parameterizations[parameterizations.length - 1], 'model.width': widths[0], 'train.weightDecay': weightDecays[0], seed: seeds[seeds.length - 1] }),
        diverged: runDirName({ 'model.parameterization': parameterizations[0], 'model.width': widths[widths.length - 1], 'train.weightDecay': weightDecays[0], seed: seeds[0] }),
      }
    : null;

  for (const parameterization of parameterizations) {
    for (const width of widths) {
      for (const weightDecay of weightDecays) {
        for (const seed of seeds) {
          const relative = runDirName({ 'model.parameterization': parameterization, 'model.width': width, 'train.weightDecay': weightDecay, seed });
          const runDir = path.join(dir, relative);
          const config = resolveSimulationConfig({
            seed,
            model: { width, parameterization, init: { symmetric: true } },
            train: { steps, lr: 0.5, weightDecay, precision: 'f64', backend: 'reference' },
            log: { every: 5, particles: { every: options.particles === false ? 0 : 20, count: 32 }, ntk: { every: options.ntk === false ? 0 : 10, probe: 12 } },
          });
          const fullConfig = { ...config, data: { ...FIXTURE_DATA, seed: FIXTURE_DATA_SEED } };
          runs.push(relative);
          if (broken?.failed === relative) {
            // A run that crashed before its first row: only run.json and empty streams remain.
            writeRunInfo(runDir, { config: fullConfig, seed, status: 'failed', error: 'worker exited with code 1 (fixture)', backend: 'reference', precision: 'f64', versions: VERSIONS, timings: {} });
            continue;
          }
          const sim = new Simulation(config, data);
          const writer = TrajectoryWriter.open({ dir: runDir, observables: OBSERVABLES, precision: 'f64', particleDimension: sim.D, config: fullConfig, versions: VERSIONS });
          const start = performance.now();
          let status: RunStatus = 'done';
          let error: string | null = null;
          try {
            const result = runSimulation(sim, {
              onMetrics: (row) => writer.logMetrics(row.step, row.time, row as unknown as Record<string, number>),
              onParticles: (snap) => writer.logParticles(snap),
            });
            if (broken?.diverged === relative) {
              // Stands in for a blow-up: the last row's objective is not finite.
              writer.logMetrics(steps + 1, (steps + 1) * config.train.lr, { risk_train: Infinity, risk_test: Infinity, objective: Infinity });
              status = 'diverged';
              error = `objective became Infinity at step ${steps + 1}`;
            } else if (result.status !== 'done') {
              status = 'diverged';
              error = result.reason ?? result.status;
            } else {
              writer.checkpoint({ step: sim.currentStep, params: sim.params, initialParams: sim.initialParams });
              writeOutputs(runDir, sim.testOutputs());
            }
          } finally {
            writer.close();
          }
          writeRunInfo(runDir, {
            config: fullConfig,
            seed,
            status,
            error,
            backend: sim.backendInfo.backend,
            precision: 'f64',
            versions: VERSIONS,
            timings: { wall: (performance.now() - start) / 1000 },
          });
        }
      }
    }
  }
  if (options.studyJson ?? true) {
    const study = {
      name: 'report-fixture',
      title: 'Report fixture study',
      description: 'Teacher–student data, a few widths, seeds, both scalings, with and without weight decay (a test fixture).',
      grid,
      config: { data: FIXTURE_DATA, train: { steps } },
      versions: VERSIONS,
    };
    fs.writeFileSync(path.join(dir, 'study.json'), JSON.stringify(study, null, 2) + '\n');
  }
  rebuildIndex(dir);
  return { dir, runs, failedRun: broken?.failed, divergedRun: broken?.diverged };
}
