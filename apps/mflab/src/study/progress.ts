/**
 * Progress for humans: a live bar redrawn in place on a terminal, plain periodic lines when the
 * output is a file or a CI log (no control characters there). Written to stderr so stdout stays
 * the command's result.
 */
import type { SweepProgress } from '@mflab/parallel';

export interface ProgressSink {
  update(progress: SweepProgress): void;
  /** Any finished-run line to keep (printed above the bar). */
  note(line: string): void;
  finish(): void;
}

const PLAIN_EVERY_MS = 10_000;

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.round((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Tracks a study's work: `costs[id]` weights each run (n·m·steps) so the ETA reflects work, not
 * run counts; `steps[id]` is its number of GD steps (for steps/s).
 */
export function createProgress(label: string, runs: readonly { id: string; cost: number; steps: number }[], stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  const tty = stream.isTTY === true;
  const started = performance.now();
  const cost = new Map(runs.map((r) => [r.id, r]));
  const totalCost = runs.reduce((s, r) => s + r.cost, 0) || 1;
  let doneCost = 0;
  let doneSteps = 0;
  let lastLine = 0;
  let last: SweepProgress = { total: runs.length, finished: 0, running: [] };
  const render = (): string => {
    const elapsed = (performance.now() - started) / 1000;
    let workDone = doneCost;
    let steps = doneSteps;
    for (const r of last.running) {
      const run = cost.get(r.id);
      if (run && Number.isFinite(r.fraction)) workDone += run.cost * r.fraction;
      if (Number.isFinite(r.step)) steps += r.step;
    }
    const fraction = Math.min(1, workDone / totalCost);
    const eta = fraction > 0 ? (elapsed * (1 - fraction)) / fraction : NaN;
    const rate = elapsed > 0 ? steps / elapsed : 0;
    const width = 24;
    const filled = Math.round(fraction * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    return `${label} ${bar} ${(fraction * 100).toFixed(0).padStart(3)}% · ${last.finished}/${last.total} runs · ${last.running.length} running · ${rate >= 1000 ? `${(rate / 1000).toFixed(1)}k` : rate.toFixed(0)} steps/s · ${formatDuration(elapsed)} elapsed · ETA ${formatDuration(eta)}`;
  };
  const draw = (force: boolean) => {
    const now = performance.now();
    if (tty) stream.write(`\r\x1b[2K${render()}`);
    else if (force || now - lastLine >= PLAIN_EVERY_MS) {
      stream.write(`${render()}\n`);
      lastLine = now;
    }
  };
  return {
    update(progress) {
      last = progress;
      if (progress.outcome) {
        const run = cost.get(progress.outcome.id);
        if (run) {
          doneCost += run.cost;
          // steps actually made (a failed or stopped run made fewer than planned)
          const made = (progress.outcome.result as { outcome?: { step?: number } } | undefined)?.outcome?.step;
          if (progress.outcome.status === 'done') doneSteps += run.steps;
          else if (typeof made === 'number') doneSteps += made;
        }
      }
      draw(false);
    },
    note(line) {
      if (tty) stream.write(`\r\x1b[2K${line}\n`);
      else stream.write(`${line}\n`);
      draw(false);
    },
    finish() {
      if (tty) stream.write(`\r\x1b[2K${render()}\n`);
      else stream.write(`${render()}\n`);
    },
  };
}
