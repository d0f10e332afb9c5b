import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expandGrid } from '../config/grid.js';
import { ConfigError, nominalDataSize } from '../config/validate.js';
import { claimTimeoutMs } from '../study/claim.js';
import { DEFAULT_COMMAND, emitKubernetes, emitSlurm, shardResources } from '../study/emit.js';
import { createProgress, type ProgressSink } from '../study/progress.js';
import { chooseEngine } from '@mflab/parallel';
import { isFileKind } from '@mflab/core';
import { cellsOfShard, parseShardCount, parseShardSpec, resolveShard, type ShardSpec } from '../study/shards.js';
import { estimateSweep } from '../study/estimate.js';
import { runSweep, type SweepSummary } from '../study/sweep.js';
import { COMMON_OPTIONS, EXIT, OUTPUT_OPTIONS, UsageError, configFromArgs, enforceBudget, fmt, interruptFlag, outDir, parse, studyName, table, workersOf } from './shared.js';

export const SWEEP_HELP = `Usage: mflab sweep CONFIG [options]
       mflab sweep CONFIG --emit slurm|k8s [--shards N] [options]   print a cluster job script
       mflab sweep status DIR [--shards N]                            done/running/failed per shard
       mflab sweep merge DIR                                          rebuild DIR/index.arrow

Runs every point of CONFIG's grid (a cartesian product over config keys) as one study: one
hive-style directory per run (e.g. model.width=256/seed=3/), study.json and index.arrow.
Small runs go side by side on a thread pool; a large run gets every thread (sharded).

  grid:
    model.width: [64, 256, 1024]
    seed: ["0..9"]                 # a string "a..b" is the integers a…b
    train.weightDecay: [0, 1e-3]

Options:
  -o, --out DIR         study directory (default: mflab-out/<name>)
  -w, --workers N       pool threads (default: all cores; with --emit: 1, or 4 when a run has n·m ≥ 2^18)
      --backend B       override train.backend of every run: auto|wasm|native|tfjs|reference
      --precision P     override train.precision: f32 | f64
      --resume          skip finished runs, continue interrupted ones from their checkpoints;
                        refused when DIR holds a study of another config (the keys are named);
                        the grid may grow (more seeds or widths: the new cells run)
      --overwrite       move a study already in DIR aside (.NAME.replaced-TIME) and start afresh
      --force           run even when the estimated memory, disk or time is above the budget
      --shard I/N       run only shard I of N (0-based; cells split by cost n·m·steps, the same
                        split on every call); implies --resume
      --shards N        the number of shards, when the index comes from the environment:
                        SLURM_ARRAY_TASK_ID (Slurm job array) or JOB_COMPLETION_INDEX (Kubernetes
                        Indexed Job); MFLAB_SHARDS=N does the same. Without it a Slurm task uses
                        SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT.
                        With --emit: the array size (default: one per run, at most 16).
      --emit slurm|k8s  print an sbatch job-array script or an Indexed Job manifest (N tasks,
                        CPUs = --workers, memory estimated from n, m, d and precision) and exit
      --command CMD     with --emit: how a task runs mflab (default: "${DEFAULT_COMMAND}")
      --time T          with --emit slurm: the tasks' time limit (sbatch --time, e.g. 04:00:00)
      --partition P     with --emit slurm: the partition
      --image IMAGE     with --emit k8s: a container image with mflab installed (default mflab:latest)
      --volume-claim C  with --emit k8s: the ReadWriteMany PersistentVolumeClaim holding the study
                        (default mflab-studies; mounted at the study directory's parent)
  -h, --help            this help

Several processes may write one study at once (one per shard, or a resubmitted shard beside
its predecessor): each run directory is claimed (.claim, with a heartbeat) before it runs, so
no run is run twice; a run whose owner died is taken over from its checkpoint (other hosts:
after MFLAB_CLAIM_TIMEOUT seconds without heartbeat, default 300). See docs/cluster.md.

Examples:
  mflab sweep widths.yaml --workers 2
  mflab sweep widths.yaml --out studies/widths --resume
  mflab sweep widths.yaml --shard 3/16 --out /scratch/widths     # shard 3 of 16, by hand
  mflab sweep widths.yaml --emit slurm --shards 16 --out /scratch/widths > widths.sbatch
  sbatch widths.sbatch                                             # 16 array tasks, each a shard
  mflab sweep widths.yaml --emit k8s --shards 16 --out /studies/widths | kubectl apply -f -
  mflab sweep status /scratch/widths                               # done/running/failed per shard
  mflab sweep merge /scratch/widths                                # rebuild index.arrow
  mflab report mflab-out/widths                                    # then the figures
`;

