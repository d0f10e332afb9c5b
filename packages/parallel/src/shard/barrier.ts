import { CONTROL } from './protocol.js';

/** Thrown inside a worker when the run was aborted (a sibling died, or the network was disposed). */
export class ShardAbortedError extends Error {
  constructor() {
    super('the sharded run was aborted');
    this.name = 'ShardAbortedError';
  }
}

/** How long a sleeping worker waits before it looks at the abort word again (ms). */
const ABORT_POLL_MS = 50;

/**
 * A reusable barrier for `parties` threads on the Int32 control words (generation counting:
 * the last arrival resets the count and bumps the generation). A waiter spins `spin` times
 * first — on an idle core a sibling usually arrives within microseconds, far below the cost
 * of Atomics.wait/notify — and then sleeps, waking to check the abort word so a dead sibling
 * cannot hang it.
 */
export class Barrier {
  constructor(
    private readonly control: Int32Array,
    private readonly parties: number,
    private readonly spin: number,
  ) {}

  arrive(): void {
    const c = this.control;
    const generation = Atomics.load(c, CONTROL.generation);
    if (Atomics.add(c, CONTROL.arrived, 1) === this.parties - 1) {
      Atomics.store(c, CONTROL.arrived, 0);
      Atomics.add(c, CONTROL.generation, 1);
      Atomics.notify(c, CONTROL.generation);
      return;
    }
    for (let k = 0; k < this.spin; k++) {
      if (Atomics.load(c, CONTROL.generation) !== generation) return;
    }
    while (Atomics.load(c, CONTROL.generation) === generation) {
      if (Atomics.load(c, CONTROL.abort) !== 0) throw new ShardAbortedError();
      Atomics.wait(c, CONTROL.generation, generation, ABORT_POLL_MS);
    }
  }

  /** Throws if the run was aborted (checked between steps, so a dead sibling stops the others promptly). */
  checkAbort(): void {
    if (Atomics.load(this.control, CONTROL.abort) !== 0) throw new ShardAbortedError();
  }
}

/** Called by the main thread: marks the run aborted and wakes every sleeping worker. */
export function abortBarrier(control: Int32Array): void {
  Atomics.store(control, CONTROL.abort, 1);
  Atomics.add(control, CONTROL.generation, 0);
  Atomics.notify(control, CONTROL.generation);
}
