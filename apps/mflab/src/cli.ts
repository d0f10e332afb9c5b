#!/usr/bin/env node
/**
 * The `mflab` command line (ARCHITECTURE.md §6). Exit codes: 0 ok, 1 a run failed, 2 bad usage
 * or config (one line naming the field, never a stack trace), 130 interrupted.
 */
import { EXIT } from './commands/shared.js';

interface CommandModule {
  run(args: string[]): Promise<number>;
}

// Each command is imported when used: `mflab --help` or a config error should not pay for
// loading the report's renderer or the thread pool.
const COMMANDS: Record<string, { load: () => Promise<CommandModule>; summary: string }> = {
  run: { load: async () => ({ run: (await import('./commands/run.js')).runCommand }), summary: 'train one network from a config' },
  sweep: { load: async () => ({ run: (await import('./commands/sweep.js')).sweepCommand }), summary: 'run a grid of configs as one study' },
  report: { load: async () => ({ run: (await import('./commands/report.js')).reportCommand }), summary: 'figures and report.html/report.md of a study or run' },
  inspect: { load: async () => ({ run: (await import('./commands/inspect.js')).inspectCommand }), summary: 'summary table of a study or run' },
  bench: { load: async () => ({ run: (await import('./commands/bench.js')).benchCommand }), summary: 'GD steps per second on this machine' },
  reproduce: { load: async () => ({ run: (await import('./commands/reproduce.js')).reproduceCommand }), summary: "a paper's experiment from a preset: study, figures, claims" },
  default: { load: async () => ({ run: (await import('./commands/default-study.js')).defaultCommand }), summary: 'the default study (what `npm start` runs) and its report' },
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

/**
 * The `mflab` command line as a function: `argv` without node and the script (`['run',
 * 'my-run.yaml']`); resolves to the exit code (ARCHITECTURE.md §6: 0 ok, 1 run failure, 2 bad
 * usage or config) and leaves exiting to the caller. Commands are loaded only when used.
 *
 * @example
 * const code = await main(['run', '--print-config']); // 0; prints a config with every default
 */
export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined) {
    process.stderr.write(MAIN_HELP);
    return EXIT.usage;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(MAIN_HELP);
    return EXIT.ok;
  }
  if (command === '--version' || command === '-v') {
    const { packageVersions } = await import('./study/versions.js');
    process.stdout.write(`mflab ${packageVersions().mflab ?? ''}\n`);
    return EXIT.ok;
  }
  const entry = COMMANDS[command];
  if (!entry) {
    process.stderr.write(`mflab: unknown command "${command}"; commands are ${Object.keys(COMMANDS).join(', ')} (see \`mflab --help\`)\n`);
    return EXIT.usage;
  }
  try {
    return await (await entry.load()).run(args);
  } catch (error) {
    if (process.env.MFLAB_DEBUG) console.error(error);
    const { MflabError, StoreError } = await import('@mflab/store');
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    // One hierarchy: the caller's input (a field, a flag, a directory) exits 2, a failure of the work 1.
    if (error instanceof MflabError && error.kind === 'input') {
      process.stderr.write(`mflab ${command}: ${message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`mflab ${command}: ${error instanceof StoreError ? '' : 'error: '}${message}\n`);
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
