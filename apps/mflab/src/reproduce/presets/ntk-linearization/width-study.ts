/**
 * What the NTK reproductions (ntk-linearization, ntk-drift) share: running their grid as a study
 * on the thread pool, and summarising a quantity measured per run as a power law in the width.
 */
import { join } from 'node:path';
import { runDirName } from '@mflab/store';
import { expandGrid } from '../../../config/grid.js';
import { fitPowerLaw, type PowerLawFit } from '../../../report/fit.js';
import { runSweep } from '../../../study/sweep.js';
import type { PresetContext } from '../../types.js';

/** A finished run of the study with its swept keys. */
export interface StudyRun {
  dir: string;
  keys: Record<string, number | string | boolean>;
}

export interface WidthStudy {
  dir: string;
  /** Runs that finished (`done`). */
  done: StudyRun[];
  /** One line per run that did not finish, for the notes. */
  problems: string[];
  seconds: number;
}

/**
 * Runs `config` (a full config with a `grid`) as a study in `<out>/study`, logging a line every
 * tenth of the runs, and returns the finished runs. Stops early (the unfinished runs are left
 * out) when the context's signal aborts.
 */
export async function runWidthStudy(context: PresetContext, name: string, config: Record<string, unknown>): Promise<WidthStudy> {
  const dir = join(context.out, 'study');
  const cells = expandGrid(config);
  const { grid, ...base } = config;
  context.log(`${name}: ${cells.length} runs on ${context.workers} thread${context.workers === 1 ? '' : 's'} → ${dir}`);
  let reported = 0;
  const summary = await runSweep({
    cells,
    out: dir,
    meta: { name, title: typeof config.title === 'string' ? config.title : name, grid: grid as Record<string, unknown>, config: base },
    workers: context.workers,
    resume: false,
    signal: context.signal,
    onProgress: (progress) => {
      if (!progress.outcome) return;
      const tenth = Math.floor((10 * progress.finished) / progress.total);
      if (tenth > reported || progress.finished === progress.total) {
        reported = tenth;
        context.log(`  ${progress.finished}/${progress.total} runs (last: ${progress.outcome.id}, ${progress.outcome.status})`);
      }
    },
  });
  // The sweep names each run directory runDirName(keys); map the names back to the keys.
  const keysById = new Map(cells.map((c) => [runDirName(c.keys), c.keys]));
  const done: StudyRun[] = [];
  const problems: string[] = [];
  for (const run of summary.runs) {
    const keys = keysById.get(run.id);
    if (run.status === 'done' && keys) done.push({ dir: run.dir, keys });
    else problems.push(`${run.id}: ${run.status}${run.error ? ` (${run.error})` : ''}`);
  }
  return { dir, done, problems, seconds: summary.seconds };
}

/** A quantity measured per run: (width, value) pairs, one per seed. */
export interface WidthSample {
  width: number;
  value: number;
}

/** Per-width geometric mean, min and max (the seeds' spread), in increasing width. */
export function perWidth(samples: readonly WidthSample[]): { width: number; mean: number; min: number; max: number; count: number }[] {
  const groups = new Map<number, number[]>();
  for (const s of samples) if (s.value > 0 && Number.isFinite(s.value)) (groups.get(s.width) ?? groups.set(s.width, []).get(s.width)!).push(s.value);
  return [...groups.entries()]
    .sort((x, y) => x[0] - y[0])
    .map(([width, values]) => ({
      width,
      mean: Math.exp(values.reduce((acc, v) => acc + Math.log(v), 0) / values.length),
      min: Math.min(...values),
      max: Math.max(...values),
      count: values.length,
    }));
}

/**
 * Least-squares power law of the per-run values against the width (every seed is a point, so
 * the 95% interval reflects the seeds' scatter), optionally only over widths ≥ `minWidth`.
 */
export function widthFit(samples: readonly WidthSample[], minWidth = 0): PowerLawFit | null {
  const kept = samples.filter((s) => s.width >= minWidth);
  if (new Set(kept.map((s) => s.width)).size < 3) return null;
  return fitPowerLaw(
    kept.map((s) => s.width),
    kept.map((s) => s.value),
  );
}

/** "−0.512 (95% CI [−0.55, −0.47], 70 runs)". */
export function describeFit(fit: PowerLawFit | null): string {
  if (!fit) return 'no fit (fewer than 3 widths)';
  const f = (v: number) => v.toFixed(3).replace('-', '−');
  return `${f(fit.slope)}${fit.ci95 ? ` (95% CI [${f(fit.ci95[0])}, ${f(fit.ci95[1])}], ${fit.points} runs)` : ` (${fit.points} runs, no interval)`}`;
}

/** Whether the fitted exponent lies in [low, high]; null (undecidable) without a fit. */
export function exponentWithin(fit: PowerLawFit | null, low: number, high: number): boolean | null {
  return fit ? fit.slope >= low && fit.slope <= high : null;
}
