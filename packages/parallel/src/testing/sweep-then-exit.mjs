/**
 * Child script for the no-zombie test: a sweep with a crash, a failure and a few ordinary runs
 * on the built package, then close() (unless `--no-close`: idle pool threads must not hold the
 * process either); prints the statuses and must end on its own, without process.exit.
 *   node sweep-then-exit.mjs [--no-close]
 */
import { SweepExecutor } from '@mflab/parallel';

const executor = new SweepExecutor({ taskModule: new URL('./behaviour-task.mjs', import.meta.url), workers: 2 });
const outcomes = await executor.run([
  { id: 'a', input: { kind: 'done' } },
  { id: 'b', input: { kind: 'exit', code: 9 } },
  { id: 'c', input: { kind: 'sleep', ms: 50 } },
  { id: 'd', input: { kind: 'throw' } },
  { id: 'e', input: { kind: 'sleep', ms: 50 } },
]);
if (!process.argv.includes('--no-close')) await executor.close();
console.log(outcomes.map((o) => o.status).join(' '));
