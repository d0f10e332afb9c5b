/**
 * Sweeps split over processes (issue #8, docs/cluster.md): a study run as 3 shards started at
 * once is bitwise the study run in one process (every run's metrics, particles, outputs and
 * checkpoint; the same index); two processes wanting the same cells run each cell once; a shard
 * killed with SIGKILL mid-run and rerun completes the study with every cell exactly once, the
 * killed run continued from its checkpoint; `sweep status` and `sweep merge` report and rebuild.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { STACK_LINE, assertCliBuilt, readArrow, readRunJson, runCli, startCli, tempWorkspace, valueBytes, waitFor } from './helpers/cli.js';

// 6 cells of unequal cost (widths 16 and 64): each run takes a second or so, long enough to be
// killed after its first checkpoint (every 500 of 6000 steps), short enough for a quick suite.
const GRID_YAML = `name: cluster
data: { kind: teacher, d: 2, n: 64, nTest: 16 }
model: { width: 64 }
train: { steps: 6000, lr: 0.05 }
log: { every: 20, particles: { every: 1500, count: 4 }, checkpointEvery: 500 }
grid:
  model.width: [16, 64]
  seed: [0, 1, 2]
`;
const RUN_IDS = ['model.width=16/seed=0', 'model.width=16/seed=1', 'model.width=16/seed=2', 'model.width=64/seed=0', 'model.width=64/seed=1', 'model.width=64/seed=2'];


/** Run `id` of `study` is bitwise run `id` of `reference`: streams by value, files by byte. */
function expectSameRun(study: string, reference: string, id: string): void {
  for (const stream of ['metrics.arrows', 'particles.arrows']) {
    expect(valueBytes(readArrow(join(study, id, stream))), `${id}/${stream}`).toEqual(valueBytes(readArrow(join(reference, id, stream))));
  }
  for (const file of ['outputs.arrow', 'checkpoint.arrow']) {
    expect(readFileSync(join(study, id, file)).equals(readFileSync(join(reference, id, file))), `${id}/${file} bytes`).toBe(true);
  }
}

