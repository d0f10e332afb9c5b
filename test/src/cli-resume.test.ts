/**
 * Ctrl-C and `--resume` (issue #6, ARCHITECTURE.md §5): SIGINT stops a run after its current
 * step with exit 130, leaving a readable prefix and a checkpoint; `mflab run --resume` then
 * finishes it with a metrics stream equal, value for value, to an uninterrupted run's.
 *
 * The interruption is sent once metrics.arrows holds some rows (the first flush), so it lands
 * early in the run however loaded the machine is; the runs are long enough (a few seconds)
 * that it cannot finish first.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_LINE, assertCliBuilt, columnBytes, readArrow, readRunJson, runCli, startCli, tempWorkspace, waitFor, type CliResult, type RunJson } from './helpers/cli.js';

let ws: ReturnType<typeof tempWorkspace>;
beforeAll(() => {
  assertCliBuilt();
  ws = tempWorkspace('resume');
});
afterAll(() => ws?.dispose());

/** Rows readable in a (possibly growing) metrics stream; 0 while it is absent or cut mid-batch. */
function loggedRows(file: string): number {
  if (!existsSync(file)) return 0;
  try {
    return readArrow(file).numRows;
  } catch {
    return 0;
  }
}

interface Outcome {
  whole: string;
  cut: string;
  interrupted: CliResult;
  /** run.json and the readable metrics rows as the interrupted process left them. */
  leftInfo: RunJson;
  leftRows: number;
  resumed: CliResult;
}

/** Runs CONFIG uninterrupted into `LABEL-whole/`, and interrupted then resumed into `LABEL-cut/`. */
async function interruptAndResume(label: string, config: string, extraArgs: string[]): Promise<Outcome> {
  const [whole, cut] = [ws.path(`${label}-whole`), ws.path(`${label}-cut`)];
  const reference = await runCli(['run', config, '--out', whole, ...extraArgs], { cwd: ws.dir });
  expect(reference.status).toBe(0);

  const started = startCli(['run', config, '--out', cut, ...extraArgs], { cwd: ws.dir });
  try {
    await waitFor(() => loggedRows(join(cut, 'metrics.arrows')) > 0, 30_000, 'the first flushed metrics rows');
  } catch (error) {
    started.child.kill('SIGKILL');
    throw error;
  }
  started.child.kill('SIGINT');
  const interrupted = await started.result;
  const leftInfo = readRunJson(cut);
  const leftRows = loggedRows(join(cut, 'metrics.arrows'));

  const resumed = await runCli(['run', config, '--out', cut, '--resume', ...extraArgs], { cwd: ws.dir });
  return { whole, cut, interrupted, leftInfo, leftRows, resumed };
}

function expectSameTrajectory(wholeDir: string, cutDir: string): void {
  const whole = readArrow(join(wholeDir, 'metrics.arrows'));
  const cut = readArrow(join(cutDir, 'metrics.arrows'));
  expect(cut.numRows).toBe(whole.numRows);
  // Bitwise equal values, column by column (the batches may be cut differently).
  expect(columnBytes(cut)).toEqual(columnBytes(whole));
  expect(columnBytes(readArrow(join(cutDir, 'outputs.arrow')))).toEqual(columnBytes(readArrow(join(wholeDir, 'outputs.arrow'))));
}

function expectInterruptedThenResumed({ whole, cut, interrupted, leftInfo, leftRows, resumed }: Outcome, steps: number): void {
  expect(interrupted.stderr).not.toMatch(STACK_LINE);
  expect(interrupted.status, `stdout: ${interrupted.stdout}\nstderr: ${interrupted.stderr}`).toBe(130);
  expect(interrupted.stderr).toMatch(/--resume/);
  // What the interrupted process left: an unfinished run.json, a readable prefix of the stream.
  expect(leftInfo.status).toBe('running');
  expect(leftInfo.interrupted).toMatch(/--resume/);
  expect(leftRows).toBeGreaterThan(0);
  expect(existsSync(join(cut, 'checkpoint.arrow'))).toBe(true);
  expect(resumed.stderr).not.toMatch(STACK_LINE);
  expect(resumed.status, resumed.stderr).toBe(0);
  const info = readRunJson(cut);
  expect(info.status).toBe('done');
  expect(info.interrupted).toBeUndefined();
  expect(info.resumedFrom).toBeGreaterThan(0);
  expect(info.resumedFrom).toBeLessThan(steps);
  expect(leftRows).toBeLessThan(readArrow(join(whole, 'metrics.arrows')).numRows);
  expectSameTrajectory(whole, cut);
}

describe('mflab run: SIGINT, then --resume', () => {
  it('sharded engine (--workers 2, n·m ≥ 2^18): exit 130, then --resume gives the uninterrupted metrics bitwise', async () => {
    // 512 × 512 pairs per step: above the sharding threshold, so the run is split over 2 threads.
    ws.write('sharded.yaml', 'seed: 3\ndata: { kind: teacher, d: 2, n: 512, nTest: 16 }\nmodel: { width: 512 }\ntrain: { steps: 1500, lr: 0.05 }\nlog: { every: 5, particles: { every: 500, count: 4 }, checkpointEvery: 250 }\n');
    const outcome = await interruptAndResume('sharded', 'sharded.yaml', ['--workers', '2']);
    expect(readRunJson(outcome.whole).backend).toMatch(/sharded/);
    expectInterruptedThenResumed(outcome, 1500);
  });

  it('single-thread engine (the default for small runs): exit 130, then --resume gives the uninterrupted metrics bitwise', async () => {
    // 64 × 64 pairs per step: below the sharding threshold, so core's Simulation on one thread.
    ws.write('single.yaml', 'seed: 3\ndata: { kind: teacher, d: 2, n: 64, nTest: 16 }\nmodel: { width: 64 }\ntrain: { steps: 200000, lr: 0.05 }\nlog: { every: 20, particles: { every: 50000, count: 4 }, checkpointEvery: 20000 }\n');
    const outcome = await interruptAndResume('single', 'single.yaml', ['--workers', '1']);
    expect(readRunJson(outcome.whole).backend).toMatch(/1 thread/);
    expectInterruptedThenResumed(outcome, 200000);
  });
});
