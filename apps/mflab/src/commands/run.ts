import { availableParallelism } from 'node:os';
import { ConfigError } from '../config/validate.js';
import { executeRun } from '../study/run-one.js';
import { formatDuration } from '../study/progress.js';
import { estimateRun } from '../study/estimate.js';
import { prepareRunDirectory } from '../study/out-dir.js';
import { COMMON_OPTIONS, EXIT, OUTPUT_OPTIONS, configFromArgs, enforceBudget, fmt, interruptFlag, outDir, parse, printConfig, studyName, table, workersOf } from './shared.js';

export const RUN_HELP = `Usage: mflab run [CONFIG] [options]

Trains one network (ARCHITECTURE.md §1) as CONFIG (YAML or JSON) says, and writes the run
directory: run.json, metrics.arrows, particles.arrows, checkpoint.arrow, outputs.arrow.
A directory that already holds results is never overwritten: add --resume or --overwrite, or
choose another --out. Ctrl-C, SIGTERM and SIGHUP stop after the current step with everything
flushed (exit 130, 143, 129); --resume continues.

Options:
  -o, --out DIR         run directory (default: mflab-out/<name>, name = config "name" or file stem)
  -w, --workers N       threads for this run (default: all cores; runs with n·m ≥ 262144 and
                        full-batch GD on wasm/native are sharded; results are bitwise the same)
      --backend B       override train.backend: auto | wasm | native | tfjs | reference
      --precision P     override train.precision: f32 | f64
      --resume          continue from the run directory's checkpoint (bitwise the same trajectory);
                        refused when the directory holds a run of another config (the keys are named)
      --overwrite       move a run already in the directory aside (.NAME.replaced-TIME) and start afresh
      --force           run even when the estimated memory, disk or time is above the budget
      --print-config    print the config with every default filled in, and exit
  -h, --help            this help

Examples:
  mflab run --print-config > my-run.yaml        # every key and its default
  mflab run my-run.yaml --out runs/first
  mflab run my-run.yaml --precision f32 --workers 2
  mflab run my-run.yaml --out runs/first --resume   # after Ctrl-C or a crash
`;

export async function runCommand(args: string[]): Promise<number> {
  const { values, flags, positionals } = parse('run', args, { ...COMMON_OPTIONS, ...OUTPUT_OPTIONS, 'print-config': { type: 'boolean' } });
  if (flags.help) {
    process.stdout.write(RUN_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 1) throw new ConfigError('config', `expected one CONFIG file, got ${positionals.length}: ${positionals.join(' ')}`);
  const path = positionals[0];
  const { config } = configFromArgs(path, values);
  if (flags['print-config']) {
    process.stdout.write(printConfig(config));
    return EXIT.ok;
  }
  if (!path) throw new ConfigError('config', 'no CONFIG given; write one from `mflab run --print-config` (or run `npm start` for the default study)');
  if (config.grid) throw new ConfigError('grid', 'a run has no grid; use `mflab sweep` for a config with a grid');
  const workers = workersOf(values.workers);
  const threads = Math.min(workers, availableParallelism() * 4);
  const dir = outDir(values.out, studyName(config, path));
  enforceBudget(estimateRun(config, { threads }), dir, flags.force === true, 'run');
  // Before anything is written: refuses a directory holding other results (see study/out-dir.ts).
  const moved = prepareRunDirectory(dir, { resume: flags.resume === true, overwrite: flags.overwrite === true });
  if (moved) process.stderr.write(`mflab run: ${moved}\n`);
  const interrupt = interruptFlag((signal) => process.stderr.write(`\n${signal}: stopping after the current step (send it again to quit at once)…\n`));
  const tty = process.stderr.isTTY === true;
  const started = performance.now();
  let lastLine = 0;
  try {
    process.stderr.write(`mflab run → ${dir}\n`);
    const outcome = await executeRun({
      config,
      dir,
      threads,
      resume: flags.resume === true,
      shouldStop: interrupt.stopped,
      onProgress: (step, total, row) => {
        const elapsed = (performance.now() - started) / 1000;
        const line = `step ${step}/${total} · risk_train ${fmt(row.risk_train)} · ${formatDuration(elapsed)} elapsed`;
        if (tty) process.stderr.write(`\r\x1b[2K${line}`);
        else if (performance.now() - lastLine > 10_000 || step === total) {
          process.stderr.write(`${line}\n`);
          lastLine = performance.now();
        }
      },
    });
    if (tty) process.stderr.write('\n');
    const f = outcome.final;
    process.stdout.write(
      `${table(
        ['status', 'step', 'risk_train', 'risk_test', 'objective', 'move', 'backend', 'seconds'],
        [[outcome.status, String(outcome.step), fmt(f.risk_train), fmt(f.risk_test), fmt(f.objective), fmt(f.move), outcome.backend, outcome.seconds.toFixed(1)]],
      )}\n`,
    );
    if (outcome.reason) process.stdout.write(`${outcome.status}: ${outcome.reason}\n`);
    process.stdout.write(`written to ${dir}\n`);
    if (outcome.status === 'stopped') {
      process.stderr.write(`interrupted at step ${outcome.step}; continue with: mflab run ${path} --out ${dir} --resume\n`);
      return interrupt.exitCode();
    }
    return EXIT.ok;
  } finally {
    interrupt.dispose();
  }
}