function expectSameIndex(study: string, reference: string): void {
  const [a, b] = [readArrow(join(study, 'index.arrow')), readArrow(join(reference, 'index.arrow'))];
  expect(a.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(b.schema.fields.map((f) => `${f.name}:${String(f.type)}`));
  expect(valueBytes(a)).toEqual(valueBytes(b));
  expect(a.numRows).toBe(RUN_IDS.length);
}

/** Steps logged by a run: strictly increasing (no duplicate rows), from 0 to the last step. */
function loggedSteps(study: string, id: string): number[] {
  return [...(readArrow(join(study, id, 'metrics.arrows')).getChild('step')!.toArray() as Int32Array)];
}

const doneCount = (stdout: string): number => Number(/(\d+) done/.exec(stdout)?.[1] ?? 0);

/** Variables that would make a CLI child a shard: cleared, so this suite means the same inside a Slurm or Kubernetes job. */
const SHARD_VARIABLES = ['SLURM_ARRAY_TASK_ID', 'SLURM_ARRAY_TASK_MIN', 'SLURM_ARRAY_TASK_MAX', 'SLURM_ARRAY_TASK_COUNT', 'JOB_COMPLETION_INDEX', 'MFLAB_SHARDS', 'MFLAB_CLAIM_TIMEOUT'];
const savedEnv = new Map(SHARD_VARIABLES.map((name) => [name, process.env[name]]));

/** Starts `start()` (a CLI child, which copies the environment when spawned) with `vars` set, then restores them. */
function withEnv<T>(vars: Record<string, string>, start: () => Promise<T>): Promise<T> {
  const before = new Map(Object.keys(vars).map((name) => [name, process.env[name]]));
  Object.assign(process.env, vars);
  try {
    return start();
  } finally {
    for (const [name, value] of before) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

let ws: ReturnType<typeof tempWorkspace>;
beforeAll(async () => {
  assertCliBuilt();
  for (const name of SHARD_VARIABLES) delete process.env[name];
  ws = tempWorkspace('cluster');
  ws.write('grid.yaml', GRID_YAML);
  const reference = await runCli(['sweep', 'grid.yaml', '--workers', '2', '--out', 'one'], { cwd: ws.dir });
  expect(reference.status, reference.stderr).toBe(0);
  expect(doneCount(reference.stdout)).toBe(6);
});
afterAll(() => {
  ws?.dispose();
  for (const [name, value] of savedEnv) if (value !== undefined) process.env[name] = value;
});

describe('mflab sweep over several processes', () => {
  it('3 shards started at once give the one-process study bit for bit, and the same index', async () => {
    const shards = await Promise.all([0, 1, 2].map((i) => runCli(['sweep', 'grid.yaml', '--workers', '1', '--out', 'three', '--shard', `${i}/3`], { cwd: ws.dir })));
    for (const r of shards) {
      expect(r.stderr).not.toMatch(STACK_LINE);
      expect(r.status, r.stderr).toBe(0);
      // Cost-balanced: each shard ran one width-64 and one width-16 run.
      expect(doneCount(r.stdout)).toBe(2);
      expect(r.stdout.match(/model\.width=64/g)).toHaveLength(1);
    }
    for (const id of RUN_IDS) {
      expect(readRunJson(ws.path('three', id)).status).toBe('done');
      expectSameRun(ws.path('three'), ws.path('one'), id);
      expect(existsSync(ws.path('three', id, '.claim')), `${id}: claim released`).toBe(false);
    }
    expectSameIndex(ws.path('three'), ws.path('one'));
    expect(JSON.parse(readFileSync(ws.path('three', 'study.json'), 'utf8')).shards).toBe(3);
  });

  it('two processes started at once on the same cells run each cell once (claims), and both exit 0', async () => {
    const [a, b] = await Promise.all([0, 1].map(() => runCli(['sweep', 'grid.yaml', '--workers', '1', '--out', 'twice', '--shard', '0/1'], { cwd: ws.dir })));
    expect(a.status, a.stderr).toBe(0);
    expect(b.status, b.stderr).toBe(0);
    expect(doneCount(a.stdout) + doneCount(b.stdout)).toBe(6);
    for (const id of RUN_IDS) expectSameRun(ws.path('twice'), ws.path('one'), id);
    expectSameIndex(ws.path('twice'), ws.path('one'));
  });

  it('a shard killed (SIGKILL) mid-run and rerun completes the study: every cell once, the killed run resumed bitwise', async () => {
    const study = ws.path('killed');
    const victim = startCli(['sweep', 'grid.yaml', '--workers', '1', '--out', 'killed', '--shard', '0/2'], { cwd: ws.dir });
    const other = startCli(['sweep', 'grid.yaml', '--workers', '1', '--out', 'killed', '--shard', '1/2'], { cwd: ws.dir });
    // Kill shard 0 once one of its runs (claimed by its pid; shard 1 runs beside it) has a checkpoint.
    const claimedByVictim = (id: string): boolean => {
      try {
        return (JSON.parse(readFileSync(join(study, id, '.claim'), 'utf8')) as { pid: number }).pid === victim.child.pid;
      } catch {
        return false;
      }
    };
    const midRun = (): string | undefined =>
      RUN_IDS.find((id) => {
        try {
          return claimedByVictim(id) && existsSync(join(study, id, 'checkpoint.arrow')) && readRunJson(join(study, id)).status === 'running';
        } catch {
          return false; // run.json being replaced
        }
      });
    try {
      await waitFor(() => midRun() !== undefined, 30_000, 'a run of shard 0 with a checkpoint');
    } finally {
      victim.child.kill('SIGKILL');
    }
    const killed = await victim.result;
    expect(killed.signal).toBe('SIGKILL');
    const otherResult = await other.result;
    expect(otherResult.status, otherResult.stderr).toBe(0);

    // What the kill left: a run still 'running', its claim owned by a dead process.
    const interrupted = RUN_IDS.filter((id) => existsSync(join(study, id, 'run.json')) && readRunJson(join(study, id)).status === 'running');
    expect(interrupted.length).toBeGreaterThanOrEqual(1);
    expect(existsSync(join(study, interrupted[0], '.claim'))).toBe(true);
    const status = await runCli(['sweep', 'status', 'killed'], { cwd: ws.dir });
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^shard\s+runs\s+done\s+diverged\s+running\s+interrupted\s+failed\s+not-started/m);
    // LPT on 2 shards: the three width-64 runs go 0, 1, 0; the width-16 ones then fill shard 1.
    // Shard 0 was killed in its first run (or, on a very slow machine, its second): one interrupted.
    expect(status.stdout).toMatch(/^0\/2\s+2\s+[01]\s+0\s+0\s+1\s+0\s+[01]$/m);
    expect(status.stdout).toMatch(/^1\/2\s+4\s+4\s+0\s+0\s+0\s+0\s+0$/m);
    expect(status.stdout).toMatch(new RegExp(`^${interrupted[0].replace(/\./g, '\\.')}\\s+0\\s+interrupted`, 'm'));

    // Resubmitted: the dead owner's claim is taken over and the run continues from its checkpoint.
    const rerun = await runCli(['sweep', 'grid.yaml', '--workers', '1', '--out', 'killed', '--shard', '0/2'], { cwd: ws.dir });
    expect(rerun.stderr).not.toMatch(STACK_LINE);
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/taken over \(its owner, process \d+ on .* is gone\); continuing from its checkpoint/);
    const resumed = readRunJson(join(study, interrupted[0]));
    expect(resumed.status).toBe('done');
    expect(resumed.resumedFrom).toBeGreaterThan(0);

    for (const id of RUN_IDS) {
      expect(readRunJson(join(study, id)).status, id).toBe('done');
      const steps = loggedSteps(study, id);
      expect(new Set(steps).size, `${id}: no duplicate metrics rows`).toBe(steps.length);
      expect(steps).toEqual(loggedSteps(ws.path('one'), id));
      expectSameRun(study, ws.path('one'), id);
      expect(readdirSync(join(study, id)).filter((f) => f.startsWith('.claim') || f.startsWith('.run.lock'))).toEqual([]);
    }
    expectSameIndex(study, ws.path('one'));

    const after = await runCli(['sweep', 'status', 'killed'], { cwd: ws.dir });
    expect(after.stdout).toMatch(/^all\s+6\s+6\s+0\s+0\s+0\s+0\s+0$/m);
    expect(after.stdout).toMatch(/6 of 6 runs finished/);
  });

  it('sweep merge rebuilds a missing index.arrow from the runs', async () => {
    const { rmSync } = await import('node:fs');
    rmSync(ws.path('three', 'index.arrow'));
    const merged = await runCli(['sweep', 'merge', 'three'], { cwd: ws.dir });
    expect(merged.status, merged.stderr).toBe(0);
    expect(merged.stdout).toMatch(/index\.arrow rebuilt: 6 runs \(6 done\)/);
    expectSameIndex(ws.path('three'), ws.path('one'));
  });

  it('bad shard settings are one-line usage errors naming the variable (exit 2)', async () => {
    const k8s = await withEnv({ JOB_COMPLETION_INDEX: '1' }, () => runCli(['sweep', 'grid.yaml', '--out', 'x'], { cwd: ws.dir }));
    expect(k8s.status).toBe(2);
    expect(k8s.stderr).toMatch(/^mflab sweep: JOB_COMPLETION_INDEX: is set but not the number of shards: pass --shards N or set MFLAB_SHARDS/m);
    const slurm = await withEnv({ SLURM_ARRAY_TASK_ID: '5', MFLAB_SHARDS: '3' }, () => runCli(['sweep', 'grid.yaml', '--out', 'x'], { cwd: ws.dir }));
    expect(slurm.status).toBe(2);
    expect(slurm.stderr).toMatch(/^mflab sweep: SLURM_ARRAY_TASK_ID: is 5 but MFLAB_SHARDS says 3 shards/m);
    expect(slurm.stderr).not.toMatch(STACK_LINE);
    const noIndex = await runCli(['sweep', 'grid.yaml', '--out', 'x', '--shards', '3'], { cwd: ws.dir });
    expect(noIndex.status).toBe(2);
    expect(noIndex.stderr).toMatch(/^mflab sweep: --shards: needs a shard index/m);
    expect(noIndex.stderr).not.toMatch(STACK_LINE);
    const badStatus = await runCli(['sweep', 'status', 'nowhere'], { cwd: ws.dir });
    expect(badStatus.status).toBe(2);
    expect(badStatus.stderr).toMatch(/no study\.json here/);
  });
});
