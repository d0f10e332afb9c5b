/**
 * Child script for the SIGINT test: a sweep of slow step tasks wired to Ctrl-C with
 * stopOnSigint, run against the built package. Prints `running` once a task has made a few
 * steps, then one JSON line of outcomes, and ends on its own (no process.exit).
 *   node sigint-sweep.mjs DIR
 */
import { join } from 'node:path';
import { SweepExecutor, stopOnSigint } from '@mflab/parallel';

const dir = process.argv[2];
const executor = new SweepExecutor({ taskModule: new URL('./behaviour-task.mjs', import.meta.url), workers: 2 });
const stop = stopOnSigint();
let announced = false;
try {
  const tasks = [0, 1, 2, 3].map((k) => ({ id: `run-${k}`, input: { kind: 'steps', steps: 1000, stepMs: 10, file: join(dir, `run-${k}.txt`) } }));
  const outcomes = await executor.run(tasks, {
    signal: stop.signal,
    progressIntervalMs: 20,
    onProgress: (p) => {
      if (!announced && p.running.some((r) => r.step >= 3)) {
        announced = true;
        console.log('running');
      }
    },
  });
  console.log(JSON.stringify(outcomes));
} finally {
  stop.dispose();
  await executor.close();
}
