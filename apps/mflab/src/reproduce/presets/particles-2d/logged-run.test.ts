import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Simulation, makeDataset } from '@mflab/core';
import { openRun, readRunInfo } from '@mflab/store';
import { dataSpecOf, simulationConfigOf, validateConfig } from '../../../config/validate.js';
import { sphereOfRadiusInit } from '../particles-2d.js';
import { logSchedule, runLogged } from './logged-run.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mflab-particles-2d-'));
  dirs.push(dir);
  return dir;
}

const rawConfig = {
  seed: 3,
  data: { kind: 'circle', n: 15, nTest: 16, teacherWidth: 3, outputScale: 1 / 3, seed: 3 },
  model: { width: 8, bias: false, init: { kind: 'uniform-b', scale: 0.5, symmetric: true } },
  train: { steps: 120, lr: 0.05, precision: 'f64' },
  log: { every: 40, particles: { every: 40, count: 8 } },
};

describe('logSchedule', () => {
  it('has 0, the multiples of every, log-spaced steps and the last step, sorted, each once', () => {
    const steps = logSchedule(1000, 250, 4);
    // log-spaced: round(1000^(i/3)) = 1, 10, 100, 1000
    expect(steps).toEqual([0, 1, 10, 100, 250, 500, 750, 1000]);
    expect(logSchedule(5, 0, 0)).toEqual([0, 5]);
  });
});

describe('runLogged', () => {
  it('writes a run directory whose last state is the plain simulation\'s after the same steps', async () => {
    const dir = tempDir();
    const config = validateConfig(rawConfig);
    const data = makeDataset(dataSpecOf(config), config.data.seed);
    const schedule = logSchedule(config.train.steps, config.log.every, 8);
    const result = await runLogged({ dir, config, data, schedule });
    expect(result.status).toBe('done');

    // Independent reference: the engine stepped straight to the end, without logging.
    const plain = new Simulation(simulationConfigOf(config), data);
    plain.step(config.train.steps);
    expect(Array.from(result.simulation.params.a)).toEqual(Array.from(plain.params.a));
    expect(Array.from(result.simulation.params.b)).toEqual(Array.from(plain.params.b));

    const run = openRun(dir);
    const metrics = run.metrics();
    expect(Array.from(metrics.getChild('step')?.toArray() as Int32Array)).toEqual(schedule);
    expect(metrics.getChild('risk_train')?.get(metrics.numRows - 1)).toBe(plain.observe().risk_train);
    const particles = run.particles();
    expect(particles.numRows).toBe(schedule.length * 8);
    const info = readRunInfo(dir);
    expect(info.status).toBe('done');
    expect(info.logSchedule).toMatch(/logged steps/);
  });

  it('starts from the given initial parameters and records them in run.json', async () => {
    const dir = tempDir();
    const config = validateConfig({ ...rawConfig, model: { width: 6, bias: false }, train: { steps: 10, lr: 0.5, weightDecay: 0.004, precision: 'f64' }, log: { every: 5, particles: { every: 5, count: 6 } } });
    const data = makeDataset(dataSpecOf(config), config.data.seed);
    const init = sphereOfRadiusInit(6, 2, 1);
    const result = await runLogged({ dir, config, data, schedule: logSchedule(10, 5, 0), initialParams: { params: init, description: 'sphere of radius 2' } });
    expect(Array.from(result.simulation.initialParams.a)).toEqual(Array.from(init.a));
    const step0 = openRun(dir).particles([0]);
    expect(Array.from(step0.getChild('b')?.toArray() as Float64Array)).toEqual(Array.from(init.b));
    expect(readRunInfo(dir).initialParams).toBe('sphere of radius 2');
  });

  it('stops at once when the signal is already aborted', async () => {
    const dir = tempDir();
    const config = validateConfig(rawConfig);
    const controller = new AbortController();
    controller.abort();
    const result = await runLogged({ dir, config, data: makeDataset(dataSpecOf(config), 3), schedule: logSchedule(120, 40, 0), signal: controller.signal });
    expect(result.status).toBe('stopped');
    expect(readRunInfo(dir).status).toBe('running');
  });
});

describe('sphereOfRadiusInit', () => {
  it('puts every (a_j, b_j) on the sphere of radius 2 of R³, neuron j from (seed, j) alone', () => {
    const wide = sphereOfRadiusInit(12, 2, 7);
    const narrow = sphereOfRadiusInit(5, 2, 7);
    for (let j = 0; j < 12; j++) {
      expect(Math.hypot(wide.a[2 * j], wide.a[2 * j + 1], wide.b[j])).toBeCloseTo(2, 12);
    }
    expect(Array.from(wide.a.subarray(0, 10))).toEqual(Array.from(narrow.a));
    expect(Array.from(sphereOfRadiusInit(5, 2, 8).b)).not.toEqual(Array.from(narrow.b));
  });
});