/** `--shard I/N` as a usage error (kept for callers of the earlier API). */
export function parseShard(value: string | undefined): ShardSpec | undefined {
  if (value === undefined) return undefined;
  try {
    return parseShardSpec('--shard', value);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

const SWEEP_OPTIONS = {
  ...COMMON_OPTIONS,
  ...OUTPUT_OPTIONS,
  shard: { type: 'string' },
  shards: { type: 'string' },
  emit: { type: 'string' },
  command: { type: 'string' },
  time: { type: 'string' },
  partition: { type: 'string' },
  image: { type: 'string' },
  'volume-claim': { type: 'string' },
} as const;

const EMIT_ONLY = ['command', 'time', 'partition', 'image', 'volume-claim'] as const;

export async function sweepCommand(args: string[]): Promise<number> {
  const { values, flags, positionals } = parse('sweep', args, SWEEP_OPTIONS);
  if (flags.help) {
    process.stdout.write(SWEEP_HELP);
    return EXIT.ok;
  }
  if ((positionals[0] === 'status' || positionals[0] === 'merge') && positionals.length === 2) {
    const admin = await import('./sweep-admin.js');
    return positionals[0] === 'status' ? admin.statusCommand(positionals[1], values.shards) : admin.mergeCommand(positionals[1]);
  }
  if (positionals.length !== 1) throw new ConfigError('config', positionals.length === 0 ? 'no CONFIG given (see `mflab sweep --help`)' : `expected one CONFIG file, got ${positionals.length}`);
  const path = positionals[0];
  if (values.emit === undefined) {
    const used = EMIT_ONLY.find((flag) => values[flag] !== undefined);
    if (used) throw new UsageError(`--${used} only applies with --emit slurm|k8s`);
  }
  const { config, raw, source } = configFromArgs(path, values);
  const cells = expandGrid(raw, source);
  const name = studyName(config, path);
  const out = outDir(values.out, name);
  if (values.emit !== undefined) return emitCommand(values, path, name, out, cells);
  const shard = resolveShard({ shardFlag: values.shard, shardsFlag: values.shards });
  if (shard && shard.source !== '--shard') process.stderr.write(`mflab sweep: shard ${shard.index}/${shard.count} from ${shard.source}\n`);
  claimTimeoutMs(); // a bad MFLAB_CLAIM_TIMEOUT is a usage error now, not a failed run later
  const workers = workersOf(values.workers);
  enforceBudget(estimateSweep(cellsOfShard(cells, shard).map((i) => cells[i]), { workers }), out, flags.force === true, 'sweep');
  const { grid = {}, ...base } = raw;
  return sweepStudy({ cells, out, name, config: base, grid: grid as Record<string, unknown>, title: config.title, description: config.description, workers, resume: flags.resume === true, overwrite: flags.overwrite === true, shard });
}

function emitCommand(values: Readonly<Record<string, string | undefined>>, path: string, name: string, out: string, cells: ReturnType<typeof expandGrid>): number {
  const kind = values.emit;
  if (kind !== 'slurm' && kind !== 'k8s') throw new UsageError(`--emit: expected slurm or k8s, got "${kind}"`);
  if (values.shard !== undefined) throw new UsageError('--shard does not apply with --emit (every array task finds its own shard); give --shards N');
  for (const flag of kind === 'slurm' ? (['image', 'volume-claim'] as const) : (['time', 'partition'] as const)) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} does not apply to --emit ${kind}`);
  }
  const shardsRaw = values.shards ?? process.env.MFLAB_SHARDS;
  const shards = shardsRaw !== undefined ? parseShardCount(values.shards !== undefined ? '--shards' : 'MFLAB_SHARDS', shardsRaw) : Math.min(cells.length, 16);
  if (shards > cells.length) process.stderr.write(`mflab sweep: note: ${shards} shards for ${cells.length} runs leaves ${shards - cells.length} array task(s) with nothing to do\n`);
  // A cell createEngine would shard (on its nominal data size) gets 4 CPUs per task by default.
  const large = cells.some((c) => chooseEngine(c.config, { train: { n: nominalDataSize(c.config).n }, sampler: isFileKind(c.config.data.kind) ? undefined : true }, 4) === 'sharded');
  const workers = values.workers !== undefined ? workersOf(values.workers) : large ? 4 : 1;
  const timeout = process.env.MFLAB_CLAIM_TIMEOUT !== undefined ? claimTimeoutMs() / 1000 : undefined;
  const extraArgs = [...(values.backend !== undefined ? ['--backend', values.backend] : []), ...(values.precision !== undefined ? ['--precision', values.precision] : [])];
  const options = {
    name,
    configPath: resolve(path),
    out,
    cells: cells.length,
    shards,
    resources: shardResources(cells, shards, workers),
    command: values.command,
    extraArgs,
    claimTimeoutSeconds: timeout,
    time: values.time,
    partition: values.partition,
    image: values.image,
    volumeClaim: values['volume-claim'],
    configText: kind === 'k8s' ? readFileSync(path, 'utf8') : undefined,
  };
  process.stdout.write(kind === 'slurm' ? emitSlurm(options) : emitKubernetes(options));
  return EXIT.ok;
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
  overwrite?: boolean;
  /** `mflab default`: continue the same study silently, refuse another. */
  resumeIfSame?: boolean;
  shard?: ShardSpec;
}

/**
 * Runs a study with progress and SIGINT/SIGTERM/SIGHUP handling (SIGTERM is how Slurm and
 * Kubernetes stop a task: the running runs flush and release their claims), prints its summary;
 * returns the exit code (130, 143 or 129 when stopped by a signal).
 */
export async function sweepStudy(request: StudyRequest, printSummary = true): Promise<number> {
  const controller = new AbortController();
  const interrupt = interruptFlag((signal) => {
    process.stderr.write(`\n${signal}: running runs finish their current step and flush (send it again to quit at once)…\n`);
    controller.abort();
  });
  let progress: ProgressSink | null = null;
  let summary: SweepSummary;
  try {
    summary = await runSweep({
      cells: request.cells,
      out: request.out,
      meta: { name: request.name, title: request.title, description: request.description, grid: request.grid, config: request.config },
      workers: request.workers,
      resume: request.resume,
      overwrite: request.overwrite,
      resumeIfSame: request.resumeIfSame,
      shard: request.shard,
      signal: controller.signal,
      onNote: (line) => {
        const sink = progress as ProgressSink | null;
        if (sink) sink.note(line);
        else process.stderr.write(`${line}\n`);
      },
      onPlan: (tasks, skipped) => {
        // Printed once the output directory is accepted: a refusal stays the only line.
        process.stderr.write(`mflab sweep: ${request.cells.length} runs${request.shard ? ` (this shard: ${request.shard.index}/${request.shard.count})` : ''}, ${request.workers} threads → ${request.out}\n`);
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
    process.stderr.write(request.shard ? `interrupted; run the same shard again to continue\n` : `interrupted; continue with --resume\n`);
    return interrupt.exitCode();
  }
  return (counts.get('failed') ?? 0) > 0 ? EXIT.runFailure : EXIT.ok;
}
