import { join } from 'node:path';
import { expandGrid } from '../config/grid.js';
import { ConfigError } from '../config/validate.js';
import { createProgress, type ProgressSink } from '../study/progress.js';
import { runSweep, type SweepSummary } from '../study/sweep.js';
import { COMMON_OPTIONS, EXIT, UsageError, configFromArgs, fmt, interruptFlag, outDir, parse, studyName, table, workersOf } from './shared.js';

export const SWEEP_HELP = `Usage: mflab sweep CONFIG [options]

Runs every point of CONFIG's grid (a cartesian product over config keys) as one study: one
hive-style directory per run (e.g. model.width=256/seed=3/), study.json and index.arrow.
Small runs go side by side on a thread pool; a large run gets every thread (sharded).

  grid:
    model.width: [64, 256, 1024]
    seed: ["0..9"]                 # a string "a..b" is the integers a…b
    train.weightDecay: [0, 1e-3]

Options:
  -o, --out DIR         study directory (default: mflab-out/<name>)
  -w, --workers N       pool threads (default: all cores)
      --backend B       override train.backend for every run: auto | wasm | tfjs | reference
      --precision P     override train.precision: f32 | f64
      --resume          skip finished runs, continue interrupted ones from their checkpoints
      --shard I/N       run only runs i with i mod N = I (0-based): one slice per array job
                        (Slurm: --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)
  -h, --help            this help

Examples:
  mflab sweep widths.yaml --workers 2
  mflab sweep widths.yaml --out studies/widths --resume
  mflab sweep widths.yaml --shard 3/16 --out /scratch/widths     # one of 16 array tasks
  mflab report mflab-out/widths                                    # then the figures
`;

export function parseShard(value: string | undefined): { index: number; count: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(value);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) throw new UsageError(`--shard: expected I/N with 0 ≤ I < N (e.g. 0/4), got "${value}"`);
  return { index, count };
}

export async function sweepCommand(args: string[]): Promise<number> {
  const { values, flags, positionals } = parse('sweep', args, { ...COMMON_OPTIONS, resume: { type: 'boolean' }, shard: { type: 'string' } });
  if (flags.help) {
    process.stdout.write(SWEEP_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new ConfigError('config', positionals.length === 0 ? 'no CONFIG given (see `mflab sweep --help`)' : `expected one CONFIG file, got ${positionals.length}`);
  const path = positionals[0];
  const shard = parseShard(values.shard);
  const workers = workersOf(values.workers);
  const { config, raw, source } = configFromArgs(path, values);
  const cells = expandGrid(raw, source);
  const name = studyName(config, path);
  const out = outDir(values.out, name);
  const { grid = {}, ...base } = raw;
  return sweepStudy({ cells, out, name, config: base, grid: grid as Record<string, unknown>, title: config.title, description: config.description, workers, resume: flags.resume === true, shard });
}

export interface StudyRequest {
  cells: ReturnType<typeof expandGrid>;
  out: string;
  name: string;
  title?: string;
  description?: string;
  config: Record<string, unknown>;
  grid: Record<string, unknown>;
  workers: number;
  resume: boolean;
  shard?: { index: number; count: number };
}

/** Runs a study with progress and SIGINT handling, prints its summary; returns the exit code. */
export async function sweepStudy(request: StudyRequest, printSummary = true): Promise<number> {
  const controller = new AbortController();
  const interrupt = interruptFlag(() => {
    process.stderr.write('\nstopping: running runs finish their current step and flush (Ctrl-C again to quit at once)…\n');
    controller.abort();
  });
  let progress: ProgressSink | null = null;
  let summary: SweepSummary;
  process.stderr.write(`mflab sweep: ${request.cells.length} runs${request.shard ? ` (this shard: ${request.shard.index}/${request.shard.count})` : ''}, ${request.workers} threads → ${request.out}\n`);
  try {
    summary = await runSweep({
      cells: request.cells,
      out: request.out,
      meta: { name: request.name, title: request.title, description: request.description, grid: request.grid, config: request.config },
      workers: request.workers,
      resume: request.resume,
      shard: request.shard,
      signal: controller.signal,
      onPlan: (tasks, skipped) => {
        if (skipped > 0) process.stderr.write(`resume: ${skipped} finished runs kept\n`);
        progress = createProgress(request.name, tasks);
      },
      onProgress: (p) => {
        const sink = progress as ProgressSink | null;
        if (!sink) return;
        if (p.outcome && p.outcome.status !== 'done') sink.note(`${p.outcome.id}: ${p.outcome.status}${p.outcome.error ? ` — ${p.outcome.error}` : ''}`);
        sink.update(p);
      },
    });
  } finally {
    interrupt.dispose();
    (progress as ProgressSink | null)?.finish();
  }
  const counts = new Map<string, number>();
  for (const r of summary.runs) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  if (printSummary) {
    const rows = summary.runs.map((r) => {
      const f = r.result?.outcome.final;
      return [r.id, r.status, f ? fmt(f.risk_train) : '', f ? fmt(f.risk_test) : '', f ? fmt(f.move) : '', r.seconds ? r.seconds.toFixed(1) : '', r.error ?? r.result?.outcome.reason ?? ''];
    });
    process.stdout.write(`${table(['run', 'status', 'risk_train', 'risk_test', 'move', 'seconds', 'note'], rows)}\n`);
  }
  process.stdout.write(`${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')} in ${summary.seconds.toFixed(1)} s — study written to ${request.out} (index: ${join(request.out, 'index.arrow')})\n`);
  if (controller.signal.aborted) {
    process.stderr.write(`interrupted; continue with --resume\n`);
    return EXIT.interrupted;
  }
  return (counts.get('failed') ?? 0) > 0 ? EXIT.runFailure : EXIT.ok;
}
