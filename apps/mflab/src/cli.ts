#!/usr/bin/env node
/**
 * The `mflab` command line (ARCHITECTURE.md §6). Exit codes: 0 ok, 1 a run failed, 2 bad usage
 * or config (one line naming the field, never a stack trace), 130 interrupted.
 */
import { InvalidInputError } from '@mflab/core';
import { StoreError } from '@mflab/store';
import { benchCommand, BENCH_HELP } from './commands/bench.js';
import { defaultCommand, DEFAULT_HELP } from './commands/default-study.js';
import { inspectCommand, INSPECT_HELP } from './commands/inspect.js';
import { reportCommand, REPORT_HELP } from './commands/report.js';
import { runCommand, RUN_HELP } from './commands/run.js';
import { EXIT, UsageError } from './commands/shared.js';
import { sweepCommand, SWEEP_HELP } from './commands/sweep.js';
import { ConfigError } from './config/validate.js';
import { packageVersions } from './study/versions.js';

const COMMANDS: Record<string, { run: (args: string[]) => Promise<number>; help: string; summary: string }> = {
  run: { run: runCommand, help: RUN_HELP, summary: 'train one network from a config' },
  sweep: { run: sweepCommand, help: SWEEP_HELP, summary: 'run a grid of configs as one study' },
  report: { run: reportCommand, help: REPORT_HELP, summary: 'figures and report.html/report.md of a study or run' },
  inspect: { run: inspectCommand, help: INSPECT_HELP, summary: 'summary table of a study or run' },
  bench: { run: benchCommand, help: BENCH_HELP, summary: 'GD steps per second on this machine' },
  default: { run: defaultCommand, help: DEFAULT_HELP, summary: 'the default study (what `npm start` runs) and its report' },
};

export const MAIN_HELP = `Usage: mflab <command> [options]

Gradient descent on wide two-layer ReLU networks — mean-field, NTK and lazy regimes.

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`)
  .join('\n')}

Every command takes --help. Examples:
  mflab run --print-config > my-run.yaml     # a config with every default
  mflab run my-run.yaml --out runs/first
  mflab sweep widths.yaml --workers 2
  mflab report mflab-out/widths
  mflab inspect mflab-out/widths
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(MAIN_HELP);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`mflab ${packageVersions().mflab ?? ''}\n`);
    return EXIT.ok;
  }
  const entry = COMMANDS[command];
  if (!entry) {
    process.stderr.write(`mflab: unknown command "${command}"; commands are ${Object.keys(COMMANDS).join(', ')} (see \`mflab --help\`)\n`);
    return EXIT.usage;
  }
  try {
    return await entry.run(args);
  } catch (error) {
    if (process.env.MFLAB_DEBUG) console.error(error);
    if (error instanceof ConfigError || error instanceof InvalidInputError || error instanceof UsageError) {
      process.stderr.write(`mflab ${command}: ${error.message}\n`);
      return EXIT.usage;
    }
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    const kind = error instanceof StoreError ? '' : 'error: ';
    process.stderr.write(`mflab ${command}: ${kind}${message}\n`);
    return EXIT.runFailure;
  }
}

// Run when executed directly (`node dist/cli.js`); the bin shim imports main() instead.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`mflab: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
      process.exitCode = EXIT.runFailure;
    },
  );
}
