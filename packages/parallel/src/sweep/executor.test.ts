/**
 * The sweep executor on a real piscina pool (the built worker in dist/sweep/), driven by the test
 * task module ../testing/behaviour-task.mjs whose `kind` picks how each run behaves.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BEHAVIOUR_TASK, expectFieldError, tempDir, waitFor } from '../testing/sweep-helpers.js';
import { SweepExecutor, workerThreadsOf } from './executor.js';
import { stopOnSigint } from './signals.js';
import type { SweepOutcome, SweepProgress, SweepTask, TaskResult } from './types.js';

interface SleepResult extends TaskResult {
  start: number;
  end: number;
  threads: number;
}
interface StepsResult extends TaskResult {
  steps: number;
}

const overlap = (a: SleepResult, b: SleepResult): boolean => a.start < b.end && b.start < a.end;
const byId = <R extends TaskResult>(outcomes: SweepOutcome<R>[]) => new Map(outcomes.map((o) => [o.id, o]));

describe('SweepExecutor outcomes', () => {
  let executor: SweepExecutor;
  beforeAll(() => {
    executor = new SweepExecutor({ taskModule: BEHAVIOUR_TASK, workers: 2, resourceLimits: { maxOldGenerationSizeMb: 64 } });
  });
  afterAll(() => executor.destroy());

  it('records done, thrown, diverged, NaN, exited and out-of-memory runs, and the others finish', async () => {
    const tasks: SweepTask[] = [
      { id: 'first', input: { kind: 'done', value: 0.25 } },
      { id: 'throws', input: { kind: 'throw' } },
      { id: 'diverges', input: { kind: 'diverge' } },
      { id: 'nan', input: { kind: 'nan' } },
      { id: 'exits', input: { kind: 'exit', code: 3 } },
      { id: 'oom', input: { kind: 'oom' } },
      { id: 'last', input: { kind: 'done', value: 0.75 } },
    ];
    const outcomes = await executor.run(tasks);
    expect(outcomes.map((o) => o.id)).toEqual(tasks.map((t) => t.id));
    const got = byId(outcomes);
    expect(got.get('first')).toMatchObject({ status: 'done', threads: 1, result: { status: 'done', final: { objective: 0.25 } } });
    expect(got.get('last')).toMatchObject({ status: 'done', result: { final: { objective: 0.75 } } });
    expect(got.get('throws')).toMatchObject({ status: 'failed', error: 'RangeError: bad luck in the task' });
    expect(got.get('diverges')).toMatchObject({ status: 'diverged', error: 'objective became NaN at step 7' });
    // The task said done, but its final objective is NaN.
    expect(got.get('nan')).toMatchObject({ status: 'diverged', error: 'the final objective is NaN' });
    expect(got.get('exits')?.status).toBe('failed');
    expect(got.get('exits')?.error).toMatch(/^worker exited with code 3 /);
    expect(got.get('oom')?.status).toBe('failed');
    expect(got.get('oom')?.error).toMatch(/^out of memory: .*maxOldGenerationSizeMb = 64/);
    for (const outcome of outcomes) {
      expect(outcome.error ?? '').not.toMatch(/\n|\bat .*:\d+:\d+/);
      expect(outcome.seconds).toBeGreaterThanOrEqual(0);
    }
    // The pool replaced the dead threads and serves the next sweep.
    const again = await executor.run([1, 2, 3].map((k) => ({ id: `again-${k}`, input: { kind: 'done', value: k } })));
    expect(again.map((o) => [o.status, o.result?.final?.objective])).toEqual([['done', 1], ['done', 2], ['done', 3]]);
    expect(workerThreadsOf(executor)).toHaveLength(2);
  });

  it('surfaces a worker killed mid-run as a failed run within a second, and keeps serving the others', async () => {
    const threadId = new Int32Array(new SharedArrayBuffer(4));
    const release = new Int32Array(new SharedArrayBuffer(4));
    let killedAt = 0;
    let surfacedAt = 0;
    const run = executor.run<unknown>(
      [
        { id: 'victim', input: { kind: 'spin', threadId, release } },
        ...[1, 2, 3].map((k) => ({ id: `bystander-${k}`, input: { kind: 'sleep', ms: 50 } })),
      ],
      { onProgress: (p) => (p.outcome?.id === 'victim' ? (surfacedAt = performance.now()) : undefined) },
    );
    await waitFor(() => Atomics.load(threadId, 0) !== 0);
    const worker = workerThreadsOf(executor).find((w) => w.threadId === Atomics.load(threadId, 0));
    expect(worker).toBeDefined();
    killedAt = performance.now();
    await worker?.terminate();
    const outcomes = byId(await run);
    Atomics.store(release, 0, 1);
    expect(outcomes.get('victim')?.status).toBe('failed');
    expect(outcomes.get('victim')?.error).toMatch(/^worker exited with code 1 /);
    expect(surfacedAt).toBeGreaterThan(killedAt);
    expect(surfacedAt - killedAt).toBeLessThan(1000);
    for (const k of [1, 2, 3]) expect(outcomes.get(`bystander-${k}`)?.status).toBe('done');
  });

  it('lets destroy() end a sweep at once: running runs fail, saying so', async () => {
    const doomed = new SweepExecutor({ taskModule: BEHAVIOUR_TASK, workers: 1 });
    const release = new Int32Array(new SharedArrayBuffer(4));
    const threadId = new Int32Array(new SharedArrayBuffer(4));
    const run = doomed.run([{ id: 'spinning', input: { kind: 'spin', threadId, release } }]);
    await waitFor(() => Atomics.load(threadId, 0) !== 0);
    await doomed.destroy();
    const [outcome] = await run;
    expect(outcome).toMatchObject({ id: 'spinning', status: 'failed', error: 'the executor was destroyed while the run was in progress' });
    await expect(doomed.run([])).rejects.toThrow('the sweep executor is destroyed; create a new one');
  });
});

describe('close', () => {
  it('lets the running task finish, starts no other, and ends the pool after it', async () => {
    const executor = new SweepExecutor({ taskModule: BEHAVIOUR_TASK, workers: 1 });
    const dir = tempDir('close');
    const tasks = [0, 1, 2].map((k) => ({ id: `run-${k}`, input: { kind: 'steps', steps: 30, stepMs: 10, file: join(dir, `run-${k}.txt`) } }));
    let sweepEnded = false;
    const run = executor.run(tasks).finally(() => (sweepEnded = true));
    await waitFor(() => existsSync(join(dir, 'run-0.txt')));
    await executor.close();
    // close() returned only after the running task had finished.
    expect(sweepEnded).toBe(true);
    const outcomes = await run;
    expect(outcomes.map((o) => o.status)).toEqual(['done', 'not-started', 'not-started']);
    expect(readFileSync(join(dir, 'run-0.txt'), 'utf8').trim().split('\n')).toHaveLength(30);
    await expect(executor.run([])).rejects.toThrow('the sweep executor is closed; create a new one');
  });
});

describe('packing', () => {
  it('runs small tasks side by side on one thread each, and a large one alone on every thread', async () => {
    const executor = new SweepExecutor({ taskModule: BEHAVIOUR_TASK, workers: 2, largeTaskCost: 1000 });
    try {
      const small = (id: string): SweepTask => ({ id, input: { kind: 'sleep', ms: 250 }, cost: 10 });
      const outcomes = byId(await executor.run<unknown, SleepResult>([small('s1'), small('s2'), { id: 'large', input: { kind: 'sleep', ms: 250 }, cost: 1000 }, small('s3'), small('s4')]));
      const large = outcomes.get('large') as SweepOutcome<SleepResult>;
      expect(large.threads).toBe(2);
      expect(large.result?.threads).toBe(2);
      const smalls = ['s1', 's2', 's3', 's4'].map((id) => outcomes.get(id) as SweepOutcome<SleepResult>);
      for (const s of smalls) {
        expect(s.status).toBe('done');
        expect([s.threads, s.result?.threads]).toEqual([1, 1]);
        // Alone: no small run shares any moment with the large one.
        expect(overlap(s.result as SleepResult, large.result as SleepResult)).toBe(false);
        // Packed: every small run shares time with another small one.
        expect(smalls.some((t) => t !== s && overlap(s.result as SleepResult, t.result as SleepResult))).toBe(true);
      }
    } finally {
      await executor.close();
    }
  });
});

describe('abort', () => {
  it('stops running tasks after their current step with their output flushed, and starts no other', async () => {
    const dir = tempDir('abort');
    const executor = new SweepExecutor({ taskModule: BEHAVIOUR_TASK, workers: 2 });
    const controller = new AbortController();
    const reports: SweepProgress[] = [];
    try {
      const tasks = [0, 1, 2, 3, 4].map((k) => ({ id: `run-${k}`, input: { kind: 'steps', steps: 400, stepMs: 10, file: join(dir, `run-${k}.txt`) } }));
      const outcomes = await executor.run<unknown, StepsResult>(tasks, {
        signal: controller.signal,
        progressIntervalMs: 20,
        onProgress: (p) => {
          reports.push(p);
          if (p.running.some((r) => r.step >= 3)) controller.abort();
        },
      });
      expect(outcomes.map((o) => o.status)).toEqual(['stopped', 'stopped', 'not-started', 'not-started', 'not-started']);
      // The abort came when one task had made 3 steps; the other may have started a little later.
      expect(Math.max(...outcomes.slice(0, 2).map((o) => o.result?.steps as number))).toBeGreaterThanOrEqual(3);
      for (const outcome of outcomes.slice(0, 2)) {
        const steps = outcome.result?.steps as number;
        expect(steps).toBeGreaterThanOrEqual(1);
        expect(steps).toBeLessThan(400);
        // Every completed step is on disk, and nothing after the stop.
        const lines = readFileSync(join(dir, `${outcome.id}.txt`), 'utf8').trim().split('\n');
        expect(lines).toEqual(Array.from({ length: steps }, (_, i) => `step ${i + 1}`));
      }
      for (const k of [2, 3, 4]) {
        expect(outcomes[k]).toEqual({ id: `run-${k}`, status: 'not-started', seconds: 0, threads: 0 });
        expect(existsSync(join(dir, `run-${k}.txt`))).toBe(false);
      }
      // The progress polls saw the steps the tasks reported in shared memory.
      const live = reports.flatMap((p) => p.running).filter((r) => r.step >= 3);
      expect(live.length).toBeGreaterThan(0);
      expect(live[0].fraction).toBeCloseTo(live[0].step / 400, 12);
      expect(live[0].objective).toBeCloseTo(1 / live[0].step, 12);
      expect(reports.filter((p) => p.outcome).map((p) => p.outcome?.status)).toEqual(['stopped', 'stopped']);
    } finally {
      await executor.close();
    }
  });

  it('starts nothing when the signal is already aborted', async () => {
    const dir = tempDir('pre-aborted');
    const executor = new SweepExecutor({ taskModule: BEHAVIOUR_TASK, workers: 1 });
    try {
      const outcomes = await executor.run([{ id: 'never', input: { kind: 'steps', steps: 5, stepMs: 1, file: join(dir, 'never.txt') } }], { signal: AbortSignal.abort() });
      expect(outcomes).toEqual([{ id: 'never', status: 'not-started', seconds: 0, threads: 0 }]);
      expect(existsSync(join(dir, 'never.txt'))).toBe(false);
    } finally {
      await executor.close();
    }
  });
});

describe('the app side', () => {
  it('stopOnSigint adds one handler per signal and dispose() removes it', () => {
    const before = process.listenerCount('SIGHUP');
    const stop = stopOnSigint({ signals: ['SIGHUP'] });
    expect(process.listenerCount('SIGHUP')).toBe(before + 1);
    expect(stop.signal.aborted).toBe(false);
    stop.dispose();
    expect(process.listenerCount('SIGHUP')).toBe(before);
  });

  it('keeps the sweep going when onProgress throws, with one warning', async () => {
    const executor = new SweepExecutor({ taskModule: BEHAVIOUR_TASK, workers: 1 });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      const outcomes = await executor.run([1, 2].map((k) => ({ id: `run-${k}`, input: { kind: 'done' } })), {
        onProgress: () => {
          throw new Error('the bar broke');
        },
      });
      expect(outcomes.map((o) => o.status)).toEqual(['done', 'done']);
      await waitFor(() => warnings.length > 0);
      expect(warnings).toEqual(['mflab sweep: onProgress threw (the bar broke); the sweep goes on']);
    } finally {
      process.off('warning', onWarning);
      await executor.close();
    }
  });
});

describe('bad input', () => {
  const module = BEHAVIOUR_TASK;
  it('names the option in one line for every bad executor option', async () => {
    await expectFieldError(() => new SweepExecutor(undefined as never), 'options');
    await expectFieldError(() => new SweepExecutor({ taskModule: module, threads: 2 } as never), 'threads', /unknown option/);
    await expectFieldError(() => new SweepExecutor({ taskModule: 42 } as never), 'taskModule', /path or file: URL/);
    await expectFieldError(() => new SweepExecutor({ taskModule: '/no/such/task.mjs' }), 'taskModule', /no such file: \/no\/such\/task\.mjs/);
    await expectFieldError(() => new SweepExecutor({ taskModule: new URL('https://example.org/task.mjs') }), 'taskModule', /file: URL/);
    for (const workers of [0, 1.5, -2, '2', 1e6]) {
      await expectFieldError(() => new SweepExecutor({ taskModule: module, workers: workers as number }), 'workers', /integer in \[1, 1024\]/);
    }
    for (const largeTaskCost of [0, -1, NaN, '1e9']) {
      await expectFieldError(() => new SweepExecutor({ taskModule: module, largeTaskCost: largeTaskCost as number }), 'largeTaskCost');
    }
    await expectFieldError(() => new SweepExecutor({ taskModule: module, resourceLimits: 64 as never }), 'resourceLimits');
    await expectFieldError(() => new SweepExecutor({ taskModule: module, resourceLimits: { heapMb: 64 } as never }), 'resourceLimits.heapMb', /unknown resource limit/);
    await expectFieldError(() => new SweepExecutor({ taskModule: module, resourceLimits: { maxOldGenerationSizeMb: -5 } }), 'resourceLimits.maxOldGenerationSizeMb', /positive number of MB/);
    await expectFieldError(() => new SweepExecutor({ taskModule: module, execArgv: '--inspect' as never }), 'execArgv', /array of Node flags/);
    await expectFieldError(() => stopOnSigint({ signals: ['SIGKILL'] as never }), 'signals');
  });

  it('names the task or run option in one line for every bad run() input', async () => {
    const executor = new SweepExecutor({ taskModule: module, workers: 1 });
    try {
      const ok = { id: 'a', input: { kind: 'done' } };
      await expectFieldError(() => executor.run('tasks' as never), 'tasks');
      await expectFieldError(() => executor.run([ok, null] as never), 'tasks[1]');
      await expectFieldError(() => executor.run([{ ...ok, id: '' }]), 'tasks[0].id');
      await expectFieldError(() => executor.run([ok, { ...ok }]), 'tasks[1].id', /duplicate id "a"/);
      await expectFieldError(() => executor.run([{ ...ok, cost: -1 }]), 'tasks[0].cost');
      await expectFieldError(() => executor.run([{ ...ok, weight: 2 } as never]), 'tasks[0].weight', /unknown task key/);
      await expectFieldError(() => executor.run([ok], { signal: {} as never }), 'signal', /AbortSignal/);
      await expectFieldError(() => executor.run([ok], { onProgress: 'bar' as never }), 'onProgress');
      await expectFieldError(() => executor.run([ok], { progressIntervalMs: 0 }), 'progressIntervalMs');
      await expectFieldError(() => executor.run([ok], { every: 5 } as never), 'every', /unknown run option/);
      // Nothing bad was started: the executor still runs.
      expect((await executor.run([ok]))[0].status).toBe('done');
    } finally {
      await executor.close();
    }
  });

  it('fails a task whose input cannot be sent to a thread, and runs the others', async () => {
    const executor = new SweepExecutor({ taskModule: module, workers: 1 });
    try {
      const [bad, ok] = await executor.run([
        { id: 'function', input: { kind: 'done', callback: () => 1 } },
        { id: 'plain', input: { kind: 'done' } },
      ]);
      expect(bad.status).toBe('failed');
      expect(bad.error).toMatch(/^a value could not be passed between threads \(DataCloneError: .*\); task inputs and results must be structured-cloneable$/);
      expect(ok.status).toBe('done');
    } finally {
      await executor.close();
    }
  });

  it('fails a task whose module cannot be loaded or returns no status, with the reason', async () => {
    const dir = tempDir('modules');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'no-default.mjs'), 'export const run = () => ({ status: "done" });\n');
    writeFileSync(join(dir, 'no-status.mjs'), 'export default () => ({ ok: true });\n');
    writeFileSync(join(dir, 'syntax.mjs'), 'export default (\n');
    for (const [file, error] of [
      ['no-default.mjs', /has no default export function/],
      ['no-status.mjs', /returned status undefined; expected an object with status "done", "diverged" or "stopped"/],
      ['syntax.mjs', /^cannot load the task module .*syntax\.mjs: SyntaxError/],
    ] as const) {
      const executor = new SweepExecutor({ taskModule: join(dir, file), workers: 1 });
      try {
        const [outcome] = await executor.run([{ id: file, input: null }]);
        expect(outcome.status).toBe('failed');
        expect(outcome.error).toMatch(error);
      } finally {
        await executor.close();
      }
    }
  });
});
