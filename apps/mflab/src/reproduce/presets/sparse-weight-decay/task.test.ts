import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makePopulationSampler, makeTeacher } from '@mflab/core';
import type { TaskContext } from '@mflab/parallel';
import { openRun, readCheckpoint, readRunInfo } from '@mflab/store';
import { planGroups } from '../sparse-weight-decay.js';
import { AltNetwork, altTeacher, altTeacherOutput, teacherEnergy, zeroNetworkCertificate } from './alt-network.js';
import runSparseGroup, { closedFormOptimum, gaussianInit, sparseRunDir, type SparseTaskInput } from './task.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function context(stopAfterPolls = Infinity): TaskContext & { progress: number[] } {
  let polls = 0;
  const progress: number[] = [];
  return { threads: 1, shouldStop: () => ++polls > stopAfterPolls, reportProgress: (f) => void progress.push(f), progress };
}

function input(study: string): SparseTaskInput {
  return {
    runs: [
      { m: 2, lambda: 0, dir: sparseRunDir(study, 2, 0) },
      { m: 3, lambda: 0.5, dir: sparseRunDir(study, 3, 0.5) },
    ],
    d: 4,
    teacherWidth: 2,
    batch: 16,
    lr: 0.01,
    steps: 30,
    dataSeed: 2,
    initSeed: 4,
    logEvery: 10,
    particleEvery: 15,
  };
}

describe('runSparseGroup', () => {
  it('writes each run as the direct SGD loop on the same batches leaves it, with the gap against the closed-form F*', async () => {
    const study = mkdtempSync(join(tmpdir(), 'mflab-sparse-'));
    dirs.push(study);
    const request = input(study);
    const ctx = context();
    const result = await runSparseGroup(request, ctx);
    expect(result.status).toBe('done');
    expect(ctx.progress.at(-1)).toBe(1);

    // Independent reference: the same network stepped by hand on batches drawn straight from core's sampler.
    const teacher = altTeacher(makeTeacher(2, 4, 2).directions, 4);
    const sampler = makePopulationSampler({ kind: 'teacher', d: 4, teacherWidth: 2, sphere: true }, 2);
    const x = new Float64Array(16 * 4);
    const y = new Float64Array(16);
    for (const spec of request.runs) {
      const net = new AltNetwork(gaussianInit(spec.m, 4, 4), 4, teacher, spec.lambda);
      const initialObjective = net.populationObjective();
      for (let k = 0; k < 30; k++) {
        sampler.sample(k * 16, 16, x, y);
        for (let i = 0; i < 16; i++) y[i] = altTeacherOutput(teacher, x, i * 4);
        net.sgdStep(x, y, 16, 0.01);
      }
      const checkpoint = readCheckpoint(spec.dir, 'two-layer');
      expect(checkpoint?.step).toBe(30);
      expect(Array.from(checkpoint?.params.a ?? [])).toEqual(Array.from(net.w));

      const metrics = openRun(spec.dir).metrics();
      expect(Array.from(metrics.getChild('step')?.toArray() as Int32Array)).toEqual([0, 10, 20, 30]);
      const optimum = spec.lambda === 0 ? 0 : teacherEnergy(teacher);
      expect(metrics.getChild('gap')?.get(0)).toBeCloseTo((initialObjective - optimum) / initialObjective, 14);
      expect(metrics.getChild('objective')?.get(3)).toBeCloseTo(net.populationObjective(), 14);
      expect(openRun(spec.dir).particles().numRows).toBe(3 * spec.m); // steps 0, 15, 30
      expect(readRunInfo(spec.dir).status).toBe('done');
    }
    // λ = 0.5 is above this teacher's certificate, so its optimum is the zero network's objective.
    expect(zeroNetworkCertificate(teacher)).toBeLessThan(0.5);
    expect(result.runs[1].optimum).toBe(teacherEnergy(teacher));
  });

  it('stops at a logged step when asked, with a checkpoint of the updates done', async () => {
    const study = mkdtempSync(join(tmpdir(), 'mflab-sparse-'));
    dirs.push(study);
    const request = input(study);
    const result = await runSparseGroup(request, context(1));
    expect(result.status).toBe('stopped');
    // polled at k = 0 (go on) and k = 10 (stop): 11 updates were applied
    expect(readCheckpoint(request.runs[0].dir)?.step).toBe(11);
    expect(readRunInfo(request.runs[0].dir).status).toBe('running');
  });
});

describe('closedFormOptimum', () => {
  const teacher = altTeacher(makeTeacher(0, 20, 5).directions, 20);
  it('is 0 without weight decay when the network can be the teacher, the zero network\'s objective above the certificate, unknown between', () => {
    expect(closedFormOptimum(teacher, 5, 0).value).toBe(0);
    expect(closedFormOptimum(teacher, 4, 0).value).toBeNaN();
    const certificate = zeroNetworkCertificate(teacher);
    expect(closedFormOptimum(teacher, 20, 1.01 * certificate).value).toBe(teacherEnergy(teacher));
    expect(closedFormOptimum(teacher, 20, 0.5 * certificate).value).toBeNaN();
  });
});

describe('gaussianInit', () => {
  it('gives neuron j the same draw whatever m (m = 5 is the start of m = 20)', () => {
    expect(Array.from(gaussianInit(20, 20, 0).subarray(0, 100))).toEqual(Array.from(gaussianInit(5, 20, 0)));
  });
});

describe('planGroups', () => {
  const specs = [5, 20].flatMap((m) => [0, 0.05, 0.1].map((lambda) => ({ m, lambda, dir: `${m}/${lambda}` })));
  it('balances the neurons over the threads, longest first', () => {
    const groups = planGroups(specs, 2);
    expect(groups.map((g) => g.reduce((s, r) => s + r.m, 0)).sort()).toEqual([35, 40]);
    expect(planGroups(specs, 1)).toHaveLength(1);
    expect(planGroups(specs, 16)).toHaveLength(6);
    expect(planGroups(specs, 2).flat()).toHaveLength(6);
  });
  it('rejects a thread count below 1', () => {
    expect(() => planGroups(specs, 0)).toThrow(/^workers: /);
  });
});
