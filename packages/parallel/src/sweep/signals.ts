import { InvalidInputError } from '@mflab/core';

/** An AbortSignal wired to process signals, and the way to unwire it. */
export interface SignalStop {
  readonly signal: AbortSignal;
  /** Removes the handlers (call it when the sweep is over, aborted or not). */
  dispose(): void;
}

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'];

/**
 * Turns Ctrl-C (and any other `signals` given) into an abort of the returned signal, for
 * `SweepExecutor.run(tasks, { signal })`: running tasks stop after their current step with
 * their output flushed, the rest are reported not-started, and the app exits on its own.
 *
 * The handler is removed as soon as it fires, so a second Ctrl-C gets Node's default behaviour
 * and ends the process at once: the way out when a task ignores `shouldStop`. The executor
 * itself installs no handler: a library should not decide what a signal means to the app.
 */
export function stopOnSigint(options: { signals?: readonly NodeJS.Signals[] } = {}): SignalStop {
  const signals = options.signals ?? ['SIGINT'];
  if (!Array.isArray(signals) || signals.length === 0 || !signals.every((s) => STOP_SIGNALS.includes(s))) {
    throw new InvalidInputError('signals', `expected a non-empty list of ${STOP_SIGNALS.join(', ')}, got ${JSON.stringify(signals)}`);
  }
  const controller = new AbortController();
  const dispose = (): void => {
    for (const name of signals) process.removeListener(name, onSignal);
  };
  function onSignal(name: NodeJS.Signals): void {
    dispose();
    controller.abort(new Error(`stopped by ${name}`));
  }
  for (const name of signals) process.on(name, onSignal);
  return { signal: controller.signal, dispose };
}
