/**
 * A task module for the executor's tests: `input.kind` picks how the task behaves, so that one
 * sweep can mix every outcome. Plain JavaScript, loaded as is by the pool threads.
 *
 * Kinds: done, throw, diverge (reports it), nan (says done, final objective NaN), exit
 * (process.exit), oom (fills the heap), spin (burns CPU until `input.release[0]` is set, after
 * writing its thread id to `input.threadId[0]`), sleep (records its interval and threads),
 * steps (one step per `input.stepMs`, a line appended to `input.file` per step, stops when asked).
 */
import { appendFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export default async function behave(input, context) {
  switch (input.kind) {
    case 'done':
      return { status: 'done', final: { objective: input.value ?? 0.5 } };
    case 'throw':
      throw new RangeError(`bad luck in ${input.name ?? 'the task'}\nsecond line that must not show`);
    case 'diverge':
      return { status: 'diverged', reason: 'objective became NaN at step 7' };
    case 'nan':
      return { status: 'done', final: { objective: NaN } };
    case 'exit':
      process.exit(input.code ?? 3);
      break;
    case 'oom': {
      const hoard = [];
      for (;;) hoard.push(new Array(1 << 16).fill({ step: hoard.length }));
    }
    case 'spin': {
      Atomics.store(input.threadId, 0, threadId);
      let x = 0;
      while (Atomics.load(input.release, 0) === 0) x += Math.sqrt(x + 1);
      return { status: 'done', final: { objective: x > 0 ? 1 : 0 } };
    }
    case 'sleep': {
      const start = now();
      await sleep(input.ms);
      return { status: 'done', start, end: now(), threads: context.threads, threadId };
    }
    case 'steps': {
      for (let step = 1; step <= input.steps; step++) {
        await sleep(input.stepMs);
        appendFileSync(input.file, `step ${step}\n`);
        context.reportProgress(step / input.steps, { step, objective: 1 / step });
        if (step < input.steps && context.shouldStop()) return { status: 'stopped', steps: step };
      }
      return { status: 'done', steps: input.steps };
    }
    default:
      throw new Error(`unknown kind ${input.kind}`);
  }
}
